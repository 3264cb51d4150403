//! Version and version-map bodies.

use relman_domain::{ComponentVersion, Platform, Provenance};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::enums::VersionSourceName;
use crate::rfc3339;

/// Manually assigns a semver and channel to a tag (and its digest).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateVersionMapRequest {
    /// The component, by UUID or name.
    #[schema(example = "api")]
    pub component_id: String,
    /// The tag being mapped.
    #[schema(example = "v2.3.1", pattern = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")]
    pub tag: String,
    /// Semantic version to assign (a leading `v` allowed); parsed from the tag when absent.
    #[schema(
        example = "2.3.1",
        pattern = r"^v?(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})(-(0|[1-9][0-9]{0,18}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]{0,18}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$"
    )]
    pub semver: Option<String>,
    /// Channel to assign; classified from the semver when absent.
    #[schema(example = "stable", pattern = r"^[a-z][a-z0-9-]{0,31}$")]
    pub channel: Option<String>,
    /// The digest the tag points at (`sha256:<64 hex>`); resolved through the registry when absent.
    #[schema(
        example = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        pattern = r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$"
    )]
    pub digest: Option<String>,
}

/// One platform image of a multi-arch index.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformBody {
    /// Operating system.
    #[schema(example = "linux")]
    pub os: String,
    /// CPU architecture.
    #[schema(example = "arm64")]
    pub architecture: String,
    /// Architecture variant.
    #[schema(required = true)]
    pub variant: Option<String>,
    /// The platform manifest's digest.
    pub digest: String,
}

/// Where an image was built from, as its OCI labels or annotations say
/// (`org.opencontainers.image.source`, `.revision`, `.version`). Informative only: whatever the
/// image's builder wrote, read during sync from the manifest or config it already fetches.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProvenanceBody {
    /// The source repository URL.
    #[schema(example = "https://github.com/myorg/api", required = true)]
    pub source: Option<String>,
    /// The source revision (usually a commit SHA).
    #[schema(example = "9f2c4e1d7a3b5c6d8e9f0a1b2c3d4e5f6a7b8c9d", required = true)]
    pub revision: Option<String>,
    /// The packaged software's version.
    #[schema(example = "2.3.1", required = true)]
    pub version: Option<String>,
}

impl From<Provenance> for ProvenanceBody {
    fn from(p: Provenance) -> Self {
        Self {
            source: p.source,
            revision: p.revision,
            version: p.version,
        }
    }
}

/// A tag of a component and what it maps to (a version map).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionResponse {
    /// Identity of this mapping.
    pub id: Uuid,
    /// The component.
    pub component_id: Uuid,
    /// The tag.
    #[schema(example = "v2.3.1")]
    pub tag: String,
    /// The digest the tag points at: the version's identity.
    #[schema(example = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    pub digest: String,
    /// Semantic version, when the tag is one or a map assigned one.
    #[schema(example = "2.3.1", required = true)]
    pub semver: Option<String>,
    /// Release channel.
    #[schema(example = "stable", required = true)]
    pub channel: Option<String>,
    /// `sync` (from the registry) or `manual` (a version map; sync never overwrites it).
    pub source: VersionSourceName,
    /// Per-platform digests when `digest` is a multi-arch index.
    pub platforms: Vec<PlatformBody>,
    /// When the image was built, if known.
    #[schema(format = DateTime, required = true)]
    pub pushed_at: Option<String>,
    /// Where the image was built from; every field `null` when unlabelled.
    pub provenance: ProvenanceBody,
    /// When relman first saw the tag.
    #[schema(format = DateTime)]
    pub first_seen_at: String,
    /// When this mapping last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The tag vanished from the registry.
    pub gone: bool,
    /// The version was yanked: no channel, alias or feed picks it; releases that pinned it keep
    /// it.
    pub yanked: bool,
    /// When it was yanked.
    #[schema(format = DateTime, required = true)]
    pub yanked_at: Option<String>,
    /// Why it was yanked, as given.
    #[schema(required = true)]
    pub yank_reason: Option<String>,
}

