-- "The latest release" is the highest version among releases that are released (neither draft
-- nor deprecated), stable and versioned. Drafts carry versions too, so without this index the
-- query walked releases_version_key_idx past every draft and slowed down with each one created;
-- with it, it reads one entry. The query states this predicate word for word
-- (crates/relman-storage/src/releases.rs, LATEST_PREDICATE), so that both planners use it.
CREATE INDEX releases_latest_idx ON releases (version_sort_key DESC, created_at DESC, id DESC)
    WHERE status NOT IN ('draft', 'deprecated') AND NOT prerelease AND version IS NOT NULL;
