//! `/api/v1/releases`.
//!
//! `/releases/latest` and `/releases/from-latest` are registered before `/releases/{id}` (see
//! `routes()`), and release names `latest` and `from-latest` are refused, so neither path can be
//! taken for a release's id or name.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use relman_domain::Scope;
use relman_service::Service;

use crate::auth::Principal;
use crate::convert::{IntoInput, IntoWire};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, OptionalJsonBody, QueryParams};
use crate::handlers::created;
use crate::link::add_next_link;
use crate::release_bodies::ReleaseBodies;
use relman_wire::enums::ReleaseStatusName;
use relman_wire::release_reports::{ComparisonResponse, ReleaseStateResponse};
use relman_wire::releases::{
    CreateReleaseRequest, DeprecateRequest, FromLatestRequest, ReleaseListParams,
    ReleaseListResponse, ReleaseResponse, UpdateReleaseRequest,
};

/// A freshly created (or idempotently found) release is a draft, or an existing release whose
/// latest-ness is looked up.
async fn created_or_existing(
    service: &Service,
    release: relman_domain::Release,
    is_new: bool,
) -> Result<HttpResponse, ApiError> {
    let latest = service.latest_release_id().await?;
    Ok(if is_new {
        let location = format!("/api/v1/releases/{}", release.id);
        created(location, &ReleaseResponse::new(release, latest))
    } else {
        HttpResponse::Ok().json(ReleaseResponse::new(release, latest))
    })
}

