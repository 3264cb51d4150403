//! Writing the outcome of a registry sync: all of it in one transaction, or none of it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use relman_domain::{AuditEvent, ComponentVersion, Digest};
use uuid::Uuid;

use crate::codec::to_micros;
use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::schema::{component_versions as cv, version_retags as rt};
use crate::store::Store;
use crate::versions::VersionRow;

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

#[derive(Insertable)]
#[diesel(table_name = rt)]
struct RetagRow {
    id: String,
    component_id: String,
    tag: String,
    old_digest: String,
    new_digest: String,
    detected_at: i64,
}

/// Serializes writers of one component's versions across replicas sharing a PostgreSQL database.
/// SQLite needs nothing: it has one writer at a time.
fn lock_component(conn: &mut DbConnection, component_id: Uuid) -> Result<(), StorageError> {
    if let DbConnection::Postgres(pg) = conn {
        // The lock key is the UUID's first 8 bytes; the lock ends with the transaction.
        let bytes = component_id.as_bytes();
        let key = i64::from_be_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]) ^ i64::from_be_bytes([
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15],
        ]);
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(key)
            .execute(pg)?;
    }
    Ok(())
}

impl Store {
    /// Applies a sync's changes atomically: a failure leaves every version as it was.
    pub async fn apply_sync(
        &self,
        component_id: Uuid,
        changes: SyncChanges,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        self.write(event, move |conn| {
            conn.transaction(|conn| {
                lock_component(conn, component_id)?;
                for v in &changes.inserts {
                    diesel::insert_into(cv::table)
                        .values(VersionRow::from(v))
                        .execute(conn)?;
                }
                for v in &changes.updates {
                    diesel::update(cv::table.filter(cv::id.eq(v.id.to_string())))
                        .set(VersionRow::from(v))
                        .execute(conn)?;
                }
                let gone: Vec<String> = changes.gone.iter().map(Uuid::to_string).collect();
                for chunk in gone.chunks(500) {
                    diesel::update(cv::table.filter(cv::id.eq_any(chunk)))
                        .set((cv::gone.eq(true), cv::updated_at.eq(to_micros(now))))
                        .execute(conn)?;
                }
                for r in &changes.retags {
                    let row = RetagRow {
                        id: Uuid::now_v7().to_string(),
                        component_id: component_id.to_string(),
                        tag: r.tag.clone(),
                        old_digest: r.old_digest.to_string(),
                        new_digest: r.new_digest.to_string(),
                        detected_at: to_micros(now),
                    };
                    diesel::insert_into(rt::table).values(row).execute(conn)?;
                }
                Ok(())
            })
        })
        .await
    }

    /// How many times a component's tags were seen pointing at a new digest.
    pub async fn count_retags(
        &self,
        component_id: Uuid,
        tag: Option<String>,
    ) -> Result<i64, StorageError> {
        self.run(move |conn| {
            let mut q = rt::table
                .filter(rt::component_id.eq(component_id.to_string()))
                .into_boxed();
            if let Some(tag) = tag {
                q = q.filter(rt::tag.eq(tag));
            }
            Ok(q.count().get_result(conn)?)
        })
        .await
    }
}
