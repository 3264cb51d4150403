//! Deployment rows: promotions, their outcomes, and what runs where.
//!
//! Every transaction that changes deployments starts by writing the release's row. On SQLite the
//! first write takes the database's write lock (waiting on `busy_timeout`), so the reads that
//! follow cannot go stale; on PostgreSQL it locks the row, which serializes promotions and
//! completions of one release and, because both take the release first, can never deadlock.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use relman_domain::DeploymentRecord;
use relman_domain::{
    AuditEvent, Deployment, DeploymentStatus, Release, ReleaseStatus, release_status_after,
};
use uuid::Uuid;

use crate::audit;
use crate::codec::{from_micros, to_micros, uuid};
use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::keyset::{Window, after_key, key_of};
use crate::schema::{deployments, environments, releases};
use crate::store::Store;

type Backend = <DbConnection as Connection>::Backend;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = deployments)]
struct DeploymentRow {
    id: String,
    release_id: String,
    environment_id: String,
    status: String,
    message: Option<String>,
    started_at: i64,
    started_by: String,
    completed_at: Option<i64>,
    completed_by: Option<String>,
}

impl From<&Deployment> for DeploymentRow {
    fn from(d: &Deployment) -> Self {
        Self {
            id: d.id.to_string(),
            release_id: d.release_id.to_string(),
            environment_id: d.environment_id.to_string(),
            status: d.status.as_str().to_owned(),
            message: d.message.clone(),
            started_at: to_micros(d.started_at),
            started_by: d.started_by.clone(),
            completed_at: d.completed_at.map(to_micros),
            completed_by: d.completed_by.clone(),
        }
    }
}

impl TryFrom<DeploymentRow> for Deployment {
    type Error = StorageError;

    fn try_from(r: DeploymentRow) -> Result<Self, StorageError> {
        Ok(Deployment {
            id: uuid(&r.id)?,
            release_id: uuid(&r.release_id)?,
            environment_id: uuid(&r.environment_id)?,
            status: DeploymentStatus::parse(&r.status).ok_or_else(|| {
                StorageError::Corrupt(format!("deployment status '{}'", r.status))
            })?,
            message: r.message,
            started_at: from_micros(r.started_at)?,
            started_by: r.started_by,
            completed_at: r.completed_at.map(from_micros).transpose()?,
            completed_by: r.completed_by,
        })
    }
}

/// Which deployments to list.
#[derive(Debug, Clone, Default)]
pub struct DeploymentFilter {
    /// Only deployments to this environment.
    pub environment_id: Option<Uuid>,
    /// Only deployments of this release.
    pub release_id: Option<Uuid>,
}

/// One page of deployments and how many match the filter.
#[derive(Debug, Clone)]
pub struct DeploymentPage {
    /// The page, newest first.
    pub items: Vec<DeploymentRecord>,
    /// Matches over all pages.
    pub total: u64,
    /// The key of the page's last deployment when more follow (the next page's cursor).
    pub next: Option<crate::keyset::SortKey>,
}

/// What completing a deployment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// It was open and is now closed; the release now has this status.
    Completed(ReleaseStatus),
    /// Someone closed it first; nothing was written.
    AlreadyCompleted,
}

fn filtered(filter: &DeploymentFilter) -> deployments::BoxedQuery<'static, Backend> {
    let mut q = deployments::table.into_boxed();
    if let Some(env) = filter.environment_id {
        q = q.filter(deployments::environment_id.eq(env.to_string()));
    }
    if let Some(release) = filter.release_id {
        q = q.filter(deployments::release_id.eq(release.to_string()));
    }
    q
}

fn records(
    rows: Vec<(DeploymentRow, String, String)>,
) -> Result<Vec<DeploymentRecord>, StorageError> {
    rows.into_iter()
        .map(|(row, release_name, environment_name)| {
            Ok(DeploymentRecord {
                deployment: row.try_into()?,
                release_name,
                environment_name,
            })
        })
        .collect()
}

fn record_all(conn: &mut DbConnection, events: &[AuditEvent]) -> Result<(), StorageError> {
    for event in events {
        audit::record(conn, event)?;
    }
    Ok(())
}

