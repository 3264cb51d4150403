//! SQLite housekeeping: keeping the write-ahead log bounded under constant load.
//!
//! SQLite's own automatic checkpoints (`wal_autocheckpoint`, every 1,000 pages) are `PASSIVE`:
//! they copy what no reader still needs and never wait. Under constant reads some reader always
//! holds an old snapshot, the log can never start over from its beginning, and it grows without
//! bound (453 MB against a 207 MB database was measured). A `TRUNCATE` checkpoint waits (up to
//! [`CHECKPOINT_BUSY_MS`]) for the readers of the moment to finish — relman's reads take
//! milliseconds — then resets the log to zero bytes. [`Store::checkpoint_every`] runs one on a
//! pooled connection every few seconds; `journal_size_limit` (see `connection.rs`) caps what a
//! reset leaves on disk if a checkpoint is ever cut short.

use std::time::Duration;

use diesel::RunQueryDsl;

use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::store::Store;

/// How long a checkpoint waits for readers and writers before giving up until the next tick.
/// Writers wait behind it meanwhile, so it is kept short.
pub const CHECKPOINT_BUSY_MS: u32 = 1_000;

/// What one checkpoint did, as `PRAGMA wal_checkpoint` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::QueryableByName)]
pub struct Checkpoint {
    /// `1` when it could not finish (a reader or writer kept it waiting past its timeout).
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub busy: i32,
    /// Pages in the log before the checkpoint (`-1` when not in WAL mode).
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub log: i32,
    /// Pages of the log copied into the database.
    #[diesel(sql_type = diesel::sql_types::Integer, column_name = checkpointed)]
    pub checkpointed: i32,
}

impl Store {
    /// Checkpoints SQLite's write-ahead log into the database and truncates it; `None` on
    /// PostgreSQL, which manages its own.
    pub async fn checkpoint_wal(&self) -> Result<Option<Checkpoint>, StorageError> {
        self.run(|conn| match conn {
            DbConnection::Postgres(_) => Ok(None),
            DbConnection::Sqlite(c) => {
                diesel::sql_query(format!("PRAGMA busy_timeout = {CHECKPOINT_BUSY_MS}"))
                    .execute(c)?;
                let done = diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result(c);
                // Back to the pool's usual patience, whatever the checkpoint did.
                diesel::sql_query(format!(
                    "PRAGMA busy_timeout = {}",
                    crate::connection::BUSY_TIMEOUT_MS
                ))
                .execute(c)?;
                Ok(Some(done?))
            }
        })
        .await
    }

    /// Runs [`Store::checkpoint_wal`] every `interval` for as long as the runtime lives (returns
    /// at once on PostgreSQL). A checkpoint that cannot finish is logged and tried again at the
    /// next tick.
    pub async fn checkpoint_every(self, interval: Duration) {
        if self.backend() != crate::url::Backend::Sqlite {
            return;
        }
        loop {
            tokio::time::sleep(interval).await;
            match self.checkpoint_wal().await {
                Ok(Some(c)) if c.busy != 0 => tracing::warn!(
                    log_pages = c.log,
                    checkpointed = c.checkpointed,
                    "WAL checkpoint could not finish: readers or a writer kept it waiting"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
            }
        }
    }
}
