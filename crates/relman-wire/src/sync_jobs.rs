//! Sync jobs: a sync started with `Prefer: respond-async`, polled at `/api/v1/sync-jobs/{id}`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Problem;

/// Where a sync job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncJobStatusName {
    /// Accepted; the sync has not reported yet.
    Queued,
    /// The sync is running.
    Running,
    /// Finished; `result` holds the report.
    Succeeded,
    /// Finished; `error` says why (`null` when the server running it stopped).
    Failed,
}

/// What a running sync is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhaseName {
    /// Not started.
    Queued,
    /// Reading the registry's tag list.
    Listing,
    /// Resolving new and mutable tags: `done` of `total`.
    Resolving,
    /// Writing the changes (`total` of them).
    Saving,
    /// Finished.
    Done,
}

/// What a finished sync found and did (the counts of the synchronous answer; its versions are
/// listed by `GET /api/v1/components/{id}/versions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncSummaryBody {
    /// Tags the registry lists that the component tracks.
    pub synced: u64,
    /// Tags seen for the first time.
    pub added: u64,
    /// Known tags whose digest or details changed, or that came back.
    pub updated: u64,
    /// Known tags left as they were.
    pub unchanged: u64,
    /// Tags that vanished from the registry (kept, marked `gone`).
    pub gone: u64,
    /// HTTP requests made to the registry.
    pub registry_requests: u64,
}

/// A sync job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncJobResponse {
    /// The job.
    pub id: Uuid,
    /// The component it syncs.
    pub component_id: Uuid,
    /// Where it is.
    pub status: SyncJobStatusName,
    /// What the sync is doing.
    pub phase: SyncPhaseName,
    /// Items done in the phase.
    pub done: u64,
    /// Items of the phase (0 while unknown or when the phase has no count).
    pub total: u64,
    /// The report, once succeeded.
    #[schema(required = true)]
    pub result: Option<SyncSummaryBody>,
    /// Why it failed, once failed; `null` when the server running it stopped before the end.
    #[schema(required = true)]
    pub error: Option<Problem>,
    /// Who started it.
    pub created_by: String,
    /// When it was started.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last reported.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// When it finished.
    #[schema(format = DateTime, required = true)]
    pub finished_at: Option<String>,
}
