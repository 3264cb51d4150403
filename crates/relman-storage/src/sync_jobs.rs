//! Sync jobs: a sync started in the background, its progress, and its answer, readable from any
//! replica.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::codec::{from_micros, to_micros, uuid};
use crate::error::StorageError;
use crate::schema::sync_jobs as sj;
use crate::store::Store;

/// Waiting for its sync to start.
pub const QUEUED: &str = "queued";
/// Its sync is running.
pub const RUNNING: &str = "running";
/// Finished with a report.
pub const SUCCEEDED: &str = "succeeded";
/// Finished with an error.
pub const FAILED: &str = "failed";

/// A sync job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncJob {
    /// The job.
    pub id: Uuid,
    /// The component it syncs.
    pub component_id: Uuid,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// What the sync is doing (`listing`, `resolving`, `saving`, `done`).
    pub phase: String,
    /// Work items done in the phase.
    pub done: u64,
    /// Work items of the phase (0 while unknown).
    pub total: u64,
    /// The answer of a job that succeeded, as the API renders it.
    pub result: Option<String>,
    /// The problem of a job that failed, as the API renders it.
    pub error: Option<String>,
    /// Who started it.
    pub created_by: String,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When its runner last wrote (progress or heartbeat).
    pub updated_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
}

impl SyncJob {
    /// Whether it has not finished.
    pub fn is_active(&self) -> bool {
        self.status == QUEUED || self.status == RUNNING
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = sj)]
struct Row {
    id: String,
    component_id: String,
    status: String,
    phase: String,
    done: i64,
    total: i64,
    result: Option<String>,
    error: Option<String>,
    created_by: String,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl TryFrom<Row> for SyncJob {
    type Error = StorageError;

    fn try_from(r: Row) -> Result<Self, StorageError> {
        Ok(SyncJob {
            id: uuid(&r.id)?,
            component_id: uuid(&r.component_id)?,
            status: r.status,
            phase: r.phase,
            done: u64::try_from(r.done).unwrap_or(0),
            total: u64::try_from(r.total).unwrap_or(0),
            result: r.result,
            error: r.error,
            created_by: r.created_by,
            created_at: from_micros(r.created_at)?,
            updated_at: from_micros(r.updated_at)?,
            finished_at: r.finished_at.map(from_micros).transpose()?,
        })
    }
}

impl From<&SyncJob> for Row {
    fn from(j: &SyncJob) -> Self {
        Row {
            id: j.id.to_string(),
            component_id: j.component_id.to_string(),
            status: j.status.clone(),
            phase: j.phase.clone(),
            done: count(j.done),
            total: count(j.total),
            result: j.result.clone(),
            error: j.error.clone(),
            created_by: j.created_by.clone(),
            created_at: to_micros(j.created_at),
            updated_at: to_micros(j.updated_at),
            finished_at: j.finished_at.map(to_micros),
        }
    }
}

impl Store {
    /// Records `job`, unless its component has an active job written to since `alive_since`:
    /// then that one is answered and `false` says nothing was created. One write transaction, so
    /// two starts of one component agree on one job (on one database).
    pub async fn create_sync_job(
        &self,
        job: &SyncJob,
        alive_since: DateTime<Utc>,
    ) -> Result<(SyncJob, bool), StorageError> {
        let row = Row::from(job);
        let job = job.clone();
        self.transact(move |conn| {
            let running = sj::table
                .filter(sj::component_id.eq(&row.component_id))
                .filter(sj::status.eq_any([QUEUED, RUNNING]))
                .filter(sj::updated_at.ge(to_micros(alive_since)))
                .order(sj::created_at.desc())
                .select(Row::as_select())
                .first::<Row>(conn)
                .optional()?;
            if let Some(existing) = running {
                return Ok((SyncJob::try_from(existing)?, false));
            }
            diesel::insert_into(sj::table).values(&row).execute(conn)?;
            Ok((job, true))
        })
        .await
    }

    /// Writes a running job's progress (and so its heartbeat).
    pub async fn report_sync_job(
        &self,
        id: Uuid,
        phase: &str,
        done: u64,
        total: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let phase = phase.to_owned();
        self.run(move |conn| {
            diesel::update(
                sj::table
                    .filter(sj::id.eq(id.to_string()))
                    .filter(sj::status.eq_any([QUEUED, RUNNING])),
            )
            .set((
                sj::status.eq(RUNNING),
                sj::phase.eq(phase),
                sj::done.eq(count(done)),
                sj::total.eq(count(total)),
                sj::updated_at.eq(to_micros(now)),
            ))
            .execute(conn)?;
            Ok(())
        })
        .await
    }

    /// Records how a job ended: `succeeded` with `result`, or `failed` with `error`.
    pub async fn finish_sync_job(
        &self,
        id: Uuid,
        status: &'static str,
        result: Option<String>,
        error: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.run(move |conn| {
            diesel::update(sj::table.filter(sj::id.eq(id.to_string())))
                .set((
                    sj::status.eq(status),
                    sj::phase.eq("done"),
                    sj::done.eq(sj::total),
                    sj::result.eq(result),
                    sj::error.eq(error),
                    sj::updated_at.eq(to_micros(now)),
                    sj::finished_at.eq(Some(to_micros(now))),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    /// One job.
    pub async fn sync_job(&self, id: Uuid) -> Result<Option<SyncJob>, StorageError> {
        self.run(move |conn| {
            sj::table
                .filter(sj::id.eq(id.to_string()))
                .select(Row::as_select())
                .first::<Row>(conn)
                .optional()?
                .map(SyncJob::try_from)
                .transpose()
        })
        .await
    }

    /// Deletes jobs that finished before `before`, and active ones not written to since then
    /// (their runner is long gone); returns how many.
    pub async fn prune_sync_jobs(&self, before: DateTime<Utc>) -> Result<usize, StorageError> {
        let before = to_micros(before);
        self.run(move |conn| {
            Ok(diesel::delete(
                sj::table.filter(
                    sj::finished_at
                        .lt(before)
                        .or(sj::finished_at.is_null().and(sj::updated_at.lt(before))),
                ),
            )
            .execute(conn)?)
        })
        .await
    }
}
