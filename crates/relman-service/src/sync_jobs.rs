//! Sync jobs: a sync run in the background, whose progress and answer any replica can read.
//!
//! The runner (the HTTP layer, which renders the answer) reports progress through
//! [`Service::report_sync_job`] at least every [`JOB_HEARTBEAT`]; a job not written to for
//! [`JOB_ALIVE`] lost its runner (the replica stopped) and reads as failed. Finished jobs are
//! kept for [`JOB_RETENTION`].

use std::time::Duration;

use relman_domain::Actor;
use relman_storage::{SyncJob, sync_job_status};
use uuid::Uuid;

use crate::error::{Resource, ServiceError};
use crate::sync::SyncStep;
use crate::{Service, now};

/// How often a runner writes to its job even when the sync has nothing new to tell.
pub const JOB_HEARTBEAT: Duration = Duration::from_secs(5);
/// A job not written to for this long has lost its runner.
pub const JOB_ALIVE: Duration = Duration::from_secs(60);
/// How long a finished job stays readable.
pub const JOB_RETENTION: Duration = Duration::from_secs(24 * 3600);

fn ago(d: Duration) -> chrono::DateTime<chrono::Utc> {
    now() - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero())
}

impl Service {
    /// Starts a job for a component's sync, or answers the one already running for it (`false`).
    /// Fails at once when the component cannot be synced at all (unknown, no integration).
    pub async fn start_sync_job(
        &self,
        actor: &Actor,
        key: &str,
    ) -> Result<(SyncJob, bool), ServiceError> {
        let component = self.component(key).await?;
        self.client_for(&component).await?;
        let at = now();
        let job = SyncJob {
            id: Uuid::now_v7(),
            component_id: component.id,
            status: sync_job_status::QUEUED.to_owned(),
            phase: "queued".to_owned(),
            done: 0,
            total: 0,
            result: None,
            error: None,
            created_by: actor.name.clone(),
            created_at: at,
            updated_at: at,
            finished_at: None,
        };
        Ok(self.store.create_sync_job(&job, ago(JOB_ALIVE)).await?)
    }

    /// Records a running job's progress; also its heartbeat.
    pub async fn report_sync_job(&self, id: Uuid, step: SyncStep) -> Result<(), ServiceError> {
        Ok(self
            .store
            .report_sync_job(id, step.phase.as_str(), step.done, step.total, now())
            .await?)
    }

    /// Records how a job ended: `Ok(answer)` or `Err(problem)`, each as the API renders it.
    pub async fn finish_sync_job(
        &self,
        id: Uuid,
        outcome: Result<String, String>,
    ) -> Result<(), ServiceError> {
        let (status, result, error) = match outcome {
            Ok(answer) => (sync_job_status::SUCCEEDED, Some(answer), None),
            Err(problem) => (sync_job_status::FAILED, None, Some(problem)),
        };
        Ok(self
            .store
            .finish_sync_job(id, status, result, error, now())
            .await?)
    }

    /// A job. One whose runner stopped writing reads as `failed` with no error recorded.
    pub async fn sync_job(&self, key: &str) -> Result<SyncJob, ServiceError> {
        let not_found = || ServiceError::NotFound {
            resource: Resource::SyncJob,
            key: key.to_owned(),
        };
        let id = Uuid::parse_str(key).map_err(|_| not_found())?;
        let mut job = self.store.sync_job(id).await?.ok_or_else(not_found)?;
        if job.is_active() && job.updated_at < ago(JOB_ALIVE) {
            job.status = sync_job_status::FAILED.to_owned();
        }
        Ok(job)
    }

    /// Deletes jobs finished more than [`JOB_RETENTION`] ago; returns how many.
    pub async fn prune_sync_jobs(&self) -> Result<usize, ServiceError> {
        Ok(self.store.prune_sync_jobs(ago(JOB_RETENTION)).await?)
    }
}
