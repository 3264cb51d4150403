ALTER TABLE components DROP COLUMN sync_interval_seconds;
