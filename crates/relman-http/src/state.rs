//! What every request can reach: the service, the authenticator, limits, and the API documents.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::web;
use relman_service::Service;

use crate::auth::Authenticator;
use crate::extract::BodyLimit;
use crate::metrics::{Metrics, MetricsPublic};
use crate::rate_limit::RateLimits;
use crate::release_bodies::ReleaseBodies;
use crate::route_table::RouteTable;

/// The OpenAPI document and the reference page, rendered once at start-up.
pub struct ApiDocuments {
    /// The OpenAPI document, pretty-printed.
    pub json: String,
    /// The `/docs` page.
    pub html: String,
}

/// HTTP settings from the server's configuration.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest JSON body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Whether `/metrics` is served without a token.
    pub metrics_public: bool,
    /// Whether the `/updates/v1/` feeds are served without a token (the default: a CLI checking
    /// for updates has none).
    pub feeds_public: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: BodyLimit::default().0,
            metrics_public: false,
            feeds_public: true,
        }
    }
}

/// Whether the update feeds need no token; see [`HttpSettings::feeds_public`].
#[derive(Debug, Clone, Copy)]
pub struct FeedsPublic(pub bool);

/// Whether the server is shutting down. Once set, `/readyz` answers 503 so that load balancers
/// stop routing here, while requests already accepted (and new ones, until the listener closes)
/// are still served.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    /// Marks the server as shutting down; there is no way back.
    pub fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`Draining::start`] was called.
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Shared state of the app; build once and hand to every worker's [`crate::app`].
#[derive(Clone)]
pub struct AppState {
    pub(crate) service: web::Data<Service>,
    pub(crate) auth: web::Data<Authenticator>,
    pub(crate) limit: web::Data<BodyLimit>,
    pub(crate) docs: web::Data<ApiDocuments>,
    pub(crate) routes: web::Data<RouteTable>,
    pub(crate) draining: web::Data<Draining>,
    pub(crate) rate_limits: web::Data<RateLimits>,
    pub(crate) metrics: web::Data<Metrics>,
    pub(crate) metrics_public: web::Data<MetricsPublic>,
    pub(crate) feeds_public: web::Data<FeedsPublic>,
    pub(crate) release_bodies: web::Data<ReleaseBodies>,
}

impl AppState {
    /// Builds the state; renders the API documents. The metrics start empty and hear only of
    /// HTTP requests: give the service's observer with [`AppState::with_metrics`].
    pub fn new(service: Service, auth: Authenticator, settings: &HttpSettings) -> Self {
        let api = crate::openapi();
        let json = api.to_pretty_json().unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let html = crate::docs_page::render(&value);
        Self {
            service: web::Data::new(service),
            auth: web::Data::new(auth),
            limit: web::Data::new(BodyLimit(settings.max_body_bytes)),
            docs: web::Data::new(ApiDocuments { json, html }),
            routes: web::Data::new(RouteTable::from_openapi(&api)),
            draining: web::Data::new(Draining::default()),
            rate_limits: web::Data::new(RateLimits::default()),
            metrics: web::Data::new(Metrics::new(env!("CARGO_PKG_VERSION"))),
            metrics_public: web::Data::new(MetricsPublic(settings.metrics_public)),
            feeds_public: web::Data::new(FeedsPublic(settings.feeds_public)),
            release_bodies: web::Data::new(ReleaseBodies::default()),
        }
    }

    /// This state, exporting `metrics`: the same ones the service reports to, so `/metrics`
    /// shows registry requests and syncs too.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = web::Data::from(metrics);
        self
    }

    /// The switch that tells `/readyz` the server is shutting down.
    pub fn draining(&self) -> Draining {
        self.draining.get_ref().clone()
    }
}
