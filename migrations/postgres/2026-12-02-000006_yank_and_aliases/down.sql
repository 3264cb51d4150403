ALTER TABLE components DROP COLUMN latest_alias;
ALTER TABLE component_versions DROP COLUMN yank_reason;
ALTER TABLE component_versions DROP COLUMN yanked_at;
