//! Ed25519 keys, their securesystemslib keyid, and PEM SubjectPublicKeyInfo.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

use crate::dsse::{Envelope, Signature, pae};
use crate::error::AttestError;

/// The algorithm name in key lists.
pub const ALGORITHM: &str = "ed25519";

/// DER of an Ed25519 SubjectPublicKeyInfo before the 32 key bytes (RFC 8410):
/// SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (0 unused bits) }.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 bytes from 64 hex digits.
fn from_hex_32(text: &str) -> Result<[u8; 32], AttestError> {
    let text = text.trim();
    if text.len() != 64 || !text.is_ascii() {
        return Err(AttestError::InvalidKey("not 64 hex digits"));
    }
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
            .map_err(|_| AttestError::InvalidKey("not 64 hex digits"))?;
    }
    Ok(bytes)
}

/// A private signing key. `Debug` shows only its keyid.
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    keyid: String,
}

impl SigningKey {
    /// A new random key.
    pub fn generate() -> Result<Self, AttestError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| AttestError::Randomness(e.to_string()))?;
        Ok(Self::from_seed(&seed))
    }

    /// The key of a 32-byte seed (RFC 8032's private key).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let keyid = PublicKey(key.verifying_key()).keyid();
        Self { key, keyid }
    }

    /// The seed, for the caller to store encrypted.
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The seed as 64 hex digits (what a caller stores, sealed).
    pub fn seed_hex(&self) -> String {
        hex(&self.seed())
    }

    /// The key of a seed given as 64 hex digits.
    pub fn from_seed_hex(text: &str) -> Result<Self, AttestError> {
        Ok(Self::from_seed(&from_hex_32(text)?))
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key())
    }

    /// The keyid of the public half.
    pub fn keyid(&self) -> &str {
        &self.keyid
    }

    /// A bare Ed25519 signature of `message` (for formats that sign bytes themselves, such as
    /// TUF metadata over canonical JSON).
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.key.sign(message).to_bytes()
    }

    /// Signs `payload` as a DSSE envelope with one signature carrying this key's keyid.
    pub fn sign(&self, payload_type: &str, payload: &[u8]) -> Envelope {
        use ed25519_dalek::Signer as _;
        let sig = self.key.sign(&pae(payload_type, payload));
        Envelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_owned(),
            signatures: vec![Signature {
                keyid: self.keyid.clone(),
                sig: STANDARD.encode(sig.to_bytes()),
            }],
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("keyid", &self.keyid)
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl PublicKey {
    /// The key of 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, AttestError> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| AttestError::InvalidKey("not an Ed25519 point"))
    }

    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The raw bytes in lowercase hex.
    pub fn to_hex(&self) -> String {
        hex(&self.to_bytes())
    }

    /// The key of 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, AttestError> {
        Self::from_bytes(&from_hex_32(text)?)
    }

    /// The keyid securesystemslib (and TUF) compute: hex sha256 of the canonical JSON of the
    /// key, `{"keytype":"ed25519","keyval":{"public":"<hex>"},"scheme":"ed25519"}` (sorted keys,
    /// no whitespace).
    pub fn keyid(&self) -> String {
        let canonical = format!(
            r#"{{"keytype":"ed25519","keyval":{{"public":"{}"}},"scheme":"ed25519"}}"#,
            self.to_hex()
        );
        hex(&Sha256::digest(canonical.as_bytes()))
    }

    /// PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as OpenSSL and Python `cryptography` read it.
    pub fn to_pem(&self) -> String {
        let mut der = SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.to_bytes());
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der)
        )
    }

    /// Reads a PEM `PUBLIC KEY` of an Ed25519 key.
    pub fn from_pem(pem: &str) -> Result<Self, AttestError> {
        let body: String = pem
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("-----"))
            .collect();
        let der = STANDARD
            .decode(body)
            .map_err(|_| AttestError::InvalidKey("PEM body is not base64"))?;
        let key = der
            .strip_prefix(&SPKI_PREFIX[..])
            .ok_or(AttestError::InvalidKey(
                "not an Ed25519 SubjectPublicKeyInfo",
            ))?;
        let bytes: [u8; 32] = key
            .try_into()
            .map_err(|_| AttestError::InvalidKey("not an Ed25519 SubjectPublicKeyInfo"))?;
        Self::from_bytes(&bytes)
    }

    /// Whether `sig` is this key's signature of `message`.
    pub fn verifies(&self, message: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return false;
        };
        self.0.verify_strict(message, &sig).is_ok()
    }
}
