//! The release list: its items, paging and filters.

use relman_domain::ReleaseSummary;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::enums::ReleaseStatusName;
use crate::rfc3339;

/// One release in the list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseListItem {
    /// Identity.
    pub id: Uuid,
    /// Unique name.
    #[schema(example = "myapp-v2.3.1")]
    pub name: String,
    /// Life-cycle status.
    pub status: ReleaseStatusName,
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
    #[schema(required = true)]
    pub version: Option<String>,
    /// Whether it is a prerelease.
    pub prerelease: bool,
    /// Whether it is the latest release (`GET /releases/latest`).
    pub is_latest: bool,
    /// Who created it.
    pub created_by: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Paging information of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    /// This page (1-based); 0 on a page asked for by `cursor`, which has no number.
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

/// A page of releases.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseListResponse {
    /// The releases of this page, newest first.
    pub data: Vec<ReleaseListItem>,
    /// Paging.
    pub meta: PageMeta,
}

/// Filters and paging for the release list.
#[derive(Debug, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ReleaseListParams {
    /// Only this status.
    pub status: Option<ReleaseStatusName>,
    /// Only releases with a member of this component (UUID or name).
    pub component_id: Option<String>,
    /// Only prereleases (`true`) or only releases that are not (`false`).
    pub prerelease: Option<bool>,
    /// Page number, from 1 (at most 1000000000).
    #[param(minimum = 1, maximum = 1_000_000_000)]
    pub page: Option<i64>,
    /// Releases per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Start after this cursor instead of at `page` (the `Link: rel="next"` of a previous page
    /// carries it); opaque, and not combinable with `page`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

impl ReleaseListItem {
    /// The list item for `r`; `latest` is the latest release's id, if any.
    pub fn new(r: ReleaseSummary, latest: Option<Uuid>) -> Self {
        Self {
            is_latest: latest == Some(r.id),
            id: r.id,
            name: r.name.to_string(),
            status: r.status.into(),
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