/// Creates a release bundle from member selectors. Repeating a create with the same name and the
/// same members answers 200 with the existing release.
#[utoipa::path(
    tag = "releases",
    operation_id = "create_release",
    request_body = CreateReleaseRequest,
    responses(
        (status = 201, description = "Created (status draft)", body = ReleaseResponse),
        (status = 200, description = "A release of that name with the same content already exists; it is returned", body = ReleaseResponse),
        (status = 400, description = "Invalid configuration: `validation_failed`, `empty_release`, `duplicate_component`, `member_collision`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A member's component does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name exists with different content (`name_exists`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A member cannot be resolved (`unresolvable_version`); `errors` names each member and why", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/releases")]
pub async fn create_release(
    who: Principal,
    service: web::Data<Service>,
    JsonBody(body): JsonBody<CreateReleaseRequest>,
) -> Result<HttpResponse, ApiError> {
    let (release, created) = service
        .create_release(&who.as_actor(), body.into_input())
        .await?;
    created_or_existing(&service, release, created).await
}

/// Creates a release from the latest version of each component (all, or `componentIds`) in a
/// channel (or each component's default channel).
#[utoipa::path(
    tag = "releases",
    operation_id = "create_release_from_latest",
    request_body = FromLatestRequest,
    responses(
        (status = 201, description = "Created (status draft)", body = ReleaseResponse),
        (status = 200, description = "A release of that name with the same content already exists; it is returned", body = ReleaseResponse),
        (status = 400, description = "Invalid input, no components, or a component twice", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A component does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name exists with different content", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A component has no version in the channel (`unresolvable_version`), or nothing is deployed where `pinFrom` points (`nothing_deployed`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/releases/from-latest")]
pub async fn create_release_from_latest(
    who: Principal,
    service: web::Data<Service>,
    JsonBody(body): JsonBody<FromLatestRequest>,
) -> Result<HttpResponse, ApiError> {
    let (release, created) = service
        .create_release_from_latest(&who.as_actor(), body.into_input())
        .await?;
    created_or_existing(&service, release, created).await
}

/// Lists releases, newest first, one page at a time.
#[utoipa::path(
    tag = "releases",
    operation_id = "list_releases",
    params(ReleaseListParams),
    responses(
        (status = 200, description = "One page of releases", body = ReleaseListResponse),
        (status = 400, description = "Invalid filter or paging (`pageSize` 1-100, `page` from 1, a `cursor` of this list and not with `page`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The `componentId` filter names no component", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/releases")]
pub async fn list_releases(
    _who: Principal,
    req: HttpRequest,
    service: web::Data<Service>,
    QueryParams(params): QueryParams<ReleaseListParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service.list_releases(params.into_input()).await?;
    let mut response = HttpResponse::Ok();
    add_next_link(&mut response, &req, page.next_cursor.as_deref());
    let latest = service.latest_release_id().await?;
    Ok(response.json(crate::convert::release_list(page, latest)))
}

/// Conditional-request documentation shared by the release reads.
const IF_NONE_MATCH: &str = "Entity tags the client holds (a list, or `*`); when one is the \
                             release's current `ETag`, the answer is `304` without a body";

/// The latest release: the highest `version` among releases that are neither draft, prerelease
/// nor deprecated. Semver decides, not creation time.
#[utoipa::path(
    tag = "releases",
    operation_id = "get_latest_release",
    params(("If-None-Match" = Option<String>, Header, description = IF_NONE_MATCH)),
    responses(
        (status = 200, description = "The latest release", body = ReleaseResponse,
         headers(("ETag" = String, description = "Strong entity tag of the body"))),
        (status = 304, description = "`If-None-Match` names the current entity tag; no body",
         headers(("ETag" = String, description = "The current entity tag"))),
        (status = 404, description = "No release qualifies", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/releases/latest")]
pub async fn get_latest_release(
    _who: Principal,
    service: web::Data<Service>,
    bodies: web::Data<ReleaseBodies>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let release = service.latest_release().await?;
    Ok(bodies.of(&release, Some(release.id))?.respond(&req))
}

/// Gets one release with its members, by UUID or name. Released (non-draft) releases are served
/// from memory; `If-None-Match` with the current `ETag` answers `304`.
#[utoipa::path(
    tag = "releases",
    operation_id = "get_release",
    params(
        ("id" = String, Path, description = "Release UUID or name"),
        ("If-None-Match" = Option<String>, Header, description = IF_NONE_MATCH),
    ),
    responses(
        (status = 200, description = "The release", body = ReleaseResponse,
         headers(("ETag" = String, description = "Strong entity tag of the body"))),
        (status = 304, description = "`If-None-Match` names the current entity tag; no body",
         headers(("ETag" = String, description = "The current entity tag"))),
        (status = 404, description = "No such release", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/releases/{id}")]
pub async fn get_release(
    _who: Principal,
    service: web::Data<Service>,
    bodies: web::Data<ReleaseBodies>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let release = service.release_cached(&id).await?;
    let latest = service.latest_release_id().await?;
    Ok(bodies.of(&release, latest)?.respond(&req))
}

/// Changes a release: display name, metadata, notes and status always; members, version,
/// prerelease and source reference only while it is a draft.
#[utoipa::path(
    tag = "releases",
    operation_id = "update_release",
    params(("id" = String, Path, description = "Release UUID or name")),
    request_body = UpdateReleaseRequest,
    responses(
        (status = 200, description = "The updated release", body = ReleaseResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or a new member's component does not exist", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`, or `release_immutable` for members and other frozen fields of a non-draft release", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A new member cannot be resolved", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "`attachment_failed`: the release left draft and was signed, but pushing its attestation next to a member image failed; retry with `POST /releases/{id}/attachments/push`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/releases/{id}")]
pub async fn update_release(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<UpdateReleaseRequest>,
) -> Result<HttpResponse, ApiError> {
    if body.status == Some(ReleaseStatusName::Deprecated) {
        service
            .check_release_protection(&id, who.scope == Scope::Admin)
            .await?;
    }
    let release = service
        .update_release(&who.as_actor(), &id, body.into_input())
        .await?;
    let latest = service.latest_release_id().await?;
    Ok(HttpResponse::Ok().json(ReleaseResponse::new(release, latest)))
}

/// Deletes a release: while draft, or when it was never deployed.
#[utoipa::path(
    tag = "releases",
    operation_id = "delete_release",
    params(("id" = String, Path, description = "Release UUID or name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such release", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is deployed or being deployed (`in_use`); deprecate it instead", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/releases/{id}")]
pub async fn delete_release(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    service
        .check_release_protection(&id, who.scope == Scope::Admin)
        .await?;
    service.delete_release(&who.as_actor(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deprecates a release: never promoted again and never the latest, but still readable.
#[utoipa::path(
    tag = "releases",
    operation_id = "deprecate_release",
    params(("id" = String, Path, description = "Release UUID or name")),
    request_body(content = Option<DeprecateRequest>, description = "Optional; may be omitted"),
    responses(
        (status = 200, description = "The release, now deprecated", body = ReleaseResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/deprecate")]
pub async fn deprecate_release(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<DeprecateRequest>,
) -> Result<HttpResponse, ApiError> {
    service
        .check_release_protection(&id, who.scope == Scope::Admin)
        .await?;
    let reason = body.and_then(|b| b.reason);
    let release = service
        .deprecate_release(&who.as_actor(), &id, reason)
        .await?;
    let latest = service.latest_release_id().await?;
    Ok(HttpResponse::Ok().json(ReleaseResponse::new(release, latest)))
}

/// Compares release `{id}` with release `{otherId}`: components added, removed and changed
/// (by digest) going from the first to the second.
#[utoipa::path(
    tag = "releases",
    operation_id = "compare_releases",
    params(
        ("id" = String, Path, description = "The base release (UUID or name)"),
        ("otherId" = String, Path, description = "The release to compare it with (UUID or name)"),
    ),
    responses(
        (status = 200, description = "The differences", body = ComparisonResponse),
        (status = 404, description = "No such release", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/releases/{id}/compare/{otherId}")]
pub async fn compare_releases(
    _who: Principal,
    service: web::Data<Service>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, other) = path.into_inner();
    let comparison = service.compare_releases(&id, &other).await?;
    Ok(HttpResponse::Ok().json(ComparisonResponse::from(comparison)))
}

/// Where a release is deployed, per environment.
#[utoipa::path(
    tag = "releases",
    operation_id = "get_release_state",
    params(("id" = String, Path, description = "Release UUID or name")),
    responses(
        (status = 200, description = "The release's state per environment", body = ReleaseStateResponse),
        (status = 404, description = "No such release", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/releases/{id}/state")]
pub async fn get_release_state(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let states = service.release_state(&id).await?;
    Ok(HttpResponse::Ok().json(states.into_wire()))
}
