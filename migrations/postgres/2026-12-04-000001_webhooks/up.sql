-- Outgoing webhooks (docs/WEBHOOKS.md). `secret_sealed` is the signing secret sealed with the
-- server's secret key; it never leaves the server.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    secret_sealed TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Which webhook hears which event type; the primary key serves the lookup every write makes.
CREATE TABLE webhook_subscriptions (
    event_type TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    PRIMARY KEY (event_type, webhook_id)
);

-- The outbox: one row per (event, subscribed webhook), inserted in the transaction of the change
-- it reports. `event_id` is the `webhook-id` header, the same on every attempt.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_attempt_at BIGINT,
    last_status INTEGER,
    last_error TEXT,
    lease_until BIGINT,
    created_at BIGINT NOT NULL
);

-- The worker claims due pending rows; the API lists a webhook's deliveries newest first.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at, id);

-- Registries announce pushes with a per-integration secret (bearer, HMAC or URL), sealed like
-- the integration's own credentials.
ALTER TABLE registry_integrations ADD COLUMN event_secret TEXT;
