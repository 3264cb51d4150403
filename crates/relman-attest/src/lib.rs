//! Release signatures for relman, in formats standard tools verify:
//!
//! - [`SigningKey`] / [`PublicKey`]: Ed25519, with the keyid securesystemslib and TUF compute
//!   (so verifiers match signatures to keys without configuration) and PEM SubjectPublicKeyInfo;
//! - [`Envelope`]: a DSSE envelope, signed over the pre-authentication encoding [`pae`];
//! - [`release_statement`]: the in-toto Statement v1 of a release, its member images (and their
//!   platform manifests) as subjects and the release snapshot as predicate.
//!
//! Pure computation: no I/O; randomness only to generate a key.

mod dsse;
mod error;
mod keys;
mod statement;

pub use dsse::{Envelope, Signature, pae};
pub use error::AttestError;
pub use keys::{ALGORITHM, PublicKey, SigningKey};
pub use statement::{ReleaseSubjects, release_statement, statement_subjects};

/// DSSE payload type of in-toto statements.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// Media type of a DSSE envelope (the OCI layer that holds one).
pub const DSSE_ENVELOPE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
/// The relman release-bundle predicate type (`docs/attestation/release-bundle-v1.schema.json`).
pub const RELEASE_PREDICATE_TYPE: &str = "https://relman.dev/attestation/release-bundle/v1";
