//! Release bodies.

use std::collections::BTreeMap;

use relman_domain::{Platform, Release, ReleaseMember};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::enums::ReleaseStatusName;
use crate::rfc3339;
use crate::schemas::Metadata;
use crate::versions::{PlatformBody, ProvenanceBody};
use crate::{nullable, present};

pub use crate::release_list::{PageMeta, ReleaseListItem, ReleaseListParams, ReleaseListResponse};

/// One member of a release to create: a component and at most one of `version`, `digest` and
/// `channel` (`maxProperties: 2`); none means the component's `defaultChannel`. The selectors
/// are never `null`: leave out the ones not used.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(max_properties = 2)]
pub struct MemberRequest {
    /// The component, by UUID or name.
    #[schema(
        example = "api",
        pattern = r"^[\t\n\r\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub component_id: String,
    /// The version whose semver equals this (a leading `v` allowed).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(
        example = "2.3.1",
        nullable = false,
        pattern = r"^v?(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})(-(0|[1-9][0-9]{0,18}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]{0,18}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$"
    )]
    pub version: Option<String>,
    /// The digest of a known version of the component.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(
        example = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        nullable = false,
        pattern = r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$"
    )]
    pub digest: Option<String>,
    /// The highest semver in this channel.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(
        example = "stable",
        nullable = false,
        pattern = r"^[a-z][a-z0-9-]{0,31}$"
    )]
    pub channel: Option<String>,
}

/// Where the release was cut from (informative; relman does not contact the SCM).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SourceRefBody {
    /// The SCM integration.
    pub scm_integration_id: Option<Uuid>,
    /// Repository path (1-256 characters, not blank).
    #[schema(
        example = "myorg/myapp",
        min_length = 1,
        max_length = 256,
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub repository: Option<String>,
    /// Branch (1-256 characters, not blank).
    #[schema(
        example = "main",
        min_length = 1,
        max_length = 256,
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub branch: Option<String>,
    /// Commit (1-256 characters, not blank).
    #[schema(
        example = "abc123",
        min_length = 1,
        max_length = 256,
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub commit_sha: Option<String>,
}

/// Where the release was cut from, as stored; absent parts are `null`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceRefResponse {
    /// The SCM integration.
    #[schema(required = true)]
    pub scm_integration_id: Option<Uuid>,
    /// Repository path.
    #[schema(example = "myorg/myapp", required = true)]
    pub repository: Option<String>,
    /// Branch.
    #[schema(example = "main", required = true)]
    pub branch: Option<String>,
    /// Commit.
    #[schema(example = "abc123", required = true)]
    pub commit_sha: Option<String>,
}

/// Creates a release bundle.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateReleaseRequest {
    /// Unique name: 1-128 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit; not a UUID,
    /// not `latest` or `from-latest`.
    #[schema(
        example = "myapp-v2.3.1",
        pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
    )]
    pub name: String,
    /// Human-readable name (1-200 characters, not blank); defaults to `name`.
    #[schema(
        example = "My App 2.3.1",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub display_name: Option<String>,
    /// The members, one per component (at least one).
    pub components: Vec<MemberRequest>,
    /// Where the release was cut from.
    pub source_ref: Option<SourceRefBody>,
    /// Free-form string pairs: at most 64, keys 1-128 characters without control characters,
    /// values at most 2048 characters.
    #[schema(value_type = Option<Metadata>)]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Release notes (Markdown, at most 100000 characters).
    #[schema(
        max_length = 100000,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub notes: Option<String>,
    /// A prerelease is never the latest release; defaults to false.
    pub prerelease: Option<bool>,
    /// The bundle's own semantic version (a leading `v` allowed); decides which release is the
    /// latest.
    #[schema(
        example = "2.3.1",
        pattern = r"^v?(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})(-(0|[1-9][0-9]{0,18}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]{0,18}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$"
    )]
    pub version: Option<String>,
}

