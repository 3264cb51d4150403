ALTER TABLE registry_integrations DROP COLUMN push_attestations;
DROP TABLE release_attachments;
DROP TABLE release_attestations;
DROP TABLE signing_keys;
