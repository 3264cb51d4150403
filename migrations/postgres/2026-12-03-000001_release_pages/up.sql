-- Where each image was built from: the OCI provenance labels (org.opencontainers.image.source,
-- .revision, .version) as JSON {"source","revision","version"}, NULL when none was read. Sync
-- writes it on versions; a release member keeps the value it had when the release was created.
ALTER TABLE component_versions ADD COLUMN provenance TEXT;
ALTER TABLE release_members ADD COLUMN provenance TEXT;
-- The release list's `prerelease` filter walks this index in list order (created_at, id).
CREATE INDEX releases_prerelease_created_idx ON releases (prerelease, created_at, id);
