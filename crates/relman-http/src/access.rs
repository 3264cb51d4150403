//! Who may call what: the public routes named in one place, the scope every other operation
//! needs, and the middleware that enforces both for every request.
//!
//! Deny by default: the middleware wraps the whole application, so a route is authenticated unless
//! [`PUBLIC_PATHS`] names it, and it needs the scope [`required_scope`] gives its method and path.
//! The OpenAPI document is written from the same function (`security` with the scope on every
//! operation), so what the document promises is what the server enforces; a test walks every
//! operation of the document against the running app to prove it.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};
use relman_domain::{Actor, Scope};
use relman_service::Service;

use crate::auth::{Authenticator, Principal};
use crate::error::ApiError;
use crate::metrics::{METRICS_PATH, MetricsPublic};
use crate::rate_limit::{RateLimits, add_budget_headers};
use crate::request_id::RequestId;
use crate::route_table::matched_template;
use relman_wire::ErrorCode;

/// Paths anyone may call, without a token.
pub const PUBLIC_PATHS: &[&str] = &[
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/docs",
    // Registries cannot hold API tokens: the integration's event secret authenticates them.
    "/api/v1/registry-integrations/{id}/events",
];

/// The web dashboard: its pages authenticate by their own session cookie (`relman-ui`), never by
/// bearer token, and are not API operations.
pub const UI_PREFIX: &str = "/ui";

/// The site icon browsers ask for at the root; the dashboard serves it, to anyone.
pub const FAVICON_PATH: &str = "/favicon.ico";

/// Whether `path` is the dashboard's (its pages, files and the site icon).
pub fn is_ui_path(path: &str) -> bool {
    path == FAVICON_PATH
        || path
            .strip_prefix(UI_PREFIX)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The update feeds: public unless the operator turns [`crate::FeedsPublic`] off, when they need
/// `read`. The document states the default.
pub const FEEDS_PREFIX: &str = "/updates/v1/";

/// Path prefixes whose every operation needs `admin`: they hand out access or hold secrets.
const ADMIN_PREFIXES: &[&str] = &[
    "/api/v1/tokens",
    "/api/v1/registry-integrations",
    "/api/v1/audit-events",
    "/api/v1/webhooks",
];

/// Single operations that need `admin` on paths others may read.
const ADMIN_OPERATIONS: &[(&str, &str)] = &[("POST", "/api/v1/signing-keys/rotate")];

/// The scope an operation needs, or `None` for a public one. `template` is the operation's path
/// template as the OpenAPI document writes it (`/api/v1/releases/{id}`).
pub fn required_scope(method: &str, template: &str) -> Option<Scope> {
    if PUBLIC_PATHS.contains(&template) || template.starts_with(FEEDS_PREFIX) {
        return None;
    }
    if ADMIN_PREFIXES.iter().any(|p| template.starts_with(p))
        || ADMIN_OPERATIONS.contains(&(method, template))
    {
        return Some(Scope::Admin);
    }
    Some(match method {
        "GET" | "HEAD" => Scope::Read,
        _ => Scope::Write,
    })
}

/// Middleware: authenticates every non-public request, checks its scope, applies the token's rate
/// limit, and puts the [`Principal`] in the request's extensions for handlers. Refusals (401, 403)
/// are recorded in the audit trail, never with the secret.
pub async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, Error> {
    let template = matched_template(&req);
    let path = req.path();
    // An unknown path is public only if its literal path is; otherwise it needs a token like any
    // API path, so that probing reveals nothing without one.
    let needed = match template.as_deref() {
        // The one rule set at run time: operators may open `/metrics` to scrapers without a
        // token. The document states the default (`read`), which `required_scope` gives.
        Some(t) if t == METRICS_PATH && metrics_public(&req) => None,
        Some(t) if t.starts_with(FEEDS_PREFIX) && !feeds_public(&req) => Some(Scope::Read),
        Some(t) => required_scope(req.method().as_str(), t),
        None if PUBLIC_PATHS.contains(&path) || is_ui_path(path) => None,
        None => Some(Scope::Read),
    };
    let Some(needed) = needed else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let (Some(auth), Some(service)) = (
        req.app_data::<web::Data<Authenticator>>().cloned(),
        req.app_data::<web::Data<Service>>().cloned(),
    ) else {
        return refuse(
            req,
            ApiError::unauthenticated("authentication is not configured"),
        );
    };
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    // Written out only for a refusal: an accepted request needs no audit text.
    let what = || {
        format!(
            "{} {}",
            req.method(),
            template.as_deref().unwrap_or(req.path())
        )
    };
    let audit = |name: String| Actor {
        name,
        request_id: request_id.clone(),
    };
    let presented = bearer(&req);
    let identity = match presented {
        None => Err(("anonymous".to_owned(), "no bearer token")),
        Some(secret) => match auth.identify(&service, &secret).await {
            Ok(identity) => identity,
            Err(e) => return refuse(req, e),
        },
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err((claimed, why)) => {
            record(&service, &audit(claimed), &what(), why).await;
            return refuse(
                req,
                ApiError::unauthenticated(
                    "send 'Authorization: Bearer <token>' with a valid token",
                ),
            );
        }
    };
    if !identity.grants(needed) {
        record(
            &service,
            &audit(identity.actor_name()),
            &what(),
            &format!("needs the {} scope", needed.as_str()),
        )
        .await;
        return refuse(
            req,
            ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "this operation needs a token with the '{}' scope",
                    needed.as_str()
                ),
            ),
        );
    }
    let budget = match req
        .app_data::<web::Data<RateLimits>>()
        .map(|l| l.check(&identity))
    {
        Some(Err(e)) => return refuse(req, e),
        Some(Ok(budget)) => budget,
        None => None,
    };
    let principal = Principal {
        actor: identity.actor_name(),
        request_id,
        scope: identity.scope(),
    };
    req.extensions_mut().insert(principal);
    let mut res = next.call(req).await?;
    if let Some(budget) = budget {
        add_budget_headers(res.headers_mut(), budget);
    }
    Ok(res.map_into_left_body())
}

