DROP INDEX version_retags_component_detected_idx;
DROP INDEX release_members_component_order_idx;
CREATE INDEX release_members_component_idx ON release_members (component_id);
ALTER TABLE release_members DROP COLUMN release_created_at;
