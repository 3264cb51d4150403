-- Files attached to releases (docs/ASSETS.md). A row is written in state 'uploading' before the
-- bytes are streamed (it reserves the name, so a clash is a 409 before any byte is sent), and
-- turns 'ready' with its size and sha256 only once the bytes are durable in object storage.
-- Only 'ready' assets are listed, downloaded and signed.
CREATE TABLE release_assets (
    id TEXT PRIMARY KEY NOT NULL,
    release_id TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    label TEXT,
    content_type TEXT NOT NULL,
    state TEXT NOT NULL,
    size BIGINT NOT NULL DEFAULT 0,
    sha256 TEXT,
    download_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT release_assets_name_key UNIQUE (release_id, name)
);

-- The sweep of uploads that never finished (a crash mid-upload) reads by state and age.
CREATE INDEX release_assets_state_idx ON release_assets (state, created_at);
