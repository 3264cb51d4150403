//! Writing the outcome of a registry sync: all of it in one transaction, or none of it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use relman_domain::{AuditEvent, ComponentVersion, Digest, VersionSource};
use uuid::Uuid;

use crate::batch::insert_batched;
use crate::codec::to_micros;
use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::schema::{component_versions as cv, version_retags as rt};
use crate::store::Store;
use crate::versions::{VersionRecord, VersionRow};

/// A tag that now points at another digest.
#[derive(Debug, Clone)]
pub struct Retag {
    /// The tag.
    pub tag: String,
    /// What it pointed at.
    pub old_digest: Digest,
    /// What it points at now.
    pub new_digest: Digest,
}

/// Everything one sync changes.
#[derive(Debug, Clone, Default)]
pub struct SyncChanges {
    /// Tags seen for the first time.
    pub inserts: Vec<ComponentVersion>,
    /// Known tags whose record changed (matched by id).
    pub updates: Vec<ComponentVersion>,
    /// Records of tags that vanished from the registry.
    pub gone: Vec<Uuid>,
    /// Digest changes to remember.
    pub retags: Vec<Retag>,
}

#[derive(Insertable, Queryable, Selectable)]
#[diesel(table_name = rt)]
struct RetagRow {
    id: String,
    component_id: String,
    tag: String,
    old_digest: String,
    new_digest: String,
    detected_at: i64,
}

/// A component's advisory-lock key: its UUID folded to 64 bits.
fn lock_key(component_id: Uuid) -> i64 {
    let (high, low) = component_id.as_u64_pair();
    i64::from_be_bytes((high ^ low).to_be_bytes())
}

/// Keeps the write-phase lock apart from the whole-sync lock, which another connection of the
/// same process holds while this one writes.
const WRITE_LOCK_SALT: i64 = 0x5245_4c4d_414e_5731;

/// Serializes writers of one component's versions across replicas sharing a PostgreSQL database.
/// SQLite needs nothing: it has one writer at a time.
pub(crate) fn lock_component(
    conn: &mut DbConnection,
    component_id: Uuid,
) -> Result<(), StorageError> {
    if let DbConnection::Postgres(pg) = conn {
        // The lock ends with the transaction.
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(lock_key(component_id) ^ WRITE_LOCK_SALT)
            .execute(pg)?;
    }
    Ok(())
}

diesel::define_sql_function!(fn pg_try_advisory_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool);
diesel::define_sql_function!(fn pg_advisory_unlock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool);

/// Proof that this process is the one syncing a component. On PostgreSQL it holds a session
/// advisory lock on a connection of its own; dropping it closes that connection, which releases
/// the lock even if the sync failed half-way. On SQLite (one process) it holds nothing.
pub struct SyncLock {
    held: Option<(PgConnection, Uuid)>,
}

impl SyncLock {
    /// Frees the lock now. Closing the connection frees it too, but only once the server has
    /// processed the disconnect, a moment after the sync answered: a client syncing again at once
    /// could find the component still locked (409). An unlock is done when it returns.
    pub async fn release(self) {
        let Some((mut conn, component_id)) = self.held else {
            return;
        };
        let unlocked = tokio::task::spawn_blocking(move || {
            diesel::select(pg_advisory_unlock(lock_key(component_id))).get_result::<bool>(&mut conn)
        })
        .await;
        if !matches!(unlocked, Ok(Ok(true))) {
            // The connection is closed either way, which frees the lock soon after.
            tracing::warn!(component = %component_id, "sync lock could not be released at once");
        }
    }
}

impl std::fmt::Debug for SyncLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncLock")
    }
}

