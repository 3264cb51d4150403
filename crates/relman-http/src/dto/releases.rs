//! Release bodies.

use std::collections::BTreeMap;

use relman_domain::{Comparison, Platform, Release, ReleaseMember};
use relman_service::{
    EnvironmentState, FromLatestInput, MemberInput, Page, PinFromInput, ReleaseInput, ReleasePatch,
    ReleaseQuery, SourceRefInput,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::dto::rfc3339;
use crate::dto::versions::PlatformBody;
use crate::dto::{nullable, present};

/// One member of a release to create: a component and at most one of `version`, `digest` and
/// `channel`; none means the component's `defaultChannel`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MemberRequest {
    /// The component, by UUID or name.
    #[schema(example = "api")]
    pub component_id: String,
    /// The version whose semver equals this (a leading `v` allowed).
    #[schema(example = "2.3.1")]
    pub version: Option<String>,
    /// The digest of a known version of the component.
    #[schema(example = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    pub digest: Option<String>,
    /// The highest semver in this channel.
    #[schema(example = "stable")]
    pub channel: Option<String>,
}

/// Where the release was cut from (informative; relman does not contact the SCM).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SourceRefBody {
    /// The SCM integration.
    pub scm_integration_id: Option<Uuid>,
    /// Repository path.
    #[schema(example = "myorg/myapp")]
    pub repository: Option<String>,
    /// Branch.
    #[schema(example = "main")]
    pub branch: Option<String>,
    /// Commit.
    #[schema(example = "abc123")]
    pub commit_sha: Option<String>,
}

/// Creates a release bundle.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateReleaseRequest {
    /// Unique name: 1-128 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit.
    #[schema(example = "myapp-v2.3.1")]
    pub name: String,
    /// Human-readable name; defaults to `name`.
    #[schema(example = "My App 2.3.1")]
    pub display_name: Option<String>,
    /// The members, one per component.
    pub components: Vec<MemberRequest>,
    /// Where the release was cut from.
    pub source_ref: Option<SourceRefBody>,
    /// Free-form string pairs.
    pub metadata: Option<BTreeMap<String, String>>,
    /// Release notes (Markdown).
    pub notes: Option<String>,
    /// A prerelease is never the latest release; defaults to false.
    pub prerelease: Option<bool>,
    /// The bundle's own semantic version; decides which release is the latest.
    #[schema(example = "2.3.1")]
    pub version: Option<String>,
}

/// Start `from-latest` from the release deployed in an environment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PinFromBody {
    /// The environment, by UUID or name.
    pub environment_id: String,
}

/// Creates a release from the latest version of each component in a channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FromLatestRequest {
    /// Unique name.
    #[schema(example = "myapp-latest")]
    pub name: String,
    /// Human-readable name; defaults to `name`.
    pub display_name: Option<String>,
    /// The channel; each component's `defaultChannel` when absent.
    #[schema(example = "stable")]
    pub channel: Option<String>,
    /// The components (UUIDs or names); every component when absent.
    pub component_ids: Option<Vec<String>>,
    /// Start from the members of the release running in an environment and move only
    /// `componentIds` (none when absent) to their latest version; 422 `nothing_deployed` when
    /// nothing runs there.
    pub pin_from: Option<PinFromBody>,
    /// Where the release was cut from.
    pub source_ref: Option<SourceRefBody>,
    /// Free-form string pairs.
    pub metadata: Option<BTreeMap<String, String>>,
    /// Release notes (Markdown).
    pub notes: Option<String>,
    /// Defaults to false.
    pub prerelease: Option<bool>,
    /// The bundle's own semantic version.
    pub version: Option<String>,
}

/// Changes a release. Absent fields keep their value. `components`, `version`, `prerelease` and
/// `sourceRef` change only while the release is a draft (else 409 `release_immutable`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateReleaseRequest {
    /// New display name.
    #[serde(default, deserialize_with = "present")]
    pub display_name: Option<String>,
    /// New metadata, replacing all pairs.
    #[serde(default, deserialize_with = "present")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// New notes; `null` clears them.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// New status along the status machine.
    #[serde(default, deserialize_with = "present")]
    #[schema(example = "ready")]
    pub status: Option<String>,
    /// New members (draft only); the content digest is recomputed.
    #[serde(default, deserialize_with = "present")]
    pub components: Option<Vec<MemberRequest>>,
    /// New bundle version (draft only); `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub version: Option<Option<String>>,
    /// New prerelease flag (draft only).
    #[serde(default, deserialize_with = "present")]
    pub prerelease: Option<bool>,
    /// New source reference (draft only); `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<SourceRefBody>)]
    pub source_ref: Option<Option<SourceRefBody>>,
}

/// Why a release is deprecated.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeprecateRequest {
    /// Shown with the release.
    #[schema(example = "CVE-2026-1234 in api")]
    pub reason: Option<String>,
}

