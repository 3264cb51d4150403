//! Storage integration tests, each run on SQLite and (when configured) PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod components;
mod fixtures;
mod housekeeping;
mod integrations;
mod migrations;
mod outbox;
mod pool;
mod release_list;
mod release_session;
mod releases;
mod sort_keys;
mod sync;
mod versions;
