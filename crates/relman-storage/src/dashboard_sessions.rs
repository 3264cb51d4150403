//! Dashboard sessions: one row per signed-in browser, keyed by the SHA-256 of the session secret
//! its cookie holds. The row is what keeps a session alive; the token it was opened with is never
//! stored.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use relman_domain::AuditEvent;

use crate::codec::to_micros;
use crate::error::StorageError;
use crate::schema::dashboard_sessions as ds;
use crate::store::Store;

impl Store {
    /// Opens a session `id` (the hash of its secret) for `actor` until `expires_at`, with its audit
    /// event.
    pub async fn insert_dashboard_session(
        &self,
        id: &str,
        actor: &str,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let row = (
            ds::id.eq(id.to_owned()),
            ds::actor.eq(actor.to_owned()),
            ds::created_at.eq(to_micros(created_at)),
            ds::expires_at.eq(to_micros(expires_at)),
        );
        self.write(event, move |conn| {
            diesel::insert_into(ds::table).values(row).execute(conn)?;
            Ok(())
        })
        .await
    }

    /// Whether session `id` exists and has not expired at `now`.
    pub async fn dashboard_session_live(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let id = id.to_owned();
        let now = to_micros(now);
        self.run(move |conn| {
            Ok(diesel::select(diesel::dsl::exists(
                ds::table
                    .filter(ds::id.eq(id))
                    .filter(ds::expires_at.gt(now)),
            ))
            .get_result(conn)?)
        })
        .await
    }

    /// Ends session `id`; [`StorageError::NotFound`] when it was already ended or pruned.
    pub async fn delete_dashboard_session(
        &self,
        id: &str,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let id = id.to_owned();
        self.write(event, move |conn| {
            match diesel::delete(ds::table.filter(ds::id.eq(id))).execute(conn)? {
                0 => Err(StorageError::NotFound),
                _ => Ok(()),
            }
        })
        .await
    }

    /// Deletes sessions that expired before `now`; returns how many.
    pub async fn prune_dashboard_sessions(
        &self,
        now: DateTime<Utc>,
    ) -> Result<usize, StorageError> {
        let now = to_micros(now);
        self.run(move |conn| {
            Ok(diesel::delete(ds::table.filter(ds::expires_at.le(now))).execute(conn)?)
        })
        .await
    }
}
