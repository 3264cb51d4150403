//! Release signing: the signing keys (made on first start, rotated by an admin, retired ones
//! kept), and the in-toto statement signed as a DSSE envelope when a release leaves draft.

use std::collections::HashMap;

use relman_attest::{IN_TOTO_PAYLOAD_TYPE, ReleaseSubjects, SigningKey, release_statement};
use relman_domain::{
    Actor, Attachment, AttachmentStatus, AuditEvent, Component, KeyStatus, Release, SigningKeyInfo,
    StoredAttestation,
};
use relman_storage::{NewSigningKey, Signing, StorageError};
use uuid::Uuid;

use crate::Service;
use crate::error::{Resource, ServiceError};

/// Attempts at a rotation that lost the race to a concurrent one.
const ROTATE_ATTEMPTS: usize = 3;

/// The subject name of an image: the registry's host (and path prefix) and the repository, as
/// `docker pull` spells it (`docker.io` for Docker Hub's API host).
pub(crate) fn image_name(registry_url: Option<&str>, repository: &str) -> String {
    let Some(url) = registry_url else {
        return repository.to_owned();
    };
    let host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .trim_end_matches('/');
    let host = match host {
        "registry-1.docker.io" | "index.docker.io" => "docker.io",
        other => other,
    };
    format!("{host}/{repository}")
}

fn new_key_record(key: &SigningKey) -> NewSigningKey {
    NewSigningKey {
        info: SigningKeyInfo {
            keyid: key.keyid().to_owned(),
            algorithm: relman_attest::ALGORITHM.to_owned(),
            public_key_hex: key.public_key().to_hex(),
            status: KeyStatus::Active,
            created_at: crate::now(),
            retired_at: None,
        },
        seed_hex: key.seed_hex(),
    }
}

fn key_from_seed(seed_hex: &str) -> Result<SigningKey, ServiceError> {
    SigningKey::from_seed_hex(seed_hex).map_err(|_| {
        StorageError::Corrupt("the stored signing key is not a 32-byte seed".into()).into()
    })
}

fn generate() -> Result<SigningKey, ServiceError> {
    SigningKey::generate()
        .map_err(|e| StorageError::Corrupt(format!("no signing key could be made: {e}")).into())
}

impl Service {
    /// Makes the first signing key unless one is active. Replicas starting at once on one
    /// database agree on one key: the first insert wins, the others keep theirs unsaved.
    pub async fn ensure_signing_key(&self) -> Result<SigningKeyInfo, ServiceError> {
        if let Some((info, _)) = self.store.active_signing_key().await? {
            return Ok(info);
        }
        let key = generate()?;
        let record = new_key_record(&key);
        let event = AuditEvent::new(
            &Actor::system(),
            record.info.created_at,
            "signing_key",
            "create",
            &record.info.keyid,
            format!("created signing key {} (ed25519)", record.info.keyid),
        );
        self.store.insert_first_signing_key(&record, &event).await?;
        match self.store.active_signing_key().await? {
            Some((info, _)) => Ok(info),
            None => {
                Err(StorageError::Corrupt("no active signing key after creating one".into()).into())
            }
        }
    }

