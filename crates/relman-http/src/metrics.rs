//! The process's metrics and their exposition at `/metrics`.
//!
//! Kept with `prometheus-client` (the Prometheus project's Rust client). [`Metrics`] owns every
//! family; the HTTP middleware ([`track`]) counts requests by route template, never the raw
//! path, so the number of series stays bounded; as the service's [`ServiceObserver`] it counts
//! registry requests and syncs; the database pool is sampled when scraped. Only this crate and
//! the binary name the metrics library: the layers below report through observer traits.

mod middleware;
mod text;

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};
use relman_service::{PoolState, RequestOutcome, ServiceObserver, SyncRun};

pub use middleware::track;
pub use text::{ExpositionFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE};

/// The path the metrics are served at.
pub const METRICS_PATH: &str = "/metrics";

/// The label of requests that match no route: one series for every unknown path.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Request latency buckets, in seconds: Prometheus's defaults, which span a cached read (5 ms)
/// to a slow sync through the API (10 s).
const HTTP_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Sync duration buckets, in seconds: an unchanged re-sync takes well under a second, a first
/// sync of a large repository minutes.
const SYNC_BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// Whether `/metrics` is served without a token (`metrics_public`); off by default, when it
/// needs a token with the `read` scope like any other read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsPublic(pub bool);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RegistryLabels {
    integration: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SyncLabels {
    component: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    event_type: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ComponentLabels {
    component: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric relman exports. Build one per process and share it (behind an `Arc`) between
/// the service, as its observer, and the HTTP app.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: HistogramFamily<HttpLabels>,
    registry_requests: Family<RegistryLabels, Counter>,
    sync_runs: Family<SyncLabels, Counter>,
    sync_duration: HistogramFamily<OutcomeLabels>,
    versions_added: Family<ComponentLabels, Counter>,
    webhook_attempts: Family<WebhookLabels, Counter>,
    webhook_duration: HistogramFamily<OutcomeLabels>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
}

impl Metrics {
    /// Every family registered, empty; `version` goes into `relman_build_info`.
    pub fn new(version: &str) -> Self {
        let mut registry = Registry::with_prefix("relman");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            http_requests.clone(),
        );
        let http_duration: HistogramFamily<HttpLabels> =
            Family::new_with_constructor(|| Histogram::new(HTTP_BUCKETS));
        registry.register_with_unit(
            "http_request_duration",
            "Time from receiving an HTTP request to its response, by route template, method and status",
            Unit::Seconds,
            http_duration.clone(),
        );
        let registry_requests = Family::<RegistryLabels, Counter>::default();
        registry.register(
            "registry_requests",
            "HTTP requests sent to container registries, by integration and status ('error' when no answer came)",
            registry_requests.clone(),
        );
        let sync_runs = Family::<SyncLabels, Counter>::default();
        registry.register(
            "sync_runs",
            "Version syncs that ran, by component and outcome (ok or failed)",
            sync_runs.clone(),
        );
        let sync_duration: HistogramFamily<OutcomeLabels> =
            Family::new_with_constructor(|| Histogram::new(SYNC_BUCKETS));
        registry.register_with_unit(
            "sync_duration",
            "Time a version sync took, registry and database included, by outcome",
            Unit::Seconds,
            sync_duration.clone(),
        );
        let versions_added = Family::<ComponentLabels, Counter>::default();
        registry.register(
            "sync_versions_added",
            "Tags that syncs saw for the first time, by component",
            versions_added.clone(),
        );
        let webhook_attempts = Family::<WebhookLabels, Counter>::default();
        registry.register(
            "webhook_delivery_attempts",
            "Webhook delivery attempts, by event type and outcome (delivered, retry, failed, gone)",
            webhook_attempts.clone(),
        );
        let webhook_duration: HistogramFamily<OutcomeLabels> =
            Family::new_with_constructor(|| Histogram::new(HTTP_BUCKETS));
        registry.register_with_unit(
            "webhook_delivery_duration",
            "Time a webhook delivery attempt took, until the receiver answered or the attempt failed, by outcome",
            Unit::Seconds,
            webhook_duration.clone(),
        );
        let pool_connections = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Database connections open (in use or idle), sampled at scrape time",
            pool_connections.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle_connections",
            "Open database connections waiting for work, sampled at scrape time",
            pool_idle.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "Most database connections the pool will open",
            pool_max.clone(),
        );
        registry.register(
            "build",
            "The running relman's version",
            Info::new([("version".to_owned(), version.to_owned())]),
        );
        Self {
            registry,
            http_requests,
            http_duration,
            registry_requests,
            sync_runs,
            sync_duration,
            versions_added,
            webhook_attempts,
            webhook_duration,
            pool_connections,
            pool_idle,
            pool_max,
        }
    }

    /// Counts one answered HTTP request. `route` is the route template, or [`UNMATCHED_ROUTE`].
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = HttpLabels {
            method: known_method(method),
            route: route.to_owned(),
            status,
        };
        self.http_requests.get_or_create(&labels).inc();
        self.http_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one webhook delivery attempt: `outcome` is `delivered`, `retry`, `failed` or
    /// `gone`.
    pub fn webhook_attempt(&self, event_type: &str, outcome: &'static str, elapsed: Duration) {
        self.webhook_attempts
            .get_or_create(&WebhookLabels {
                event_type: event_type.to_owned(),
                outcome,
            })
            .inc();
        self.webhook_duration
            .get_or_create(&OutcomeLabels { outcome })
            .observe(elapsed.as_secs_f64());
    }

    /// The exposition, with the pool gauges set from `pool` first (sampled at scrape time, as
    /// the pool keeps no history).
    pub fn render(&self, pool: PoolState, format: ExpositionFormat) -> String {
        self.pool_connections.set(i64::from(pool.connections));
        self.pool_idle.set(i64::from(pool.idle));
        self.pool_max.set(i64::from(pool.max));
        text::render(&self.registry, format)
    }
}

impl ServiceObserver for Metrics {
    fn registry_request(&self, integration: &str, outcome: RequestOutcome) {
        let status = match outcome {
            RequestOutcome::Status(code) => code.to_string(),
            RequestOutcome::Failed => "error".to_owned(),
        };
        self.registry_requests
            .get_or_create(&RegistryLabels {
                integration: integration.to_owned(),
                status,
            })
            .inc();
    }

    fn sync_finished(&self, run: SyncRun<'_>) {
        let outcome = run.outcome.as_str();
        self.sync_runs
            .get_or_create(&SyncLabels {
                component: run.component.to_owned(),
                outcome,
            })
            .inc();
        self.sync_duration
            .get_or_create(&OutcomeLabels { outcome })
            .observe(run.elapsed.as_secs_f64());
        let component = ComponentLabels {
            component: run.component.to_owned(),
        };
        // Created even when nothing was added, so the series exists from the first sync on.
        self.versions_added
            .get_or_create(&component)
            .inc_by(run.added as u64);
    }
}

/// The method as a label: the standard ones by name, anything else as `other`, since a client
/// may send any token as a method and each would be a new series.
fn known_method(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("other")
}
