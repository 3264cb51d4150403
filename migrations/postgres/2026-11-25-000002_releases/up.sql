-- Release bundles and their members (see docs/RELEASES.md). Same column types as the components
-- migration: ids as UUID text, times as unix microseconds, JSON as text.
CREATE TABLE releases (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    status TEXT NOT NULL,
    digest TEXT NOT NULL,
    version TEXT,
    notes TEXT,
    prerelease BOOLEAN NOT NULL DEFAULT FALSE,
    metadata TEXT NOT NULL,
    source_ref TEXT,
    -- Kept with the row so the list answers componentCount without a join or GROUP BY.
    component_count INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    deprecated_reason TEXT,
    -- Decides concurrent creates of one name: the database, never a check-then-insert.
    CONSTRAINT releases_name_key UNIQUE (name)
);

-- The list filters by status and sorts newest first; both orders are served by an index.
CREATE INDEX releases_status_created_idx ON releases (status, created_at, id);
CREATE INDEX releases_created_idx ON releases (created_at, id);

CREATE TABLE release_members (
    release_id TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    -- No cascade: a component that a release pins cannot be deleted.
    component_id TEXT NOT NULL REFERENCES components (id),
    position INTEGER NOT NULL,
    component_name TEXT NOT NULL,
    image_repository TEXT NOT NULL,
    tag TEXT NOT NULL,
    version TEXT,
    digest TEXT NOT NULL,
    channel TEXT,
    platforms TEXT NOT NULL,
    PRIMARY KEY (release_id, component_id)
);

-- Serves the list's componentId filter and the foreign-key check when a component is deleted.
CREATE INDEX release_members_component_idx ON release_members (component_id);
