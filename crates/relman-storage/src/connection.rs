//! Connections to either backend, and the r2d2 manager that opens them.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{Error as PoolConnError, ManageConnection};
use diesel::{Connection, RunQueryDsl};

use crate::error::StorageError;
use crate::url::{Backend, DatabaseUrl};

/// A connection to SQLite or PostgreSQL; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL.
    Postgres(diesel::PgConnection),
    /// SQLite.
    Sqlite(diesel::SqliteConnection),
}

/// How hard SQLite makes sure a commit survives a power or OS failure (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// Every commit is fsynced before it is acknowledged: a 2xx survives power loss. The default.
    #[default]
    Full,
    /// In WAL mode, commits are fsynced at checkpoints only: faster, and still safe against a
    /// process crash, but the last commits can be lost on power or OS failure.
    Normal,
}

impl SqliteSync {
    /// The pragma's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
        }
    }
}

impl std::str::FromStr for SqliteSync {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(Self::Full),
            "normal" => Ok(Self::Normal),
            other => Err(format!(
                "'{other}' is not a SQLite synchronous mode (full, normal)"
            )),
        }
    }
}

/// How long a SQLite statement waits for a lock before failing with "database is locked".
pub(crate) const BUSY_TIMEOUT_MS: u32 = 10_000;

/// What the write-ahead log may keep on disk after a checkpoint reset it (64 MiB); normally the
/// periodic `TRUNCATE` checkpoint leaves it empty (see `housekeeping.rs`).
const JOURNAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// Settings applied to every SQLite connection. The busy timeout comes first so that every later
/// statement, the WAL switch included, waits for other connections instead of failing with
/// "database is locked"; foreign keys are off by default in SQLite.
fn sqlite_pragmas(sync: SqliteSync) -> String {
    format!(
        "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; \
         PRAGMA foreign_keys = ON; PRAGMA synchronous = {}; \
         PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT};",
        sync.as_str()
    )
}

/// Creates the SQLite file readable by its owner only, then switches it to WAL once, before the
/// pool opens its connections (which would otherwise race to switch it). The WAL and shared-memory
/// files SQLite creates later take the database file's permissions.
pub(crate) fn prepare_sqlite_file(
    url: &DatabaseUrl,
    sync: SqliteSync,
) -> Result<(), PoolConnError> {
    let path = std::path::Path::new(url.target());
    if !path.exists() {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(PoolConnError::ConnectionError(
                    diesel::ConnectionError::BadConnection(format!(
                        "creating {}: {e}",
                        path.display()
                    )),
                ));
            }
        }
    }
    let mut conn = diesel::SqliteConnection::establish(url.target())
        .map_err(PoolConnError::ConnectionError)?;
    conn.batch_execute(&sqlite_pragmas(sync))
        .map_err(PoolConnError::QueryError)
}

/// A pooled connection and whether a query on it failed at the connection level.
///
/// The pool does not test connections on checkout (a `SELECT 1` round trip per query); a dead
/// connection (server restart, `pg_terminate_backend`) shows itself instead by the query that
/// fails on it. That query marks it here, and the pool discards it when it comes back, so one
/// request fails per dead connection and the next gets a fresh one.
pub(crate) struct Pooled {
    pub(crate) conn: DbConnection,
    pub(crate) broken: bool,
}

/// Opens connections for the backend the URL names, and only that one. (The derived
/// `MultiConnection::establish` tries each backend in turn, which could turn an unreachable
/// PostgreSQL URL into a stray SQLite file.)
pub(crate) struct Manager {
    url: DatabaseUrl,
    sqlite_sync: SqliteSync,
}

impl Manager {
    pub(crate) fn new(url: DatabaseUrl, sqlite_sync: SqliteSync) -> Self {
        Self { url, sqlite_sync }
    }
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = PoolConnError;

    fn connect(&self) -> Result<Pooled, PoolConnError> {
        let conn = match self.url.backend() {
            Backend::Postgres => diesel::PgConnection::establish(self.url.target())
                .map(DbConnection::Postgres)
                .map_err(PoolConnError::ConnectionError),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(self.url.target())
                    .map_err(PoolConnError::ConnectionError)?;
                conn.batch_execute(&sqlite_pragmas(self.sqlite_sync))
                    .map_err(PoolConnError::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }?;
        Ok(Pooled {
            conn,
            broken: false,
        })
    }

    /// Used only if test-on-checkout is turned on, which [`crate::Store`] does not do.
    fn is_valid(&self, conn: &mut Pooled) -> Result<(), PoolConnError> {
        diesel::sql_query("SELECT 1")
            .execute(&mut conn.conn)
            .map(drop)
            .map_err(PoolConnError::QueryError)
    }

    /// A connection a query found dead, or whose transaction state is broken (a failed rollback
    /// or a transaction left open), is closed instead of going back to the pool.
    fn has_broken(&self, conn: &mut Pooled) -> bool {
        conn.broken || diesel::r2d2::R2D2Connection::is_broken(&mut conn.conn)
    }
}

/// Runs `f` in a transaction that is a writer from its first statement, committing when `f`
/// succeeds and rolling back otherwise.
///
/// On SQLite this is `BEGIN IMMEDIATE`: the write lock is taken up front, waiting out
/// `busy_timeout` behind other writers. A deferred transaction that reads first and writes later
/// has to upgrade its read lock, and SQLite refuses such an upgrade at once ("database is locked")
/// when another writer committed meanwhile, because waiting could not help it. PostgreSQL's
/// ordinary `BEGIN` already waits on row locks.
pub(crate) fn write_transaction<T, F>(conn: &mut DbConnection, f: F) -> Result<T, StorageError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, StorageError>,
{
    type Manager = <DbConnection as Connection>::TransactionManager;
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => match Manager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                // A failed COMMIT may leave the transaction open; close it so the pooled
                // connection is clean for the next user.
                let _ = Manager::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => {
            if let Err(rollback) = Manager::rollback_transaction(conn) {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}
