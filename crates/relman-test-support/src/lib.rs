//! Test-only helpers shared by relman's crates: a fresh database per test on SQLite and PostgreSQL,
//! and a real OCI registry process.

#![expect(
    clippy::expect_used,
    reason = "test-only crate: a failed set-up must stop the test loudly"
)]

pub mod db;
pub mod registry;
