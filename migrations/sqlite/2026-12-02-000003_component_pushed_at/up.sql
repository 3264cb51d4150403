-- Whether sync records a version's pushedAt (see docs/SYNC.md): it costs a manifest GET per new
-- tag plus one image-config GET per distinct config, where without it a HEAD per tag suffices.
ALTER TABLE components ADD COLUMN record_pushed_at BOOLEAN NOT NULL DEFAULT TRUE;
