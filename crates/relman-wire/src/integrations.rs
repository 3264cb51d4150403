//! Registry integration bodies. Secrets are write-only: accepted in requests, never returned.

use relman_domain::{IntegrationSummary, RegistryIntegration};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::enums::{AuthType, CheckStage};
use crate::{nullable, present, rfc3339};

/// Anonymous access: `{"type": "none"}` and nothing else.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoAuth {}

/// HTTP basic credentials (also used at the registry's token endpoint).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    /// User name.
    pub username: String,
    /// Password or access token; write-only.
    pub password: String,
}

/// A ready-made bearer token; write-only.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BearerAuth {
    /// The token.
    pub token: String,
}

/// Credentials for a registry, told apart by `type`. Its schema (named variants with a
/// discriminator) is written in [`crate::schemas`].
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum AuthBody {
    /// Anonymous.
    None(NoAuth),
    /// User name and password.
    Basic(BasicAuth),
    /// A bearer token.
    Bearer(BearerAuth),
}

impl std::fmt::Debug for AuthBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None(_) => "none",
            Self::Basic(_) => "basic(***)",
            Self::Bearer(_) => "bearer(***)",
        })
    }
}

/// Registers a registry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateIntegrationRequest {
    /// Unique slug.
    #[schema(example = "ghcr", pattern = r"^[a-z0-9][a-z0-9-]{0,62}$")]
    pub name: String,
    /// Base URL: `https://host[:port][/path]`, or `http://…` with `insecure: true`; no
    /// credentials, query or fragment. (An IPv6 literal host, `https://[::1]:5000`, is accepted
    /// too; the pattern leaves it out.)
    #[schema(
        example = "https://ghcr.io",
        pattern = r"^https?://[^/?# @\[\]]+(/[^?# ]*)?$"
    )]
    pub url: String,
    /// Allows plain HTTP.
    #[serde(default)]
    pub insecure: bool,
    /// Credentials; anonymous when absent.
    pub auth: Option<AuthBody>,
    /// Most requests in flight at once (1-64, default 8).
    #[schema(minimum = 1, maximum = 64)]
    pub max_concurrency: Option<u32>,
    /// Pacing of requests per second (above 0, at most 10000).
    #[schema(exclusive_minimum = 0.0, maximum = 10000.0)]
    pub requests_per_second: Option<f64>,
    /// Push each signed release next to its member images in this registry (needs push
    /// rights; docs/ATTESTATION.md).
    #[serde(default)]
    pub push_attestations: bool,
}

/// Changes an integration; absent fields keep their value. `auth` replaces the credentials.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateIntegrationRequest {
    /// New name.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false, pattern = r"^[a-z0-9][a-z0-9-]{0,62}$")]
    pub name: Option<String>,
    /// New URL (`http://` only with `insecure: true`, given or stored).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false, pattern = r"^https?://[^/?# @\[\]]+(/[^?# ]*)?$")]
    pub url: Option<String>,
    /// New insecure flag.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub insecure: Option<bool>,
    /// New credentials, replacing the stored ones.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub auth: Option<AuthBody>,
    /// New limit (1-64); `null` restores the default.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 64)]
    pub max_concurrency: Option<Option<u32>>,
    /// New pacing (above 0, at most 10000); `null` removes it.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<f64>, exclusive_minimum = 0.0, maximum = 10000.0)]
    pub requests_per_second: Option<Option<f64>>,
    /// New push-attestations flag.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub push_attestations: Option<bool>,
}

/// A registry integration. Never carries a secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
    /// The kind of credentials stored.
    pub auth_type: AuthType,
    /// The basic-auth user name, when there is one (not a secret).
    #[schema(required = true)]
    pub username: Option<String>,
    /// Whether a password or token is stored.
    pub has_credentials: bool,
    /// Most requests in flight; `null` when the client default applies.
    #[schema(required = true)]
    pub max_concurrency: Option<u32>,
    /// Pacing; `null` when unpaced.
    #[schema(required = true)]
    pub requests_per_second: Option<f64>,
    /// Whether signed releases are pushed next to this registry's images.
    pub push_attestations: bool,
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
            auth_type: AuthType::of_kind(i.auth_kind),
            username: i.username,
            has_credentials: i.has_credentials,
            max_concurrency: i.max_concurrency,
            requests_per_second: i.requests_per_second,
            push_attestations: i.push_attestations,
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

/// The outcome of checking an integration.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationTestResponse {
    /// The registry answered `/v2/` with the configured credentials.
    pub ok: bool,
    /// Where it failed; `null` when it did not.
    #[schema(required = true)]
    pub stage: Option<CheckStage>,
    /// The HTTP status that failed it; `null` when there was none.
    #[schema(required = true)]
    pub status: Option<u16>,
    /// What happened.
    pub message: String,
    /// HTTP requests made.
    pub registry_requests: u64,
}
