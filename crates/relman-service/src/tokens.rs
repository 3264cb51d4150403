//! API tokens: issue, list, revoke, and authenticate requests with them.

use relman_domain::{Actor, ApiToken, AuditEvent, Scope, TOKEN_PREFIX};
use relman_storage::StorageError;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::Service;
use crate::error::{Resource, ServiceError};
use crate::input::{Errors, text, time};

/// Longest token name.
pub const MAX_TOKEN_NAME: usize = 100;

/// What a client asks for when it creates a token.
#[derive(Debug, Clone, Default)]
pub struct TokenInput {
    /// A label, unique among live tokens.
    pub name: String,
    /// Scope names: `read`, `write`, `admin`.
    pub scopes: Vec<String>,
    /// When it stops working (RFC 3339); must be in the future.
    pub expires_at: Option<String>,
    /// Its request budget per second, if limited.
    pub requests_per_second: Option<f64>,
}

/// A token just created: the secret is here and nowhere else, ever.
#[derive(Debug)]
pub struct IssuedToken {
    /// What describes the token.
    pub token: ApiToken,
    /// The secret, shown once.
    pub secret: String,
}

/// Why a presented token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No token of this kind exists.
    Unknown,
    /// The token was revoked; `actor` names it as the audit trail does.
    Revoked {
        /// The token's actor name.
        actor: String,
    },
    /// The token expired.
    Expired {
        /// The token's actor name.
        actor: String,
    },
}

impl Refusal {
    /// A short reason, safe to show and log (it never includes the token).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unknown => "unknown token",
            Self::Revoked { .. } => "revoked token",
            Self::Expired { .. } => "expired token",
        }
    }

    /// Who the request claimed to be, for the audit trail.
    pub fn claimed_actor(&self) -> &str {
        match self {
            Self::Unknown => "unknown-token",
            Self::Revoked { actor } | Self::Expired { actor } => actor,
        }
    }
}

