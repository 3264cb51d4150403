-- Times are unix microseconds (BIGINT) and ids UUID text on both backends: one diesel schema serves
-- SQLite and PostgreSQL through MultiConnection (see docs/DATABASE.md).
CREATE TABLE components (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    image_repository TEXT NOT NULL,
    registry_integration_id TEXT,
    versioning_strategy TEXT NOT NULL,
    default_channel TEXT NOT NULL,
    tag_pattern TEXT,
    channel_rules TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT components_name_key UNIQUE (name)
);

CREATE TABLE component_versions (
    id TEXT PRIMARY KEY NOT NULL,
    component_id TEXT NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    digest TEXT NOT NULL,
    semver TEXT,
    channel TEXT,
    source TEXT NOT NULL,
    platforms TEXT NOT NULL,
    pushed_at BIGINT,
    first_seen_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    gone BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT component_versions_component_tag_key UNIQUE (component_id, tag)
);

CREATE INDEX component_versions_component_channel_idx ON component_versions (component_id, channel);
CREATE INDEX component_versions_digest_idx ON component_versions (digest);
