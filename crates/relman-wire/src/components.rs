//! Component bodies.

use relman_domain::Component;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::enums::{LatestAliasName, VersioningStrategyName};
use crate::{nullable, present, rfc3339};

/// An ordered channel rule: tags matching `pattern` (a regular expression) belong to `channel`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChannelRuleBody {
    /// Regular expression over the tag (Rust `regex` syntax); matches anywhere unless anchored.
    #[schema(example = "^nightly-", format = Regex)]
    pub pattern: String,
    /// The channel for matching tags.
    #[schema(example = "nightly", pattern = r"^[a-z][a-z0-9-]{0,31}$")]
    pub channel: String,
}

/// Registers a container component.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateComponentRequest {
    /// Unique slug `[a-z0-9][a-z0-9-]{0,62}`; usable in paths in place of the id.
    #[schema(example = "api", pattern = r"^[a-z0-9][a-z0-9-]{0,62}$")]
    pub name: String,
    /// Human-readable name (1-200 characters, not blank); defaults to `name`.
    #[schema(
        example = "API Service",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub display_name: Option<String>,
    /// Repository path inside the registry (at most 255 characters).
    #[schema(
        example = "myorg/api",
        max_length = 255,
        pattern = r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
    )]
    pub image_repository: String,
    /// The registry integration serving the repository, by UUID or name.
    pub registry_integration_id: Option<String>,
    /// How tags are ordered; only `semver` today (the default).
    pub versioning_strategy: Option<VersioningStrategyName>,
    /// Channel used when a release member names no version; defaults to `stable`.
    #[schema(example = "stable", pattern = r"^[a-z][a-z0-9-]{0,31}$")]
    pub default_channel: Option<String>,
    /// Only tags matching this regular expression (Rust `regex` syntax) are tracked.
    #[schema(format = Regex)]
    pub tag_pattern: Option<String>,
    /// Ordered overrides of the default channel classification.
    pub channel_rules: Option<Vec<ChannelRuleBody>>,
    /// Own scheduled-sync interval in seconds: `0` never schedules it, otherwise 60–604800;
    /// absent or `null` follows the server's `sync_interval_seconds`.
    #[schema(example = 3600, minimum = 0, maximum = 604800)]
    pub sync_interval_seconds: Option<i64>,
    /// Whether sync records each version's `pushedAt` (default `true`). Recording it costs a
    /// manifest `GET` per new tag and an image-config `GET` per distinct config; with `false` a
    /// first sync costs the tag list and one `HEAD` per tag.
    #[schema(example = true)]
    pub record_pushed_at: Option<bool>,
    /// What the `latest` alias floats to: `highest` (default) or `unmanaged` (something else
    /// pushes `latest`; relman never lists or moves it).
    pub latest_alias: Option<LatestAliasName>,
}

/// Changes a component. Absent fields keep their value; `null` clears a nullable field.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateComponentRequest {
    /// New unique slug.
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
    /// New repository path.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(
        nullable = false,
        max_length = 255,
        pattern = r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
    )]
    pub image_repository: Option<String>,
    /// New integration (UUID or name); `null` clears it.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub registry_integration_id: Option<Option<String>>,
    /// New versioning strategy.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub versioning_strategy: Option<VersioningStrategyName>,
    /// New default channel.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false, pattern = r"^[a-z][a-z0-9-]{0,31}$")]
    pub default_channel: Option<String>,
    /// New tag pattern; `null` clears it.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = Regex)]
    pub tag_pattern: Option<Option<String>>,
    /// New rules, replacing all current ones.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub channel_rules: Option<Vec<ChannelRuleBody>>,
    /// New own sync interval in seconds (`0` = never scheduled, otherwise 60–604800); `null`
    /// goes back to the server's interval.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 604800)]
    pub sync_interval_seconds: Option<Option<i64>>,
    /// Whether sync records `pushedAt` from now on (versions already synced keep theirs).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub record_pushed_at: Option<bool>,
    /// New `latest` alias policy.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub latest_alias: Option<LatestAliasName>,
}

/// A container component.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentResponse {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// Unique slug.
    #[schema(example = "api")]
    pub name: String,
    /// Human-readable name.
    #[schema(example = "API Service")]
    pub display_name: String,
    /// Repository path inside the registry.
    #[schema(example = "myorg/api")]
    pub image_repository: String,
    /// The registry integration serving the repository.
    #[schema(required = true)]
    pub registry_integration_id: Option<Uuid>,
    /// How tags are ordered.
    pub versioning_strategy: VersioningStrategyName,
    /// Channel used when a release member names no version.
    #[schema(example = "stable")]
    pub default_channel: String,
    /// Only tags matching this are tracked.
    #[schema(required = true)]
    pub tag_pattern: Option<String>,
    /// Ordered channel overrides.
    pub channel_rules: Vec<ChannelRuleBody>,
    /// Own scheduled-sync interval in seconds; `0` = never scheduled, `null` = the server's.
    #[schema(example = 3600, required = true)]
    pub sync_interval_seconds: Option<u32>,
    /// Whether sync records each version's `pushedAt`.
    #[schema(example = true)]
    pub record_pushed_at: bool,
    /// What the `latest` alias floats to.
    pub latest_alias: LatestAliasName,
    /// When it was created (RFC 3339, UTC).
    #[schema(format = DateTime, example = "2026-01-10T14:23:45Z")]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Component> for ComponentResponse {
    fn from(c: Component) -> Self {
        Self {
            id: c.id,
            name: c.name.to_string(),
            display_name: c.display_name,
            image_repository: c.image_repository,
            registry_integration_id: c.registry_integration_id,
            versioning_strategy: c.versioning_strategy.into(),
            default_channel: c.default_channel.to_string(),
            tag_pattern: c.tag_pattern.map(|p| p.as_str().to_owned()),
            channel_rules: c
                .channel_rules
                .0
                .iter()
                .map(|r| ChannelRuleBody {
                    pattern: r.pattern().to_owned(),
                    channel: r.channel().to_string(),
                })
                .collect(),
            sync_interval_seconds: c.sync_interval_seconds,
            record_pushed_at: c.record_pushed_at,
            latest_alias: c.latest_alias.into(),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}
