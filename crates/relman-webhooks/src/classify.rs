//! What an attempt's result means for its delivery.

use chrono::{DateTime, Utc};
use relman_storage::DeliveryOutcome;

use crate::schedule::RetrySchedule;
use crate::sender::AttemptResult;

/// Why a webhook whose endpoint answered `410 Gone` is deactivated.
pub const GONE_REASON: &str = "the endpoint answered 410 Gone";

/// The outcome of an attempt that ended with `result`, `attempts_made` attempts having been made
/// (this one included), at `now`:
///
/// - a 2xx is [`DeliveryOutcome::Delivered`];
/// - a `410 Gone` is [`DeliveryOutcome::Gone`]: failed, and the webhook deactivated;
/// - a permanent failure (an egress refusal, an unusable URL or secret) fails at once, since
///   retrying cannot help;
/// - anything else is retried when `schedule` has a next delay, and failed when it has not.
pub fn classify(
    result: &AttemptResult,
    attempts_made: u32,
    schedule: &RetrySchedule,
    now: DateTime<Utc>,
) -> DeliveryOutcome {
    if let Some(status) = result.status
        && result.is_success()
    {
        return DeliveryOutcome::Delivered { status };
    }
    if result.status == Some(410) {
        return DeliveryOutcome::Gone {
            status: 410,
            reason: GONE_REASON.to_owned(),
        };
    }
    let status = result.status;
    let error = result.error.clone().unwrap_or_else(|| match status {
        Some(s) => format!("HTTP {s}"),
        None => "the attempt failed".to_owned(),
    });
    if result.permanent {
        return DeliveryOutcome::Failed { status, error };
    }
    match schedule.next_delay(attempts_made, result.retry_after) {
        Some(delay) => {
            let at = chrono::Duration::from_std(delay)
                .ok()
                .and_then(|d| now.checked_add_signed(d))
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            DeliveryOutcome::Retry { status, error, at }
        }
        None => DeliveryOutcome::Failed { status, error },
    }
}
