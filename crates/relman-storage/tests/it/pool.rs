//! The pool without test-on-checkout: a dead connection costs one failed query, not more.

use diesel::{Connection, PgConnection, RunQueryDsl};
use relman_storage::{PoolOptions, StorageError, Store};
use relman_test_support::db::TestDb;

use crate::fixtures::component;

/// Every pooled connection is killed by the server (`pg_terminate_backend`, as a restart or an
/// idle-timeout would): each may fail the one query that finds it dead, then the pool opens
/// fresh ones and queries succeed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_postgres_connections_fail_one_query_each() {
    let Some(db) = TestDb::postgres() else { return };
    let pool_size = 2;
    let store = Store::open(
        db.url.clone(),
        PoolOptions {
            max_connections: pool_size,
            ..PoolOptions::default()
        },
    )
    .await
    .unwrap();
    store
        .insert_component(&component("api"), &crate::fixtures::event())
        .await
        .unwrap();
    let mut admin = PgConnection::establish(&db.url_string).unwrap();
    let killed = diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut admin)
    .unwrap();
    assert!(killed >= 1, "the pool's connections were found");
    let mut failures = 0;
    let mut succeeded = false;
    for _ in 0..=pool_size {
        match store.list_components().await {
            Ok(found) => {
                assert_eq!(found.len(), 1);
                succeeded = true;
                break;
            }
            Err(StorageError::Unavailable(_)) => failures += 1,
            Err(other) => panic!("a dead connection must read as unavailable: {other:?}"),
        }
    }
    assert!(
        succeeded,
        "a fresh connection answers after {failures} failures"
    );
    assert!(
        failures <= pool_size,
        "{failures} failures for {pool_size} connections"
    );
    for _ in 0..4 {
        assert_eq!(store.list_components().await.unwrap().len(), 1);
    }
}