/// Start `from-latest` from the release deployed in an environment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PinFromBody {
    /// The environment, by UUID or name.
    #[schema(
        pattern = r"^[\t\n\r\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub environment_id: String,
}

/// Creates a release from the latest version of each component in a channel.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FromLatestRequest {
    /// Unique name, as for `POST /releases`.
    #[schema(
        example = "myapp-latest",
        pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
    )]
    pub name: String,
    /// Human-readable name (1-200 characters, not blank); defaults to `name`.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub display_name: Option<String>,
    /// The channel; each component's `defaultChannel` when absent.
    #[schema(example = "stable", pattern = r"^[a-z][a-z0-9-]{0,31}$")]
    pub channel: Option<String>,
    /// The components (UUIDs or names, not blank); every component when absent.
    #[schema(value_type = Option<Vec<NonBlank>>)]
    pub component_ids: Option<Vec<String>>,
    /// Start from the members of the release running in an environment and move only
    /// `componentIds` (none when absent) to their latest version; 422 `nothing_deployed` when
    /// nothing runs there.
    pub pin_from: Option<PinFromBody>,
    /// Where the release was cut from.
    pub source_ref: Option<SourceRefBody>,
    /// Free-form string pairs: at most 64, keys 1-128 characters without control characters,
    /// values at most 2048 characters.
    #[schema(value_type = Option<Metadata>)]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Release notes (Markdown, at most 100000 characters).
    #[schema(
        max_length = 100000,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub notes: Option<String>,
    /// Defaults to false.
    pub prerelease: Option<bool>,
    /// The bundle's own semantic version (a leading `v` allowed).
    #[schema(
        pattern = r"^v?(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})(-(0|[1-9][0-9]{0,18}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]{0,18}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$"
    )]
    pub version: Option<String>,
}

/// Changes a release. Absent fields keep their value. `components`, `version`, `prerelease` and
/// `sourceRef` change only while the release is a draft (else 409 `release_immutable`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateReleaseRequest {
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
    /// New metadata, replacing all pairs (limits as on create).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false, value_type = Option<Metadata>)]
    pub metadata: Option<BTreeMap<String, String>>,
    /// New notes (at most 100000 characters); `null` clears them.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, max_length = 100000, pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$")]
    pub notes: Option<Option<String>>,
    /// New status along the status machine (`promoting` and `deployed` come only from
    /// deployments: 409).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub status: Option<ReleaseStatusName>,
    /// New members (draft only); the content digest is recomputed.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub components: Option<Vec<MemberRequest>>,
    /// New bundle version (draft only); `null` clears it.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, pattern = r"^v?(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})\.(0|[1-9][0-9]{0,18})(-(0|[1-9][0-9]{0,18}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]{0,18}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*)?(\+[0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*)?$")]
    pub version: Option<Option<String>>,
    /// New prerelease flag (draft only).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(nullable = false)]
    pub prerelease: Option<bool>,
    /// New source reference (draft only); `null` clears it.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<SourceRefBody>)]
    pub source_ref: Option<Option<SourceRefBody>>,
}

/// Why a release is deprecated.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeprecateRequest {
    /// Shown with the release (1-2000 characters, not blank).
    #[schema(
        example = "CVE-2026-1234 in api",
        min_length = 1,
        max_length = 2000,
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub reason: Option<String>,
}

/// A reference by UUID or name: not blank, and held to the body rule (no control character but
/// tab, line feed and carriage return).
#[derive(ToSchema)]
#[schema(
    pattern = r"^[\t\n\r\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
)]
pub struct NonBlank(pub String);