impl Store {
    /// Opens a deployment: in one transaction, moves the release to `release.status` (with
    /// `release.updated_at`) if nobody changed it since it was read at `read_updated_at`, inserts
    /// the deployment and records `events`. `Ok(false)` when the release changed meanwhile
    /// (nothing written). An open deployment to the same environment makes the insert fail with
    /// [`StorageError::Conflict`] (the `deployments_open_environment_key` index decides between
    /// concurrent promotions) and nothing is written.
    pub async fn start_deployment(
        &self,
        deployment: &Deployment,
        release: &Release,
        read_updated_at: DateTime<Utc>,
        events: &[AuditEvent],
    ) -> Result<bool, StorageError> {
        let row = DeploymentRow::from(deployment);
        let release_id = release.id.to_string();
        let status = release.status.as_str();
        let updated_at = to_micros(release.updated_at);
        let read_updated_at = to_micros(read_updated_at);
        let events = events.to_vec();
        self.transact(move |conn| {
            let n = diesel::update(
                releases::table
                    .filter(releases::id.eq(&release_id))
                    .filter(releases::updated_at.eq(read_updated_at)),
            )
            .set((
                releases::status.eq(status),
                releases::updated_at.eq(updated_at),
            ))
            .execute(conn)?;
            if n == 0 {
                return Ok(false);
            }
            diesel::insert_into(deployments::table)
                .values(&row)
                .execute(conn)?;
            record_all(conn, &events)?;
            Ok(true)
        })
        .await
    }

    /// Closes an open deployment with `done`'s status, message and completion, in one
    /// transaction: on success its environment's current release becomes its release; the
    /// release's status is recomputed from all its deployments
    /// ([`relman_domain::release_status_after`]) and its `updated_at` moves past both the old
    /// value and `now`; `events` are recorded. A deployment someone else closed first is
    /// [`Completion::AlreadyCompleted`] and nothing is written. `notices` tells the first event's
    /// subscribers about the completion, given the release's status as it becomes.
    pub async fn complete_deployment<N>(
        &self,
        done: &Deployment,
        now: DateTime<Utc>,
        events: &[AuditEvent],
        notices: N,
    ) -> Result<Completion, StorageError>
    where
        N: FnOnce(ReleaseStatus) -> Vec<relman_domain::Notice> + Send + 'static,
    {
        let done = done.clone();
        let mut events = events.to_vec();
        self.transact(move |conn| {
            let release_id = done.release_id.to_string();
            let id = done.id.to_string();
            // The release first: the lock order every deployment transaction shares.
            diesel::update(releases::table.filter(releases::id.eq(&release_id)))
                .set(releases::updated_at.eq(releases::updated_at))
                .execute(conn)?;
            let n = diesel::update(
                deployments::table
                    .filter(deployments::id.eq(&id))
                    .filter(deployments::status.eq(DeploymentStatus::InProgress.as_str())),
            )
            .set((
                deployments::status.eq(done.status.as_str()),
                deployments::message.eq(&done.message),
                deployments::completed_at.eq(done.completed_at.map(to_micros)),
                deployments::completed_by.eq(&done.completed_by),
            ))
            .execute(conn)?;
            if n == 0 {
                return Ok(Completion::AlreadyCompleted);
            }
            if done.status == DeploymentStatus::Succeeded {
                diesel::update(
                    environments::table
                        .filter(environments::id.eq(done.environment_id.to_string())),
                )
                .set(environments::current_deployment_id.eq(Some(&id)))
                .execute(conn)?;
            }
            let (status, old_updated_at): (String, i64) = releases::table
                .filter(releases::id.eq(&release_id))
                .select((releases::status, releases::updated_at))
                .first(conn)?;
            let current = ReleaseStatus::parse(&status)
                .ok_or_else(|| StorageError::Corrupt(format!("release status '{status}'")))?;
            let of_release = deployments::table.filter(deployments::release_id.eq(&release_id));
            let open: i64 = of_release
                .filter(deployments::status.eq(DeploymentStatus::InProgress.as_str()))
                .count()
                .get_result(conn)?;
            let succeeded: i64 = of_release
                .filter(deployments::status.eq(DeploymentStatus::Succeeded.as_str()))
                .count()
                .get_result(conn)?;
            let next = release_status_after(current, open > 0, succeeded > 0);
            // Strictly later than before, so compare-and-set writers notice the change.
            let updated_at = to_micros(now).max(old_updated_at + 1);
            diesel::update(releases::table.filter(releases::id.eq(&release_id)))
                .set((
                    releases::status.eq(next.as_str()),
                    releases::updated_at.eq(updated_at),
                ))
                .execute(conn)?;
            if let Some(first) = events.first_mut() {
                first.notices.extend(notices(next));
            }
            record_all(conn, &events)?;
            Ok(Completion::Completed(next))
        })
        .await
    }

