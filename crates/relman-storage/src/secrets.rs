//! Encryption at rest for secrets stored in rows (registry passwords and tokens).
//!
//! ChaCha20-Poly1305 with a random 96-bit nonce per value and the owning row's id as associated
//! data, so a ciphertext copied into another row does not decrypt. Stored form:
//! `enc:v1:<base64(nonce || ciphertext)>`. Values without the prefix are plaintext (written by a
//! store without a key) and are read as they are.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};

use crate::error::StorageError;

const PREFIX: &str = "enc:v1:";

/// The 256-bit key secrets are encrypted with. Never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A new random key.
    pub fn generate() -> Result<Self, StorageError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| StorageError::Corrupt(format!("no randomness: {e}")))?;
        Ok(Self(bytes))
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(bytes))
    }

    /// The key as 64 hex digits, for writing it to a private file.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

/// Encrypts `plaintext` for the row `aad`; without a key the value is stored as it is.
pub(crate) fn seal(
    key: Option<&SecretKey>,
    aad: &str,
    plaintext: &str,
) -> Result<String, StorageError> {
    let Some(key) = key else {
        return Ok(plaintext.to_owned());
    };
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce)
        .map_err(|e| StorageError::Corrupt(format!("no randomness: {e}")))?;
    let cipher = ChaCha20Poly1305::new((&key.0).into());
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext.as_bytes(),
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| StorageError::Corrupt("secret encryption failed".into()))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
}

/// Decrypts a stored value of the row `aad`.
pub(crate) fn open(
    key: Option<&SecretKey>,
    aad: &str,
    stored: &str,
) -> Result<String, StorageError> {
    let Some(encoded) = stored.strip_prefix(PREFIX) else {
        return Ok(stored.to_owned());
    };
    let key = key.ok_or_else(|| {
        StorageError::Corrupt(
            "a stored secret is encrypted, and no secret key is configured".into(),
        )
    })?;
    let bytes = STANDARD
        .decode(encoded)
        .map_err(|_| StorageError::Corrupt("secret is not base64".into()))?;
    if bytes.len() < 12 {
        return Err(StorageError::Corrupt("secret is truncated".into()));
    }
    let (nonce, sealed) = bytes.split_at(12);
    let cipher = ChaCha20Poly1305::new((&key.0).into());
    let plain = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| {
            StorageError::Corrupt("a stored secret does not decrypt with the configured key".into())
        })?;
    String::from_utf8(plain).map_err(|_| StorageError::Corrupt("secret is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let key = SecretKey::from_bytes([7; 32]);
        let sealed = seal(Some(&key), "row-1", "hunter2").unwrap();
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("hunter2"));
        assert_ne!(
            sealed,
            seal(Some(&key), "row-1", "hunter2").unwrap(),
            "a fresh nonce each time"
        );
        assert_eq!(open(Some(&key), "row-1", &sealed).unwrap(), "hunter2");
        assert!(
            open(Some(&key), "row-2", &sealed).is_err(),
            "bound to its row"
        );
        assert!(
            open(Some(&SecretKey::from_bytes([8; 32])), "row-1", &sealed).is_err(),
            "wrong key"
        );
        assert!(open(None, "row-1", &sealed).is_err(), "no key");
        assert_eq!(
            open(None, "row-1", "plain").unwrap(),
            "plain",
            "keyless values read as they are"
        );
        assert_eq!(seal(None, "row-1", "plain").unwrap(), "plain");
    }

    #[test]
    fn hex_form() {
        let key = SecretKey::from_bytes([0xab; 32]);
        assert_eq!(SecretKey::from_hex(&key.to_hex()).unwrap().0, key.0);
        assert!(SecretKey::from_hex("abc").is_none());
        assert!(SecretKey::from_hex(&"zz".repeat(32)).is_none());
        assert!(!format!("{key:?}").contains("ab"));
    }
}
