//! Integration tests of relman-webhooks: the sender against a local receiver, the retry schedule,
//! the classification of results, and the worker over both storage backends.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod classify;
mod receiver;
mod schedule;
mod sender;
mod worker;

/// A valid Standard Webhooks secret (the specification's example key).
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The base64 part of [`SECRET`]: neither may appear in any error or log.
pub const SECRET_KEY: &str = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Asserts that `text` holds no part of the secret.
pub fn assert_no_secret(text: &str) {
    assert!(
        !text.contains(SECRET_KEY),
        "the secret leaked into {text:?}"
    );
}
