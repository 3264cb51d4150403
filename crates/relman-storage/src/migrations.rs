//! Embedded, forward-only migrations, one tree per backend with the same names.

use diesel::RunQueryDsl as _;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::DbConnection;
use crate::error::StorageError;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The PostgreSQL advisory lock migrations run under ("relman" in ASCII, then "migr"), so that
/// replicas starting at once on a fresh database migrate one after the other instead of racing
/// on the same `CREATE TABLE` (which fails the loser on a catalog unique index).
const MIGRATION_LOCK: i64 = 0x7265_6c6d_6d69_6772;

/// Applies every pending migration, then fills the sort keys of rows older than their columns
/// (see [`crate::backfill`]); returns how many migrations ran.
pub(crate) fn run_pending(conn: &mut DbConnection) -> Result<usize, StorageError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE)
            .map(|v| v.len())
            .map_err(StorageError::Migration)?,
        DbConnection::Postgres(c) => {
            // Session-level: held across diesel's per-migration transactions, released below
            // whatever the outcome (and by PostgreSQL if the process dies).
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(c)?;
            let ran = c.run_pending_migrations(POSTGRES).map(|v| v.len());
            let unlocked =
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                    .execute(c);
            let ran = ran.map_err(StorageError::Migration)?;
            unlocked?;
            ran
        }
    };
    crate::backfill::sort_keys(conn)?;
    Ok(applied)
}

/// Whether any migration has yet to run.
pub(crate) fn has_pending(conn: &mut DbConnection) -> Result<bool, StorageError> {
    let pending = match conn {
        DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE),
        DbConnection::Postgres(c) => c.has_pending_migration(POSTGRES),
    };
    pending.map_err(StorageError::Migration)
}

/// Reverts every applied migration, newest first. Only for tests of the down scripts.
pub(crate) fn revert_all(conn: &mut DbConnection) -> Result<usize, StorageError> {
    let reverted = match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE).map(|v| v.len()),
        DbConnection::Postgres(c) => c.revert_all_migrations(POSTGRES).map(|v| v.len()),
    };
    reverted.map_err(StorageError::Migration)
}
