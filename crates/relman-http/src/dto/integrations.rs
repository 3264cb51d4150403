//! Registry integration bodies. Secrets are write-only: accepted in requests, never returned.

use relman_domain::{IntegrationSummary, RegistryIntegration, Secret};
use relman_service::{AuthInput, IntegrationInput, IntegrationPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::{nullable, present, rfc3339};

/// Credentials for a registry.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum AuthBody {
    /// Anonymous. (A struct variant, so that stray fields such as a token are refused.)
    None {},
    /// HTTP basic credentials (also used at the registry's token endpoint).
    Basic {
        /// User name.
        username: String,
        /// Password or access token; write-only.
        password: String,
    },
    /// A ready-made bearer token; write-only.
    Bearer {
        /// The token.
        token: String,
    },
}

impl std::fmt::Debug for AuthBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None {} => "none",
            Self::Basic { .. } => "basic(***)",
            Self::Bearer { .. } => "bearer(***)",
        })
    }
}

impl From<AuthBody> for AuthInput {
    fn from(a: AuthBody) -> Self {
        match a {
            AuthBody::None {} => Self::None,
            AuthBody::Basic { username, password } => Self::Basic {
                username,
                password: Secret::new(password),
            },
            AuthBody::Bearer { token } => Self::Bearer {
                token: Secret::new(token),
            },
        }
    }
}

/// Registers a registry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateIntegrationRequest {
    /// Unique slug.
    #[schema(example = "ghcr", pattern = r"^[a-z0-9][a-z0-9-]{0,62}$")]
    pub name: String,
    /// Base URL: `https://…`, or `http://…` with `insecure: true`.
    #[schema(example = "https://ghcr.io")]
    pub url: String,
    /// Allows plain HTTP.
    #[serde(default)]
    pub insecure: bool,
    /// Credentials; anonymous when absent.
    pub auth: Option<AuthBody>,
    /// Most requests in flight at once (1-64, default 8).
    #[schema(minimum = 1, maximum = 64)]
    pub max_concurrency: Option<u32>,
    /// Pacing of requests per second.
    #[schema(exclusive_minimum = 0.0, maximum = 10000.0)]
    pub requests_per_second: Option<f64>,
}

/// Changes an integration; absent fields keep their value. `auth` replaces the credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateIntegrationRequest {
    /// New name.
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    /// New URL.
    #[serde(default, deserialize_with = "present")]
    pub url: Option<String>,
    /// New insecure flag.
    #[serde(default, deserialize_with = "present")]
    pub insecure: Option<bool>,
    /// New credentials.
    #[serde(default, deserialize_with = "present")]
    pub auth: Option<AuthBody>,
    /// New limit; `null` restores the default.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>)]
    pub max_concurrency: Option<Option<u32>>,
    /// New pacing; `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub requests_per_second: Option<Option<f64>>,
}

/// A registry integration. Never carries a secret.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationResponse {
    /// Identity.
    pub id: Uuid,
    /// Unique slug.
    pub name: String,
    /// Base URL.
    pub url: String,
    /// Plain HTTP allowed.
    pub insecure: bool,
    /// `none`, `basic` or `bearer`.
    #[schema(example = "basic")]
    pub auth_type: String,
    /// The basic-auth user name, when there is one (not a secret).
    pub username: Option<String>,
    /// Whether a password or token is stored.
    pub has_credentials: bool,
    /// Most requests in flight.
    pub max_concurrency: Option<u32>,
    /// Pacing.
    pub requests_per_second: Option<f64>,
    /// When it was created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<IntegrationSummary> for IntegrationResponse {
    fn from(i: IntegrationSummary) -> Self {
        Self {
            id: i.id,
            name: i.name.to_string(),
            url: i.url,
            insecure: i.insecure,
            auth_type: i.auth_kind.to_owned(),
            username: i.username,
            has_credentials: i.has_credentials,
            max_concurrency: i.max_concurrency,
            requests_per_second: i.requests_per_second,
            created_at: rfc3339(i.created_at),
            updated_at: rfc3339(i.updated_at),
        }
    }
}

impl From<&RegistryIntegration> for IntegrationResponse {
    fn from(i: &RegistryIntegration) -> Self {
        IntegrationSummary::from(i).into()
    }
}

impl From<CreateIntegrationRequest> for IntegrationInput {
    fn from(r: CreateIntegrationRequest) -> Self {
        Self {
            name: r.name,
            url: r.url,
            insecure: r.insecure,
            auth: r.auth.map(Into::into).unwrap_or_default(),
            max_concurrency: r.max_concurrency,
            requests_per_second: r.requests_per_second,
        }
    }
}

impl From<UpdateIntegrationRequest> for IntegrationPatch {
    fn from(r: UpdateIntegrationRequest) -> Self {
        Self {
            name: r.name,
            url: r.url,
            insecure: r.insecure,
            auth: r.auth.map(Into::into),
            max_concurrency: r.max_concurrency,
            requests_per_second: r.requests_per_second,
        }
    }
}

/// The outcome of checking an integration.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationTestResponse {
    /// The registry answered `/v2/` with the configured credentials.
    pub ok: bool,
    /// Where it failed: `connection`, `registry`, `token_endpoint` or `configuration`.
    pub stage: Option<String>,
    /// The HTTP status that failed it.
    pub status: Option<u16>,
    /// What happened.
    pub message: String,
    /// HTTP requests made.
    pub registry_requests: u64,
}

impl From<relman_service::IntegrationCheck> for IntegrationTestResponse {
    fn from(c: relman_service::IntegrationCheck) -> Self {
        Self {
            ok: c.ok,
            stage: c.stage.map(str::to_owned),
            status: c.status,
            message: c.message,
            registry_requests: c.registry_requests,
        }
    }
}
