//! Promotions and `/api/v1/deployments`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use relman_service::Service;

use crate::auth::Principal;
use crate::convert::{IntoInput, IntoWire};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::handlers::created;
use crate::link::add_next_link;
use relman_wire::deployments::{
    CompleteDeploymentRequest, DeploymentListParams, DeploymentListResponse, DeploymentResponse,
    PromoteRequest,
};

/// Promotes a release to an environment: opens a deployment there (status `in_progress`) and
/// moves the release to `promoting`. A CD tool performs it and reports with
/// `POST /deployments/{id}/complete`.
#[utoipa::path(
    tag = "deployments",
    operation_id = "promote_release",
    params(("id" = String, Path, description = "Release UUID or name")),
    request_body = PromoteRequest,
    responses(
        (status = 201, description = "The deployment, in progress", body = DeploymentResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release or environment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: `release_not_ready` (draft), `release_deprecated`, `previous_environment_required`, `deployment_in_progress` (another deployment to the environment is open), `concurrent_update`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/promote")]
pub async fn promote_release(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<PromoteRequest>,
) -> Result<HttpResponse, ApiError> {
    let deployment = service
        .promote_release(&who.as_actor(), &id, &body.environment_id)
        .await?;
    let location = format!("/api/v1/deployments/{}", deployment.deployment.id);
    Ok(created(location, &DeploymentResponse::from(deployment)))
}

/// Finishes a deployment. `succeeded`: the release runs in the environment and the one before
/// it there is superseded; the release becomes `deployed`. `failed`: what ran there still runs;
/// the release returns to `ready`, or stays `deployed` if it ever ran anywhere.
#[utoipa::path(
    tag = "deployments",
    operation_id = "complete_deployment",
    params(("id" = String, Path, description = "Deployment UUID")),
    request_body = CompleteDeploymentRequest,
    responses(
        (status = 200, description = "The finished deployment", body = DeploymentResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such deployment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already completed (`deployment_completed`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/deployments/{id}/complete")]
pub async fn complete_deployment(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<CompleteDeploymentRequest>,
) -> Result<HttpResponse, ApiError> {
    let deployment = service
        .complete_deployment(&who.as_actor(), &id, body.into_input())
        .await?;
    Ok(HttpResponse::Ok().json(DeploymentResponse::from(deployment)))
}

/// Lists deployment history, newest first, one page at a time.
#[utoipa::path(
    tag = "deployments",
    operation_id = "list_deployments",
    params(DeploymentListParams),
    responses(
        (status = 200, description = "One page of deployments", body = DeploymentListResponse),
        (status = 400, description = "Invalid paging (`pageSize` 1-100, `page` from 1, a `cursor` of this list and not with `page`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The `environmentId` or `releaseId` filter names nothing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/deployments")]
pub async fn list_deployments(
    _who: Principal,
    req: HttpRequest,
    service: web::Data<Service>,
    QueryParams(params): QueryParams<DeploymentListParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service.list_deployments(params.into_input()).await?;
    let mut response = HttpResponse::Ok();
    add_next_link(&mut response, &req, page.next_cursor.as_deref());
    Ok(response.json(page.into_wire()))
}

/// Gets one deployment.
#[utoipa::path(
    tag = "deployments",
    operation_id = "get_deployment",
    params(("id" = String, Path, description = "Deployment UUID")),
    responses(
        (status = 200, description = "The deployment", body = DeploymentResponse),
        (status = 404, description = "No such deployment", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/deployments/{id}")]
pub async fn get_deployment(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let deployment = service.deployment(&id).await?;
    Ok(HttpResponse::Ok().json(DeploymentResponse::from(deployment)))
}
