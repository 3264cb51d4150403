//! DSSE (Dead Simple Signing Envelope) v1: the envelope and its pre-authentication encoding.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::error::AttestError;
use crate::keys::PublicKey;

/// The pre-authentication encoding signatures are made over:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// A DSSE envelope: `{"payload", "payloadType", "signatures": [{"keyid", "sig"}]}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// The payload, standard base64.
    pub payload: String,
    /// What the payload is, e.g. `application/vnd.in-toto+json`.
    pub payload_type: String,
    /// Signatures over [`pae`] of the type and the decoded payload.
    pub signatures: Vec<Signature>,
}

/// One signature of an envelope.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The signing key's keyid.
    pub keyid: String,
    /// The signature, standard base64.
    pub sig: String,
}

impl Envelope {
    /// The decoded payload.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, AttestError> {
        STANDARD
            .decode(&self.payload)
            .map_err(|e| AttestError::Malformed {
                what: "envelope payload",
                why: e.to_string(),
            })
    }

    /// The keyid of the first signature that verifies with the key of that keyid in `keys`.
    pub fn verify(&self, keys: &[PublicKey]) -> Result<String, AttestError> {
        let message = pae(&self.payload_type, &self.payload_bytes()?);
        for signature in &self.signatures {
            let Some(key) = keys.iter().find(|k| k.keyid() == signature.keyid) else {
                continue;
            };
            let Ok(sig) = STANDARD.decode(&signature.sig) else {
                continue;
            };
            if key.verifies(&message, &sig) {
                return Ok(signature.keyid.clone());
            }
        }
        Err(AttestError::NotVerified)
    }

    /// The envelope as JSON: the bytes that are stored, served and pushed.
    pub fn to_json(&self) -> Vec<u8> {
        // A struct of strings always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// An envelope from its JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, AttestError> {
        serde_json::from_slice(bytes).map_err(|e| AttestError::Malformed {
            what: "envelope",
            why: e.to_string(),
        })
    }
}
