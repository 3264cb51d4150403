//! Embedded, forward-only migrations, one tree per backend with the same names.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::DbConnection;
use crate::error::StorageError;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Applies every pending migration, then fills the sort keys of rows older than their columns
/// (see [`crate::backfill`]); returns how many migrations ran.
pub(crate) fn run_pending(conn: &mut DbConnection) -> Result<usize, StorageError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE).map(|v| v.len()),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES).map(|v| v.len()),
    };
    let applied = applied.map_err(StorageError::Migration)?;
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
