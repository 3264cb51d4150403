//! `/api/v1/signing-keys` and a release's `attestation` and `attachments`.

use actix_web::{HttpResponse, get, post, web};
use relman_service::Service;

use crate::auth::Principal;
use crate::convert::IntoWire;
use crate::error::{ApiError, Problem};
use relman_wire::signing::{AttachmentResponse, EnvelopeResponse, SigningKeyResponse};

/// The signing keys: the active one and every retired one, whose signatures still verify.
#[utoipa::path(
    tag = "signing",
    operation_id = "list_signing_keys",
    responses((status = 200, description = "Active key first, then retired keys, newest first", body = Vec<SigningKeyResponse>)),
    security(("bearer" = []))
)]
#[get("/signing-keys")]
pub async fn list_signing_keys(
    _who: Principal,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let keys: Vec<SigningKeyResponse> = service
        .signing_keys()
        .await?
        .into_iter()
        .map(IntoWire::into_wire)
        .collect();
    Ok(HttpResponse::Ok().json(keys))
}

/// Makes a new active signing key; the current one is retired and stays listed.
#[utoipa::path(
    tag = "signing",
    operation_id = "rotate_signing_key",
    responses(
        (status = 201, description = "The new active key", body = SigningKeyResponse),
        (status = 409, description = "Concurrent rotations kept winning (`concurrent_update`); retry", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/signing-keys/rotate")]
pub async fn rotate_signing_key(
    who: Principal,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let key = service.rotate_signing_key(&who.as_actor()).await?;
    Ok(HttpResponse::Created().json(key.into_wire()))
}

/// The release's signed attestation: a DSSE envelope of an in-toto Statement v1, written when
/// the release left draft and never changed since.
#[utoipa::path(
    tag = "signing",
    operation_id = "get_release_attestation",
    params(("id" = String, Path, description = "Release UUID or name")),
    responses(
        (status = 200, description = "The envelope, byte for byte as stored", body = EnvelopeResponse),
        (status = 404, description = "No such release (`not_found`), or a draft (`not_signed`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/releases/{id}/attestation")]
pub async fn get_release_attestation(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let attestation = service.attestation(&id).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(attestation.envelope))
}

/// Where the release's attestation was pushed next to its member images (registry
/// integrations with `pushAttestations`), and how each push went.
#[utoipa::path(
    tag = "signing",
    operation_id = "list_release_attachments",
    params(("id" = String, Path, description = "Release UUID or name")),
    responses(
        (status = 200, description = "One per member image on a registry that takes attachments", body = Vec<AttachmentResponse>),
        (status = 404, description = "No such release", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/releases/{id}/attachments")]
pub async fn list_release_attachments(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let list: Vec<AttachmentResponse> = service
        .attachments(&id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// Pushes every attachment that is not in its registry yet (a failed one again).
#[utoipa::path(
    tag = "signing",
    operation_id = "push_release_attachments",
    params(("id" = String, Path, description = "Release UUID or name")),
    responses(
        (status = 200, description = "Every attachment is pushed", body = Vec<AttachmentResponse>),
        (status = 404, description = "No such release (`not_found`), or a draft (`not_signed`)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "A push failed (`attachment_failed`); the state is in `GET …/attachments`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/attachments/push")]
pub async fn push_release_attachments(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let list: Vec<AttachmentResponse> = service
        .push_attachments(&who.as_actor(), &id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(list))
}
