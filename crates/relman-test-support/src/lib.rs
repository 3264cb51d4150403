//! Test-only helpers shared by relman's crates: a fresh database per test on SQLite and PostgreSQL,
//! a real OCI registry process, and a real S3-compatible server.

#![expect(
    clippy::expect_used,
    reason = "test-only crate: a failed set-up must stop the test loudly"
)]

pub mod db;
pub mod registry;
pub mod s3;