/// One pinned image of a release, as snapshotted when the release was created.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseMemberResponse {
    /// The component.
    pub component_id: Uuid,
    /// The component's name at creation.
    #[schema(example = "api")]
    pub component_name: String,
    /// The semantic version of the pinned tag, if it had one.
    #[schema(example = "2.3.1")]
    pub version: Option<String>,
    /// The pinned digest: the member's identity.
    #[schema(example = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    pub digest: String,
    /// The channel of the pinned tag, if it had one.
    #[schema(example = "stable")]
    pub channel: Option<String>,
    /// The image repository at creation.
    #[schema(example = "myorg/api")]
    pub image_repository: String,
    /// The tag that resolved to `digest` at creation.
    #[schema(example = "v2.3.1")]
    pub tag: String,
    /// Per-platform digests when `digest` is a multi-arch index.
    pub platforms: Vec<PlatformBody>,
}

/// A release bundle with its members.
#[derive(Debug, Serialize, ToSchema)]
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
    /// `draft`, `ready`, `promoting`, `deployed` or `deprecated`.
    #[schema(example = "draft")]
    pub status: String,
    /// The pinned images, in the order they were given.
    pub components: Vec<ReleaseMemberResponse>,
    /// Content digest: sha256 over the canonical JSON of the members (docs/CONTENT-DIGEST.md).
    #[schema(example = "sha256:a04558c6dcdd9d00ebdc5df4a0ae3f973aa8f4701dc5a3582936955953d82edd")]
    pub digest: String,
    /// The bundle's own semantic version.
    pub version: Option<String>,
    /// Release notes (Markdown).
    pub notes: Option<String>,
    /// Whether it is a prerelease.
    pub prerelease: bool,
    /// Free-form string pairs.
    pub metadata: BTreeMap<String, String>,
    /// Where the release was cut from.
    pub source_ref: Option<SourceRefBody>,
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
    pub deprecated_reason: Option<String>,
}

/// One release in the list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseListItem {
    /// Identity.
    pub id: Uuid,
    /// Unique name.
    #[schema(example = "myapp-v2.3.1")]
    pub name: String,
    /// Life-cycle status.
    #[schema(example = "deployed")]
    pub status: String,
    /// How many members it has.
    #[schema(example = 3)]
    pub component_count: u32,
    /// When it was created.
    #[schema(format = DateTime, example = "2026-01-10T14:23:45Z")]
    pub created_at: String,
    /// Human-readable name.
    pub display_name: String,
    /// Content digest.
    pub digest: String,
    /// The bundle's own semantic version.
    pub version: Option<String>,
    /// Whether it is a prerelease.
    pub prerelease: bool,
    /// Who created it.
    pub created_by: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Paging information of a list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    /// This page (1-based).
    #[schema(example = 1)]
    pub page: u64,
    /// Items per page.
    #[schema(example = 20)]
    pub page_size: u64,
    /// Items over all pages.
    #[schema(example = 150)]
    pub total_count: u64,
    /// Number of pages.
    #[schema(example = 8)]
    pub total_pages: u64,
}

impl PageMeta {
    /// The paging of a service page.
    pub fn of<T>(page: &Page<T>) -> Self {
        Self {
            page: page.page,
            page_size: page.page_size,
            total_count: page.total_count,
            total_pages: page.total_pages,
        }
    }
}

/// A page of releases.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseListResponse {
    /// The releases of this page, newest first.
    pub data: Vec<ReleaseListItem>,
    /// Paging.
    pub meta: PageMeta,
}

/// Filters and paging for the release list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ReleaseListParams {
    /// Only this status (`draft`, `ready`, `promoting`, `deployed`, `deprecated`).
    pub status: Option<String>,
    /// Only releases with a member of this component (UUID or name).
    pub component_id: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Releases per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
}

/// A component in only one of two releases.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentRefBody {
    /// The component.
    pub component_id: Uuid,
    /// Its name as the release snapshotted it.
    #[schema(example = "worker")]
    pub component_name: String,
}

/// A component pinned at different digests by the two releases.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberChangeBody {
    /// The component's name.
    #[schema(example = "api")]
    pub component: String,
    /// The component's id.
    pub component_id: Uuid,
    /// Version in the first release.
    #[schema(example = "2.3.0")]
    pub from_version: Option<String>,
    /// Version in the second release.
    #[schema(example = "2.3.1")]
    pub to_version: Option<String>,
    /// Digest in the first release.
    pub from_digest: String,
    /// Digest in the second release.
    pub to_digest: String,
}

/// What changed from `{id}` to `{otherId}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComparisonResponse {
    /// Components only in `{otherId}`.
    pub added: Vec<ComponentRefBody>,
    /// Components only in `{id}`.
    pub removed: Vec<ComponentRefBody>,
    /// Components in both at different digests.
    pub changed: Vec<MemberChangeBody>,
    /// How many components are in both at the same digest.
    pub unchanged: usize,
}

/// A release's state in one environment.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentStateBody {
    /// The environment.
    pub environment_id: Uuid,
    /// Its display name.
    #[schema(example = "Production")]
    pub environment_name: String,
    /// `deployed`, `not_deployed`, `promoting`, `failed` or `superseded`.
    #[schema(example = "deployed")]
    pub status: String,
    /// When it was (last) deployed there; present for `deployed` and `superseded` only.
    #[schema(format = DateTime)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployed_at: Option<String>,
}

