//! What reads about releases report: the comparison of two releases and a release's state per
//! environment.

use relman_domain::Comparison;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::enums::EnvironmentStatusName;

/// A component in only one of two releases.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentRefBody {
    /// The component.
    pub component_id: Uuid,
    /// Its name as the release snapshotted it.
    #[schema(example = "worker")]
    pub component_name: String,
}

/// A component pinned at different digests by the two releases.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberChangeBody {
    /// The component's name.
    #[schema(example = "api")]
    pub component: String,
    /// The component's id.
    pub component_id: Uuid,
    /// Version in the first release.
    #[schema(example = "2.3.0", required = true)]
    pub from_version: Option<String>,
    /// Version in the second release.
    #[schema(example = "2.3.1", required = true)]
    pub to_version: Option<String>,
    /// Digest in the first release.
    pub from_digest: String,
    /// Digest in the second release.
    pub to_digest: String,
}

/// What changed from `{id}` to `{otherId}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentStateBody {
    /// The environment.
    pub environment_id: Uuid,
    /// Its display name.
    #[schema(example = "Production")]
    pub environment_name: String,
    /// The release's state there.
    pub status: EnvironmentStatusName,
    /// When it was (last) deployed there; present for `deployed` and `superseded` only.
    #[schema(format = DateTime, nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployed_at: Option<String>,
}

/// Where a release is deployed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseStateResponse {
    /// One entry per environment, in promotion order.
    pub environments: Vec<EnvironmentStateBody>,
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
