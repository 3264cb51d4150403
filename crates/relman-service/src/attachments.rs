//! Attestations pushed next to member images: after a release leaves draft, each pending (or
//! failed) attachment is pushed as an OCI artifact whose subject is the member digest.

use std::collections::BTreeMap;

use relman_attest::{DSSE_ENVELOPE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE};
use relman_domain::{Actor, Attachment, AttachmentStatus, AuditEvent, Release};
use relman_registry::{Artifact, ReferrersVia};
use relman_storage::StorageError;

use crate::Service;
use crate::error::ServiceError;

/// The annotation naming the release an artifact attests.
const RELEASE_ANNOTATION: &str = "dev.relman.release";

impl Service {
    /// A release's attachments and where each push stands.
    pub async fn attachments(&self, key: &str) -> Result<Vec<Attachment>, ServiceError> {
        let release = self.release(key).await?;
        Ok(self.store.attachments(release.id).await?)
    }

    /// Pushes every attachment of the release that is not in its registry yet (retrying failed
    /// ones) and answers the state of all of them; the first failure, after every push was
    /// tried, is [`ServiceError::AttachmentFailed`].
    pub async fn push_attachments(
        &self,
        actor: &Actor,
        key: &str,
    ) -> Result<Vec<Attachment>, ServiceError> {
        let release = self.release(key).await?;
        self.push_pending(actor, &release).await?;
        Ok(self.store.attachments(release.id).await?)
    }

    /// Pushes the release's unpushed attachments; see [`Service::push_attachments`].
    pub(crate) async fn push_pending(
        &self,
        actor: &Actor,
        release: &Release,
    ) -> Result<(), ServiceError> {
        let pending: Vec<Attachment> = self
            .store
            .attachments(release.id)
            .await?
            .into_iter()
            .filter(|a| a.status != AttachmentStatus::Pushed)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let attestation = match self.store.attestation(release.id).await {
            Ok(found) => found,
            Err(StorageError::NotFound) => {
                return Err(ServiceError::NotSigned {
                    key: release.name.to_string(),
                });
            }
            Err(other) => return Err(other.into()),
        };
        let artifact = Artifact {
            artifact_type: IN_TOTO_PAYLOAD_TYPE.to_owned(),
            layer_media_type: DSSE_ENVELOPE_MEDIA_TYPE.to_owned(),
            layer: bytes::Bytes::from(attestation.envelope.into_bytes()),
            annotations: BTreeMap::from([
                (
                    "org.opencontainers.image.created".to_owned(),
                    attestation
                        .signed_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ),
                (RELEASE_ANNOTATION.to_owned(), release.name.to_string()),
            ]),
        };
        let mut first_failure = None;
        for mut attachment in pending {
            let pushed = self.push_one(&attachment, &artifact).await;
            attachment.updated_at = crate::now();
            let event = match pushed {
                Ok((digest, via)) => {
                    attachment.status = AttachmentStatus::Pushed;
                    attachment.via = Some(via.to_owned());
                    attachment.message = None;
                    let event = AuditEvent::new(
                        actor,
                        attachment.updated_at,
                        "release",
                        "attach",
                        release.id,
                        format!(
                            "pushed the attestation of release {} to {}@{} as {digest} ({via})",
                            release.name, attachment.image, attachment.subject_digest
                        ),
                    );
                    attachment.artifact_digest = Some(digest);
                    Some(event)
                }
                Err(message) => {
                    attachment.status = AttachmentStatus::Failed;
                    attachment.message = Some(message.clone());
                    first_failure.get_or_insert(ServiceError::AttachmentFailed {
                        release: release.name.to_string(),
                        image: attachment.image.clone(),
                        message,
                    });
                    None
                }
            };
            self.store
                .record_attachment(&attachment, event.as_ref())
                .await?;
        }
        first_failure.map_or(Ok(()), Err)
    }

    /// One push: the artifact's manifest digest and how referrers find it, or the reason it
    /// failed in words (the registry's own message where it sent one; never a secret).
    async fn push_one(
        &self,
        attachment: &Attachment,
        artifact: &Artifact,
    ) -> Result<(relman_domain::Digest, &'static str), String> {
        let integration = self
            .store
            .integration(Some(attachment.integration_id), None)
            .await
            .map_err(|e| match e {
                StorageError::NotFound => "the registry integration was deleted".to_owned(),
                other => format!("the registry integration could not be read: {other}"),
            })?;
        let client = self
            .registries
            .client(&integration)
            .map_err(|e| e.to_string())?;
        let attached = client
            .attach(&attachment.repository, &attachment.subject_digest, artifact)
            .await
            .map_err(|e| error_chain(&e))?;
        let via = match attached.via {
            ReferrersVia::Api => "referrers",
            ReferrersVia::TagFallback => "tag",
        };
        Ok((attached.manifest_digest, via))
    }
}

/// An error and its causes on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
