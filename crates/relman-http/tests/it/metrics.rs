//! `/metrics`: requests counted by route template, method and status; registry requests and
//! syncs through the service's observer; the pool sampled at scrape time; who may read it.

use std::sync::Arc;

use actix_web::test::{TestRequest, init_service};
use relman_http::{AppState, Authenticator, HttpSettings, Metrics};
use relman_service::{HttpConnector, RegistryClients, Service};
use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_test_support::registry::{ImageSpec, RegistryMode, TestRegistry, loopback_egress};
use serde_json::json;

use crate::support::{TOKEN, component, component_on_registry, get, post, send};

backend_tests!(
    requests_are_counted_by_route_template,
    syncs_and_registry_requests_are_counted,
    metrics_need_read_unless_made_public,
    webhook_attempts_are_counted_by_event_type_and_outcome,
);

/// State whose service and registry clients report to the metrics `/metrics` shows, wired as
/// the server wires them.
fn metered(store: Store, metrics_public: bool) -> AppState {
    let metrics = Arc::new(Metrics::new("9.9.9-test"));
    let registries = RegistryClients::new(Arc::new(HttpConnector::new(loopback_egress())))
        .observed_by(Arc::clone(&metrics) as _);
    let service = Service::with_registry_clients(store, Arc::new(registries))
        .observed_by(Arc::clone(&metrics) as _);
    let settings = HttpSettings {
        metrics_public,
        ..HttpSettings::default()
    };
    AppState::new(service, Authenticator::with_admin_token(TOKEN), &settings).with_metrics(metrics)
}

/// The scrape as text, with a token.
macro_rules! scrape {
    ($app:expr) => {{
        let reply = send(&$app, get("/metrics")).await.expect(200);
        assert_eq!(
            reply.headers.get("content-type").unwrap(),
            "text/plain; version=0.0.4; charset=utf-8"
        );
        String::from_utf8(reply.raw).unwrap()
    }};
}

/// The value of the sample whose line starts with `series ` (name and labels exactly).
#[track_caller]
fn sample(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in:\n{scrape}"))
        .parse()
        .unwrap()
}

