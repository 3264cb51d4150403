-- Release signing (docs/ATTESTATION.md). Ed25519 keys: the public half in hex, the private seed
-- sealed with the secret key that protects registry credentials (the keyid is the associated
-- data). At most one key is active; retired keys stay so that old attestations keep verifying.
CREATE TABLE signing_keys (
    keyid TEXT PRIMARY KEY NOT NULL,
    algorithm TEXT NOT NULL,
    public_key TEXT NOT NULL,
    private_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (status) WHERE status = 'active';

-- The DSSE envelope written when a release left draft, byte for byte as served; never rewritten.
CREATE TABLE release_attestations (
    release_id TEXT PRIMARY KEY NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    keyid TEXT NOT NULL REFERENCES signing_keys (keyid),
    envelope TEXT NOT NULL,
    signed_at BIGINT NOT NULL
);

-- The envelope pushed next to each member image, per member, with the outcome of the last push.
CREATE TABLE release_attachments (
    release_id TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    subject_digest TEXT NOT NULL,
    image TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    repository TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'pushed', 'failed')),
    via TEXT,
    artifact_digest TEXT,
    message TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (release_id, image, subject_digest)
);

-- Whether releases are attached to this registry's images (it needs push rights).
ALTER TABLE registry_integrations ADD COLUMN push_attestations BOOLEAN NOT NULL DEFAULT FALSE;
