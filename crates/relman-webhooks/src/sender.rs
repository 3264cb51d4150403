//! One signed POST to one endpoint, and what came of it.

use std::error::Error as _;
use std::fmt;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use standardwebhooks::Webhook;

/// The `User-Agent` of every delivery.
pub const USER_AGENT: &str = concat!("relman-webhooks/", env!("CARGO_PKG_VERSION"));

/// How much of an error response's body is read.
const READ_LIMIT: usize = 4 * 1024;
/// How many characters of an error response's body go into the error.
const ERROR_BODY_CHARS: usize = 200;

/// What one attempt sends.
#[derive(Clone)]
pub struct Attempt {
    /// Where to POST.
    pub url: String,
    /// The signing secret, `whsec_<base64>`. Never printed.
    pub secret: String,
    /// The event id: the `webhook-id` header, the same on every attempt.
    pub event_id: String,
    /// The JSON payload `{type, timestamp, data}`, sent and signed byte for byte.
    pub body: String,
}

impl fmt::Debug for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attempt")
            .field("url", &redact_url(&self.url))
            .field("secret", &"***")
            .field("event_id", &self.event_id)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttemptResult {
    /// The response's status, when the endpoint answered.
    pub status: Option<u16>,
    /// How long the endpoint asked to be left alone (`Retry-After`, in delta-seconds or as an
    /// HTTP-date), when it did.
    pub retry_after: Option<Duration>,
    /// What went wrong: `HTTP 503: <start of the body>`, a transport failure, or an egress
    /// refusal. `None` on a 2xx. Never holds the secret.
    pub error: Option<String>,
    /// Retrying cannot help: the egress policy refused the address, or the webhook's URL or
    /// secret is unusable.
    pub permanent: bool,
}

impl AttemptResult {
    /// Whether the endpoint answered 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    fn permanent(error: String) -> Self {
        Self {
            error: Some(error),
            permanent: true,
            ..Self::default()
        }
    }
}

/// Sends deliveries following the Standard Webhooks specification, through the egress policy.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    timeout: Duration,
}

impl Sender {
    /// A sender whose client goes through `egress` and gives each request `timeout` (from
    /// connecting to the end of the response).
    pub fn new(
        egress: &relman_egress::EgressPolicy,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = egress
            .apply(reqwest::Client::builder())
            .user_agent(USER_AGENT)
            .timeout(timeout)
            .build()?;
        Ok(Self { client, timeout })
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// POSTs `attempt` once, signed for the current second. Never fails: every problem is in
    /// the result.
    pub async fn send(&self, attempt: &Attempt) -> AttemptResult {
        let timestamp = Utc::now().timestamp();
        // The errors of `standardwebhooks` may quote the secret's bytes: none is passed on.
        let Ok(signature) = Webhook::new(&attempt.secret)
            .and_then(|w| w.sign(&attempt.event_id, timestamp, attempt.body.as_bytes()))
        else {
            return AttemptResult::permanent(
                "the webhook's secret is not a valid signing key".to_owned(),
            );
        };
        let url = match reqwest::Url::parse(&attempt.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            Ok(_) => {
                return AttemptResult::permanent(
                    "the webhook's URL is not http or https".to_owned(),
                );
            }
            Err(e) => {
                return AttemptResult::permanent(format!("the webhook's URL is invalid: {e}"));
            }
        };
        let sent = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", &attempt.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(attempt.body.clone())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => return self.transport_failure(&e),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        if status.is_success() {
            return AttemptResult {
                status: Some(status.as_u16()),
                retry_after,
                error: None,
                permanent: false,
            };
        }
        let excerpt = body_excerpt(response).await;
        let mut error = format!("HTTP {}", status.as_u16());
        if !excerpt.is_empty() {
            error.push_str(": ");
            error.push_str(&excerpt);
        }
        AttemptResult {
            status: Some(status.as_u16()),
            retry_after,
            error: Some(error),
            permanent: false,
        }
    }

    /// The result of a request that got no response. The message never names the URL, whose
    /// query may hold a credential.
    fn transport_failure(&self, e: &reqwest::Error) -> AttemptResult {
        if let Some(refusal) = relman_egress::refusal_of(e) {
            return AttemptResult::permanent(format!("refused by the egress policy: {refusal}"));
        }
        if e.is_timeout() {
            return AttemptResult {
                error: Some(format!(
                    "timed out after {:?} (the request timeout)",
                    self.timeout
                )),
                ..AttemptResult::default()
            };
        }
        let what = if e.is_connect() {
            "could not connect"
        } else if e.is_redirect() {
            "could not follow a redirect"
        } else if e.is_builder() {
            "could not build the request"
        } else if e.is_body() || e.is_decode() {
            "could not read the response"
        } else {
            "the request failed"
        };
        let causes = causes(e);
        AttemptResult {
            error: Some(if causes.is_empty() {
                what.to_owned()
            } else {
                format!("{what}: {causes}")
            }),
            ..AttemptResult::default()
        }
    }
}

/// Reads a `Retry-After` value: delta-seconds, or an HTTP-date (a date in the past is no wait).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().ok().map(Duration::from_secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `url` without credentials, query and fragment, for logs: a query may hold a secret.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut url) => {
            // Fails only for URLs that cannot have credentials, which then have none.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => "<invalid URL>".to_owned(),
    }
}

/// The sources of `e`, joined with `: `, skipping `e` itself (its `Display` names the URL).
fn causes(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        next = cause.source();
    }
    parts.join(": ")
}

/// Up to [`ERROR_BODY_CHARS`] characters from the first [`READ_LIMIT`] bytes of the body, on
/// one line. A body that fails midway gives what arrived.
async fn body_excerpt(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < READ_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = READ_LIMIT - bytes.len();
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    let one_line = text
        .split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut excerpt: String = one_line.chars().take(ERROR_BODY_CHARS).collect();
    if excerpt.len() < one_line.len() {
        excerpt.push('…');
    }
    excerpt
}