impl From<ComponentVersion> for VersionResponse {
    fn from(v: ComponentVersion) -> Self {
        Self {
            id: v.id,
            component_id: v.component_id,
            tag: v.tag,
            digest: v.digest.to_string(),
            semver: v.semver.map(|s| s.to_string()),
            channel: v.channel.map(|c| c.to_string()),
            source: v.source.into(),
            platforms: v.platforms.into_iter().map(platform).collect(),
            pushed_at: v.pushed_at.map(rfc3339),
            provenance: v.provenance.into(),
            first_seen_at: rfc3339(v.first_seen_at),
            updated_at: rfc3339(v.updated_at),
            gone: v.gone,
            yanked: v.yank.is_some(),
            yanked_at: v.yank.as_ref().map(|y| rfc3339(y.at)),
            yank_reason: v.yank.and_then(|y| y.reason),
        }
    }
}

fn platform(p: Platform) -> PlatformBody {
    PlatformBody {
        os: p.os,
        architecture: p.architecture,
        variant: p.variant,
        digest: p.digest.to_string(),
    }
}

/// Filters for a component's versions.
#[derive(Debug, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct VersionsParams {
    /// Only this channel (`stable`, `rc`, `beta`, or a custom one).
    #[param(pattern = r"^[a-z][a-z0-9-]{0,31}$")]
    pub channel: Option<String>,
    /// At most this many (1-1000, default 100), newest first.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// The next page: the `cursor` of the previous page's `Link: <…>; rel="next"` URL.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    /// Also list the versions whose tags vanished from the registry (`gone: true`).
    pub include_gone: Option<bool>,
}

/// Filters for version maps.
#[derive(Debug, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct VersionMapParams {
    /// Only this component (UUID or name).
    pub component_id: Option<String>,
    /// Only this channel.
    #[param(pattern = r"^[a-z][a-z0-9-]{0,31}$")]
    pub channel: Option<String>,
    /// Only `sync` or only `manual` mappings.
    pub source: Option<VersionSourceName>,
    /// At most this many (1-1000, default 100), newest first.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// The next page: the `cursor` of the previous page's `Link: <…>; rel="next"` URL.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// Options of a sync.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SyncRequest {
    /// Re-resolve every tag, not only new and mutable ones.
    #[serde(default)]
    pub force_refresh: bool,
}

/// How much a sync reports.
#[derive(Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SyncParams {
    /// `true` (the default): `versions` holds every current version of the component.
    /// `false`: `versions` holds only the versions this sync added, updated or marked gone
    /// (those with `gone: true`), newest first, so an unchanged re-sync answers `versions: []`.
    pub verbose: Option<bool>,
}

/// What a sync found and did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncResponse {
    /// Tags the registry lists that the component tracks.
    pub synced: usize,
    /// The component's versions after the sync, newest first; with `verbose=false` only those
    /// this sync added, updated or marked gone.
    pub versions: Vec<VersionResponse>,
    /// Tags seen for the first time.
    pub added: usize,
    /// Known tags whose digest or details changed, or that came back.
    pub updated: usize,
    /// Known tags left as they were.
    pub unchanged: usize,
    /// Tags that vanished from the registry (kept, marked `gone`).
    pub gone: usize,
    /// HTTP requests made to the registry.
    pub registry_requests: u64,
}

/// A tag that a sync saw pointing at a new digest (a re-push).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetagResponse {
    /// The tag.
    #[schema(example = "v2.3.1")]
    pub tag: String,
    /// What it pointed at.
    pub old_digest: String,
    /// What it points at since.
    pub new_digest: String,
    /// When a sync saw the change.
    #[schema(format = DateTime)]
    pub detected_at: String,
}

impl From<relman_domain::RetagRecord> for RetagResponse {
    fn from(r: relman_domain::RetagRecord) -> Self {
        Self {
            tag: r.tag,
            old_digest: r.old_digest.to_string(),
            new_digest: r.new_digest.to_string(),
            detected_at: rfc3339(r.detected_at),
        }
    }
}

/// Why a version is yanked; the body may be omitted.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct YankRequest {
    /// Shown with the version and in the audit trail.
    #[schema(
        example = "CVE-2026-1234 in the TLS stack",
        min_length = 1,
        max_length = 500,
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub reason: Option<String>,
}
