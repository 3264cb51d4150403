DROP INDEX releases_latest_idx;
