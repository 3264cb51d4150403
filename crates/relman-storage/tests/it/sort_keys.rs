//! The semver sort keys of rows written before the key columns existed are filled in after the
//! migrations run, and only those.

use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use relman_domain::{VersionSource, optional_sort_key};
use relman_storage::{Backend, Store, VersionFilter};
use relman_test_support::db::TestDb;

use crate::fixtures::{component, event, version};
use crate::releases::{member, release};

#[derive(diesel::QueryableByName)]
struct Key {
    #[diesel(sql_type = diesel::sql_types::Text)]
    tag: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    sort_key: String,
}

/// Runs SQL on the database directly, as an older relman (which wrote no keys) would have left it.
fn raw(db: &TestDb, sql: &str) -> Vec<Key> {
    let target = db.url.target();
    match db.url.backend() {
        Backend::Sqlite => {
            let mut c = SqliteConnection::establish(target).unwrap();
            diesel::sql_query(sql).load(&mut c).unwrap()
        }
        Backend::Postgres => {
            let mut c = PgConnection::establish(target).unwrap();
            diesel::sql_query(sql).load(&mut c).unwrap()
        }
    }
}

async fn backfill(db: TestDb) {
    let store: Store = db.store().await;
    let c = component("api");
    store.insert_component(&c, &event()).await.unwrap();
    let tags = ["v1.0.0-rc.9", "latest", "v1.0.0", "v1.0.0-rc.10"];
    let mut versions = Vec::new();
    for tag in tags {
        let v = version(&c, tag, VersionSource::Sync);
        store
            .upsert_manual_version(v.clone(), &event())
            .await
            .unwrap();
        versions.push(v);
    }
    let mut old = release("old", vec![member(&c, "v1.0.0")], 0);
    old.status = relman_domain::ReleaseStatus::Ready;
    old.version = Some("2.0.0-rc.10".parse().unwrap());
    store.insert_release(&old, &event()).await.unwrap();
    let mut newer = release("newer", vec![member(&c, "v1.0.0")], 1);
    newer.status = relman_domain::ReleaseStatus::Ready;
    newer.version = Some("2.0.0-rc.9".parse().unwrap());
    store.insert_release(&newer, &event()).await.unwrap();

    // Back to the state the migration leaves existing rows in.
    let keys = "SELECT tag, sort_key FROM component_versions ORDER BY tag";
    raw(
        &db,
        "UPDATE component_versions SET sort_key = '0' RETURNING tag, sort_key",
    );
    raw(
        &db,
        "UPDATE releases SET version_sort_key = '0' RETURNING name AS tag, version_sort_key AS sort_key",
    );
    assert!(raw(&db, keys).iter().all(|k| k.sort_key == "0"));

    assert_eq!(store.migrate().await.unwrap(), 0, "no migration pending");
    let mut want: Vec<(String, String)> = versions
        .iter()
        .map(|v| (v.tag.clone(), optional_sort_key(v.semver.as_ref())))
        .collect();
    want.sort();
    let got: Vec<(String, String)> = raw(&db, keys)
        .into_iter()
        .map(|k| (k.tag, k.sort_key))
        .collect();
    assert_eq!(got, want);
    let listed: Vec<String> = store
        .list_versions(VersionFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.tag)
        .collect();
    assert_eq!(listed, ["v1.0.0", "v1.0.0-rc.10", "v1.0.0-rc.9", "latest"]);
    // rc.10 outranks the later rc.9 only once its key is back.
    let latest = store.latest_release_candidates().await.unwrap();
    assert_eq!(latest[0].name.as_str(), "old");

    // A second run changes nothing.
    store.migrate().await.unwrap();
    assert_eq!(
        raw(&db, keys)
            .into_iter()
            .map(|k| (k.tag, k.sort_key))
            .collect::<Vec<_>>(),
        want
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_sqlite() {
    backfill(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_postgres() {
    if let Some(db) = TestDb::postgres() {
        backfill(db).await;
    }
}
