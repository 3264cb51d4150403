//! The middleware that counts every HTTP request and times it, labelled by route template.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::metrics::{Metrics, UNMATCHED_ROUTE};
use crate::route_table::matched_template;

/// Middleware: records each request's method, route template (from the
/// [`crate::route_table::RouteTable`], so `/api/v1/releases/{id}` and never the raw path) and
/// status, with its latency. Wraps the access middleware, so refusals (401, 403, 429) and
/// unmatched paths (404, 405) count too.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().clone();
    let route = matched_template(&req);
    let result = next.call(req).await;
    if let Some(metrics) = metrics {
        // An error that escaped the inner services still becomes a response; count its status.
        let status = match &result {
            Ok(res) => res.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        metrics.http_request(
            method.as_str(),
            route.as_deref().unwrap_or(UNMATCHED_ROUTE),
            status.as_u16(),
            started.elapsed(),
        );
    }
    result
}
