-- A sortable semver key (relman_domain::version_sort_key, see docs/DATABASE.md): its byte order is
-- semver precedence, so version lists, member resolution and the latest release are ORDER BY ... LIMIT
-- queries on an index. '0' means "no semver" and sorts below every key; rows that existed before
-- this migration get their key from the Rust backfill that runs right after migrations.
ALTER TABLE component_versions ADD COLUMN sort_key TEXT NOT NULL DEFAULT '0';
ALTER TABLE releases ADD COLUMN version_sort_key TEXT NOT NULL DEFAULT '0';

-- A component's versions newest first (sort_key DESC, tag): the version list, its keyset pages,
-- resolution by version (sort_key equality) and the backfill's lookup of '0' keys.
CREATE INDEX component_versions_component_key_idx ON component_versions (component_id, sort_key DESC, tag);
-- A channel's versions newest first: channel resolution (MAX(sort_key)) and the channel filter.
-- Supersedes the plain (component_id, channel) index, a prefix of this one.
CREATE INDEX component_versions_component_channel_key_idx ON component_versions (component_id, channel, sort_key DESC, tag);
DROP INDEX component_versions_component_channel_idx;
-- The version-map list across components, unfiltered or by source.
CREATE INDEX component_versions_key_idx ON component_versions (sort_key DESC, tag, id);
CREATE INDEX component_versions_source_key_idx ON component_versions (source, sort_key DESC, tag, id);
-- GET /releases/latest: the highest key among eligible releases, the newest of equal keys first.
CREATE INDEX releases_version_key_idx ON releases (version_sort_key DESC, created_at DESC, id DESC);
