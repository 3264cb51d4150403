//! `/api/v1/registry-integrations/{id}/events`: registries announce pushes (open, authenticated
//! by the integration's event secret), and `/event-secret` hands that secret out (admin).

use actix_web::{HttpRequest, HttpResponse, post, web};
use relman_service::{PushAuth, Service};
use relman_wire::push_events::{EventSecretResponse, PushEventParams, PushReceiptResponse};

use crate::auth::Principal;
use crate::error::{ApiError, Problem};

/// Generates the integration's push-event secret, replacing any earlier one at once. The answer
/// is the only place it appears.
#[utoipa::path(
    tag = "registry-integrations",
    operation_id = "rotate_registry_event_secret",
    params(("id" = String, Path, description = "Integration UUID or name")),
    responses(
        (status = 200, description = "The new secret, shown this once, and where to send events", body = EventSecretResponse),
        (status = 404, description = "No such integration", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/registry-integrations/{id}/event-secret")]
pub async fn rotate_registry_event_secret(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let issued = service.rotate_event_secret(&who.as_actor(), &id).await?;
    Ok(HttpResponse::Ok().json(EventSecretResponse {
        secret: issued.secret,
        endpoint: format!(
            "/api/v1/registry-integrations/{}/events",
            issued.integration_id
        ),
    }))
}

/// A registry's push notification: CNCF distribution (`application/vnd.docker.distribution.events.v1+json`),
/// Harbor `PUSH_ARTIFACT`, GitHub `registry_package` or Docker Hub. Authenticated by the
/// integration's event secret (bearer, `X-Hub-Signature-256`, or `?secret=`). Answered at once;
/// the named tags of tracked components are then re-resolved with the registry.
#[utoipa::path(
    tag = "registry-integrations",
    operation_id = "receive_registry_events",
    params(("id" = String, Path, description = "Integration UUID or name"), PushEventParams,
        ("X-Hub-Signature-256" = Option<String>, Header, description = "`sha256=<hex HMAC-SHA256 of the body>` keyed with the event secret")),
    request_body(content(
        (serde_json::Value = "application/json"),
        (serde_json::Value = "application/vnd.docker.distribution.events.v1+json"),
    ), description = "The registry's notification body, as it sends it"),
    responses(
        (status = 202, description = "Taken; pushed tags of tracked components are re-resolved in the background", body = PushReceiptResponse),
        (status = 400, description = "Not a notification relman knows", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The event secret was not proven", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such integration", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/registry-integrations/{id}/events")]
pub async fn receive_registry_events(
    req: HttpRequest,
    service: web::Data<Service>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let query = web::Query::<PushEventParams>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let bearer = header("authorization").and_then(|v| v.strip_prefix("Bearer "));
    let auth = PushAuth {
        bearer,
        hub_signature: header("x-hub-signature-256"),
        query_secret: query.secret.as_deref(),
    };
    let receipt = service.receive_push(&id, auth, &body).await?;
    Ok(HttpResponse::Accepted().json(PushReceiptResponse {
        accepted: receipt.accepted as u64,
        ignored: receipt.ignored as u64,
    }))
}
