//! What relman keeps about release signing: the signing keys (public side), the stored
//! attestation of a release, and the attachments pushed next to its member images.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::Digest;

/// Whether a signing key signs new releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Signs every release that leaves draft from now on; there is at most one.
    Active,
    /// Signs nothing new, and stays published so that what it signed keeps verifying.
    Retired,
}

impl KeyStatus {
    /// The wire and column name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }

    /// The status of a wire or column name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "retired" => Some(Self::Retired),
            _ => None,
        }
    }
}

/// The public description of a signing key. The private half is never part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyInfo {
    /// The securesystemslib/TUF keyid (hex sha256 of the key's canonical JSON).
    pub keyid: String,
    /// Always `ed25519` today.
    pub algorithm: String,
    /// The raw 32-byte public key, hex.
    pub public_key_hex: String,
    /// Active or retired.
    pub status: KeyStatus,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was retired, if it was.
    pub retired_at: Option<DateTime<Utc>>,
}

/// A release's signed attestation as stored: the envelope text is served byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttestation {
    /// The release it attests.
    pub release_id: Uuid,
    /// The key that signed it.
    pub keyid: String,
    /// The DSSE envelope, JSON text.
    pub envelope: String,
    /// When it was signed (when the release left draft).
    pub signed_at: DateTime<Utc>,
}

/// Where an attachment push stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentStatus {
    /// Not pushed yet.
    Pending,
    /// In the registry.
    Pushed,
    /// The last push failed; `message` says why.
    Failed,
}

impl AttachmentStatus {
    /// The wire and column name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Pushed => "pushed",
            Self::Failed => "failed",
        }
    }

    /// The status of a wire or column name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "pushed" => Some(Self::Pushed),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// The attestation pushed (or to be pushed) next to one member image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The release.
    pub release_id: Uuid,
    /// The member digest the artifact refers to (its OCI `subject`).
    pub subject_digest: Digest,
    /// The subject name: registry host and repository.
    pub image: String,
    /// The registry integration it is pushed through.
    pub integration_id: Uuid,
    /// The repository on that registry.
    pub repository: String,
    /// Where the push stands.
    pub status: AttachmentStatus,
    /// `referrers` (the registry's referrers API) or `tag` (the `sha256-<hex>` fallback tag).
    pub via: Option<String>,
    /// The artifact manifest's digest, once pushed.
    pub artifact_digest: Option<Digest>,
    /// The registry's message of the last failure.
    pub message: Option<String>,
    /// When this record last changed.
    pub updated_at: DateTime<Utc>,
}
