-- A yanked version stays readable and pinned where releases pinned it, but no channel
-- resolution, from-latest, alias or feed picks it (docs/FEEDS.md). Sync never writes these
-- columns, so a yank survives every re-sync and re-tag.
ALTER TABLE component_versions ADD COLUMN yanked_at BIGINT;
ALTER TABLE component_versions ADD COLUMN yank_reason TEXT;
-- What `latest` floats to when aliases are applied: 'highest' (the highest stable version) or
-- 'unmanaged' (CI pushes it; relman never touches it).
ALTER TABLE components ADD COLUMN latest_alias TEXT NOT NULL DEFAULT 'highest';
