//! SQLite's write-ahead log is checkpointed and truncated on demand; the release stamps that
//! caches compare.

use relman_storage::{Backend, Store};
use relman_test_support::backend_tests;
use relman_test_support::db::TestDb;

use crate::fixtures::{component, event};

backend_tests!(postgres_needs_no_checkpoint);

/// After writes, a checkpoint copies the log into the database and leaves it empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_checkpoint_truncates_the_wal() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    for i in 0..50 {
        store
            .insert_component(&component(&format!("svc-{i}")), &event())
            .await
            .unwrap();
    }
    let path = db.url_string.trim_start_matches("sqlite://").to_owned();
    let wal = std::path::PathBuf::from(format!("{path}-wal"));
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "writes went to the log"
    );
    let done = store.checkpoint_wal().await.unwrap().unwrap();
    assert_eq!(done.busy, 0, "{done:?}");
    assert_eq!(done.log, done.checkpointed, "{done:?}");
    assert_eq!(
        std::fs::metadata(&wal).unwrap().len(),
        0,
        "TRUNCATE empties the log"
    );
    // The data is in the database, and the connection still waits for locks as before.
    assert_eq!(store.list_components().await.unwrap().len(), 50);
}

async fn postgres_needs_no_checkpoint(store: Store) {
    let done = store.checkpoint_wal().await.unwrap();
    assert_eq!(done.is_some(), store.backend() == Backend::Sqlite);
}
