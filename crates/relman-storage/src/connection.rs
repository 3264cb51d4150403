//! Connections to either backend, and the r2d2 manager that opens them.

use diesel::connection::SimpleConnection;
use diesel::r2d2::{Error as PoolConnError, ManageConnection};
use diesel::{Connection, RunQueryDsl};

use crate::url::{Backend, DatabaseUrl};

/// A connection to SQLite or PostgreSQL; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL.
    Postgres(diesel::PgConnection),
    /// SQLite.
    Sqlite(diesel::SqliteConnection),
}

/// Settings applied to every SQLite connection: foreign keys are off by default in SQLite; WAL and a
/// busy timeout let pooled writers wait for each other instead of failing with "database is locked".
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; \
    PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";

/// Opens connections for the backend the URL names, and only that one. (The derived
/// `MultiConnection::establish` tries each backend in turn, which could turn an unreachable
/// PostgreSQL URL into a stray SQLite file.)
pub(crate) struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub(crate) fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = PoolConnError;

    fn connect(&self) -> Result<DbConnection, PoolConnError> {
        match self.url.backend() {
            Backend::Postgres => diesel::PgConnection::establish(self.url.target())
                .map(DbConnection::Postgres)
                .map_err(PoolConnError::ConnectionError),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(self.url.target())
                    .map_err(PoolConnError::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(PoolConnError::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), PoolConnError> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(drop)
            .map_err(PoolConnError::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}
