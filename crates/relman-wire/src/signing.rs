//! Signing keys, attestations and attachments on the wire.

use relman_domain::{Attachment, AttachmentStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::rfc3339;

/// Whether a key signs new releases.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatusName {
    /// Signs every release that leaves draft; exactly one key is active.
    Active,
    /// Signs nothing new; published so that what it signed keeps verifying.
    Retired,
}

/// The signature algorithm.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyAlgorithm {
    /// Ed25519 (RFC 8032).
    Ed25519,
}

/// A public signing key. The private key never leaves the server.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningKeyResponse {
    /// The keyid DSSE and TUF tooling computes (securesystemslib): hex sha256 of the canonical
    /// JSON `{"keytype":"ed25519","keyval":{"public":"<hex>"},"scheme":"ed25519"}`.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub keyid: String,
    /// Always `ed25519`.
    pub algorithm: KeyAlgorithm,
    /// The public key, PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
    pub public_key: String,
    /// Active or retired.
    pub status: KeyStatusName,
    /// When it was made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it was retired; `null` while active.
    #[schema(format = DateTime, required = true)]
    pub retired_at: Option<String>,
}

/// One signature of an envelope.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnvelopeSignature {
    /// The signing key's keyid (see `GET /signing-keys`).
    pub keyid: String,
    /// The Ed25519 signature over the DSSE pre-authentication encoding, standard base64.
    pub sig: String,
}

/// A DSSE envelope holding an in-toto Statement v1 (docs/ATTESTATION.md). Served byte for byte
/// as it was stored when the release left draft.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvelopeResponse {
    /// The statement, standard base64.
    pub payload: String,
    /// Always `application/vnd.in-toto+json`.
    #[schema(example = "application/vnd.in-toto+json")]
    pub payload_type: String,
    /// One signature.
    pub signatures: Vec<EnvelopeSignature>,
}

/// Where a push stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentStatusName {
    /// Not pushed yet.
    Pending,
    /// In the registry.
    Pushed,
    /// The last push failed; `message` says why.
    Failed,
}

/// How the registry lists the artifact.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReferrersViaName {
    /// The registry's referrers API.
    Referrers,
    /// The OCI fallback: an index at the tag `sha256-<hex of the subject digest>`.
    Tag,
}

/// The attestation pushed next to one member image.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentResponse {
    /// The image: registry host and repository.
    pub image: String,
    /// The member digest the artifact refers to (its OCI `subject`).
    pub subject_digest: String,
    /// Where the push stands.
    pub status: AttachmentStatusName,
    /// How referrers find it; `null` until pushed.
    #[schema(required = true)]
    pub via: Option<ReferrersViaName>,
    /// The artifact manifest's digest; `null` until pushed.
    #[schema(required = true)]
    pub artifact_digest: Option<String>,
    /// The registry's answer to the last failed push; `null` otherwise.
    #[schema(required = true)]
    pub message: Option<String>,
    /// When this record last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Attachment> for AttachmentResponse {
    fn from(a: Attachment) -> Self {
        Self {
            image: a.image,
            subject_digest: a.subject_digest.to_string(),
            status: match a.status {
                AttachmentStatus::Pending => AttachmentStatusName::Pending,
                AttachmentStatus::Pushed => AttachmentStatusName::Pushed,
                AttachmentStatus::Failed => AttachmentStatusName::Failed,
            },
            via: match a.via.as_deref() {
                Some("referrers") => Some(ReferrersViaName::Referrers),
                Some("tag") => Some(ReferrersViaName::Tag),
                _ => None,
            },
            artifact_digest: a.artifact_digest.map(|d| d.to_string()),
            message: a.message,
            updated_at: rfc3339(a.updated_at),
        }
    }
}
