-- Scoped API tokens (docs/ACCESS.md). Only the SHA-256 of a token is stored: the secret is shown
-- once, at creation. A revoked token keeps its row (revoked_at set) so that the audit trail's
-- actor ids stay resolvable.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL,
    -- Comma-separated scope names: read, write, admin.
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT,
    requests_per_second DOUBLE PRECISION,
    CONSTRAINT api_tokens_sha256_key UNIQUE (token_sha256)
);
-- Names are unique among live tokens; a revoked token's name can be reused.
CREATE UNIQUE INDEX api_tokens_live_name_key ON api_tokens (name) WHERE revoked_at IS NULL;
