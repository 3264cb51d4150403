//! Deployment bodies.

use relman_domain::DeploymentRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::enums::{DeploymentStatusName, OutcomeName};
use crate::releases::PageMeta;
use crate::rfc3339;

/// Promotes a release to an environment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PromoteRequest {
    /// The environment, by UUID or name.
    #[schema(
        example = "staging",
        pattern = r"^[\t\n\r\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub environment_id: String,
}

/// Reports how a deployment finished.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CompleteDeploymentRequest {
    /// How it finished.
    pub outcome: OutcomeName,
    /// What happened, in the CD tool's words (1-2000 characters, not blank).
    #[schema(
        example = "rolled out 3/3 replicas",
        min_length = 1,
        max_length = 2000,
        pattern = r"^[\x20\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]*$"
    )]
    pub message: Option<String>,
}

/// One promotion of a release to an environment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentResponse {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// The release deployed.
    pub release_id: Uuid,
    /// Its name.
    #[schema(example = "myapp-v2.3.1")]
    pub release_name: String,
    /// The environment.
    pub environment_id: Uuid,
    /// Its display name (as in the release state).
    #[schema(example = "Staging")]
    pub environment_name: String,
    /// Where it stands.
    pub status: DeploymentStatusName,
    /// What the CD tool said when it finished.
    #[schema(required = true)]
    pub message: Option<String>,
    /// When the promotion started it.
    #[schema(format = DateTime)]
    pub started_at: String,
    /// Who promoted.
    #[schema(example = "admin")]
    pub started_by: String,
    /// When it finished.
    #[schema(format = DateTime, required = true)]
    pub completed_at: Option<String>,
    /// Who reported the outcome.
    #[schema(required = true)]
    pub completed_by: Option<String>,
}

/// A page of deployments.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentListResponse {
    /// The deployments of this page, newest first.
    pub data: Vec<DeploymentResponse>,
    /// Paging.
    pub meta: PageMeta,
}

/// Filters and paging for the deployment history.
#[derive(Debug, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DeploymentListParams {
    /// Only deployments to this environment (UUID or name).
    pub environment_id: Option<String>,
    /// Only deployments of this release (UUID or name).
    pub release_id: Option<String>,
    /// Page number, from 1 (at most 1000000000).
    #[param(minimum = 1, maximum = 1_000_000_000)]
    pub page: Option<i64>,
    /// Deployments per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Start after this cursor instead of at `page` (the `Link: rel="next"` of a previous page
    /// carries it); opaque, and not combinable with `page`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

impl From<DeploymentRecord> for DeploymentResponse {
    fn from(r: DeploymentRecord) -> Self {
        let d = r.deployment;
        Self {
            id: d.id,
            release_id: d.release_id,
            release_name: r.release_name,
            environment_id: d.environment_id,
            environment_name: r.environment_name,
            status: d.status.into(),
            message: d.message,
            started_at: rfc3339(d.started_at),
            started_by: d.started_by,
            completed_at: d.completed_at.map(rfc3339),
            completed_by: d.completed_by,
        }
    }
}
