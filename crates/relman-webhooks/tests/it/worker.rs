//! The worker over a real store (SQLite and PostgreSQL): deliveries queued by audit events reach
//! the receiver, failures are retried on the schedule, `410` deactivates the webhook.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use relman_domain::{Actor, AuditEvent, DeliveryStatus, EventType, Notice, WebhookDelivery};
use relman_egress::EgressPolicy;
use relman_storage::{NewWebhook, Store};
use relman_test_support::backend_tests;
use relman_webhooks::{
    AttemptOutcome, DeliveryObserver, DeliveryWorker, GONE_REASON, RetrySchedule, WorkerOptions,
};
use standardwebhooks::Webhook;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::instrument::WithSubscriber;
use uuid::Uuid;

use crate::receiver::{Receiver, Reply};
use crate::{SECRET, assert_no_secret};

backend_tests!(
    a_failed_attempt_is_retried_with_the_same_webhook_id,
    gone_deactivates_the_webhook,
    the_schedule_runs_out,
    a_refused_address_fails_at_once,
);

async fn a_failed_attempt_is_retried_with_the_same_webhook_id(store: Store) {
    let receiver = Receiver::start(vec![Reply::status(500), Reply::status(200)]).await;
    let webhook = create_webhook(&store, &receiver.url("/hooks?token=t")).await;
    let worker = start(
        &store,
        EgressPolicy::default().allowing_loopback(),
        "100ms,200ms",
    );
    notify(&store, r#"{"name":"r1"}"#).await;

    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    let delivery = wait_until_settled(&store, webhook).await;
    let observed = worker.observed();
    worker.stop().await;
    let created = "release.created".to_owned();
    assert_eq!(
        observed,
        [(created.clone(), "retry"), (created, "delivered")],
        "each attempt is counted with its outcome"
    );

    assert_eq!(delivery.status, DeliveryStatus::Succeeded);
    assert_eq!(delivery.attempts, 2);
    assert_eq!(delivery.last_status, Some(200));
    assert_eq!(delivery.event_type, EventType::ReleaseCreated);
    assert_eq!(receiver.requests().len(), 2, "nothing after the success");
    let id = delivery.event_id.to_string();
    for request in &got {
        assert_eq!(request.path_and_query, "/hooks?token=t");
        assert_eq!(request.header("webhook-id"), id);
        Webhook::new(SECRET)
            .expect("secret")
            .verify(&request.body, &request.headers)
            .expect("the signature verifies");
        let body = std::str::from_utf8(&request.body).expect("UTF-8");
        assert!(
            body.starts_with(r#"{"type":"release.created","timestamp":""#),
            "{body}"
        );
        assert!(body.ends_with(r#","data":{"name":"r1"}}"#), "{body}");
    }
    assert_eq!(got[0].body, got[1].body, "the same bytes on every attempt");
}

async fn gone_deactivates_the_webhook(store: Store) {
    let receiver = Receiver::start(vec![Reply::status(410)]).await;
    let webhook = create_webhook(&store, &receiver.url("/")).await;
    let worker = start(&store, EgressPolicy::default().allowing_loopback(), "100ms");
    notify(&store, "{}").await;

    let delivery = wait_until_settled(&store, webhook).await;
    let observed = worker.observed();
    worker.stop().await;
    assert_eq!(observed, [("release.created".to_owned(), "gone")]);
    assert_eq!(delivery.status, DeliveryStatus::Failed);
    assert_eq!(delivery.attempts, 1);
    assert_eq!(delivery.last_status, Some(410));
    let hook = store.webhook(webhook).await.expect("webhook");
    assert!(!hook.active);
    assert_eq!(hook.disabled_reason.as_deref(), Some(GONE_REASON));
}

async fn the_schedule_runs_out(store: Store) {
    let receiver = Receiver::start(vec![Reply::status(503).body("down for maintenance")]).await;
    let webhook = create_webhook(&store, &receiver.url("/")).await;
    let worker = start(
        &store,
        EgressPolicy::default().allowing_loopback(),
        "100ms,100ms",
    );
    notify(&store, "{}").await;

    let delivery = wait_until_settled(&store, webhook).await;
    worker.stop().await;
    assert_eq!(delivery.status, DeliveryStatus::Failed);
    assert_eq!(delivery.attempts, 3, "the first attempt and one per delay");
    assert_eq!(delivery.last_status, Some(503));
    assert_eq!(
        delivery.last_error.as_deref(),
        Some("HTTP 503: down for maintenance")
    );
    assert_eq!(receiver.requests().len(), 3);
    assert!(store.webhook(webhook).await.expect("webhook").active);
}

async fn a_refused_address_fails_at_once(store: Store) {
    let receiver = Receiver::start(vec![Reply::status(200)]).await;
    let webhook = create_webhook(&store, &receiver.url("/")).await;
    let worker = start(&store, EgressPolicy::default(), "100ms,100ms");
    notify(&store, "{}").await;

    let delivery = wait_until_settled(&store, webhook).await;
    worker.stop().await;
    assert_eq!(delivery.status, DeliveryStatus::Failed);
    assert_eq!(delivery.attempts, 1, "retrying cannot help");
    assert_eq!(delivery.last_status, None);
    let error = delivery.last_error.expect("an error");
    assert!(error.contains("egress"), "{error}");
    assert_no_secret(&error);
    assert!(receiver.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_stops_on_shutdown_and_survives_a_broken_store() {
    let db = relman_test_support::db::TestDb::sqlite();
    let store = db.store().await;
    let worker = start(&store, EgressPolicy::default(), "100ms");
    // Storage errors are logged and retried; the worker keeps running.
    store.revert_all_migrations().await.expect("revert");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!worker.handle.is_finished());
    worker.stop().await;
}

struct Running {
    stop: oneshot::Sender<()>,
    handle: JoinHandle<()>,
    attempts: Arc<Attempts>,
}

/// What the worker told its observer: (event type, outcome) per attempt, in order.
#[derive(Default)]
struct Attempts(Mutex<Vec<(String, &'static str)>>);

impl DeliveryObserver for Attempts {
    fn attempt_finished(&self, event_type: &str, outcome: AttemptOutcome, _: Duration) {
        self.0
            .lock()
            .unwrap()
            .push((event_type.to_owned(), outcome.as_str()));
    }
}

impl Running {
    fn observed(&self) -> Vec<(String, &'static str)> {
        self.attempts.0.lock().unwrap().clone()
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(5), self.handle)
            .await
            .expect("the worker stops promptly")
            .expect("the worker did not panic");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_name_the_delivery_but_never_the_secret_or_the_query() {
    let db = relman_test_support::db::TestDb::sqlite();
    let store = db.store().await;
    let receiver = Receiver::start(vec![Reply::status(503), Reply::status(200)]).await;
    let webhook = create_webhook(&store, &receiver.url("/in?token=query-credential")).await;
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .finish();
    let worker = start_with(
        &store,
        EgressPolicy::default().allowing_loopback(),
        "100ms",
        |run| tokio::spawn(run.with_subscriber(subscriber)),
    );
    notify(&store, "{}").await;
    let delivery = wait_until_settled(&store, webhook).await;
    worker.stop().await;
    assert_eq!(delivery.status, DeliveryStatus::Succeeded);

    let text = logs.text();
    assert!(text.contains(&delivery.id.to_string()), "{text}");
    assert!(text.contains("release.created"), "{text}");
    assert!(text.contains("webhook delivered"), "{text}");
    assert!(text.contains("/in"), "the path may be logged: {text}");
    assert!(!text.contains("query-credential"), "{text}");
    assert_no_secret(&text);
}

/// Log lines, shared between the subscriber and the test.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn start(store: &Store, egress: EgressPolicy, schedule: &str) -> Running {
    start_with(store, egress, schedule, tokio::spawn)
}

fn start_with(
    store: &Store,
    egress: EgressPolicy,
    schedule: &str,
    spawn: impl FnOnce(Pin<Box<dyn Future<Output = ()> + Send>>) -> JoinHandle<()>,
) -> Running {
    let options = WorkerOptions {
        poll: Duration::from_millis(50),
        request_timeout: Duration::from_secs(2),
        schedule: RetrySchedule::parse(schedule).expect("schedule"),
        ..WorkerOptions::default()
    };
    let attempts = Arc::new(Attempts::default());
    let worker = DeliveryWorker::new(store.clone(), egress, options)
        .expect("worker")
        .observed_by(attempts.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = spawn(Box::pin(worker.run(async move {
        let _ = stopped.await;
    })));
    Running {
        stop,
        handle,
        attempts,
    }
}

async fn create_webhook(store: &Store, url: &str) -> Uuid {
    let id = Uuid::now_v7();
    let now = Utc::now();
    let event = AuditEvent::new(&Actor::system(), now, "webhook", "create", id, "created");
    store
        .create_webhook(
            NewWebhook {
                id,
                url: url.to_owned(),
                description: "test receiver".to_owned(),
                secret: SECRET.to_owned(),
                events: vec![EventType::ReleaseCreated],
                active: true,
                created_at: now,
            },
            &event,
        )
        .await
        .expect("create webhook");
    id
}

/// Records an audit event telling subscribers `release.created` with `data`.
async fn notify(store: &Store, data: &str) {
    let event = AuditEvent::new(
        &Actor::system(),
        Utc::now(),
        "release",
        "create",
        "r1",
        "created",
    )
    .notify(Notice {
        event_type: EventType::ReleaseCreated,
        subject: "r1".to_owned(),
        data: data.to_owned(),
    });
    store.record_event(&event).await.expect("record event");
}

/// The webhook's one delivery, once it is no longer pending.
async fn wait_until_settled(store: &Store, webhook: Uuid) -> WebhookDelivery {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (deliveries, _) = store
            .list_deliveries(webhook, None, None, 10)
            .await
            .expect("list deliveries");
        assert!(deliveries.len() <= 1, "{deliveries:?}");
        if let Some(d) = deliveries.into_iter().next()
            && d.status != DeliveryStatus::Pending
        {
            return d;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the delivery did not settle"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