async fn requests_are_counted_by_route_template(store: Store) {
    let app = init_service(relman_http::app(metered(store, false))).await;
    component(&app).await;
    send(&app, get("/api/v1/components/api")).await.expect(200);
    send(&app, get("/api/v1/components/api")).await.expect(200);
    send(&app, get("/api/v1/components/nope")).await.expect(404);
    send(&app, get("/no/such/path/4711")).await.expect(404);
    send(&app, TestRequest::get().uri("/api/v1/components"))
        .await
        .expect(401);

    let text = scrape!(app);
    let requests = "relman_http_requests_total";
    for (labels, count) in [
        (
            r#"method="POST",route="/api/v1/components",status="201""#,
            1.0,
        ),
        (
            r#"method="GET",route="/api/v1/components/{id}",status="200""#,
            2.0,
        ),
        (
            r#"method="GET",route="/api/v1/components/{id}",status="404""#,
            1.0,
        ),
        (r#"method="GET",route="unmatched",status="404""#, 1.0),
        (
            r#"method="GET",route="/api/v1/components",status="401""#,
            1.0,
        ),
    ] {
        assert_eq!(
            sample(&text, &format!("{requests}{{{labels}}}")),
            count,
            "{labels}"
        );
    }
    // Labels only: a sample's value is a number, and a duration may well hold the digits 4711.
    let labels: Vec<&str> = text
        .lines()
        .map(|line| line.rsplit_once(' ').map_or(line, |(labels, _)| labels))
        .collect();
    assert!(
        labels
            .iter()
            .all(|l| !l.contains("nope") && !l.contains("4711")),
        "raw paths leak:\n{text}"
    );
    let durations = "relman_http_request_duration_seconds";
    let labels = r#"method="GET",route="/api/v1/components/{id}",status="200""#;
    assert_eq!(
        sample(&text, &format!("{durations}_count{{{labels}}}")),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            &format!(r#"{durations}_bucket{{le="+Inf",{labels}}}"#)
        ),
        2.0
    );
    for head in [
        "# HELP relman_http_requests_total ",
        "# TYPE relman_http_requests_total counter",
        "# TYPE relman_http_request_duration_seconds histogram",
    ] {
        assert!(text.contains(head), "no {head} in:\n{text}");
    }

    // The pool is sampled when scraped: present, and within its maximum.
    let max = sample(&text, "relman_db_pool_max_connections");
    let open = sample(&text, "relman_db_pool_connections");
    let idle = sample(&text, "relman_db_pool_idle_connections");
    assert!(
        max >= 1.0 && open <= max && idle <= open,
        "{max} {open} {idle}"
    );
    assert_eq!(
        sample(&text, r#"relman_build_info{version="9.9.9-test"}"#),
        1.0
    );
    assert!(!text.contains("# EOF"), "the classic format has no EOF");

    // The previous scrape is counted under its own template.
    let text = scrape!(app);
    assert_eq!(
        sample(
            &text,
            r#"relman_http_requests_total{method="GET",route="/metrics",status="200"}"#
        ),
        1.0
    );

    // OpenMetrics for a scraper that asks for it.
    let open = send(
        &app,
        get("/metrics").insert_header(("accept", "application/openmetrics-text; version=1.0.0")),
    )
    .await
    .expect(200);
    assert!(
        open.headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let open = String::from_utf8(open.raw).unwrap();
    assert!(open.ends_with("# EOF\n"), "{open}");
    assert!(
        open.contains("# TYPE relman_http_requests counter"),
        "{open}"
    );
    assert!(
        open.contains("# UNIT relman_http_request_duration_seconds seconds"),
        "{open}"
    );
}

async fn syncs_and_registry_requests_are_counted(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    registry
        .pusher()
        .push_image("myorg/api", "v1.0.0", &ImageSpec::default())
        .await;
    let app = init_service(relman_http::app(metered(store, false))).await;
    component_on_registry(&app, &registry.url(), json!({"type": "none"})).await;
    for _ in 0..2 {
        send(
            &app,
            post("/api/v1/components/api/sync-versions", json!({})),
        )
        .await
        .expect(200);
    }
    registry.stop();
    send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(502);

    let text = scrape!(app);
    assert_eq!(
        sample(
            &text,
            r#"relman_sync_runs_total{component="api",outcome="ok"}"#
        ),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            r#"relman_sync_runs_total{component="api",outcome="failed"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"relman_sync_versions_added_total{component="api"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(&text, r#"relman_sync_duration_seconds_count{outcome="ok"}"#),
        2.0
    );
    assert!(
        sample(
            &text,
            r#"relman_registry_requests_total{integration="reg",status="200"}"#
        ) >= 2.0
    );
    assert!(
        sample(
            &text,
            r#"relman_registry_requests_total{integration="reg",status="error"}"#
        ) >= 1.0
    );
}

async fn metrics_need_read_unless_made_public(store: Store) {
    let closed = init_service(relman_http::app(metered(store.clone(), false))).await;
    send(&closed, TestRequest::get().uri("/metrics"))
        .await
        .problem(401, "unauthenticated");
    let open = init_service(relman_http::app(metered(store, true))).await;
    let reply = send(&open, TestRequest::get().uri("/metrics"))
        .await
        .expect(200);
    assert!(
        String::from_utf8(reply.raw)
            .unwrap()
            .contains("relman_build_info")
    );
    // Public means `/metrics` alone: the API still needs a token.
    send(&open, TestRequest::get().uri("/api/v1/components"))
        .await
        .expect(401);
}

async fn webhook_attempts_are_counted_by_event_type_and_outcome(store: Store) {
    let metrics = Arc::new(Metrics::new("9.9.9-test"));
    let state = AppState::new(
        Service::new(store),
        Authenticator::with_admin_token(TOKEN),
        &HttpSettings::default(),
    )
    .with_metrics(Arc::clone(&metrics));
    let app = init_service(relman_http::app(state)).await;
    let ms = std::time::Duration::from_millis;
    metrics.webhook_attempt("release.created", "retry", ms(30));
    metrics.webhook_attempt("release.created", "delivered", ms(4));
    metrics.webhook_attempt("deployment.failed", "delivered", ms(2));
    let text = scrape!(app);
    let attempts = |event: &str, outcome: &str| {
        sample(
            &text,
            &format!(
                r#"relman_webhook_delivery_attempts_total{{event_type="{event}",outcome="{outcome}"}}"#
            ),
        )
    };
    assert_eq!(attempts("release.created", "retry"), 1.0);
    assert_eq!(attempts("release.created", "delivered"), 1.0);
    assert_eq!(attempts("deployment.failed", "delivered"), 1.0);
    assert_eq!(
        sample(
            &text,
            r#"relman_webhook_delivery_duration_seconds_count{outcome="delivered"}"#
        ),
        2.0
    );
    assert_eq!(
        sample(
            &text,
            r#"relman_webhook_delivery_duration_seconds_bucket{le="0.005",outcome="delivered"}"#
        ),
        2.0
    );
}
