//! A release's signature as the dashboard shows it: checked by the server, on every view,
//! against the signing keys it publishes, and against the release's own member digests.

use relman_attest::{Envelope, PublicKey, statement_subjects};
use relman_domain::{Release, ReleaseStatus};
use relman_service::{Service, ServiceError};

/// What the check of a release's attestation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// A draft: it is signed when it leaves draft.
    Unsigned,
    /// Signed by `keyid`, and the signature verifies with that published key; every member
    /// digest is a subject of the signed statement.
    Verified {
        /// The key that signed.
        keyid: String,
        /// Whether that key is retired (still published, no longer signing).
        retired: bool,
        /// When it was signed.
        signed_at: chrono::DateTime<chrono::Utc>,
    },
    /// Signed, but the check failed; why.
    Failed(String),
}

/// Checks `release`'s attestation.
pub async fn check(service: &Service, release: &Release) -> Result<SignatureCheck, ServiceError> {
    if release.status == ReleaseStatus::Draft {
        return Ok(SignatureCheck::Unsigned);
    }
    let stored = match service.attestation(&release.id.to_string()).await {
        Ok(s) => s,
        Err(ServiceError::NotSigned { .. }) => return Ok(SignatureCheck::Unsigned),
        Err(e) => return Err(e),
    };
    let keys = service.signing_keys().await?;
    let public: Vec<PublicKey> = keys
        .iter()
        .filter_map(|k| PublicKey::from_hex(&k.public_key_hex).ok())
        .collect();
    let envelope = match Envelope::from_json(stored.envelope.as_bytes()) {
        Ok(e) => e,
        Err(e) => return Ok(SignatureCheck::Failed(format!("unreadable envelope: {e}"))),
    };
    let keyid = match envelope.verify(&public) {
        Ok(k) => k,
        Err(_) => {
            return Ok(SignatureCheck::Failed(format!(
                "the signature does not verify with any published key (it names {})",
                stored.keyid
            )));
        }
    };
    let subjects = envelope
        .payload_bytes()
        .and_then(|p| statement_subjects(&p))
        .unwrap_or_default();
    if let Some(missing) = release
        .members
        .iter()
        .find(|m| !subjects.iter().any(|(_, d)| *d == m.digest.to_string()))
    {
        return Ok(SignatureCheck::Failed(format!(
            "the signed statement does not name {}'s digest {}",
            missing.component_name, missing.digest
        )));
    }
    let retired = keys
        .iter()
        .find(|k| k.keyid == keyid)
        .is_some_and(|k| k.retired_at.is_some());
    Ok(SignatureCheck::Verified {
        keyid,
        retired,
        signed_at: stored.signed_at,
    })
}
