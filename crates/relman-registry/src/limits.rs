//! Politeness towards a registry: bounded concurrency, optional pacing, and how long to wait
//! before retrying a 429 or 503.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// The first computed backoff when the registry gives no `Retry-After`; doubled per attempt.
const BASE_BACKOFF: Duration = Duration::from_millis(500);

/// Concurrency and pacing shared by every request of one client.
pub(crate) struct Limits {
    permits: Semaphore,
    /// Interval between request starts, when pacing is on.
    interval: Option<Duration>,
    /// The earliest instant the next request may start.
    next_start: Mutex<Instant>,
}

impl Limits {
    pub(crate) fn new(max_concurrency: usize, requests_per_second: Option<f64>) -> Self {
        Self {
            permits: Semaphore::new(max_concurrency),
            interval: requests_per_second.map(|rps| Duration::from_secs_f64(1.0 / rps)),
            next_start: Mutex::new(Instant::now()),
        }
    }

    /// Waits for a concurrency slot and then for the pacing slot. Hold the permit for one HTTP
    /// exchange only, never across an auth round or a retry wait: with `max_concurrency = 1` a
    /// request holding its permit while waiting for a token would deadlock the token fetch.
    ///
    /// The semaphore is never closed, so the permit is always `Some`; a closed one would mean
    /// "no limit" rather than a panic.
    pub(crate) async fn acquire(&self) -> Option<SemaphorePermit<'_>> {
        let permit = self.permits.acquire().await.ok();
        if let Some(interval) = self.interval {
            let start = {
                let mut next = match self.next_start.lock() {
                    Ok(guard) => guard,
                    Err(poisoned) => poisoned.into_inner(),
                };
                let start = (*next).max(Instant::now());
                *next = start + interval;
                start
            };
            tokio::time::sleep_until(start).await;
        }
        permit
    }
}

/// How long to wait before retry number `attempt` (0-based), or `None` when the registry asks for
/// longer than `max_wait` and the caller should give up instead.
pub(crate) fn retry_delay(
    attempt: u32,
    retry_after: Option<Duration>,
    max_wait: Duration,
) -> Option<Duration> {
    match retry_after {
        Some(asked) if asked > max_wait => None,
        Some(asked) => Some(asked),
        None => {
            let factor = 2u32.saturating_pow(attempt.min(16));
            Some(BASE_BACKOFF.saturating_mul(factor).min(max_wait))
        }
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date (RFC 9110 §10.2.3). A date in the
/// past means "now"; anything else unparseable is ignored.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_table() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let cases = [
            ("0", Some(0)),
            ("7", Some(7)),
            (" 120 ", Some(120)),
            ("Sun, 06 Nov 1994 08:49:47 GMT", Some(10)),
            ("Sun, 06 Nov 1994 08:49:00 GMT", Some(0)),
            ("-1", None),
            ("1.5", None),
            ("soon", None),
            ("", None),
        ];
        for (value, want) in cases {
            let got = parse_retry_after(value, now).map(|d| d.as_secs());
            assert_eq!(got, want, "value {value:?}");
        }
    }

    #[test]
    fn backoff_is_capped_and_honours_retry_after() {
        let cap = Duration::from_secs(30);
        assert_eq!(retry_delay(0, None, cap), Some(Duration::from_millis(500)));
        assert_eq!(retry_delay(2, None, cap), Some(Duration::from_secs(2)));
        assert_eq!(retry_delay(10, None, cap), Some(cap));
        assert_eq!(retry_delay(u32::MAX, None, cap), Some(cap));
        assert_eq!(
            retry_delay(0, Some(Duration::from_secs(3)), cap),
            Some(Duration::from_secs(3))
        );
        assert_eq!(retry_delay(0, Some(Duration::from_secs(3600)), cap), None);
    }

    #[tokio::test(start_paused = true)]
    async fn pacing_spaces_request_starts() {
        let limits = Limits::new(8, Some(10.0));
        let start = Instant::now();
        for _ in 0..5 {
            drop(limits.acquire().await);
        }
        // Five starts at 10/s: the first at once, the fifth 400 ms later.
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }
}
