//! Writing a sync's outcome: batched, atomic, and a manual map claiming a tag meanwhile wins.

use relman_domain::{Digest, VersionSource};
use relman_storage::{Retag, Store, SyncChanges};
use relman_test_support::backend_tests;

use crate::fixtures::{component, event, now, version};

backend_tests!(apply_sync_writes_thousands_of_rows_in_batches);

async fn apply_sync_writes_thousands_of_rows_in_batches(store: Store) {
    let c = component("api");
    store.insert_component(&c, &event()).await.unwrap();
    // A manual map that claimed a tag the sync is about to insert.
    let (manual, _) = store
        .upsert_manual_version(version(&c, "v0.0.7", VersionSource::Manual), &event())
        .await
        .unwrap();
    // More rows than one PostgreSQL statement could bind (65,535 parameters, 12 per row).
    let inserts: Vec<_> = (0..6000)
        .map(|i| {
            version(
                &c,
                &format!("v0.{}.{}", i / 1000, i % 1000),
                VersionSource::Sync,
            )
        })
        .collect();
    let skipped = store
        .apply_sync(
            c.id,
            SyncChanges {
                inserts: inserts.clone(),
                ..SyncChanges::default()
            },
            now(),
            &event(),
        )
        .await
        .unwrap();
    assert_eq!(skipped, 1, "the manual map keeps its tag");
    let stored = store.versions_for_sync(c.id).await.unwrap();
    assert_eq!(stored.len(), 6000);
    let claimed = stored.iter().find(|v| v.tag == "v0.0.7").unwrap();
    assert_eq!(claimed.id, manual.id);
    assert_eq!(claimed.source, VersionSource::Manual);
    let sample = stored.iter().find(|v| v.tag == "v0.5.999").unwrap();
    assert_eq!(
        sample,
        inserts.iter().find(|v| v.tag == "v0.5.999").unwrap()
    );

    // Updates (one aimed at the manual row, which is left alone), gone marks and retags.
    let moved = Digest::sha256_of(b"moved");
    let mut updates: Vec<_> = inserts[10..12]
        .iter()
        .map(|v| relman_domain::ComponentVersion {
            digest: moved.clone(),
            ..v.clone()
        })
        .collect();
    updates.push(relman_domain::ComponentVersion {
        digest: moved.clone(),
        ..manual.clone()
    });
    let retags: Vec<Retag> = inserts[10..12]
        .iter()
        .map(|v| Retag {
            tag: v.tag.clone(),
            old_digest: v.digest.clone(),
            new_digest: moved.clone(),
        })
        .collect();
    let skipped = store
        .apply_sync(
            c.id,
            SyncChanges {
                updates,
                gone: vec![inserts[20].id, inserts[21].id],
                retags,
                ..SyncChanges::default()
            },
            now(),
            &event(),
        )
        .await
        .unwrap();
    assert_eq!(skipped, 1, "manual rows are never updated by a sync");
    let stored = store.versions_for_sync(c.id).await.unwrap();
    assert_eq!(stored.iter().filter(|v| v.digest == moved).count(), 2);
    assert_eq!(stored.iter().filter(|v| v.gone).count(), 2);
    assert_eq!(
        store
            .list_retags_page(c.id, None, 10)
            .await
            .unwrap()
            .0
            .len(),
        2
    );
}