    /// A deployment with its release's and environment's names.
    pub async fn deployment_by_id(&self, id: Uuid) -> Result<DeploymentRecord, StorageError> {
        let id = id.to_string();
        self.run(move |conn| {
            let rows = deployments::table
                .inner_join(releases::table)
                .inner_join(environments::table)
                .filter(deployments::id.eq(&id))
                .select((
                    DeploymentRow::as_select(),
                    releases::name,
                    environments::display_name,
                ))
                .load(conn)?;
            records(rows)?.pop().ok_or(StorageError::NotFound)
        })
        .await
    }

    /// One page of deployments, newest first (`started_at`, then id), the total count, and the
    /// key of the page's last deployment when more follow; filtered, counted and paged in SQL.
    pub async fn list_deployments(
        &self,
        filter: DeploymentFilter,
        window: Window,
        limit: i64,
    ) -> Result<DeploymentPage, StorageError> {
        self.run(move |conn| {
            let total: i64 = filtered(&filter).count().get_result(conn)?;
            let (offset, fetch, after) = window.fetch(limit);
            let mut q = filtered(&filter);
            if let Some(after) = after {
                q = after_key!(q, deployments::started_at, deployments::id, after);
            }
            let mut rows = q
                .inner_join(releases::table)
                .inner_join(environments::table)
                .order((deployments::started_at.desc(), deployments::id.desc()))
                .offset(offset)
                .limit(fetch)
                .select((
                    DeploymentRow::as_select(),
                    releases::name,
                    environments::display_name,
                ))
                .load(conn)?;
            let next = window.next(&mut rows, limit, total, |(d, _, _)| {
                key_of(d.started_at, &d.id)
            });
            Ok(DeploymentPage {
                items: records(rows)?,
                total: u64::try_from(total).unwrap_or(0),
                next,
            })
        })
        .await
    }

    /// Every deployment of a release, in no particular order.
    pub async fn deployments_of_release(
        &self,
        release_id: Uuid,
    ) -> Result<Vec<Deployment>, StorageError> {
        let id = release_id.to_string();
        self.run(move |conn| {
            deployments::table
                .filter(deployments::release_id.eq(&id))
                .select(DeploymentRow::as_select())
                .load(conn)?
                .into_iter()
                .map(Deployment::try_from)
                .collect()
        })
        .await
    }

    /// Which release runs in each environment where one does: environment id → release id.
    pub async fn current_releases(&self) -> Result<BTreeMap<Uuid, Uuid>, StorageError> {
        self.run(|conn| {
            let rows: Vec<(String, String)> = environments::table
                .inner_join(
                    deployments::table
                        .on(environments::current_deployment_id.eq(deployments::id.nullable())),
                )
                .select((environments::id, deployments::release_id))
                .load(conn)?;
            rows.iter()
                .map(|(env, release)| Ok((uuid(env)?, uuid(release)?)))
                .collect()
        })
        .await
    }

    /// Whether a release was ever deployed somewhere (a deployment of it succeeded) or is being
    /// deployed now (one is open).
    pub async fn release_has_deployments(&self, release_id: Uuid) -> Result<bool, StorageError> {
        let id = release_id.to_string();
        self.run(move |conn| {
            let n: i64 = deployments::table
                .filter(deployments::release_id.eq(&id))
                .filter(deployments::status.ne(DeploymentStatus::Failed.as_str()))
                .count()
                .get_result(conn)?;
            Ok(n > 0)
        })
        .await
    }

    /// Whether a release ever succeeded in an environment.
    pub async fn succeeded_in(
        &self,
        release_id: Uuid,
        environment_id: Uuid,
    ) -> Result<bool, StorageError> {
        let release = release_id.to_string();
        let env = environment_id.to_string();
        self.run(move |conn| {
            let n: i64 = deployments::table
                .filter(deployments::release_id.eq(&release))
                .filter(deployments::environment_id.eq(&env))
                .filter(deployments::status.eq(DeploymentStatus::Succeeded.as_str()))
                .count()
                .get_result(conn)?;
            Ok(n > 0)
        })
        .await
    }
}
