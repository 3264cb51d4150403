//! `/api/v1/version-maps`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use relman_service::{Service, VersionList};

use crate::auth::Principal;
use crate::convert::IntoInput;
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::link::add_next_link;
use relman_wire::versions::{CreateVersionMapRequest, VersionMapParams, VersionResponse};

/// Assigns a semver and channel to a tag; replaces an earlier mapping of the same tag.
#[utoipa::path(
    tag = "version-maps",
    operation_id = "create_version_map",
    request_body = CreateVersionMapRequest,
    responses(
        (status = 201, description = "Created", body = VersionResponse),
        (status = 200, description = "Replaced the mapping of an already known tag", body = VersionResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No digest given and the registry does not have the tag (`unresolvable_version`)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "No digest given and the registry failed while resolving the tag", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/version-maps")]
pub async fn create_version_map(
    who: Principal,
    service: web::Data<Service>,
    JsonBody(body): JsonBody<CreateVersionMapRequest>,
) -> Result<HttpResponse, ApiError> {
    let (version, created) = service
        .create_version_map(&who.as_actor(), body.into_input())
        .await?;
    let mut res = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(res.json(VersionResponse::from(version)))
}

/// Lists version maps (synced and manual), newest semver first.
#[utoipa::path(
    tag = "version-maps",
    operation_id = "list_version_maps",
    params(VersionMapParams),
    responses(
        (status = 200, description = "Version maps, newest first; one page of at most `limit`", body = Vec<VersionResponse>),
        (status = 400, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/version-maps")]
pub async fn list_version_maps(
    _who: Principal,
    service: web::Data<Service>,
    QueryParams(params): QueryParams<VersionMapParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = service.list_version_maps(params.into_input()).await?;
    Ok(version_page(&req, page))
}

/// A page of versions as the seed's plain JSON array, with the next page in a `Link` header.
pub(crate) fn version_page(req: &HttpRequest, page: VersionList) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    add_next_link(&mut res, req, page.next_cursor.as_deref());
    let list: Vec<VersionResponse> = page.items.into_iter().map(Into::into).collect();
    res.json(list)
}
