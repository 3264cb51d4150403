DROP INDEX releases_prerelease_created_idx;
ALTER TABLE release_members DROP COLUMN provenance;
ALTER TABLE component_versions DROP COLUMN provenance;
