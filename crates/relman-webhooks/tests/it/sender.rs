//! The sender against a local receiver.

use std::time::Duration;

use chrono::Utc;
use relman_egress::EgressPolicy;
use relman_storage::DeliveryOutcome;
use relman_webhooks::{Attempt, RetrySchedule, Sender, classify, redact_url};
use standardwebhooks::Webhook;

use crate::receiver::{Receiver, Reply};
use crate::{SECRET, assert_no_secret};

const BODY: &str =
    r#"{"type":"release.created","timestamp":"2026-12-04T10:00:00.000Z","data":{"name":"r1"}}"#;

fn sender() -> Sender {
    Sender::new(
        &EgressPolicy::default().allowing_loopback(),
        Duration::from_secs(5),
    )
    .expect("sender")
}

fn attempt(url: String) -> Attempt {
    Attempt {
        url,
        secret: SECRET.to_owned(),
        event_id: "01938a7e-0000-7000-8000-000000000001".to_owned(),
        body: BODY.to_owned(),
    }
}

#[tokio::test]
async fn a_delivery_is_signed_per_standard_webhooks() {
    let receiver = Receiver::start(vec![Reply::status(204)]).await;
    let before = Utc::now().timestamp();
    let result = sender().send(&attempt(receiver.url("/hooks"))).await;
    assert_eq!(result.status, Some(204));
    assert_eq!(result.error, None);
    assert!(result.is_success());

    let got = receiver.requests();
    assert_eq!(got.len(), 1);
    let request = &got[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path_and_query, "/hooks");
    assert_eq!(
        request.body.as_ref(),
        BODY.as_bytes(),
        "the body is sent byte for byte"
    );
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(
        request.header("webhook-id"),
        "01938a7e-0000-7000-8000-000000000001"
    );
    let timestamp: i64 = request
        .header("webhook-timestamp")
        .parse()
        .expect("unix seconds");
    assert!((before..=Utc::now().timestamp()).contains(&timestamp));
    assert!(request.header("webhook-signature").starts_with("v1,"));
    assert!(request.header("user-agent").starts_with("relman-webhooks/"));
    Webhook::new(SECRET)
        .expect("secret")
        .verify(&request.body, &request.headers)
        .expect("the signature verifies");
    // Another key does not verify it.
    assert!(
        Webhook::new("whsec_bm90IHRoZSBzZWNyZXQgYXQgYWxsIQ==")
            .expect("other secret")
            .verify(&request.body, &request.headers)
            .is_err()
    );
}

#[tokio::test]
async fn the_webhook_id_is_the_same_on_every_attempt() {
    let receiver = Receiver::start(vec![Reply::status(500), Reply::status(200)]).await;
    let sender = sender();
    let attempt = attempt(receiver.url("/"));
    let first = sender.send(&attempt).await;
    let second = sender.send(&attempt).await;
    assert_eq!(first.status, Some(500));
    assert_eq!(second.status, Some(200));
    let got = receiver.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    for request in &got {
        Webhook::new(SECRET)
            .expect("secret")
            .verify(&request.body, &request.headers)
            .expect("every attempt verifies");
    }
}

#[tokio::test]
async fn retry_after_is_read_and_the_error_quotes_the_body() {
    let receiver = Receiver::start(vec![
        Reply::status(503)
            .header("retry-after", "7")
            .body("busy,\n come back later"),
    ])
    .await;
    let result = sender().send(&attempt(receiver.url("/"))).await;
    assert_eq!(result.status, Some(503));
    assert_eq!(result.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(
        result.error.as_deref(),
        Some("HTTP 503: busy, come back later")
    );
    assert!(!result.permanent);

    let schedule = RetrySchedule::parse("1s")
        .expect("schedule")
        .with_jitter(0.0);
    let now = Utc::now();
    match classify(&result, 1, &schedule, now) {
        DeliveryOutcome::Retry { status, at, error } => {
            assert_eq!(status, Some(503));
            assert_eq!(
                at,
                now + chrono::Duration::seconds(7),
                "Retry-After is honoured"
            );
            assert!(error.starts_with("HTTP 503"));
        }
        other => panic!("expected a retry, got {other:?}"),
    }
}

#[tokio::test]
async fn an_http_date_retry_after_is_read() {
    let at = std::time::SystemTime::now() + Duration::from_secs(120);
    let receiver = Receiver::start(vec![
        Reply::status(429).header("retry-after", httpdate::fmt_http_date(at)),
    ])
    .await;
    let result = sender().send(&attempt(receiver.url("/"))).await;
    assert_eq!(result.status, Some(429));
    let wait = result.retry_after.expect("a wait");
    assert!(
        (Duration::from_secs(110)..=Duration::from_secs(120)).contains(&wait),
        "{wait:?}"
    );
}

#[tokio::test]
async fn a_long_error_body_is_cut() {
    let receiver = Receiver::start(vec![Reply::status(500).body("x".repeat(10_000))]).await;
    let result = sender().send(&attempt(receiver.url("/"))).await;
    let error = result.error.expect("an error");
    assert!(error.starts_with("HTTP 500: xxx"), "{error}");
    assert_eq!(
        error.chars().count(),
        "HTTP 500: ".len() + 200 + 1,
        "{error}"
    );
    assert!(error.ends_with('…'));
}

#[tokio::test]
async fn gone_deactivates() {
    let receiver = Receiver::start(vec![Reply::status(410).body("no such hook")]).await;
    let result = sender().send(&attempt(receiver.url("/"))).await;
    assert_eq!(result.status, Some(410));
    assert_eq!(
        classify(&result, 1, &RetrySchedule::default(), Utc::now()),
        DeliveryOutcome::Gone {
            status: 410,
            reason: "the endpoint answered 410 Gone".to_owned()
        }
    );
}

#[tokio::test]
async fn a_slow_endpoint_times_out_and_is_retried() {
    let receiver = Receiver::start(vec![Reply::status(200).delay(Duration::from_secs(3))]).await;
    let sender = Sender::new(
        &EgressPolicy::default().allowing_loopback(),
        Duration::from_millis(300),
    )
    .expect("sender");
    let started = std::time::Instant::now();
    let result = sender.send(&attempt(receiver.url("/"))).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(result.status, None);
    let error = result.error.clone().expect("an error");
    assert!(error.contains("timed out"), "{error}");
    assert!(!result.permanent);
    assert!(matches!(
        classify(&result, 1, &RetrySchedule::default(), Utc::now()),
        DeliveryOutcome::Retry { status: None, .. }
    ));
}

#[tokio::test]
async fn a_closed_port_is_a_connection_failure_and_retried() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let result = sender()
        .send(&attempt(format!("http://127.0.0.1:{port}/hooks?token=abc")))
        .await;
    assert_eq!(result.status, None);
    let error = result.error.clone().expect("an error");
    assert!(error.starts_with("could not connect"), "{error}");
    assert!(
        !error.contains("token=abc"),
        "the URL's query stays out: {error}"
    );
    assert!(!result.permanent);
}

