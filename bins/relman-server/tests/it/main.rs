//! End-to-end tests of the real `relman-server` binary, and tidy checks over the workspace.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod metrics;
mod push_events;
mod serve;
mod server;
mod tidy;
