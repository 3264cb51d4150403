//! Fills the semver sort keys of rows written before the keys existed (migration
//! `2026-12-02-000002_version_sort_key` adds the columns with the placeholder `'0'`).
//!
//! The key is computed by `relman_domain::version_sort_key`, which SQL cannot express, so this
//! runs in Rust right after the migrations. It only touches rows that have a version and still
//! carry `'0'`, so running it again finds nothing to do; each batch is its own transaction, and
//! each update re-checks the version it computed the key from, so a concurrent writer (who writes
//! the key itself) is never overwritten.

use diesel::prelude::*;
use relman_domain::{NO_SEMVER_KEY, version_sort_key};

use crate::connection::{DbConnection, write_transaction};
use crate::error::StorageError;
use crate::schema::{component_versions as cv, releases};

/// Rows read and updated per transaction.
const BATCH: i64 = 500;

/// Gives every version and release that has a semver and no key yet its key; returns how many
/// rows were updated.
pub(crate) fn sort_keys(conn: &mut DbConnection) -> Result<usize, StorageError> {
    let versions = in_batches(
        conn,
        |conn, after| {
            cv::table
                .filter(cv::sort_key.eq(NO_SEMVER_KEY))
                .filter(cv::id.gt(after))
                .filter(cv::semver.is_not_null())
                .order(cv::id)
                .limit(BATCH)
                .select((cv::id, cv::semver.assume_not_null()))
                .load(conn)
        },
        |conn, id, version, key| {
            diesel::update(
                cv::table
                    .filter(cv::id.eq(id))
                    .filter(cv::semver.eq(version))
                    .filter(cv::sort_key.eq(NO_SEMVER_KEY)),
            )
            .set(cv::sort_key.eq(key))
            .execute(conn)
        },
    )?;
    let releases = in_batches(
        conn,
        |conn, after| {
            releases::table
                .filter(releases::version_sort_key.eq(NO_SEMVER_KEY))
                .filter(releases::id.gt(after))
                .filter(releases::version.is_not_null())
                .order(releases::id)
                .limit(BATCH)
                .select((releases::id, releases::version.assume_not_null()))
                .load(conn)
        },
        |conn, id, version, key| {
            diesel::update(
                releases::table
                    .filter(releases::id.eq(id))
                    .filter(releases::version.eq(version))
                    .filter(releases::version_sort_key.eq(NO_SEMVER_KEY)),
            )
            .set(releases::version_sort_key.eq(key))
            .execute(conn)
        },
    )?;
    if versions + releases > 0 {
        tracing::info!(versions, releases, "semver sort keys backfilled");
    }
    Ok(versions + releases)
}

/// Walks `(id, version)` rows by id, `BATCH` at a time, and updates each one's key. A version
/// that does not parse (it never should: the service stores parsed versions) keeps `'0'` and is
/// stepped over, so the walk always ends.
fn in_batches(
    conn: &mut DbConnection,
    mut load: impl FnMut(&mut DbConnection, &str) -> QueryResult<Vec<(String, String)>>,
    mut update: impl FnMut(&mut DbConnection, &str, &str, &str) -> QueryResult<usize>,
) -> Result<usize, StorageError> {
    let mut after = String::new();
    let mut updated = 0;
    loop {
        let rows = load(conn, &after)?;
        let Some((last, _)) = rows.last() else {
            return Ok(updated);
        };
        after = last.clone();
        updated += write_transaction(conn, |conn| {
            let mut n = 0;
            for (id, version) in &rows {
                if let Ok(parsed) = semver::Version::parse(version) {
                    n += update(conn, id, version, &version_sort_key(&parsed))?;
                }
            }
            Ok(n)
        })?;
    }
}