/// Where a release is deployed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseStateResponse {
    /// One entry per environment, in promotion order.
    pub environments: Vec<EnvironmentStateBody>,
}

fn member_input(m: MemberRequest) -> MemberInput {
    MemberInput {
        component_id: m.component_id,
        version: m.version,
        digest: m.digest,
        channel: m.channel,
    }
}

fn members_input(ms: Vec<MemberRequest>) -> Vec<MemberInput> {
    ms.into_iter().map(member_input).collect()
}

impl From<SourceRefBody> for SourceRefInput {
    fn from(s: SourceRefBody) -> Self {
        Self {
            scm_integration_id: s.scm_integration_id,
            repository: s.repository,
            branch: s.branch,
            commit_sha: s.commit_sha,
        }
    }
}

impl From<CreateReleaseRequest> for ReleaseInput {
    fn from(r: CreateReleaseRequest) -> Self {
        Self {
            name: r.name,
            display_name: r.display_name,
            components: members_input(r.components),
            source_ref: r.source_ref.map(Into::into),
            metadata: r.metadata,
            notes: r.notes,
            prerelease: r.prerelease,
            version: r.version,
        }
    }
}

impl From<FromLatestRequest> for FromLatestInput {
    fn from(r: FromLatestRequest) -> Self {
        Self {
            name: r.name,
            display_name: r.display_name,
            channel: r.channel,
            component_ids: r.component_ids,
            pin_from: r.pin_from.map(|p| PinFromInput {
                environment_id: p.environment_id,
            }),
            source_ref: r.source_ref.map(Into::into),
            metadata: r.metadata,
            notes: r.notes,
            prerelease: r.prerelease,
            version: r.version,
        }
    }
}

impl From<UpdateReleaseRequest> for ReleasePatch {
    fn from(r: UpdateReleaseRequest) -> Self {
        Self {
            display_name: r.display_name,
            metadata: r.metadata,
            notes: r.notes,
            status: r.status,
            components: r.components.map(members_input),
            version: r.version,
            prerelease: r.prerelease,
            source_ref: r.source_ref.map(|s| s.map(Into::into)),
        }
    }
}

impl From<ReleaseListParams> for ReleaseQuery {
    fn from(p: ReleaseListParams) -> Self {
        Self {
            status: p.status,
            component_id: p.component_id,
            page: p.page,
            page_size: p.page_size,
        }
    }
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
    }
}

impl From<Release> for ReleaseResponse {
    fn from(r: Release) -> Self {
        Self {
            id: r.id,
            name: r.name.to_string(),
            display_name: r.display_name,
            status: r.status.to_string(),
            components: r.members.into_iter().map(member).collect(),
            digest: r.digest.to_string(),
            version: r.version.map(|v| v.to_string()),
            notes: r.notes,
            prerelease: r.prerelease,
            metadata: r.metadata,
            source_ref: r.source_ref.map(|s| SourceRefBody {
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

impl From<relman_domain::ReleaseSummary> for ReleaseListItem {
    fn from(r: relman_domain::ReleaseSummary) -> Self {
        Self {
            id: r.id,
            name: r.name.to_string(),
            status: r.status.to_string(),
            component_count: r.component_count,
            created_at: rfc3339(r.created_at),
            display_name: r.display_name,
            digest: r.digest.to_string(),
            version: r.version.map(|v| v.to_string()),
            prerelease: r.prerelease,
            created_by: r.created_by,
            updated_at: rfc3339(r.updated_at),
        }
    }
}

impl From<Page<relman_domain::ReleaseSummary>> for ReleaseListResponse {
    fn from(p: Page<relman_domain::ReleaseSummary>) -> Self {
        Self {
            meta: PageMeta::of(&p),
            data: p.items.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Comparison> for ComparisonResponse {
    fn from(c: Comparison) -> Self {
        let refs = |v: Vec<relman_domain::ComponentRef>| {
            v.into_iter()
                .map(|r| ComponentRefBody {
                    component_id: r.component_id,
                    component_name: r.component_name,
                })
                .collect()
        };
        Self {
            added: refs(c.added),
            removed: refs(c.removed),
            changed: c
                .changed
                .into_iter()
                .map(|ch| MemberChangeBody {
                    component: ch.component,
                    component_id: ch.component_id,
                    from_version: ch.from_version.map(|v| v.to_string()),
                    to_version: ch.to_version.map(|v| v.to_string()),
                    from_digest: ch.from_digest.to_string(),
                    to_digest: ch.to_digest.to_string(),
                })
                .collect(),
            unchanged: c.unchanged,
        }
    }
}

impl From<Vec<EnvironmentState>> for ReleaseStateResponse {
    fn from(states: Vec<EnvironmentState>) -> Self {
        Self {
            environments: states
                .into_iter()
                .map(|s| EnvironmentStateBody {
                    environment_id: s.environment_id,
                    environment_name: s.environment_name,
                    status: s.status.to_string(),
                    deployed_at: s.deployed_at.map(rfc3339),
                })
                .collect(),
        }
    }
}
