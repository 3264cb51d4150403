CREATE TABLE version_retags (
    id TEXT PRIMARY KEY NOT NULL,
    component_id TEXT NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    old_digest TEXT NOT NULL,
    new_digest TEXT NOT NULL,
    detected_at BIGINT NOT NULL
);

CREATE INDEX version_retags_component_tag_idx ON version_retags (component_id, tag);
