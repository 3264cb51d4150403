//! Health, readiness, the OpenAPI document and the reference page; open without a token.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, get, web};
use relman_service::Service;

use crate::error::{ApiError, Problem};
use crate::state::{ApiDocuments, Draining};
use relman_wire::ErrorCode;
use relman_wire::meta::HealthResponse;

/// The process is up.
#[utoipa::path(
    tag = "operations",
    operation_id = "get_health",
    responses((status = 200, description = "The process is up", body = HealthResponse))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse {
        status: "ok".into(),
    })
}

/// The database is reachable and migrated, and the server is not shutting down: it can take
/// traffic.
#[utoipa::path(
    tag = "operations",
    operation_id = "get_readiness",
    responses(
        (status = 200, description = "Ready", body = HealthResponse),
        (status = 503, description = "Not ready", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(
    service: web::Data<Service>,
    draining: web::Data<Draining>,
) -> Result<HttpResponse, ApiError> {
    if draining.is_draining() {
        return Err(ApiError::new(
            ErrorCode::NotReady,
            "the server is shutting down",
        ));
    }
    service.ready().await?;
    Ok(HttpResponse::Ok().json(HealthResponse {
        status: "ok".into(),
    }))
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(
    tag = "operations",
    operation_id = "get_openapi",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = relman_wire::schemas::OpenApiDocument))
)]
#[get("/openapi.json")]
pub async fn openapi_json(docs: web::Data<ApiDocuments>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(docs.json.clone())
}

/// A readable API reference page, self-contained.
#[utoipa::path(
    tag = "operations",
    operation_id = "get_docs",
    responses((status = 200, description = "The API reference", content_type = "text/html", body = String))
)]
#[get("/docs")]
pub async fn docs_page(docs: web::Data<ApiDocuments>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(docs.html.clone())
}