/// The hex SHA-256 of a token secret: what is stored and looked up.
pub fn token_hash(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in Sha256::digest(secret.as_bytes()) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

impl Service {
    /// Issues a token; the secret in the answer is never stored or shown again.
    pub async fn create_token(
        &self,
        actor: &Actor,
        input: TokenInput,
    ) -> Result<IssuedToken, ServiceError> {
        let now = crate::now();
        let mut errors = Errors::default();
        let name = text(&mut errors, "name", &input.name, MAX_TOKEN_NAME);
        let mut scopes = Vec::new();
        if input.scopes.is_empty() {
            errors.push("scopes", "name at least one of read, write, admin");
        }
        for (i, s) in input.scopes.iter().enumerate() {
            match Scope::parse(s) {
                Some(scope) if !scopes.contains(&scope) => scopes.push(scope),
                Some(_) => errors.push(&format!("scopes[{i}]"), "listed twice"),
                None => errors.push(&format!("scopes[{i}]"), "must be read, write or admin"),
            }
        }
        let expires_at = time(&mut errors, "expiresAt", input.expires_at.as_deref());
        if expires_at.is_some_and(|t| t <= now) {
            errors.push("expiresAt", "must be in the future");
        }
        if let Some(rps) = input.requests_per_second
            && !(rps.is_finite() && rps > 0.0 && rps <= 100_000.0)
        {
            errors.push("requestsPerSecond", "must be above 0 and at most 100000");
        }
        errors.finish()?;
        let Some(name) = name else {
            return Err(relman_domain::ValidationError::field("name", "invalid").into());
        };
        scopes.sort();
        let secret = new_secret()?;
        let token = ApiToken {
            id: Uuid::now_v7(),
            name,
            scopes,
            created_at: now,
            created_by: actor.name.clone(),
            expires_at,
            last_used_at: None,
            revoked_at: None,
            requests_per_second: input.requests_per_second,
        };
        let scopes: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
        let event = AuditEvent::new(
            actor,
            now,
            "token",
            "create",
            token.id,
            format!("created API token {} ({})", token.name, scopes.join(", ")),
        );
        self.store
            .insert_token(&token, &token_hash(&secret), &event)
            .await
            .map_err(|e| match e {
                StorageError::Conflict { .. } => ServiceError::NameExists {
                    resource: Resource::Token,
                    name: token.name.clone(),
                },
                other => other.into(),
            })?;
        Ok(IssuedToken { token, secret })
    }

    /// Every live (not revoked) token, newest first; expired ones are listed until revoked.
    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>, ServiceError> {
        Ok(self.store.list_tokens().await?)
    }

    /// A live token by id; a revoked one is gone for the API (its id stays in the audit trail).
    pub async fn token(&self, key: &str) -> Result<ApiToken, ServiceError> {
        let not_found = || ServiceError::NotFound {
            resource: Resource::Token,
            key: key.to_owned(),
        };
        let id: Uuid = key.parse().map_err(|_| not_found())?;
        match self.store.token_by_id(id).await {
            Ok(token) if token.revoked_at.is_none() => Ok(token),
            Ok(_) | Err(StorageError::NotFound) => Err(not_found()),
            Err(other) => Err(other.into()),
        }
    }

    /// Revokes a token: it stops authenticating at once.
    pub async fn revoke_token(&self, actor: &Actor, key: &str) -> Result<(), ServiceError> {
        let token = self.token(key).await?;
        let now = crate::now();
        let event = AuditEvent::new(
            actor,
            now,
            "token",
            "revoke",
            token.id,
            format!("revoked API token {}", token.name),
        );
        let revoked = self.store.revoke_token(token.id, now, &event).await;
        // Forgotten whatever the answer: an error may follow a commit that landed.
        self.token_cache.forget(token.id);
        revoked.map_err(|e| match e {
            StorageError::NotFound => ServiceError::NotFound {
                resource: Resource::Token,
                key: key.to_owned(),
            },
            other => other.into(),
        })
    }

    /// The live token a secret belongs to, or why it is refused. Records the use (at most once a
    /// minute per token).
    pub async fn authenticate_token(
        &self,
        secret: &str,
    ) -> Result<Result<ApiToken, Refusal>, ServiceError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(Err(Refusal::Unknown));
        }
        let hash = token_hash(secret);
        let token = match self.token_cache.get(&hash) {
            Some(t) => t,
            None => match self.store.token_by_hash(&hash).await {
                Ok(t) => {
                    // Only live tokens are held: a refusal always reads the database again.
                    if t.revoked_at.is_none() && t.is_live(crate::now()) {
                        self.token_cache.insert(hash.clone(), t.clone());
                    }
                    t
                }
                Err(StorageError::NotFound) => return Ok(Err(Refusal::Unknown)),
                Err(e) => return Err(e.into()),
            },
        };
        let now = crate::now();
        if token.revoked_at.is_some() {
            return Ok(Err(Refusal::Revoked {
                actor: token.actor_name(),
            }));
        }
        if !token.is_live(now) {
            return Ok(Err(Refusal::Expired {
                actor: token.actor_name(),
            }));
        }
        // `last_used_at` is kept to the minute: most requests need no write at all.
        let stale = token
            .last_used_at
            .is_none_or(|t| now - t >= chrono::Duration::minutes(1));
        if stale {
            match self.store.touch_token(token.id, now).await {
                Ok(()) => self.token_cache.used(&hash, now),
                // Bookkeeping only: the request itself may go on.
                Err(e) => {
                    tracing::warn!(error = %e, token = %token.id, "could not record token use")
                }
            }
        }
        Ok(Ok(token))
    }

    /// Records a refused request in the audit trail: who it claimed to be (never the secret),
    /// what it asked for, and why it was refused.
    pub async fn record_refusal(
        &self,
        actor: &Actor,
        what: &str,
        why: &str,
    ) -> Result<(), ServiceError> {
        let event = AuditEvent::new(
            actor,
            crate::now(),
            "auth",
            "refused",
            what,
            format!("refused {what}: {why}"),
        );
        Ok(self.store.record_event(&event).await?)
    }
}

/// A fresh secret: the recognisable prefix and 32 random bytes in hex.
fn new_secret() -> Result<String, ServiceError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServiceError::Storage(StorageError::Corrupt(format!("no randomness: {e}"))))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{TOKEN_PREFIX}{hex}"))
}
