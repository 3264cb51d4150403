//! `/api/v1/registry-integrations`.

use actix_web::{HttpResponse, delete, get, post, put, web};
use relman_service::Service;

use crate::auth::Principal;
use crate::convert::{IntoInput, IntoWire};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::handlers::created;
use relman_wire::integrations::{
    CreateIntegrationRequest, IntegrationResponse, UpdateIntegrationRequest,
};

/// Registers a container registry.
#[utoipa::path(
    tag = "registry-integrations",
    operation_id = "create_registry_integration",
    request_body = CreateIntegrationRequest,
    responses(
        (status = 201, description = "Created", body = IntegrationResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/registry-integrations")]
pub async fn create_registry_integration(
    who: Principal,
    service: web::Data<Service>,
    JsonBody(body): JsonBody<CreateIntegrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let i = service
        .create_integration(&who.as_actor(), body.into_input())
        .await?;
    let location = format!("/api/v1/registry-integrations/{}", i.id);
    Ok(created(location, &IntegrationResponse::from(&i)))
}

/// Lists registry integrations, by name.
#[utoipa::path(
    tag = "registry-integrations",
    operation_id = "list_registry_integrations",
    responses(
        (status = 200, description = "All integrations", body = Vec<IntegrationResponse>),
    ),
    security(("bearer" = []))
)]
#[get("/registry-integrations")]
pub async fn list_registry_integrations(
    _who: Principal,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let list: Vec<IntegrationResponse> = service
        .list_integrations()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// Gets one integration by UUID or name.
#[utoipa::path(
    tag = "registry-integrations",
    operation_id = "get_registry_integration",
    params(("id" = String, Path, description = "Integration UUID or name")),
    responses(
        (status = 200, description = "The integration", body = IntegrationResponse),
        (status = 404, description = "No such integration", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/registry-integrations/{id}")]
pub async fn get_registry_integration(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(IntegrationResponse::from(
        service.integration_summary(&id).await?,
    )))
}

/// Changes an integration; absent fields keep their value.
#[utoipa::path(
    tag = "registry-integrations",
    operation_id = "update_registry_integration",
    params(("id" = String, Path, description = "Integration UUID or name")),
    request_body = UpdateIntegrationRequest,
    responses(
        (status = 200, description = "The updated integration", body = IntegrationResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such integration", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new name is taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/registry-integrations/{id}")]
pub async fn update_registry_integration(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<UpdateIntegrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let i = service
        .update_integration(&who.as_actor(), &id, body.into_input())
        .await?;
    Ok(HttpResponse::Ok().json(IntegrationResponse::from(&i)))
}

/// Deletes an integration; refused while a component uses it.
#[utoipa::path(
    tag = "registry-integrations",
    operation_id = "delete_registry_integration",
    params(("id" = String, Path, description = "Integration UUID or name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such integration", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A component uses it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/registry-integrations/{id}")]
pub async fn delete_registry_integration(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    service.delete_integration(&who.as_actor(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Checks reachability and credentials (`GET /v2/`, with the token flow when the registry asks).
/// Answers 200 either way; `ok` and `stage` say what failed.
#[utoipa::path(
    tag = "registry-integrations",
    operation_id = "test_registry_integration",
    params(("id" = String, Path, description = "Integration UUID or name")),
    responses(
        (status = 200, description = "The check's outcome", body = relman_wire::integrations::IntegrationTestResponse),
        (status = 404, description = "No such integration", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/registry-integrations/{id}/test")]
pub async fn test_registry_integration(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let check = service.test_integration(&id).await?;
    let body: relman_wire::integrations::IntegrationTestResponse = check.into_wire();
    Ok(HttpResponse::Ok().json(body))
}