    /// Every signing key, active first then retired, newest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyInfo>, ServiceError> {
        let mut keys = self.store.signing_keys().await?;
        keys.sort_by_key(|k| k.status != KeyStatus::Active);
        Ok(keys)
    }

    /// The private keys: the active one (made if there is none) and the retired ones, newest
    /// first. For signing an exported feed repository, whose root rotation the retired key signs.
    pub async fn signing_key_pairs(&self) -> Result<(SigningKey, Vec<SigningKey>), ServiceError> {
        self.ensure_signing_key().await?;
        let mut active = None;
        let mut retired = Vec::new();
        for (info, seed) in self.store.signing_key_seeds().await? {
            let key = key_from_seed(&seed)?;
            if key.keyid() != info.keyid {
                return Err(StorageError::Corrupt(format!(
                    "the stored signing key {} does not match its keyid",
                    info.keyid
                ))
                .into());
            }
            match info.status {
                KeyStatus::Active => active = Some(key),
                KeyStatus::Retired => retired.push(key),
            }
        }
        let active = active.ok_or_else(|| {
            ServiceError::from(StorageError::Corrupt("no active signing key".into()))
        })?;
        Ok((active, retired))
    }

    /// Makes a new active key and retires the current one, which stays published.
    pub async fn rotate_signing_key(&self, actor: &Actor) -> Result<SigningKeyInfo, ServiceError> {
        for _ in 0..ROTATE_ATTEMPTS {
            let retired = self
                .store
                .active_signing_key()
                .await?
                .map(|(info, _)| info.keyid);
            let key = generate()?;
            let record = new_key_record(&key);
            let summary = match &retired {
                Some(old) => format!(
                    "rotated signing key: {} active, {old} retired",
                    record.info.keyid
                ),
                None => format!("created signing key {}", record.info.keyid),
            };
            let event = AuditEvent::new(
                actor,
                record.info.created_at,
                "signing_key",
                "rotate",
                &record.info.keyid,
                summary,
            );
            match self.store.rotate_signing_key(&record, &event).await {
                Ok(()) => return Ok(record.info),
                // Another rotation committed its new key first; rotate again from that one.
                Err(StorageError::Conflict { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Contended {
            resource: Resource::SigningKey,
            key: "active".into(),
        })
    }

    /// The attestation and pending attachments of `release`, which is leaving draft now: the
    /// statement is signed with the active key, to be written with the status change.
    pub(crate) async fn sign(&self, release: &Release) -> Result<Signing, ServiceError> {
        let (info, seed) = match self.store.active_signing_key().await? {
            Some(found) => found,
            None => {
                self.ensure_signing_key().await?;
                self.store.active_signing_key().await?.ok_or_else(|| {
                    ServiceError::from(StorageError::Corrupt("no active signing key".into()))
                })?
            }
        };
        let key = key_from_seed(&seed)?;
        if key.keyid() != info.keyid {
            return Err(StorageError::Corrupt(
                "the stored signing key does not match its keyid".into(),
            )
            .into());
        }
        let ids = release.members.iter().map(|m| m.component_id).collect();
        let components: HashMap<Uuid, Component> = self
            .store
            .components_by_keys(ids, vec![])
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut registries = HashMap::new();
        for integration_id in components
            .values()
            .filter_map(|c| c.registry_integration_id)
        {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                registries.entry(integration_id)
            {
                match self
                    .store
                    .integration_summary(Some(integration_id), None)
                    .await
                {
                    Ok(summary) => {
                        slot.insert(summary);
                    }
                    Err(StorageError::NotFound) => {}
                    Err(other) => return Err(other.into()),
                }
            }
        }
        let now = crate::now();
        let mut names = Vec::with_capacity(release.members.len());
        let mut attachments = Vec::new();
        for member in &release.members {
            let registry = components
                .get(&member.component_id)
                .and_then(|c| c.registry_integration_id)
                .and_then(|id| registries.get(&id));
            let name = image_name(registry.map(|r| r.url.as_str()), &member.image_repository);
            if let Some(registry) = registry.filter(|r| r.push_attestations) {
                attachments.push(Attachment {
                    release_id: release.id,
                    subject_digest: member.digest.clone(),
                    image: name.clone(),
                    integration_id: registry.id,
                    repository: member.image_repository.clone(),
                    status: AttachmentStatus::Pending,
                    via: None,
                    artifact_digest: None,
                    message: None,
                    updated_at: now,
                });
            }
            names.push(name);
        }
        // Read before the status change's compare-and-set: every asset change moves the
        // draft's `updated_at`, so assets that change after this read fail that write and the
        // release is signed again with them.
        let assets = self.store.assets_of(release.id).await?;
        let payload = release_statement(&ReleaseSubjects {
            release,
            image_names: &names,
            released_at: now,
            assets: &assets,
        })
        .map_err(|e| StorageError::Corrupt(format!("the release statement: {e}")))?;
        let envelope = key.sign(IN_TOTO_PAYLOAD_TYPE, &payload);
        let envelope = String::from_utf8(envelope.to_json())
            .map_err(|_| StorageError::Corrupt("the envelope is not UTF-8".into()))?;
        Ok(Signing {
            attestation: StoredAttestation {
                release_id: release.id,
                keyid: info.keyid,
                envelope,
                signed_at: now,
            },
            attachments,
        })
    }

    /// The stored attestation of a release; a draft has none ([`ServiceError::NotSigned`]).
    pub async fn attestation(&self, key: &str) -> Result<StoredAttestation, ServiceError> {
        let release = self.release(key).await?;
        match self.store.attestation(release.id).await {
            Ok(found) => Ok(found),
            Err(StorageError::NotFound) => Err(ServiceError::NotSigned {
                key: key.to_owned(),
            }),
            Err(other) => Err(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_as_pulled() {
        let cases = [
            (Some("https://ghcr.io"), "acme/api", "ghcr.io/acme/api"),
            (
                Some("http://127.0.0.1:5000/"),
                "team/web",
                "127.0.0.1:5000/team/web",
            ),
            (
                Some("https://registry-1.docker.io"),
                "library/nginx",
                "docker.io/library/nginx",
            ),
            (
                Some("https://reg.example.com/mirror"),
                "a/b",
                "reg.example.com/mirror/a/b",
            ),
            (None, "acme/api", "acme/api"),
        ];
        for (url, repo, want) in cases {
            assert_eq!(image_name(url, repo), want, "{url:?} {repo}");
        }
    }
}
