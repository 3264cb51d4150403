-- Dashboard sessions (docs/UI.md). The session cookie holds a random session secret and the API
-- token, sealed; this row (keyed by the SHA-256 of the secret) is what keeps the session alive, so
-- signing out deletes it and every copy of the cookie stops working at once. Expired rows are
-- pruned hourly.
CREATE TABLE dashboard_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    actor TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dashboard_sessions_expires_idx ON dashboard_sessions (expires_at);