#[tokio::test]
async fn the_strict_policy_refuses_loopback_for_good() {
    let receiver = Receiver::start(vec![Reply::status(200)]).await;
    let sender = Sender::new(&EgressPolicy::default(), Duration::from_secs(5)).expect("sender");
    let result = sender.send(&attempt(receiver.url("/"))).await;
    assert_eq!(result.status, None);
    let error = result.error.clone().expect("an error");
    assert!(
        error.starts_with("refused by the egress policy: "),
        "{error}"
    );
    assert!(result.permanent);
    assert!(receiver.requests().is_empty(), "nothing was sent");
    match classify(&result, 1, &RetrySchedule::default(), Utc::now()) {
        DeliveryOutcome::Failed {
            status: None,
            error,
        } => assert!(error.contains("egress")),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_redirect_to_a_refused_address_fails_for_good() {
    let receiver = Receiver::start(vec![
        Reply::status(307).header("location", "http://169.254.169.254/latest/meta-data"),
    ])
    .await;
    let result = sender().send(&attempt(receiver.url("/"))).await;
    let error = result.error.clone().expect("an error");
    assert!(
        error.starts_with("refused by the egress policy: "),
        "{error}"
    );
    assert!(error.contains("169.254.169.254"), "{error}");
    assert!(result.permanent);
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn unusable_secrets_and_urls_fail_for_good_without_quoting_the_secret() {
    let receiver = Receiver::start(vec![Reply::status(200)]).await;
    let mut bad_secret = attempt(receiver.url("/"));
    bad_secret.secret = "whsec_not*base64*MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned();
    let result = sender().send(&bad_secret).await;
    assert!(result.permanent);
    let error = result.error.expect("an error");
    assert!(!error.contains("not*base64"), "{error}");
    assert_no_secret(&error);

    for url in ["not a url", "ftp://127.0.0.1/x"] {
        let result = sender().send(&attempt(url.to_owned())).await;
        assert!(result.permanent, "{url}");
        assert!(result.error.expect("an error").contains("URL"), "{url}");
    }
    assert!(receiver.requests().is_empty());
}

#[tokio::test]
async fn no_result_or_debug_output_holds_the_secret() {
    let receiver = Receiver::start(vec![
        Reply::status(500).body(format!("echo: {}", "nothing secret")),
        Reply::status(200).delay(Duration::from_secs(3)),
    ])
    .await;
    let fast = Sender::new(
        &EgressPolicy::default().allowing_loopback(),
        Duration::from_millis(300),
    )
    .expect("sender");
    let strict = Sender::new(&EgressPolicy::default(), Duration::from_secs(1)).expect("sender");
    let attempt = attempt(receiver.url("/?token=query-credential"));
    for result in [
        fast.send(&attempt).await,
        fast.send(&attempt).await,
        strict.send(&attempt).await,
    ] {
        assert_no_secret(&format!("{result:?}"));
        assert!(!format!("{result:?}").contains("query-credential"));
    }
    let debug = format!("{attempt:?}");
    assert_no_secret(&debug);
    assert!(!debug.contains("query-credential"), "{debug}");
    assert!(debug.contains("***"));
    assert_no_secret(&format!("{fast:?}"));
}

#[test]
fn logged_urls_lose_credentials_query_and_fragment() {
    assert_eq!(
        redact_url("https://user:pw@example.com:8443/hooks/1?secret=abc#frag"),
        "https://example.com:8443/hooks/1"
    );
    assert_eq!(redact_url("http://example.com"), "http://example.com/");
    assert_eq!(redact_url("::"), "<invalid URL>");
}
