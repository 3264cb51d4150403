//! Release queries.
//!
//! Writes that depend on what was read (update, delete) are compare-and-set on `updated_at`: the
//! write names the `updated_at` it read, and changes nothing when another writer came first. The
//! service re-reads and decides again. This needs no row locks (which `MultiConnection` cannot
//! express portably) and no read inside a SQLite write transaction, which would fail with
//! `SQLITE_BUSY` instead of waiting when two writers meet.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use relman_domain::{AuditEvent, Component, Release, ReleaseStatus, optional_sort_key};
use uuid::Uuid;

use crate::attestations::Signing;
use crate::audit;
use crate::batch::insert_batched;
use crate::components::ComponentRow;
use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::release_insert_pg;
use crate::release_rows::{MemberRow, ReleaseRow};
use crate::schema::{components, release_members, releases};
use crate::store::Store;

/// Which releases may be "the latest": released (not draft, not deprecated), stable and
/// versioned. Written out with literals, exactly as the partial index `releases_latest_idx`
/// states it, since a planner uses a partial index only for a query whose filter implies its
/// predicate (SQLite: contains it term by term), which bound parameters would not.
const LATEST_PREDICATE: &str =
    "status NOT IN ('draft', 'deprecated') AND NOT prerelease AND version IS NOT NULL";

/// Builds one release from its row joined with its member rows (a left join, one statement, so
/// the row and its members come from one snapshot).
fn assemble(rows: Vec<(ReleaseRow, Option<MemberRow>)>) -> Result<Release, StorageError> {
    let mut rows = rows.into_iter();
    let Some((head, first)) = rows.next() else {
        return Err(StorageError::NotFound);
    };
    let mut members: Vec<MemberRow> = first
        .into_iter()
        .chain(rows.filter_map(|(_, m)| m))
        .collect();
    members.sort_by_key(MemberRow::position);
    let members = members
        .into_iter()
        .map(TryInto::try_into)
        .collect::<Result<Vec<_>, _>>()?;
    head.into_release(members)
}

/// Inserts a release's member rows, inside the caller's transaction, so they land all or none:
/// one multi-row `INSERT` per 2,000 members on PostgreSQL, row by row on SQLite (in-process, and
/// its multi-row insert cannot write the `DEFAULT` diesel uses for absent optional values).
fn insert_members(conn: &mut DbConnection, members: &[MemberRow]) -> Result<(), StorageError> {
    insert_batched!(conn, release_members::table, members);
    Ok(())
}

/// Inserts a release, its members and its audit event on `conn`, atomically: on PostgreSQL one
/// statement (`release_insert_pg.rs`), on SQLite one `BEGIN IMMEDIATE` transaction. A taken name
/// is [`StorageError::Conflict`] (the `releases_name_key` constraint decides between concurrent
/// writers); a member whose component no longer exists is [`StorageError::ForeignKey`]. Either
/// way nothing is written, the event included.
pub(crate) fn insert_release_on(
    conn: &mut DbConnection,
    release: &Release,
    event: &AuditEvent,
) -> Result<(), StorageError> {
    let row = ReleaseRow::from(release);
    let members = MemberRow::of(release);
    if let DbConnection::Postgres(pg) = conn
        && members.len() <= release_insert_pg::MAX_ONE_STATEMENT_MEMBERS
    {
        let audit = audit::AuditRow::from(event);
        let notices: Vec<release_insert_pg::NoticeParams> = event
            .notices
            .iter()
            .map(|n| release_insert_pg::NoticeParams {
                event_id: Uuid::now_v7().to_string(),
                event_type: n.event_type.as_str(),
                occurred_at: audit.occurred_at,
                payload: crate::outbox::payload(event, n),
            })
            .collect();
        return release_insert_pg::insert_release(pg, &row, &members, &audit, &notices);
    }
    crate::connection::write_transaction(conn, |conn| {
        // The first statement writes, so SQLite takes the write lock (waiting on busy_timeout)
        // instead of upgrading a read lock, which cannot wait.
        diesel::insert_into(releases::table)
            .values(&row)
            .execute(conn)?;
        insert_members(conn, &members)?;
        audit::record(conn, event)
    })
}

