//! Multi-row inserts where they save round trips, one statement per row where they cannot.

/// Rows per multi-row `INSERT` on PostgreSQL. A statement may carry at most 65,535 bind
/// parameters; 2,000 rows stay under it for rows of up to 32 columns (versions have 12).
pub(crate) const ROWS_PER_INSERT: usize = 2_000;

/// Inserts `rows` into `table`: a few multi-row statements on PostgreSQL (one round trip each),
/// one statement per row on SQLite, which runs in-process inside the same transaction. A macro
/// because diesel's insert bounds differ per table and backend.
macro_rules! insert_batched {
    ($conn:expr, $table:expr, $rows:expr) => {
        match &mut *$conn {
            $crate::connection::DbConnection::Postgres(pg) => {
                for chunk in $rows.chunks($crate::batch::ROWS_PER_INSERT) {
                    diesel::insert_into($table).values(chunk).execute(pg)?;
                }
            }
            other => {
                for row in $rows {
                    diesel::insert_into($table).values(row).execute(other)?;
                }
            }
        }
    };
}

pub(crate) use insert_batched;