impl Store {
    /// Takes the whole-sync lock of a component so that replicas sharing PostgreSQL never sync it
    /// at the same time; `None` when another one holds it.
    pub async fn try_lock_sync(
        &self,
        component_id: Uuid,
    ) -> Result<Option<SyncLock>, StorageError> {
        if self.backend() == crate::url::Backend::Sqlite {
            return Ok(Some(SyncLock { held: None }));
        }
        let url = self.url().clone();
        tokio::task::spawn_blocking(move || {
            use diesel::Connection as _;
            let mut conn = PgConnection::establish(url.target())
                .map_err(|e| StorageError::Unavailable(Box::new(e)))?;
            let locked: bool = diesel::select(pg_try_advisory_lock(lock_key(component_id)))
                .get_result(&mut conn)?;
            Ok(locked.then_some(SyncLock {
                held: Some((conn, component_id)),
            }))
        })
        .await
        .map_err(|e| StorageError::Unavailable(Box::new(e)))?
    }
}

impl Store {
    /// Every version of a component, gone ones included, in no particular order: what a sync
    /// compares the registry's answer with, read once.
    pub async fn versions_for_sync(
        &self,
        component_id: Uuid,
    ) -> Result<Vec<ComponentVersion>, StorageError> {
        self.run(move |conn| {
            cv::table
                .filter(cv::component_id.eq(component_id.to_string()))
                .select(VersionRecord::as_select())
                .load(conn)?
                .into_iter()
                .map(ComponentVersion::try_from)
                .collect()
        })
        .await
    }

    /// Applies a sync's changes atomically: a failure leaves every version as it was.
    ///
    /// Returns how many inserts and updates were skipped because a manual version map claimed the
    /// tag after the sync read the versions (the map wins); `0` means the versions are now
    /// exactly what the sync computed.
    pub async fn apply_sync(
        &self,
        component_id: Uuid,
        changes: SyncChanges,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<usize, StorageError> {
        let mut event = event.clone();
        self.transact(move |conn| {
            lock_component(conn, component_id)?;
            // A manual map may have claimed a tag since the sync read the versions: it wins,
            // so such inserts are skipped and manual rows are never updated.
            let new_tags: Vec<&str> = changes.inserts.iter().map(|v| v.tag.as_str()).collect();
            let mut taken = std::collections::HashSet::new();
            for chunk in new_tags.chunks(500) {
                let found: Vec<String> = cv::table
                    .filter(cv::component_id.eq(component_id.to_string()))
                    .filter(cv::tag.eq_any(chunk))
                    .select(cv::tag)
                    .load(conn)?;
                taken.extend(found);
            }
            let rows: Vec<VersionRow> = changes
                .inserts
                .iter()
                .filter(|v| !taken.contains(&v.tag))
                .map(VersionRow::from)
                .collect();
            let mut skipped = changes.inserts.len() - rows.len();
            insert_batched!(conn, cv::table, &rows);
            for v in &changes.updates {
                let written = diesel::update(
                    cv::table
                        .filter(cv::id.eq(v.id.to_string()))
                        .filter(cv::source.ne(VersionSource::Manual.as_str())),
                )
                .set(VersionRow::from(v))
                .execute(conn)?;
                skipped += usize::from(written == 0);
            }
            let gone: Vec<String> = changes.gone.iter().map(Uuid::to_string).collect();
            for chunk in gone.chunks(500) {
                diesel::update(cv::table.filter(cv::id.eq_any(chunk)))
                    .set((cv::gone.eq(true), cv::updated_at.eq(to_micros(now))))
                    .execute(conn)?;
            }
            let retags: Vec<RetagRow> = changes
                .retags
                .iter()
                .map(|r| RetagRow {
                    id: Uuid::now_v7().to_string(),
                    component_id: component_id.to_string(),
                    tag: r.tag.clone(),
                    old_digest: r.old_digest.to_string(),
                    new_digest: r.new_digest.to_string(),
                    detected_at: to_micros(now),
                })
                .collect();
            insert_batched!(conn, rt::table, &retags);
            // A tag a manual map took meanwhile was not added by this sync: no `version.added`.
            event.notices.retain(|n| {
                !(n.event_type == relman_domain::EventType::VersionAdded
                    && taken.contains(&n.subject))
            });
            crate::audit::record(conn, &event)?;
            Ok(skipped)
        })
        .await
    }
}