impl Store {
    /// Inserts a release, its members and its audit event atomically: one statement on
    /// PostgreSQL, one `BEGIN IMMEDIATE` transaction on SQLite. A taken name is
    /// [`StorageError::Conflict`]; a member whose component no longer exists is
    /// [`StorageError::ForeignKey`]; either way nothing is written, the event included. A create
    /// that also resolves its members does it in a [`crate::ReleaseSession`] instead.
    pub async fn insert_release(
        &self,
        release: &Release,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let release = release.clone();
        let event = event.clone();
        self.run(move |conn| insert_release_on(conn, &release, &event))
            .await
    }

    /// A release with its members, by id.
    pub async fn release_by_id(&self, id: Uuid) -> Result<Release, StorageError> {
        let id = id.to_string();
        self.run(move |conn| {
            let rows = releases::table
                .left_join(release_members::table)
                .filter(releases::id.eq(id))
                .select((ReleaseRow::as_select(), Option::<MemberRow>::as_select()))
                .load(conn)?;
            assemble(rows)
        })
        .await
    }

    /// A release with its members, by name.
    pub async fn release_by_name(&self, name: &str) -> Result<Release, StorageError> {
        let name = name.to_owned();
        self.run(move |conn| {
            let rows = releases::table
                .left_join(release_members::table)
                .filter(releases::name.eq(name))
                .select((ReleaseRow::as_select(), Option::<MemberRow>::as_select()))
                .load(conn)?;
            assemble(rows)
        })
        .await
    }

