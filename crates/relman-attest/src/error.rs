//! Why signing or verifying failed. Messages never hold key material.

/// A signing or verification failure.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    /// A key in the wrong shape (length, encoding, PEM).
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// No randomness for a new key.
    #[error("no randomness for a new key: {0}")]
    Randomness(String),
    /// The envelope or statement is not well-formed.
    #[error("malformed {what}: {why}")]
    Malformed {
        /// What was read.
        what: &'static str,
        /// What is wrong with it.
        why: String,
    },
    /// No signature verified with a key of its keyid.
    #[error("no signature verifies with the given keys")]
    NotVerified,
}
