use relman_storage::{StorageError, Store};
use relman_test_support::backend_tests;

use crate::fixtures::component;

backend_tests!(
    round_trip,
    duplicate_name_conflicts,
    update_and_delete,
    concurrent_same_name
);

async fn round_trip(store: Store) {
    let mut c = component("api");
    c.tag_pattern = Some(relman_domain::TagPattern::new(r"^v\d").unwrap());
    store
        .insert_component(&c, &crate::fixtures::event())
        .await
        .unwrap();
    assert_eq!(store.component_by_id(c.id).await.unwrap(), c);
    assert_eq!(store.component_by_name("api").await.unwrap(), c);
    store
        .insert_component(&component("worker"), &crate::fixtures::event())
        .await
        .unwrap();
    let names: Vec<String> = store
        .list_components()
        .await
        .unwrap()
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    assert_eq!(names, ["api", "worker"]);
    assert!(matches!(
        store.component_by_name("nope").await,
        Err(StorageError::NotFound)
    ));
}

async fn duplicate_name_conflicts(store: Store) {
    store
        .insert_component(&component("api"), &crate::fixtures::event())
        .await
        .unwrap();
    let err = store
        .insert_component(&component("api"), &crate::fixtures::event())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Conflict { .. }), "{err:?}");
}

async fn update_and_delete(store: Store) {
    let mut c = component("api");
    store
        .insert_component(&c, &crate::fixtures::event())
        .await
        .unwrap();
    store
        .insert_component(&component("taken"), &crate::fixtures::event())
        .await
        .unwrap();
    c.display_name = "Renamed".into();
    c.registry_integration_id = None;
    store
        .update_component(&c, &crate::fixtures::event())
        .await
        .unwrap();
    assert_eq!(store.component_by_id(c.id).await.unwrap(), c);

    let mut clash = c.clone();
    clash.name = "taken".parse().unwrap();
    assert!(matches!(
        store
            .update_component(&clash, &crate::fixtures::event())
            .await,
        Err(StorageError::Conflict { .. })
    ));

    store
        .delete_component(c.id, &crate::fixtures::event())
        .await
        .unwrap();
    assert!(matches!(
        store.component_by_id(c.id).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        store
            .delete_component(c.id, &crate::fixtures::event())
            .await,
        Err(StorageError::NotFound)
    ));
}

/// The unique constraint, not a check-then-insert, decides between concurrent writers.
async fn concurrent_same_name(store: Store) {
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .insert_component(&component("racy"), &crate::fixtures::event())
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StorageError::Conflict { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(store.list_components().await.unwrap().len(), 1);
}
