//! `/api/v1/releases/{id}/generate-notes`.

use actix_web::{HttpResponse, post, web};
use relman_service::Service;

use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::OptionalJsonBody;
use relman_wire::release_notes::{GenerateNotesRequest, GeneratedNotesResponse};

/// Writes release notes from what changed since the previous release: components changed
/// (from→to version and digest, with a link to the source revision range when both images carry
/// `org.opencontainers.image.source` and `.revision` labels: the compare view on GitHub, GitLab
/// and Gitea, both revisions otherwise), added and removed. With `apply: true` the notes
/// replace the release's `notes`. The body may be omitted.
#[utoipa::path(
    tag = "releases",
    operation_id = "generate_release_notes",
    params(("id" = String, Path, description = "Release UUID or name")),
    request_body(content = Option<GenerateNotesRequest>, description = "Optional"),
    responses(
        (status = 200, description = "The generated notes", body = GeneratedNotesResponse),
        (status = 400, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release, or no such `previous` release", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`apply` raced another change of the release; retry", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/generate-notes")]
pub async fn generate_release_notes(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<GenerateNotesRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.unwrap_or_default();
    let apply = body.apply.unwrap_or(false);
    let generated = service
        .generate_release_notes(&who.as_actor(), &id, body.previous.as_deref(), apply)
        .await?;
    let latest = service.latest_release_id().await?;
    Ok(HttpResponse::Ok().json(crate::convert::generated_notes(generated, apply, latest)))
}
