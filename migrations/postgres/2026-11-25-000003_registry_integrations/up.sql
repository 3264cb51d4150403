CREATE TABLE registry_integrations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    insecure BOOLEAN NOT NULL,
    auth_type TEXT NOT NULL,
    username TEXT,
    secret TEXT,
    max_concurrency INTEGER,
    requests_per_second DOUBLE PRECISION,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT registry_integrations_name_key UNIQUE (name)
);

CREATE INDEX components_registry_integration_idx ON components (registry_integration_id);
