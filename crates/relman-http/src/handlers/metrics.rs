//! `/metrics`: the process's metrics for Prometheus.

use actix_web::http::header::{ACCEPT, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, get, web};
use relman_service::Service;

use crate::metrics::{ExpositionFormat, Metrics};

/// The process's metrics: HTTP requests by route template, registry requests by integration,
/// syncs, the database pool, build info.
///
/// The classic Prometheus text format (0.0.4), or OpenMetrics when `Accept` asks for
/// `application/openmetrics-text` (Prometheus does). Needs a token with the `read` scope, unless
/// the operator set `metrics_public = true` (`RELMAN_METRICS_PUBLIC=true`), when anyone may
/// scrape it; the security stated here is the default.
#[utoipa::path(
    tag = "operations",
    operation_id = "get_metrics",
    responses(
        (status = 200, description = "The metrics", content_type = "text/plain; version=0.0.4", body = String),
    )
)]
#[get("/metrics")]
pub async fn metrics(
    req: HttpRequest,
    metrics: web::Data<Metrics>,
    service: web::Data<Service>,
) -> HttpResponse {
    let accept = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok());
    let format = ExpositionFormat::negotiate(accept);
    let body = metrics.render(service.pool_state(), format);
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, format.content_type()))
        .body(body)
}
