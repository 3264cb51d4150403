ALTER TABLE components DROP COLUMN record_pushed_at;
