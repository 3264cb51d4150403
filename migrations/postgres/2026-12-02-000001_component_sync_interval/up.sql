-- A component's own scheduled-sync interval in seconds (see docs/SYNC.md): NULL follows the
-- server's sync_interval_seconds, 0 never schedules the component. The service bounds the rest
-- to 60..=604800; the column holds what the service accepted.
ALTER TABLE components ADD COLUMN sync_interval_seconds INTEGER;
