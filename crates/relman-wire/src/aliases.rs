//! Floating-tag and update-feed bodies.

use relman_domain::Alias;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enums::AliasChangeName;

/// A floating tag and the version it points at.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AliasResponse {
    /// The floating tag: `latest`, `vX`, `vX.Y` or `vX.Y.Z`.
    #[schema(example = "v2.3")]
    pub alias: String,
    /// The tag it floats to.
    #[schema(example = "v2.3.1")]
    pub tag: String,
    /// That tag's digest: what the alias serves once applied.
    #[schema(example = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    pub digest: String,
}

impl From<Alias> for AliasResponse {
    fn from(a: Alias) -> Self {
        Self {
            alias: a.alias,
            tag: a.tag,
            digest: a.digest.to_string(),
        }
    }
}

/// Options of an alias apply; the body may be omitted.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApplyAliasesRequest {
    /// Only read the registry and report what would change.
    #[serde(default)]
    pub dry_run: bool,
}

/// One alias after an apply.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppliedAliasResponse {
    /// The floating tag.
    #[schema(example = "v2")]
    pub alias: String,
    /// The tag it floats to.
    #[schema(example = "v2.3.1")]
    pub tag: String,
    /// The digest it now serves (or would, in a dry run).
    pub digest: String,
    /// What the registry's tag served before; `null` when it did not exist.
    #[schema(required = true)]
    pub previous_digest: Option<String>,
    /// What changed.
    pub result: AliasChangeName,
}

/// What an alias apply did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplyAliasesResponse {
    /// Whether this was a dry run (nothing pushed).
    pub dry_run: bool,
    /// Every managed alias, in tree order.
    pub aliases: Vec<AppliedAliasResponse>,
}

/// `latest/{resource}.json`: the highest stable version (seed 004), with its tag and digest.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedLatestBody {
    /// The version in the component's tag style.
    #[schema(example = "v2.3.0")]
    pub version: String,
    /// The tag it was read from.
    #[schema(example = "v2.3.0")]
    pub tag: String,
    /// The tag's digest.
    #[schema(example = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    pub digest: String,
}

/// `major/{vX}/{resource}.json` (the major's minors, `v2.0`, `v2.1`, …) or
/// `minor/{vX.Y}/{resource}.json` (the minor's patches), ascending by semver.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedListBody {
    /// The versions, ascending.
    #[schema(example = json!(["v2.0", "v2.1", "v2.2", "v2.3"]))]
    pub versions: Vec<String>,
}
