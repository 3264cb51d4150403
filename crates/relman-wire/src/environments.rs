//! Environment bodies.

use relman_domain::Environment;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{present, rfc3339};

/// Creates an environment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateEnvironmentRequest {
    /// Unique slug: 1-63 of `a-z 0-9 -`, starting with a letter or digit.
    #[schema(example = "production", pattern = r"^[a-z0-9][a-z0-9-]{0,62}$")]
    pub name: String,
    /// Human-readable name (1-200 characters, not blank); defaults to `name`. The release state
    /// calls it `environmentName`.
    #[schema(
        example = "Production",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub display_name: Option<String>,
    /// Position in the promotion path; unique, lower comes first.
    #[schema(example = 30)]
    pub order: i32,
    /// A release must have been deployed in the previous environment (next lower `order`)
    /// before it may be promoted here; defaults to false.
    pub requires_previous: Option<bool>,
}

/// Changes an environment; absent fields keep their value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateEnvironmentRequest {
    /// New name.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false, pattern = r"^[a-z0-9][a-z0-9-]{0,62}$")]
    pub name: Option<String>,
    /// New display name (1-200 characters, not blank).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 200,
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub display_name: Option<String>,
    /// New order (unique).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub order: Option<i32>,
    /// New rule.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub requires_previous: Option<bool>,
}

/// An environment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentResponse {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// Unique slug.
    #[schema(example = "production")]
    pub name: String,
    /// Human-readable name.
    #[schema(example = "Production")]
    pub display_name: String,
    /// Position in the promotion path.
    #[schema(example = 30)]
    pub order: i32,
    /// Whether promotion here requires a deployment in the previous environment.
    pub requires_previous: bool,
    /// When it was created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Environment> for EnvironmentResponse {
    fn from(e: Environment) -> Self {
        Self {
            id: e.id,
            name: e.name.to_string(),
            display_name: e.display_name,
            order: e.order,
            requires_previous: e.requires_previous,
            created_at: rfc3339(e.created_at),
            updated_at: rfc3339(e.updated_at),
        }
    }
}
