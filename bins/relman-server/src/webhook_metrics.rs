//! Webhook delivery attempts, counted in the process's metrics.

use std::sync::Arc;
use std::time::Duration;

use relman_http::Metrics;
use relman_webhooks::{AttemptOutcome, DeliveryObserver};

/// Tells the metrics of every delivery attempt the outbox worker makes.
pub struct WebhookMetrics(pub Arc<Metrics>);

impl DeliveryObserver for WebhookMetrics {
    fn attempt_finished(&self, event_type: &str, outcome: AttemptOutcome, elapsed: Duration) {
        self.0
            .webhook_attempt(event_type, outcome.as_str(), elapsed);
    }
}
