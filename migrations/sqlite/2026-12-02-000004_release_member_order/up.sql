-- The release list's componentId filter walks this index in list order (newest first) and stops
-- after one page, instead of collecting every release of the component and sorting them. The
-- release's created_at is copied into its member rows for that: it never changes once written.
ALTER TABLE release_members ADD COLUMN release_created_at BIGINT NOT NULL DEFAULT 0;
-- A correlated subquery, not UPDATE … FROM, so both engines run the same statement.
UPDATE release_members
SET release_created_at = (SELECT r.created_at FROM releases r WHERE r.id = release_members.release_id);
-- The new index starts with component_id, so it also serves the foreign-key check when a
-- component is deleted; the old single-column index would only cost writes.
DROP INDEX release_members_component_idx;
CREATE INDEX release_members_component_order_idx
    ON release_members (component_id, release_created_at DESC, release_id DESC);

-- The retag list pages newest first per component (cursor on detected_at, id).
CREATE INDEX version_retags_component_detected_idx ON version_retags (component_id, detected_at, id);
