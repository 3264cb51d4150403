//! `/api/v1/components/{id}/aliases`: floating tags.

use actix_web::{HttpResponse, get, post, web};
use relman_service::Service;

use crate::auth::Principal;
use crate::convert::IntoWire;
use crate::error::{ApiError, Problem};
use crate::extract::OptionalJsonBody;
use relman_wire::aliases::{AliasResponse, ApplyAliasesRequest, ApplyAliasesResponse};

/// The component's floating tags (`latest`, `vX`, `vX.Y`, `vX.Y.Z`) computed from its stable,
/// unyanked, present versions; `latest` is left out when the component's `latestAlias` is
/// `unmanaged`. Prereleases never float; a backport moves only its own major and minor.
#[utoipa::path(
    tag = "components",
    operation_id = "list_component_aliases",
    params(("id" = String, Path, description = "Component UUID or name")),
    responses(
        (status = 200, description = "Aliases in tree order: latest, v2, v2.3, v2.3.1, …", body = Vec<AliasResponse>),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/components/{id}/aliases")]
pub async fn list_component_aliases(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let aliases: Vec<AliasResponse> = service
        .aliases(&id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(aliases))
}

/// Pushes the aliases to the component's registry repository: each alias tag that serves
/// another digest is re-put with the target manifest's exact bytes (no blobs move), and each
/// move is audited. `dryRun` only reads. Needs push rights on the repository.
#[utoipa::path(
    tag = "components",
    operation_id = "apply_component_aliases",
    params(("id" = String, Path, description = "Component UUID or name")),
    request_body(content = Option<ApplyAliasesRequest>, description = "Optional"),
    responses(
        (status = 200, description = "What each alias did (`created`, `moved`, `unchanged`)", body = ApplyAliasesResponse),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such component", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The component has no registry integration", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "`alias_push_failed`: the registry refused or failed an alias, named in `detail`; the aliases before it were pushed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/components/{id}/aliases/apply")]
pub async fn apply_component_aliases(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<ApplyAliasesRequest>,
) -> Result<HttpResponse, ApiError> {
    let dry_run = body.unwrap_or_default().dry_run;
    let applied = service.apply_aliases(&who.as_actor(), &id, dry_run).await?;
    Ok(HttpResponse::Ok().json(ApplyAliasesResponse {
        dry_run,
        aliases: applied.into_iter().map(IntoWire::into_wire).collect(),
    }))
}
