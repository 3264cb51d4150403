//! The outbox worker: claims due deliveries, sends them and records each outcome.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use futures_util::stream;
use relman_egress::EgressPolicy;
use relman_storage::{DeliveryOutcome, DueDelivery, Store};

use crate::classify::classify;
use crate::schedule::RetrySchedule;
use crate::sender::{Attempt, Sender, redact_url};

/// How long a claim outlasts the request timeout: time to record the outcome.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// How often to look for due deliveries when no local write wakes the worker (1 s).
    pub poll: Duration,
    /// How many deliveries one claim takes at most (32).
    pub batch: i64,
    /// How many requests are in flight at once at most (8).
    pub concurrency: usize,
    /// Each request's timeout (15 s); a claim's lease is this plus 30 s.
    pub request_timeout: Duration,
    /// When failed attempts are retried.
    pub schedule: RetrySchedule,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            batch: 32,
            concurrency: 8,
            request_timeout: Duration::from_secs(15),
            schedule: RetrySchedule::default(),
        }
    }
}

/// How one delivery attempt ended, as metrics count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// It failed and will be tried again.
    Retry,
    /// It failed for the last time.
    Failed,
    /// The receiver answered 410: the webhook was turned off.
    Gone,
}

impl AttemptOutcome {
    /// `delivered`, `retry`, `failed` or `gone`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry => "retry",
            Self::Failed => "failed",
            Self::Gone => "gone",
        }
    }

    fn of(outcome: &DeliveryOutcome) -> Self {
        match outcome {
            DeliveryOutcome::Delivered { .. } => Self::Delivered,
            DeliveryOutcome::Retry { .. } => Self::Retry,
            DeliveryOutcome::Failed { .. } => Self::Failed,
            DeliveryOutcome::Gone { .. } => Self::Gone,
        }
    }
}

/// Hears every delivery attempt the worker makes (metrics). Called on the worker's task:
/// implementations count, quickly, and never block.
pub trait DeliveryObserver: Send + Sync {
    /// An attempt of an `event_type` delivery ended with `outcome` after `elapsed`.
    fn attempt_finished(&self, event_type: &str, outcome: AttemptOutcome, elapsed: Duration);
}

/// Delivers the outbox of one store. One runs in every replica; leases keep them from
/// attempting the same delivery at once.
pub struct DeliveryWorker {
    store: Store,
    sender: Sender,
    options: WorkerOptions,
    observer: Option<Arc<dyn DeliveryObserver>>,
}

impl std::fmt::Debug for DeliveryWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryWorker")
            .field("sender", &self.sender)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl DeliveryWorker {
    /// A worker over `store` whose requests go through `egress`.
    pub fn new(
        store: Store,
        egress: EgressPolicy,
        options: WorkerOptions,
    ) -> Result<Self, reqwest::Error> {
        let sender = Sender::new(&egress, options.request_timeout)?;
        Ok(Self {
            store,
            sender,
            options,
            observer: None,
        })
    }

    /// The same worker, telling `observer` of every attempt.
    #[must_use]
    pub fn observed_by(mut self, observer: Arc<dyn DeliveryObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Delivers until `shutdown` completes. Claims a batch, sends it with bounded concurrency
    /// and records each outcome; claims again at once after a full batch, and otherwise waits
    /// for a local write, the poll interval or shutdown. Storage errors are logged and retried
    /// after the poll interval. On shutdown no new attempt starts; those in flight finish and
    /// are recorded.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = pin!(shutdown);
        let signal = self.store.outbox_signal();
        let lease = self.options.request_timeout.saturating_add(LEASE_MARGIN);
        let batch = self.options.batch.max(1);
        let concurrency = self.options.concurrency.max(1);
        let stopping = Arc::new(AtomicBool::new(false));
        tracing::info!(
            batch,
            concurrency,
            schedule = %self.options.schedule,
            "webhook delivery worker started"
        );
        loop {
            // Registered before the claim, so a write committing meanwhile is not missed.
            let mut woken = pin!(signal.notified());
            woken.as_mut().enable();
            let mut full = false;
            match self.store.claim_deliveries(Utc::now(), lease, batch).await {
                Ok(due) => {
                    full = i64::try_from(due.len()).is_ok_and(|n| n >= batch);
                    let flag = stopping.clone();
                    let mut attempts = stream::iter(due)
                        .take_while(move |_| std::future::ready(!flag.load(Ordering::Relaxed)))
                        .map(|d| self.attempt(d))
                        .buffer_unordered(concurrency);
                    loop {
                        tokio::select! {
                            () = &mut shutdown, if !stopping.load(Ordering::Relaxed) => {
                                stopping.store(true, Ordering::Relaxed);
                            }
                            next = attempts.next() => if next.is_none() { break },
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim webhook deliveries; trying again");
                }
            }
            if stopping.load(Ordering::Relaxed) {
                break;
            }
            if full {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = woken => {}
                () = tokio::time::sleep(self.options.poll) => {}
            }
        }
        tracing::info!("webhook delivery worker stopped");
    }

    /// Sends one claimed delivery and records how it went. A failure to record is logged; the
    /// lease then expires and the delivery is attempted again.
    async fn attempt(&self, d: DueDelivery) {
        let attempt_number = u32::try_from(d.attempts).unwrap_or(0).saturating_add(1);
        let url = redact_url(&d.url);
        tracing::debug!(
            delivery = %d.id,
            event_type = %d.event_type,
            attempt = attempt_number,
            %url,
            "sending webhook delivery"
        );
        let attempt = Attempt {
            url: d.url,
            secret: d.secret,
            event_id: d.event_id.to_string(),
            body: d.payload,
        };
        let attempted_at = Utc::now();
        let started = std::time::Instant::now();
        let result = self.sender.send(&attempt).await;
        let outcome = classify(&result, attempt_number, &self.options.schedule, Utc::now());
        let status = result.status.map(i64::from);
        if let Some(observer) = &self.observer {
            observer.attempt_finished(
                &d.event_type,
                AttemptOutcome::of(&outcome),
                started.elapsed(),
            );
        }
        match &outcome {
            DeliveryOutcome::Delivered { .. } => tracing::info!(
                delivery = %d.id, event_type = %d.event_type, attempt = attempt_number,
                status, %url, "webhook delivered"
            ),
            DeliveryOutcome::Retry { error, at, .. } => tracing::info!(
                delivery = %d.id, event_type = %d.event_type, attempt = attempt_number,
                status, %url, %error, next_attempt_at = %at, "webhook delivery failed; will retry"
            ),
            DeliveryOutcome::Failed { error, .. } => tracing::warn!(
                delivery = %d.id, event_type = %d.event_type, attempt = attempt_number,
                status, %url, %error, "webhook delivery failed; giving up"
            ),
            DeliveryOutcome::Gone { reason, .. } => tracing::warn!(
                delivery = %d.id, event_type = %d.event_type, webhook = %d.webhook_id,
                status, %url, %reason, "webhook endpoint is gone; deactivating the webhook"
            ),
        }
        if let Err(e) = self
            .store
            .finish_delivery(d.id, attempted_at, outcome)
            .await
        {
            tracing::warn!(
                delivery = %d.id,
                error = %e,
                "could not record a webhook delivery attempt; it will be attempted again"
            );
        }
    }
}
