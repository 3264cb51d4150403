//! The store: a connection pool plus the blocking-pool bridge every query goes through.

use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::r2d2::Pool;

use relman_domain::AuditEvent;

use crate::audit;
use crate::connection::{
    DbConnection, Manager, SqliteSync, prepare_sqlite_file, write_transaction,
};
use crate::error::StorageError;
use crate::migrations;
use crate::release_session::ReleaseSession;
use crate::url::{Backend, DatabaseUrl};

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long a request waits for a free connection before failing as unavailable.
    pub acquire_timeout: Duration,
    /// SQLite's durability mode (ignored on PostgreSQL).
    pub sqlite_sync: SqliteSync,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
            sqlite_sync: SqliteSync::default(),
        }
    }
}

/// How the connection pool is used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections open, in use or idle.
    pub connections: u32,
    /// Open connections waiting for work.
    pub idle: u32,
    /// Most connections the pool will open.
    pub max: u32,
}

/// Handle to the database; cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    pool: Pool<Manager>,
    backend: Backend,
    url: DatabaseUrl,
    secret_key: Option<std::sync::Arc<crate::secrets::SecretKey>>,
    /// Woken when a transaction that queued webhook deliveries commits.
    outbox: std::sync::Arc<tokio::sync::Notify>,
}

impl Store {
    /// Connects and applies pending migrations (forward-only). Fails when the database cannot be
    /// reached, so a misconfigured server stops at start-up rather than at the first request.
    pub async fn open(url: DatabaseUrl, options: PoolOptions) -> Result<Self, StorageError> {
        let store = Self::connect(url, options).await?;
        let applied = store.run(migrations::run_pending).await?;
        tracing::info!(applied, backend = ?store.backend, "database migrations applied");
        Ok(store)
    }

    /// The pool's current use. Takes the pool's own lock for a moment and does no I/O, so it is
    /// fine to call on an async worker (metrics sample it at every scrape).
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// Connects without running migrations (tests of the migrations themselves use this).
    pub async fn connect(url: DatabaseUrl, options: PoolOptions) -> Result<Self, StorageError> {
        let backend = url.backend();
        let pool_url = url.clone();
        let build = move || {
            if pool_url.backend() == Backend::Sqlite {
                prepare_sqlite_file(&pool_url, options.sqlite_sync)
                    .map_err(|e| StorageError::Unavailable(Box::new(e)))?;
            }
            Pool::builder()
                .max_size(options.max_connections)
                .connection_timeout(options.acquire_timeout)
                // A dead connection is found by the query that fails on it (see `Pooled`), not
                // by a `SELECT 1` round trip before every query.
                .test_on_check_out(false)
                .build(Manager::new(pool_url, options.sqlite_sync))
                .map_err(StorageError::from)
        };
        let pool = tokio::task::spawn_blocking(build)
            .await
            .map_err(|e| StorageError::Unavailable(Box::new(e)))??;
        Ok(Self {
            pool,
            backend,
            url,
            secret_key: None,
            outbox: std::sync::Arc::default(),
        })
    }

    /// Encrypts stored secrets with `key` from now on (and decrypts them with it).
    #[must_use]
    pub fn with_secret_key(mut self, key: crate::secrets::SecretKey) -> Self {
        self.secret_key = Some(std::sync::Arc::new(key));
        self
    }

    /// The key for stored secrets, if one is configured.
    pub(crate) fn secret_key(&self) -> Option<std::sync::Arc<crate::secrets::SecretKey>> {
        self.secret_key.clone()
    }

    /// The signal the delivery worker waits on.
    pub(crate) fn outbox(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.outbox.clone()
    }

    /// Where this store connects.
    pub(crate) fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Which engine this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The durability mode SQLite reports for a pooled connection (`PRAGMA synchronous`); `None`
    /// on PostgreSQL, which always waits for its WAL to be flushed before a commit returns.
    pub async fn sqlite_sync(&self) -> Result<Option<SqliteSync>, StorageError> {
        #[derive(diesel::QueryableByName)]
        struct Pragma {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            synchronous: i32,
        }
        self.run(|conn| match conn {
            DbConnection::Postgres(_) => Ok(None),
            DbConnection::Sqlite(c) => {
                let p: Pragma = diesel::sql_query("PRAGMA synchronous").get_result(c)?;
                match p.synchronous {
                    1 => Ok(Some(SqliteSync::Normal)),
                    2 => Ok(Some(SqliteSync::Full)),
                    other => Err(StorageError::Corrupt(format!("synchronous = {other}"))),
                }
            }
        })
        .await
    }

    /// Ready means: the database answers and no migration is pending.
    pub async fn check_ready(&self) -> Result<(), StorageError> {
        let pending = self
            .run(|conn| {
                diesel::sql_query("SELECT 1").execute(conn)?;
                migrations::has_pending(conn)
            })
            .await?;
        if pending {
            Err(StorageError::Migration("migrations pending".into()))
        } else {
            Ok(())
        }
    }

    /// Applies pending migrations; returns how many ran.
    pub async fn migrate(&self) -> Result<usize, StorageError> {
        self.run(migrations::run_pending).await
    }

    /// Reverts every migration. Destroys all data; for migration tests only.
    pub async fn revert_all_migrations(&self) -> Result<usize, StorageError> {
        self.run(migrations::revert_all).await
    }

    /// Runs a mutation and records its audit event in one transaction: both are committed or
    /// neither is.
    pub(crate) async fn write<T, F>(&self, event: &AuditEvent, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StorageError> + Send + 'static,
    {
        let event = event.clone();
        self.transact(move |conn| {
            let out = f(conn)?;
            audit::record(conn, &event)?;
            Ok(out)
        })
        .await
    }

    /// Runs `f` in a write transaction (see [`write_transaction`]) on a pooled connection.
    pub(crate) async fn transact<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StorageError> + Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, f)).await
    }

    /// Runs `f` with one pooled connection lent as a [`ReleaseSession`], on the blocking thread
    /// pool: a release create's reads, the caller's decisions between them and the insert are
    /// one pool checkout and one hand-off instead of one each. `f`'s own errors pass through.
    pub async fn release_session<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
        F: FnOnce(&mut ReleaseSession<'_>) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        let outbox = self.outbox.clone();
        tokio::task::spawn_blocking(move || {
            let mut pooled = pool.get().map_err(StorageError::from)?;
            let mut session = ReleaseSession::new(&mut pooled.conn, &outbox);
            let result = f(&mut session);
            if session.broken {
                pooled.broken = true;
            }
            result
        })
        .await
        .map_err(|e| E::from(StorageError::Unavailable(Box::new(e))))?
    }

    /// Runs `f` with a pooled connection on the blocking thread pool: diesel blocks, and async
    /// workers (actix runs one single-threaded runtime per worker) must not.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StorageError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let outbox = self.outbox.clone();
        tokio::task::spawn_blocking(move || {
            let mut pooled = pool.get()?;
            let result = f(&mut pooled.conn);
            // Deliveries queued by a transaction that then committed: wake the worker now
            // rather than at its next poll.
            if crate::outbox::take_queued() && result.is_ok() {
                outbox.notify_one();
            }
            // `Unavailable` from a query means the connection itself failed (diesel's
            // `ClosedConnection`): the pool must not hand it out again.
            if matches!(result, Err(StorageError::Unavailable(_))) {
                pooled.broken = true;
            }
            result
        })
        .await
        .map_err(|e| StorageError::Unavailable(Box::new(e)))?
    }
}
