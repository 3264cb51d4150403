//! `/api/v1/components`.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use relman_service::{Service, SyncOptions};

use crate::auth::Principal;
use crate::convert::{IntoInput, IntoWire};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, OptionalJsonBody, QueryParams};
use crate::handlers::created;
use crate::handlers::version_maps::version_page;
use crate::link::add_next_link;
use relman_wire::components::{ComponentResponse, CreateComponentRequest, UpdateComponentRequest};
use relman_wire::slice::SliceParams;
use relman_wire::sync_jobs::SyncJobResponse;
use relman_wire::versions::{
    RetagResponse, SyncParams, SyncRequest, SyncResponse, VersionResponse, VersionsParams,
};

/// Registers a container component.
#[utoipa::path(
    tag = "components",
    operation_id = "create_component",
    request_body = CreateComponentRequest,
    responses(
        (status = 201, description = "Created", body = ComponentResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/components")]
pub async fn create_component(
    who: Principal,
    service: web::Data<Service>,
    JsonBody(body): JsonBody<CreateComponentRequest>,
) -> Result<HttpResponse, ApiError> {
    let c = service
        .create_component(&who.as_actor(), body.into_input())
        .await?;
    let location = format!("/api/v1/components/{}", c.id);
    Ok(created(location, &ComponentResponse::from(c)))
}

/// Lists every component, by name.
#[utoipa::path(
    tag = "components",
    operation_id = "list_components",
    responses(
        (status = 200, description = "All components", body = Vec<ComponentResponse>),
    ),
    security(("bearer" = []))
)]
#[get("/components")]
pub async fn list_components(
    _who: Principal,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let list: Vec<ComponentResponse> = service
        .list_components()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// Gets one component by UUID or name.
#[utoipa::path(
    tag = "components",
    operation_id = "get_component",
    params(("id" = String, Path, description = "Component UUID or name")),
    responses(
        (status = 200, description = "The component", body = ComponentResponse),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/components/{id}")]
pub async fn get_component(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let c = service.component(&id).await?;
    Ok(HttpResponse::Ok().json(ComponentResponse::from(c)))
}

/// Changes a component; absent fields keep their value.
#[utoipa::path(
    tag = "components",
    operation_id = "update_component",
    params(("id" = String, Path, description = "Component UUID or name")),
    request_body = UpdateComponentRequest,
    responses(
        (status = 200, description = "The updated component", body = ComponentResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new name is taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/components/{id}")]
pub async fn update_component(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<UpdateComponentRequest>,
) -> Result<HttpResponse, ApiError> {
    let c = service
        .update_component(&who.as_actor(), &id, body.into_input())
        .await?;
    Ok(HttpResponse::Ok().json(ComponentResponse::from(c)))
}

/// Deletes a component and its versions; refused while a release references it.
#[utoipa::path(
    tag = "components",
    operation_id = "delete_component",
    params(("id" = String, Path, description = "Component UUID or name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A release references it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/components/{id}")]
pub async fn delete_component(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    service.delete_component(&who.as_actor(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists a component's versions (version maps), newest semver first.
#[utoipa::path(
    tag = "components",
    operation_id = "list_component_versions",
    params(("id" = String, Path, description = "Component UUID or name"), VersionsParams),
    responses(
        (status = 200, description = "Versions, newest first; one page of at most `limit`", body = Vec<VersionResponse>),
        (status = 400, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/components/{id}/versions")]
pub async fn list_component_versions(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    QueryParams(params): QueryParams<VersionsParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = service
        .list_component_versions(&id, params.into_input())
        .await?;
    Ok(version_page(&req, page))
}

/// Refreshes a component's versions from its registry. Incremental unless `forceRefresh`; the body
/// may be omitted. `verbose=false` reports only the versions that changed. A registry failure
/// changes nothing and answers 502. With `Prefer: respond-async` the answer is 202 at once, with
/// the sync job to poll in `Location` (a sync of the component already running is joined).
#[utoipa::path(
    tag = "components",
    operation_id = "sync_component_versions",
    params(
        ("id" = String, Path, description = "Component UUID or name"),
        SyncParams,
        ("Prefer" = Option<String>, Header, description = "`respond-async`: answer 202 with a sync job instead of waiting for the sync"),
    ),
    request_body(content = Option<SyncRequest>, description = "Optional"),
    responses(
        (status = 200, description = "Synced", body = SyncResponse),
        (status = 202, description = "Started (or joined) as a sync job; poll `Location`", body = SyncJobResponse,
            headers(
                ("Location" = String, description = "`/api/v1/sync-jobs/{id}`"),
                ("Preference-Applied" = String, description = "`respond-async`"),
            )),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The component has no registry integration", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The registry failed; nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/components/{id}/sync-versions")]
pub async fn sync_component_versions(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    QueryParams(params): QueryParams<SyncParams>,
    OptionalJsonBody(body): OptionalJsonBody<SyncRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let options = SyncOptions {
        force_refresh: body.unwrap_or_default().force_refresh,
        changes_only: params.verbose == Some(false),
    };
    if super::sync_jobs::wants_async(&req) {
        return super::sync_jobs::start(service, who.as_actor(), &id, options).await;
    }
    let report = service.sync_versions(&who.as_actor(), &id, options).await?;
    Ok(HttpResponse::Ok().json(report.into_wire()))
}

/// Lists the re-pushes syncs detected: tags seen pointing at a new digest, newest first, `limit`
/// at a time; `Link: rel="next"` leads to the older ones.
#[utoipa::path(
    tag = "components",
    operation_id = "list_component_retags",
    params(("id" = String, Path, description = "Component UUID or name"), SliceParams),
    responses(
        (status = 200, description = "Re-tags, newest first", body = Vec<RetagResponse>),
        (status = 400, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/components/{id}/retags")]
pub async fn list_component_retags(
    _who: Principal,
    req: HttpRequest,
    service: web::Data<Service>,
    id: web::Path<String>,
    QueryParams(params): QueryParams<SliceParams>,
) -> Result<HttpResponse, ApiError> {
    let slice = service.list_retags(&id, params.into_input()).await?;
    let list: Vec<RetagResponse> = slice.items.into_iter().map(Into::into).collect();
    let mut response = HttpResponse::Ok();
    add_next_link(&mut response, &req, slice.next_cursor.as_deref());
    Ok(response.json(list))
}
