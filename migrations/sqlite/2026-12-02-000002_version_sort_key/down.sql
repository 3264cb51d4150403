DROP INDEX releases_version_key_idx;
DROP INDEX component_versions_source_key_idx;
DROP INDEX component_versions_key_idx;
CREATE INDEX component_versions_component_channel_idx ON component_versions (component_id, channel);
DROP INDEX component_versions_component_channel_key_idx;
DROP INDEX component_versions_component_key_idx;
ALTER TABLE releases DROP COLUMN version_sort_key;
ALTER TABLE component_versions DROP COLUMN sort_key;
