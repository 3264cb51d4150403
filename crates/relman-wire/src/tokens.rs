//! API token bodies. The secret appears in exactly one response: the create.

use relman_domain::ApiToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::rfc3339;

/// A scope a token may hold: `read` ⊂ `write` ⊂ `admin` (docs/ACCESS.md lists what each allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScopeName {
    /// Reads.
    Read,
    /// Reads and changes.
    Write,
    /// Everything, including tokens, integrations and the audit trail.
    Admin,
}

impl From<relman_domain::Scope> for ScopeName {
    fn from(s: relman_domain::Scope) -> Self {
        match s {
            relman_domain::Scope::Read => Self::Read,
            relman_domain::Scope::Write => Self::Write,
            relman_domain::Scope::Admin => Self::Admin,
        }
    }
}

impl ScopeName {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }
}

/// `POST /tokens`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTokenRequest {
    /// A label, unique among live tokens.
    #[schema(
        min_length = 1,
        max_length = 100,
        example = "ci-deployer",
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub name: String,
    /// What the token may do.
    #[schema(min_items = 1)]
    pub scopes: Vec<ScopeName>,
    /// When it stops working (RFC 3339, in the future); never, when absent.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Most requests per second it may make; unlimited when absent.
    #[serde(default)]
    #[schema(exclusive_minimum = 0.0, maximum = 100000.0)]
    pub requests_per_second: Option<f64>,
}

/// An API token, without its secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// Identity.
    pub id: Uuid,
    /// Its label.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<ScopeName>,
    /// When it was created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it stops working; `null` for never.
    #[schema(format = DateTime, required = true)]
    pub expires_at: Option<String>,
    /// When it last authenticated a request (to the minute); `null` if never.
    #[schema(format = DateTime, required = true)]
    pub last_used_at: Option<String>,
    /// When it was revoked; `null` while it is live.
    #[schema(format = DateTime, required = true)]
    pub revoked_at: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// Its request budget; `null` for unlimited.
    #[schema(required = true)]
    pub requests_per_second: Option<f64>,
}

impl From<ApiToken> for TokenResponse {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            scopes: t.scopes.into_iter().map(Into::into).collect(),
            created_at: rfc3339(t.created_at),
            expires_at: t.expires_at.map(rfc3339),
            last_used_at: t.last_used_at.map(rfc3339),
            revoked_at: t.revoked_at.map(rfc3339),
            created_by: t.created_by,
            requests_per_second: t.requests_per_second,
        }
    }
}

/// A token just created, with its secret: shown this once and never again.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTokenResponse {
    /// The token.
    #[serde(flatten)]
    pub token: TokenResponse,
    /// The secret to send as `Authorization: Bearer <secret>`; starts with `relman_pat_`.
    #[schema(
        example = "relman_pat_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    )]
    pub secret: String,
}

/// Who the request's token belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmIResponse {
    /// The name audit events record: `admin`, or `token:<name>`.
    #[schema(example = "token:ci")]
    pub actor: String,
    /// The strongest scope the token holds.
    pub scope: ScopeName,
}
