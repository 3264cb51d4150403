-- Environments and the deployments that promote releases through them (see docs/ENVIRONMENTS.md).
-- Same column types as the other migrations: ids as UUID text, times as unix microseconds.
CREATE TABLE environments (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    sort_order INTEGER NOT NULL,
    requires_previous BOOLEAN NOT NULL DEFAULT FALSE,
    -- The deployment whose release runs here now; set when a deployment succeeds. No foreign
    -- key: deployments reference environments, and neither backend needs the cycle (a
    -- deployment that ever succeeded is never deleted, see docs/ENVIRONMENTS.md).
    current_deployment_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT environments_name_key UNIQUE (name),
    -- "The previous environment" must be unambiguous.
    CONSTRAINT environments_order_key UNIQUE (sort_order)
);

CREATE TABLE deployments (
    id TEXT PRIMARY KEY NOT NULL,
    -- A release with only failed deployments may be deleted and takes them along; a release
    -- that ever succeeded somewhere is refused by the service.
    release_id TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    -- No cascade: an environment with deployment history cannot be deleted.
    environment_id TEXT NOT NULL REFERENCES environments (id),
    status TEXT NOT NULL,
    message TEXT,
    started_at BIGINT NOT NULL,
    started_by TEXT NOT NULL,
    completed_at BIGINT,
    completed_by TEXT
);

-- At most one open deployment per environment: concurrent promotions are decided here, by the
-- database, never by a check-then-insert.
CREATE UNIQUE INDEX deployments_open_environment_key ON deployments (environment_id)
    WHERE status = 'in_progress';
-- History lists, newest first, filtered by environment or release.
CREATE INDEX deployments_started_idx ON deployments (started_at, id);
CREATE INDEX deployments_environment_idx ON deployments (environment_id, started_at, id);
CREATE INDEX deployments_release_idx ON deployments (release_id, started_at, id);