/// One pinned image of a release, as snapshotted when the release was created.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseMemberResponse {
    /// The component.
    pub component_id: Uuid,
    /// The component's name at creation.
    #[schema(example = "api")]
    pub component_name: String,
    /// The semantic version of the pinned tag, if it had one.
    #[schema(example = "2.3.1", required = true)]
    pub version: Option<String>,
    /// The pinned digest: the member's identity.
    #[schema(example = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    pub digest: String,
    /// The channel of the pinned tag, if it had one.
    #[schema(example = "stable", required = true)]
    pub channel: Option<String>,
    /// The image repository at creation.
    #[schema(example = "myorg/api")]
    pub image_repository: String,
    /// The tag that resolved to `digest` at creation.
    #[schema(example = "v2.3.1")]
    pub tag: String,
    /// Per-platform digests when `digest` is a multi-arch index.
    pub platforms: Vec<PlatformBody>,
    /// Where the pinned image was built from, as recorded at creation.
    pub provenance: ProvenanceBody,
}

/// A release bundle with its members.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseResponse {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// Unique name.
    #[schema(example = "myapp-v2.3.1")]
    pub name: String,
    /// Human-readable name.
    #[schema(example = "My App 2.3.1")]
    pub display_name: String,
    /// Life-cycle status.
    pub status: ReleaseStatusName,
    /// The pinned images, in the order they were given.
    pub components: Vec<ReleaseMemberResponse>,
    /// Content digest: sha256 over the canonical JSON of the members (docs/CONTENT-DIGEST.md).
    #[schema(example = "sha256:a04558c6dcdd9d00ebdc5df4a0ae3f973aa8f4701dc5a3582936955953d82edd")]
    pub digest: String,
    /// The bundle's own semantic version.
    #[schema(required = true)]
    pub version: Option<String>,
    /// Release notes (Markdown).
    #[schema(required = true)]
    pub notes: Option<String>,
    /// Whether it is a prerelease.
    pub prerelease: bool,
    /// Whether it is the latest release (`GET /releases/latest`): the highest `version` among
    /// releases that are neither draft, prerelease nor deprecated.
    pub is_latest: bool,
    /// Free-form string pairs.
    #[schema(value_type = Metadata)]
    pub metadata: BTreeMap<String, String>,
    /// Where the release was cut from.
    #[schema(required = true)]
    pub source_ref: Option<SourceRefResponse>,
    /// When it was created (RFC 3339, UTC).
    #[schema(format = DateTime, example = "2026-01-10T14:23:45Z")]
    pub created_at: String,
    /// Who created it.
    #[schema(example = "admin")]
    pub created_by: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Why it was deprecated.
    #[schema(required = true)]
    pub deprecated_reason: Option<String>,
}

impl From<Platform> for PlatformBody {
    fn from(p: Platform) -> Self {
        Self {
            os: p.os,
            architecture: p.architecture,
            variant: p.variant,
            digest: p.digest.to_string(),
        }
    }
}

fn member(m: ReleaseMember) -> ReleaseMemberResponse {
    ReleaseMemberResponse {
        component_id: m.component_id,
        component_name: m.component_name,
        version: m.version.map(|v| v.to_string()),
        digest: m.digest.to_string(),
        channel: m.channel.map(|c| c.to_string()),
        image_repository: m.image_repository,
        tag: m.tag,
        platforms: m.platforms.into_iter().map(PlatformBody::from).collect(),
        provenance: m.provenance.into(),
    }
}

impl ReleaseResponse {
    /// The response for `r`; `latest` is the latest release's id, if any.
    pub fn new(r: Release, latest: Option<Uuid>) -> Self {
        Self {
            is_latest: latest == Some(r.id),
            id: r.id,
            name: r.name.to_string(),
            display_name: r.display_name,
            status: r.status.into(),
            components: r.members.into_iter().map(member).collect(),
            digest: r.digest.to_string(),
            version: r.version.map(|v| v.to_string()),
            notes: r.notes,
            prerelease: r.prerelease,
            metadata: r.metadata,
            source_ref: r.source_ref.map(|s| SourceRefResponse {
                scm_integration_id: s.scm_integration_id,
                repository: s.repository,
                branch: s.branch,
                commit_sha: s.commit_sha,
            }),
            created_at: rfc3339(r.created_at),
            created_by: r.created_by,
            updated_at: rfc3339(r.updated_at),
            deprecated_reason: r.deprecated_reason,
        }
    }
}
