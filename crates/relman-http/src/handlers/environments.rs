//! `/api/v1/environments`.

use actix_web::{HttpResponse, delete, get, post, put, web};
use relman_service::Service;

use crate::auth::Principal;
use crate::convert::IntoInput;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::handlers::created;
use relman_wire::environments::{
    CreateEnvironmentRequest, EnvironmentResponse, UpdateEnvironmentRequest,
};
use relman_wire::releases::ReleaseResponse;

/// Creates an environment.
#[utoipa::path(
    tag = "environments",
    operation_id = "create_environment",
    request_body = CreateEnvironmentRequest,
    responses(
        (status = 201, description = "Created", body = EnvironmentResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name (`name_exists`) or the order (`order_exists`) is taken", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/environments")]
pub async fn create_environment(
    who: Principal,
    service: web::Data<Service>,
    JsonBody(body): JsonBody<CreateEnvironmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let env = service
        .create_environment(&who.as_actor(), body.into_input())
        .await?;
    let location = format!("/api/v1/environments/{}", env.id);
    Ok(created(location, &EnvironmentResponse::from(env)))
}

/// Lists every environment, in promotion order.
#[utoipa::path(
    tag = "environments",
    operation_id = "list_environments",
    responses(
        (status = 200, description = "All environments, by `order`", body = Vec<EnvironmentResponse>),
    ),
    security(("bearer" = []))
)]
#[get("/environments")]
pub async fn list_environments(
    _who: Principal,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let list: Vec<EnvironmentResponse> = service
        .list_environments()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// Gets one environment by UUID or name.
#[utoipa::path(
    tag = "environments",
    operation_id = "get_environment",
    params(("id" = String, Path, description = "Environment UUID or name")),
    responses(
        (status = 200, description = "The environment", body = EnvironmentResponse),
        (status = 404, description = "No such environment", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/environments/{id}")]
pub async fn get_environment(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let env = service.environment(&id).await?;
    Ok(HttpResponse::Ok().json(EnvironmentResponse::from(env)))
}

/// Changes an environment; absent fields keep their value.
#[utoipa::path(
    tag = "environments",
    operation_id = "update_environment",
    params(("id" = String, Path, description = "Environment UUID or name")),
    request_body = UpdateEnvironmentRequest,
    responses(
        (status = 200, description = "The updated environment", body = EnvironmentResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such environment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new name (`name_exists`) or order (`order_exists`) is taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/environments/{id}")]
pub async fn update_environment(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<UpdateEnvironmentRequest>,
) -> Result<HttpResponse, ApiError> {
    let env = service
        .update_environment(&who.as_actor(), &id, body.into_input())
        .await?;
    Ok(HttpResponse::Ok().json(EnvironmentResponse::from(env)))
}

/// Deletes an environment; refused once it has deployment history.
#[utoipa::path(
    tag = "environments",
    operation_id = "delete_environment",
    params(("id" = String, Path, description = "Environment UUID or name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such environment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It has deployment history (`in_use`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/environments/{id}")]
pub async fn delete_environment(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    service.delete_environment(&who.as_actor(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The release running in an environment now: the release of its latest successful deployment.
#[utoipa::path(
    tag = "environments",
    operation_id = "get_current_release",
    params(("id" = String, Path, description = "Environment UUID or name")),
    responses(
        (status = 200, description = "The release running there", body = ReleaseResponse),
        (status = 404, description = "No such environment, or nothing runs there", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/environments/{id}/current")]
pub async fn get_current_release(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let release = service.current_release(&id).await?;
    let latest = service.latest_release_id().await?;
    Ok(HttpResponse::Ok().json(ReleaseResponse::new(release, latest)))
}
