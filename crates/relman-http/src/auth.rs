//! Bearer-token authentication.
//!
//! Tokens are compared by their SHA-256, so the server never needs the token itself once it has
//! hashed it. Scopes arrive later; [`Principal`] is where they will be checked.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;

/// Knows the valid tokens.
#[derive(Clone)]
pub struct Authenticator {
    admin_token_sha256: [u8; 32],
}

impl Authenticator {
    /// Accepts one admin token.
    pub fn with_admin_token(token: &str) -> Self {
        Self {
            admin_token_sha256: Sha256::digest(token.as_bytes()).into(),
        }
    }

    fn authenticate(&self, token: &str) -> Option<Principal> {
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Fixed-time comparison of the digests, so response timing says nothing about the token.
        let diff = presented
            .iter()
            .zip(self.admin_token_sha256.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        (diff == 0).then(|| Principal {
            actor: "admin".to_owned(),
            request_id: None,
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

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let unauthenticated =
            |detail: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail);
        let Some(auth) = req.app_data::<web::Data<Authenticator>>() else {
            return ready(Err(unauthenticated("authentication is not configured")));
        };
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let result = match header.and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        }) {
            None => Err(unauthenticated("send 'Authorization: Bearer <token>'")),
            Some(token) => auth
                .authenticate(token.trim())
                .map(|p| Principal {
                    request_id: req
                        .extensions()
                        .get::<crate::request_id::RequestId>()
                        .map(|r| r.0.clone()),
                    ..p
                })
                .ok_or_else(|| unauthenticated("the token is not valid")),
        };
        ready(result)
    }
}
