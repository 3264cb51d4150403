//! Per-token request budgets: a token bucket (GCRA, from `governor`) per API token that has a
//! `requestsPerSecond`. Over budget, a request gets 429 with `Retry-After`; every limited answer
//! carries the `X-RateLimit-*` headers and the IETF draft's `RateLimit` header.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{Quota, RateLimiter};
use uuid::Uuid;

use crate::auth::Identity;
use crate::error::ApiError;
use relman_wire::ErrorCode;

type Limiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    DefaultClock,
    StateInformationMiddleware,
>;

/// The budget a limited request used: what the response headers report.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Requests allowed in a burst.
    pub limit: u32,
    /// Requests left in the burst now.
    pub remaining: u32,
}

/// One bucket per limited token, created at its first request.
#[derive(Default)]
pub struct RateLimits {
    buckets: Mutex<HashMap<Uuid, Limiter>>,
}

fn quota(rps: f64) -> Option<Quota> {
    // A burst of one second's worth, at least one request.
    let burst = NonZeroU32::new(rps.ceil().clamp(1.0, f64::from(u32::MAX)) as u32)?;
    Quota::with_period(Duration::from_secs_f64(1.0 / rps)).map(|q| q.allow_burst(burst))
}

impl RateLimits {
    /// Takes one request from the identity's budget: `Ok(None)` for an unlimited identity,
    /// `Ok(Some(budget))` within budget, 429 `rate_limited` beyond it.
    pub fn check(&self, identity: &Identity) -> Result<Option<Budget>, ApiError> {
        let Identity::Token(token) = identity else {
            return Ok(None);
        };
        let Some(rps) = token.requests_per_second else {
            return Ok(None);
        };
        let Some(q) = quota(rps) else {
            return Ok(None);
        };
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A token's budget never changes (tokens are immutable), so its bucket is made once.
        let bucket = buckets.entry(token.id).or_insert_with(|| {
            RateLimiter::direct(q).with_middleware::<StateInformationMiddleware>()
        });
        let limit = q.burst_size().get();
        match bucket.check() {
            Ok(snapshot) => Ok(Some(Budget {
                limit,
                remaining: snapshot.remaining_burst_capacity(),
            })),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let retry_after = wait.as_secs_f64().ceil().max(1.0) as u64;
                Err(ApiError::new(
                    ErrorCode::RateLimited,
                    format!(
                        "this token may make {rps} requests per second; retry in {retry_after} s"
                    ),
                )
                .with_headers(rate_headers(
                    limit,
                    0,
                    retry_after,
                    Some(retry_after),
                )))
            }
        }
    }
}

/// The rate-limit headers for a budget of `limit` with `remaining` left, full again in `reset` s.
pub fn rate_headers(
    limit: u32,
    remaining: u32,
    reset: u64,
    retry_after: Option<u64>,
) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = vec![
        (
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderValue::from(limit),
        ),
        (
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderValue::from(remaining),
        ),
        (
            HeaderName::from_static("x-ratelimit-reset"),
            HeaderValue::from(reset),
        ),
    ];
    if let Ok(v) = HeaderValue::from_str(&format!(
        "limit={limit}, remaining={remaining}, reset={reset}"
    )) {
        out.push((HeaderName::from_static("ratelimit"), v));
    }
    if let Some(secs) = retry_after {
        out.push((
            actix_web::http::header::RETRY_AFTER,
            HeaderValue::from(secs),
        ));
    }
    out
}

/// Adds a budget's headers to a response that was let through.
pub fn add_budget_headers(headers: &mut HeaderMap, budget: Budget) {
    for (name, value) in rate_headers(budget.limit, budget.remaining, 1, None) {
        headers.insert(name, value);
    }
}
