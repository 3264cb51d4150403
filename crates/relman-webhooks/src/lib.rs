//! relman's outgoing webhooks: deliveries from the outbox, signed per Standard Webhooks.
//!
//! - [`Sender`] POSTs one [`Attempt`] through the egress policy, with the `webhook-id`,
//!   `webhook-timestamp` and `webhook-signature` headers over the exact body, and says what came
//!   of it in an [`AttemptResult`] (never holding the secret);
//! - [`RetrySchedule`] says when a failed delivery is tried again (Standard Webhooks' example
//!   schedule with ±20 % jitter by default, `Retry-After` honoured up to an hour);
//! - [`classify`] turns a result into the storage's [`DeliveryOutcome`](relman_storage::DeliveryOutcome):
//!   delivered, retry, failed, or gone (`410`, which deactivates the webhook);
//! - [`DeliveryWorker`] claims due deliveries under a lease, sends them concurrently and records
//!   each outcome, woken by local writes and polling otherwise, and tells a [`DeliveryObserver`]
//!   (metrics) of each attempt.
//!
//! The design is in `docs/WEBHOOKS.md`.

mod classify;
mod schedule;
mod sender;
mod worker;

pub use classify::{GONE_REASON, classify};
pub use schedule::{RETRY_AFTER_CAP, RetrySchedule, ScheduleError};
pub use sender::{Attempt, AttemptResult, Sender, USER_AGENT, parse_retry_after, redact_url};
pub use worker::{AttemptOutcome, DeliveryObserver, DeliveryWorker, WorkerOptions};
