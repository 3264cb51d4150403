//! Service integration tests: use cases over a fresh database per test (SQLite and PostgreSQL).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod deployments;
mod fakes;
mod feeds;
mod registry_clients;
mod release_cache;
mod releases;
mod resolution;
mod schedule;
mod signing;