/// Whether the operator made `/metrics` public.
fn metrics_public(req: &ServiceRequest) -> bool {
    req.app_data::<web::Data<MetricsPublic>>()
        .is_some_and(|p| p.0)
}

/// Whether the feeds are public (the default when the app has no setting).
fn feeds_public(req: &ServiceRequest) -> bool {
    req.app_data::<web::Data<crate::FeedsPublic>>()
        .is_none_or(|p| p.0)
}

/// The bearer token of a request, if it sent one.
fn bearer(req: &ServiceRequest) -> Option<String> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

async fn record(service: &Service, actor: &Actor, what: &str, why: &str) {
    if let Err(e) = service.record_refusal(actor, what, why).await {
        tracing::warn!(error = %e, "could not record a refused request");
    }
}

fn refuse<B>(
    req: ServiceRequest,
    error: ApiError,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let response = error.error_response();
    Ok(req.into_response(response).map_into_right_body())
}

/// Writes each operation's access rule into the API document: `security: []` on public
/// operations; on the others, the bearer scheme with the scope [`required_scope`] gives, and the
/// 401, 403 and 429 answers the middleware can give.
pub(crate) fn document(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::SecurityRequirement;
    for (path, item) in &mut api.paths.paths {
        for (method, op) in crate::openapi_extras::operations_mut(item) {
            match required_scope(method, path) {
                None => op.security = Some(Vec::new()),
                Some(scope) => {
                    op.security = Some(vec![SecurityRequirement::new("bearer", [scope.as_str()])]);
                    let responses = &mut op.responses.responses;
                    for (status, description) in [
                        (
                            "401",
                            "Missing, unknown, revoked or expired token".to_owned(),
                        ),
                        (
                            "403",
                            format!("The token lacks the '{}' scope", scope.as_str()),
                        ),
                        (
                            "429",
                            "The token's request rate is exceeded; see Retry-After".to_owned(),
                        ),
                    ] {
                        responses
                            .entry(status.to_owned())
                            .or_insert_with(|| crate::problem_response(&description).into());
                    }
                }
            }
        }
    }
}
