//! The release cache across replicas: two services over one database, each with its own cache.

use std::time::Duration;

use relman_domain::ReleaseStatus;
use relman_service::{ReleasePatch, ServiceError};
use relman_storage::Store;
use relman_test_support::backend_tests;

use crate::deployments::ready_release;
use crate::releases::{actor, input, service_with_components};

backend_tests!(
    other_replicas_changes_are_seen_after_a_refresh,
    refresh_task_forgets_what_another_replica_changed,
    drafts_are_never_cached
);

fn notes(text: &str) -> ReleasePatch {
    ReleasePatch {
        notes: Some(Some(text.into())),
        ..Default::default()
    }
}

/// Replica `b` holds a release; `a` changes it, then deletes another one. `b` serves its held
/// copy until a refresh, which forgets exactly the changed and the deleted releases.
async fn other_replicas_changes_are_seen_after_a_refresh(store: Store) {
    let a = service_with_components(store.clone()).await;
    let b = relman_service::Service::new(store);
    ready_release(&a, "r1", "1.0.0").await;
    ready_release(&a, "r2", "1.0.0").await;
    ready_release(&a, "r3", "1.0.0").await;
    for name in ["r1", "r2", "r3"] {
        b.release_cached(name).await.unwrap();
    }
    a.update_release(&actor("a"), "r1", notes("changed elsewhere"))
        .await
        .unwrap();
    a.delete_release(&actor("a"), "r2").await.unwrap();
    // `a`'s own change is visible to `a` at once.
    let own = a.release_cached("r1").await.unwrap();
    assert_eq!(own.notes.as_deref(), Some("changed elsewhere"));
    // `b` has not looked yet: it still serves what it read (no database round trip).
    assert_eq!(b.release_cached("r1").await.unwrap().notes, None);
    assert_eq!(b.refresh_release_cache().await.unwrap(), 2);
    let seen = b.release_cached("r1").await.unwrap();
    assert_eq!(seen.notes.as_deref(), Some("changed elsewhere"));
    assert!(matches!(
        b.release_cached("r2").await,
        Err(ServiceError::NotFound { .. })
    ));
    // Nothing changed since: the next refresh forgets nothing.
    assert_eq!(b.refresh_release_cache().await.unwrap(), 0);
}

/// The background refresh (here every 20 ms) brings a deprecation made through another replica
/// to this one without any call to it.
async fn refresh_task_forgets_what_another_replica_changed(store: Store) {
    let a = service_with_components(store.clone()).await;
    let b = relman_service::Service::new(store);
    ready_release(&a, "r1", "1.0.0").await;
    assert_eq!(
        b.release_cached("r1").await.unwrap().status,
        ReleaseStatus::Ready
    );
    let refresher = tokio::spawn(
        b.clone()
            .refresh_release_cache_every(Duration::from_millis(20)),
    );
    a.deprecate_release(&actor("a"), "r1", Some("superseded".into()))
        .await
        .unwrap();
    // Bounded wait: a broken refresh fails the test instead of hanging it.
    let mut status = ReleaseStatus::Ready;
    for _ in 0..500 {
        status = b.release_cached("r1").await.unwrap().status;
        if status == ReleaseStatus::Deprecated {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    refresher.abort();
    assert_eq!(status, ReleaseStatus::Deprecated);
}

/// A draft can still change members; every read of one goes to the database, so a change made
/// through another replica is seen at once.
async fn drafts_are_never_cached(store: Store) {
    let a = service_with_components(store.clone()).await;
    let b = relman_service::Service::new(store);
    a.create_release(&actor("a"), input("d1", "1.0.0"))
        .await
        .unwrap();
    assert_eq!(b.release_cached("d1").await.unwrap().notes, None);
    a.update_release(&actor("a"), "d1", notes("draft notes"))
        .await
        .unwrap();
    let seen = b.release_cached("d1").await.unwrap();
    assert_eq!(seen.status, ReleaseStatus::Draft);
    assert_eq!(seen.notes.as_deref(), Some("draft notes"));
}