    /// The release that is "the latest" by `relman_domain::latest_release`'s rule, without
    /// members: among releases that are not draft, not deprecated, not prerelease and have a
    /// version, the highest version sort key (semver precedence), then the later `created_at`,
    /// then the larger id. One entry of `releases_latest_idx`; empty when none qualifies.
    pub async fn latest_release_candidates(&self) -> Result<Vec<Release>, StorageError> {
        self.run(|conn| {
            let rows: Vec<ReleaseRow> = releases::table
                .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                    LATEST_PREDICATE,
                ))
                .order((
                    releases::version_sort_key.desc(),
                    releases::created_at.desc(),
                    releases::id.desc(),
                ))
                .limit(1)
                .select(ReleaseRow::as_select())
                .load(conn)?;
            rows.into_iter().map(|r| r.into_release(vec![])).collect()
        })
        .await
    }

    /// The release the notes of `current` compare with by default, without members: with a
    /// `version`, the highest non-draft release with a lower version (semver precedence);
    /// without one, the non-draft release created last before it. `None` for a first release.
    pub async fn previous_release_id(
        &self,
        current: &Release,
    ) -> Result<Option<Uuid>, StorageError> {
        let id = current.id.to_string();
        let version_key = current.version.as_ref().map(|v| optional_sort_key(Some(v)));
        let created_at = crate::codec::to_micros(current.created_at);
        self.run(move |conn| {
            let not_draft = releases::status.ne(ReleaseStatus::Draft.as_str());
            let found: Option<String> = match version_key {
                Some(key) => releases::table
                    .filter(not_draft)
                    .filter(releases::id.ne(&id))
                    .filter(releases::version.is_not_null())
                    .filter(releases::version_sort_key.lt(key))
                    .order((
                        releases::version_sort_key.desc(),
                        releases::created_at.desc(),
                        releases::id.desc(),
                    ))
                    .select(releases::id)
                    .first(conn)
                    .optional()?,
                None => releases::table
                    .filter(not_draft)
                    .filter(releases::id.ne(&id))
                    .filter(releases::created_at.lt(created_at))
                    .order((releases::created_at.desc(), releases::id.desc()))
                    .select(releases::id)
                    .first(conn)
                    .optional()?,
            };
            found.map(|id| crate::codec::uuid(&id)).transpose()
        })
        .await
    }

    /// Writes a release's changed fields if nobody changed it since it was read at
    /// `read_updated_at`; with `replace_members`, its members too; and records `event`, all in
    /// one transaction. `Ok(false)` when the release changed or vanished meanwhile: nothing was
    /// written, the event included.
    pub async fn update_release(
        &self,
        release: &Release,
        read_updated_at: DateTime<Utc>,
        replace_members: bool,
        event: &AuditEvent,
    ) -> Result<bool, StorageError> {
        self.update_release_signed(release, read_updated_at, replace_members, event, None)
            .await
    }

    /// [`Store::update_release`] that also writes the release's attestation and its pending
    /// attachments, when it leaves draft, in the same transaction as the status change.
    pub async fn update_release_signed(
        &self,
        release: &Release,
        read_updated_at: DateTime<Utc>,
        replace_members: bool,
        event: &AuditEvent,
        signing: Option<Signing>,
    ) -> Result<bool, StorageError> {
        let row = ReleaseRow::from(release);
        let members = replace_members.then(|| MemberRow::of(release));
        let read_updated_at = read_updated_at.timestamp_micros();
        let event = event.clone();
        self.transact(move |conn| {
            let n = diesel::update(
                releases::table
                    .filter(releases::id.eq(&row.id))
                    .filter(releases::updated_at.eq(read_updated_at)),
            )
            .set(&row)
            .execute(conn)?;
            if n == 0 {
                return Ok(false);
            }
            if let Some(members) = &members {
                diesel::delete(
                    release_members::table.filter(release_members::release_id.eq(&row.id)),
                )
                .execute(conn)?;
                insert_members(conn, members)?;
            }
            if let Some(signing) = &signing {
                crate::attestations::write_signing(conn, signing)?;
            }
            audit::record(conn, &event)?;
            Ok(true)
        })
        .await
    }

    /// Deletes a release and its members, and records `event`, in one transaction, if nobody
    /// changed the release since it was read at `read_updated_at`. `Ok(false)` when it changed or
    /// vanished meanwhile: nothing was written, the event included.
    pub async fn delete_release(
        &self,
        id: Uuid,
        read_updated_at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StorageError> {
        let id = id.to_string();
        let read_updated_at = read_updated_at.timestamp_micros();
        let event = event.clone();
        self.transact(move |conn| {
            // Members go with the release (ON DELETE CASCADE on release_members.release_id),
            // and so do its failed deployments, if any (the service refuses any other).
            let n = diesel::delete(
                releases::table
                    .filter(releases::id.eq(&id))
                    .filter(releases::updated_at.eq(read_updated_at)),
            )
            .execute(conn)?;
            if n == 1 {
                audit::record(conn, &event)?;
            }
            Ok(n == 1)
        })
        .await
    }

    /// The components with these ids or names, in no particular order; unknown keys are absent.
    /// One query however many members a release has.
    pub async fn components_by_keys(
        &self,
        ids: Vec<Uuid>,
        names: Vec<String>,
    ) -> Result<Vec<Component>, StorageError> {
        self.run(move |conn| components_by_keys_on(conn, ids, names))
            .await
    }
}

/// [`Store::components_by_keys`] on a connection.
pub(crate) fn components_by_keys_on(
    conn: &mut DbConnection,
    ids: Vec<Uuid>,
    names: Vec<String>,
) -> Result<Vec<Component>, StorageError> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    components::table
        .filter(
            components::id
                .eq_any(ids)
                .or(components::name.eq_any(names)),
        )
        .select(ComponentRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Component::try_from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_predicate_names_the_statuses_by_their_stored_names() {
        for status in [ReleaseStatus::Draft, ReleaseStatus::Deprecated] {
            assert!(
                LATEST_PREDICATE.contains(&format!("'{}'", status.as_str())),
                "{LATEST_PREDICATE} does not exclude {status:?}"
            );
        }
        for dir in ["sqlite", "postgres"] {
            let path = format!(
                "{}/../../migrations/{dir}/2026-12-04-000003_releases_latest_index/up.sql",
                env!("CARGO_MANIFEST_DIR")
            );
            let sql = std::fs::read_to_string(&path).unwrap();
            assert!(
                sql.contains(&format!("WHERE {LATEST_PREDICATE};")),
                "{path} states another predicate than the query"
            );
        }
    }
}
