//! Signing in by pasting an API token, and signing out.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, post, web};
use maud::{Markup, html};
use relman_domain::Actor;
use relman_http::Authenticator;
use relman_http::request_id::RequestId;
use relman_service::Service;
use serde::Deserialize;

use crate::error::UiError;
use crate::layout;
use crate::session::{self, SESSION_COOKIE, SESSION_LIFETIME, SIGN_IN_COOKIE, UiKeys};
use crate::viewer::{Viewer, same_origin};

/// The CSRF purpose of the sign-in form, bound to the pre-session cookie.
const PURPOSE: &str = "sign-in";
/// How long a sign-in form stays usable.
const FORM_LIFETIME: std::time::Duration = std::time::Duration::from_secs(3600);

fn form(csrf: &str, error: Option<&str>) -> Markup {
    html! {
        h1 { "Sign in" }
        form #sign-in method="post" action="/ui/sign-in" {
            p { "Paste an API token: the bootstrap admin token, or one made with "
                code { "POST /api/v1/tokens" } ". What you can do here is what the token may do." }
            @if let Some(error) = error {
                p.error { (error) }
            }
            label for="token" { "API token" }
            input #token type="password" name="token" autocomplete="off" required autofocus;
            input type="hidden" name="_csrf" value=(csrf);
            button type="submit" { "Sign in" }
        }
    }
}

/// The sign-in page; it sets the pre-session cookie its CSRF token is bound to.
#[get("/sign-in")]
pub async fn show(req: HttpRequest, keys: web::Data<UiKeys>) -> Result<HttpResponse, UiError> {
    let binding = session::random_value().ok_or_else(no_randomness)?;
    let csrf = keys.csrf_token(PURPOSE, &binding);
    let mut response = layout::ok(layout::page(None, "Sign in", form(&csrf, None)));
    let cookie = session::cookie(&req, SIGN_IN_COOKIE, binding, FORM_LIFETIME);
    let _ = response.add_cookie(&cookie);
    Ok(response)
}

fn no_randomness() -> UiError {
    UiError::page(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server has no randomness to make a session with; retry later",
    )
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    token: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// Checks the token; a good one becomes the session cookie.
#[post("/sign-in")]
pub async fn submit(
    req: HttpRequest,
    keys: web::Data<UiKeys>,
    auth: web::Data<Authenticator>,
    service: web::Data<Service>,
    form_data: web::Form<SignInForm>,
) -> Result<HttpResponse, UiError> {
    let binding = req.cookie(SIGN_IN_COOKIE).map(|c| c.value().to_owned());
    let bound = binding
        .as_deref()
        .is_some_and(|b| keys.csrf_holds(PURPOSE, b, &form_data.csrf));
    if !bound || !same_origin(&req) {
        return Err(UiError::csrf());
    }
    let token = form_data.token.trim();
    let refused = |why: &str| {
        let csrf = binding
            .as_deref()
            .map(|b| keys.csrf_token(PURPOSE, b))
            .unwrap_or_default();
        layout::respond(
            StatusCode::UNAUTHORIZED,
            layout::page(None, "Sign in", form(&csrf, Some(why))),
        )
    };
    if token.is_empty() {
        return Ok(refused("Paste a token."));
    }
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let identity = match auth.identify(&service, token).await? {
        Ok(identity) => identity,
        Err((claimed, why)) => {
            // Refused like an API request with this token: in the audit trail, never the secret.
            let actor = Actor {
                name: claimed,
                request_id,
            };
            if let Err(e) = service
                .record_refusal(&actor, "POST /ui/sign-in", why)
                .await
            {
                tracing::warn!(error = %e, "could not record a refused sign-in");
            }
            return Ok(refused(
                "That token is not valid: it is unknown, revoked or expired.",
            ));
        }
    };
    let actor = Actor {
        name: identity.actor_name(),
        request_id,
    };
    let secret = service
        .open_dashboard_session(&actor, SESSION_LIFETIME)
        .await?;
    let mut response = layout::see_other("/ui");
    let _ = response.add_cookie(&session::cookie(
        &req,
        SESSION_COOKIE,
        keys.seal(&secret, token).ok_or_else(no_randomness)?,
        SESSION_LIFETIME,
    ));
    let _ = response.add_cookie(&session::removal(&req, SIGN_IN_COOKIE));
    Ok(response)
}

/// The sign-out form's fields.
#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// Ends the session on the server, so that no copy of the cookie works any more, and removes the
/// cookie from the browser.
#[post("/sign-out")]
pub async fn sign_out(
    req: HttpRequest,
    viewer: Viewer,
    service: web::Data<Service>,
    form_data: web::Form<SignOutForm>,
) -> Result<HttpResponse, UiError> {
    viewer.check_form(&req, &form_data.csrf)?;
    service
        .end_dashboard_session(&viewer.actor, &viewer.session)
        .await?;
    let mut response = layout::see_other("/ui/sign-in");
    let _ = response.add_cookie(&session::removal(&req, SESSION_COOKIE));
    Ok(response)
}
