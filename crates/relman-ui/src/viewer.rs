//! Who is looking: the signed-in identity behind a request's session cookie, what it may do, and
//! the CSRF check of the forms it sends.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use relman_domain::{Actor, Scope};
use relman_http::Authenticator;
use relman_http::auth::Identity;
use relman_http::rate_limit::RateLimits;
use relman_http::request_id::RequestId;
use relman_service::Service;

use crate::error::UiError;
use crate::session::{SESSION_COOKIE, UiKeys};

/// The CSRF purpose of forms sent within a session.
const SESSION_PURPOSE: &str = "session";

/// A signed-in viewer of the dashboard.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Whose token the session holds.
    pub identity: Identity,
    /// How changes made through the dashboard are recorded.
    pub actor: Actor,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    /// The session's secret, which signing out ends.
    pub(crate) session: String,
}

impl Viewer {
    /// Whether the token may change things (promote, deprecate, sync).
    pub fn can_write(&self) -> bool {
        self.identity.grants(Scope::Write)
    }

    /// Whether the token is an admin's (the audit log).
    pub fn is_admin(&self) -> bool {
        self.identity.grants(Scope::Admin)
    }

    /// Refuses with 403 unless the token holds `scope`: the page hides the action, and the server
    /// refuses it anyway.
    pub fn require(&self, scope: Scope) -> Result<(), UiError> {
        if self.identity.grants(scope) {
            Ok(())
        } else {
            Err(UiError::forbidden(format!(
                "this needs a token with the '{}' scope; you are signed in as {} ({})",
                scope.as_str(),
                self.actor.name,
                self.identity.scope().as_str()
            )))
        }
    }

    /// Checks a state-changing form: sent from this dashboard (by `Origin` and `Sec-Fetch-Site`,
    /// when the browser says) and carrying this session's CSRF token.
    pub fn check_form(&self, req: &HttpRequest, presented: &str) -> Result<(), UiError> {
        if !same_origin(req) || presented.is_empty() || !fixed_time_eq(presented, &self.csrf) {
            return Err(UiError::csrf());
        }
        Ok(())
    }

    /// Checks the form and that the token holds `scope`: the start of every action.
    pub fn authorize(
        &self,
        req: &HttpRequest,
        presented: &str,
        scope: Scope,
    ) -> Result<(), UiError> {
        self.check_form(req, presented)?;
        self.require(scope)
    }
}

/// Whether two strings are equal, taking the same time wherever they differ.
fn fixed_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether the request came from one of our own pages, as far as the browser tells: a
/// cross-site `Sec-Fetch-Site`, or an `Origin` of another host, is refused. Browsers send at
/// least one of the two on every form post; without either, the CSRF token alone decides.
pub fn same_origin(req: &HttpRequest) -> bool {
    let text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match text(header::ORIGIN.as_str()) {
        None => true,
        Some(origin) => {
            let host = req.connection_info().host().to_owned();
            origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(&host))
        }
    }
}

impl FromRequest for Viewer {
    type Error = UiError;
    type Future = LocalBoxFuture<'static, Result<Self, UiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let keys = req
                .app_data::<web::Data<UiKeys>>()
                .ok_or(UiError::SignIn)?
                .clone();
            let cookie = req.cookie(SESSION_COOKIE).ok_or(UiError::SignIn)?;
            let sealed = keys.open(cookie.value()).ok_or(UiError::SignIn)?;
            let (Some(auth), Some(service)) = (
                req.app_data::<web::Data<Authenticator>>(),
                req.app_data::<web::Data<Service>>(),
            ) else {
                return Err(UiError::SignIn);
            };
            // Signed out (from this copy of the cookie or another) or pruned: sign in again.
            if !service.dashboard_session_live(&sealed.secret).await? {
                return Err(UiError::SignIn);
            }
            // Revoked or expired since sign-in: the session ends with the token.
            let identity = auth
                .identify(service, &sealed.token)
                .await?
                .map_err(|_| UiError::SignIn)?;
            // Pages spend the token's request budget as its API calls do.
            if let Some(limits) = req.app_data::<web::Data<RateLimits>>() {
                limits.check(&identity)?;
            }
            let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
            Ok(Self {
                actor: Actor {
                    name: identity.actor_name(),
                    request_id,
                },
                csrf: keys.csrf_token(SESSION_PURPOSE, cookie.value()),
                session: sealed.secret,
                identity,
            })
        })
    }
}
