//! `/api/v1/components/{id}/versions/{tag}/yank` and `…/unyank`.

use actix_web::{HttpResponse, post, web};
use relman_service::Service;

use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::OptionalJsonBody;
use relman_wire::versions::{VersionResponse, YankRequest};

/// Yanks a version: it stays readable and stays in the releases that pinned it, but no
/// channel resolution, `from-latest`, alias or feed picks it from now on. Yanking again replaces
/// the reason. The body may be omitted.
#[utoipa::path(
    tag = "components",
    operation_id = "yank_component_version",
    params(
        ("id" = String, Path, description = "Component UUID or name"),
        ("tag" = String, Path, description = "The version's tag"),
    ),
    request_body(content = Option<YankRequest>, description = "Optional"),
    responses(
        (status = 200, description = "The yanked version", body = VersionResponse),
        (status = 400, description = "Invalid reason", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such component or tag", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/components/{id}/versions/{tag}/yank")]
pub async fn yank_component_version(
    who: Principal,
    service: web::Data<Service>,
    path: web::Path<(String, String)>,
    OptionalJsonBody(body): OptionalJsonBody<YankRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, tag) = path.into_inner();
    let reason = body.unwrap_or_default().reason;
    let v = service
        .yank_version(&who.as_actor(), &id, &tag, reason)
        .await?;
    Ok(HttpResponse::Ok().json(VersionResponse::from(v)))
}

/// Takes a yank back: the version resolves, floats and appears in feeds again.
#[utoipa::path(
    tag = "components",
    operation_id = "unyank_component_version",
    params(
        ("id" = String, Path, description = "Component UUID or name"),
        ("tag" = String, Path, description = "The version's tag"),
    ),
    responses(
        (status = 200, description = "The version, no longer yanked", body = VersionResponse),
        (status = 404, description = "No such component or tag", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/components/{id}/versions/{tag}/unyank")]
pub async fn unyank_component_version(
    who: Principal,
    service: web::Data<Service>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, tag) = path.into_inner();
    let v = service.unyank_version(&who.as_actor(), &id, &tag).await?;
    Ok(HttpResponse::Ok().json(VersionResponse::from(v)))
}
