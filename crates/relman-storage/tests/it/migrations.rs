use std::collections::BTreeSet;
use std::path::Path;

use relman_storage::{PoolOptions, Store};
use relman_test_support::db::TestDb;

/// Every migration goes up, down and up again on the backend.
async fn round_trip(db: TestDb) {
    let store = Store::connect(db.url.clone(), PoolOptions::default())
        .await
        .unwrap();
    let up = store.migrate().await.unwrap();
    assert!(up > 0);
    store.check_ready().await.unwrap();
    assert_eq!(store.revert_all_migrations().await.unwrap(), up);
    assert!(
        store.check_ready().await.is_err(),
        "pending migrations mean not ready"
    );
    assert_eq!(store.migrate().await.unwrap(), up);
    assert_eq!(
        store.migrate().await.unwrap(),
        0,
        "a second run applies nothing"
    );
    store.check_ready().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_sqlite() {
    round_trip(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_postgres() {
    if let Some(db) = TestDb::postgres() {
        round_trip(db).await;
    }
}

fn migration_names(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            for file in ["up.sql", "down.sql"] {
                assert!(
                    e.path().join(file).is_file(),
                    "{} lacks {file}",
                    e.path().display()
                );
            }
            e.file_name().into_string().unwrap()
        })
        .collect()
}

/// Migrations whose SQL must differ between the backends, each with the reason (docs/DATABASE.md).
const DIFFERING: &[(&str, &str)] = &[(
    "2026-12-02-000002_version_sort_key",
    "PostgreSQL declares the sort keys COLLATE \"C\" so that ORDER BY is byte order whatever the \
     database's collation; SQLite's default BINARY collation already is",
)];

/// The trees hold the same migrations with the same SQL, file by file, except the ones
/// [`DIFFERING`] names and explains; the diff of the first difference is printed.
#[test]
fn migration_trees_mirror_each_other() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    for name in &sqlite {
        if DIFFERING.iter().any(|(n, _)| n == name) {
            continue;
        }
        for file in ["up.sql", "down.sql"] {
            let read = |backend: &str| {
                std::fs::read_to_string(root.join(backend).join(name).join(file)).unwrap()
            };
            let (lite, pg) = (read("sqlite"), read("postgres"));
            if lite != pg {
                let first = lite
                    .lines()
                    .zip(pg.lines())
                    .enumerate()
                    .find(|(_, (a, b))| a != b)
                    .map_or_else(
                        || "one file is longer".to_owned(),
                        |(i, (a, b))| format!("line {}:\n  sqlite:   {a}\n  postgres: {b}", i + 1),
                    );
                panic!(
                    "{name}/{file} differs between the trees ({first}); make them equal or list it \
                     in DIFFERING with the reason"
                );
            }
        }
    }
}

#[test]
fn unknown_scheme_is_refused() {
    let err = "mysql://localhost/relman"
        .parse::<relman_storage::DatabaseUrl>()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unsupported database URL scheme 'mysql'"),
        "{err}"
    );
}

/// SQLite commits are fsynced before they are acknowledged unless configured otherwise; the
/// database file is private to its owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_is_durable_and_private_by_default() {
    use relman_storage::SqliteSync;
    use std::os::unix::fs::PermissionsExt;

    let db = TestDb::sqlite();
    let store = Store::open(db.url.clone(), PoolOptions::default())
        .await
        .unwrap();
    assert_eq!(store.sqlite_sync().await.unwrap(), Some(SqliteSync::Full));
    let mode = std::fs::metadata(db.url.target())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the database file is private");

    let relaxed = Store::open(
        db.url.clone(),
        PoolOptions {
            sqlite_sync: SqliteSync::Normal,
            ..PoolOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        relaxed.sqlite_sync().await.unwrap(),
        Some(SqliteSync::Normal)
    );
}

/// Replicas starting at the same moment on a fresh PostgreSQL database: each migration runs
/// once, under an advisory lock, and every replica comes up ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_starts_on_postgres_migrate_once() {
    let Some(db) = TestDb::postgres() else { return };
    let open = || async {
        let store = Store::connect(db.url.clone(), PoolOptions::default())
            .await
            .unwrap();
        let ran = store.migrate().await.unwrap();
        store.check_ready().await.unwrap();
        ran
    };
    let ran = futures_util::future::join_all((0..4).map(|_| open())).await;
    let total = migration_names("postgres").len();
    assert_eq!(ran.iter().sum::<usize>(), total, "{ran:?}");
    assert_eq!(ran.iter().filter(|n| **n > 0).count(), 1, "{ran:?}");
}
