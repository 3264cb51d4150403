//! Who a bearer token belongs to: the bootstrap admin token, or an API token from the database.
//!
//! The bootstrap token is compared by its SHA-256 in fixed time; API tokens are looked up by the
//! SHA-256 of the secret. The [`crate::access`] middleware authenticates every request and puts a
//! [`Principal`] in its extensions; handlers take it as an extractor.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use relman_domain::{ApiToken, Scope};
use relman_service::Service;
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;

/// Knows the bootstrap admin token; asks the service about the others.
#[derive(Clone)]
pub struct Authenticator {
    admin_token_sha256: [u8; 32],
}

/// Who a valid token belongs to.
#[derive(Debug, Clone)]
pub enum Identity {
    /// The bootstrap admin token from the data folder or `RELMAN_ADMIN_TOKEN`.
    Admin,
    /// An API token.
    Token(ApiToken),
}

impl Identity {
    /// The strongest scope it holds.
    pub fn scope(&self) -> Scope {
        match self {
            Self::Admin => Scope::Admin,
            Self::Token(t) => relman_domain::strongest(&t.scopes).unwrap_or(Scope::Read),
        }
    }

    /// Whether it may do what needs `needed`.
    pub fn grants(&self, needed: Scope) -> bool {
        match self {
            Self::Admin => true,
            Self::Token(t) => t.grants(needed),
        }
    }

    /// How the audit trail names it.
    pub fn actor_name(&self) -> String {
        match self {
            Self::Admin => "admin".to_owned(),
            Self::Token(t) => t.actor_name(),
        }
    }
}

/// Why a presented token is not accepted: who it claimed to be and why, both safe to record.
pub type Refused = (String, &'static str);

impl Authenticator {
    /// Accepts the bootstrap admin token, and API tokens through the service.
    pub fn with_admin_token(token: &str) -> Self {
        Self {
            admin_token_sha256: Sha256::digest(token.as_bytes()).into(),
        }
    }

    /// The identity of `secret`, or why it is refused; `Err` only when the database failed.
    pub async fn identify(
        &self,
        service: &Service,
        secret: &str,
    ) -> Result<Result<Identity, Refused>, ApiError> {
        let presented: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        // Fixed-time comparison of the digests, so response timing says nothing about the token.
        let diff = presented
            .iter()
            .zip(self.admin_token_sha256.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff == 0 {
            return Ok(Ok(Identity::Admin));
        }
        Ok(match service.authenticate_token(secret).await? {
            Ok(token) => Ok(Identity::Token(token)),
            Err(refusal) => Err((refusal.claimed_actor().to_owned(), refusal.reason())),
        })
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Who acts, as recorded in audit events.
    pub actor: String,
    /// The request's id, recorded with every change it makes.
    pub request_id: Option<String>,
    /// What it may do.
    pub scope: Scope,
}

impl Principal {
    /// The caller as the service records it in audit events.
    pub fn as_actor(&self) -> relman_domain::Actor {
        relman_domain::Actor {
            name: self.actor.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    /// Set by the access middleware; absent only if a route escaped it, which is refused.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Principal>()
                .cloned()
                .ok_or_else(|| ApiError::unauthenticated("send 'Authorization: Bearer <token>'")),
        )
    }
}
