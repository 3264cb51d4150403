//! `/api/v1/tokens`: scoped API tokens (admin only, like everything that hands out access).

use actix_web::{HttpResponse, delete, get, post, web};
use relman_service::Service;

use crate::auth::Principal;
use crate::convert::IntoInput;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use relman_wire::tokens::{
    CreateTokenRequest, CreatedTokenResponse, TokenResponse, WhoAmIResponse,
};

/// Creates a token. The answer is the only place its secret ever appears.
#[utoipa::path(
    tag = "tokens",
    operation_id = "create_token",
    request_body = CreateTokenRequest,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = CreatedTokenResponse,
         headers(("Location" = String, description = "The new token's URL"))),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A live token has this name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tokens")]
pub async fn create_token(
    who: Principal,
    service: web::Data<Service>,
    JsonBody(body): JsonBody<CreateTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let issued = service
        .create_token(&who.as_actor(), body.into_input())
        .await?;
    let location = format!("/api/v1/tokens/{}", issued.token.id);
    Ok(crate::handlers::created(
        location,
        &CreatedTokenResponse {
            token: issued.token.into(),
            secret: issued.secret,
        },
    ))
}

/// Lists the live (not revoked) tokens, newest first. Never shows a secret.
#[utoipa::path(
    tag = "tokens",
    operation_id = "list_tokens",
    responses((status = 200, description = "The live tokens", body = Vec<TokenResponse>))
)]
#[get("/tokens")]
pub async fn list_tokens(
    _who: Principal,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let tokens: Vec<TokenResponse> = service
        .list_tokens()
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(HttpResponse::Ok().json(tokens))
}

/// One live token by id; a revoked token is not found.
#[utoipa::path(
    tag = "tokens",
    operation_id = "get_token",
    params(("id" = uuid::Uuid, Path, description = "Token id")),
    responses(
        (status = 200, description = "The token", body = TokenResponse),
        (status = 404, description = "No such live token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tokens/{id}")]
pub async fn get_token(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(TokenResponse::from(service.token(&id).await?)))
}

/// Revokes a token: from this answer on, it authenticates nothing.
#[utoipa::path(
    tag = "tokens",
    operation_id = "delete_token",
    params(("id" = uuid::Uuid, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such live token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/tokens/{id}")]
pub async fn delete_token(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    service.revoke_token(&who.as_actor(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who the request's token belongs to, and what it may do: a check that a token works.
#[utoipa::path(
    tag = "tokens",
    operation_id = "whoami",
    responses(
        (status = 200, description = "The token's holder and scope", body = WhoAmIResponse),
        (status = 401, description = "No token, or not a valid one", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/whoami")]
pub async fn whoami(who: Principal) -> HttpResponse {
    HttpResponse::Ok().json(WhoAmIResponse {
        actor: who.actor,
        scope: who.scope.into(),
    })
}
