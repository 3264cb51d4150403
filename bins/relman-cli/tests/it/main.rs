//! The `relman` binary against a real server: the README's flow, with table and JSON output and
//! the exit codes of failures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod flow;
mod webhooks;
