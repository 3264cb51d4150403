use relman_domain::{Channel, VersionSource};
use relman_storage::{Store, VersionFilter};
use relman_test_support::backend_tests;

use crate::fixtures::{component, version};

backend_tests!(
    list_sorted_and_filtered,
    manual_upsert_takes_over_tag,
    versions_go_with_component
);

async fn list_sorted_and_filtered(store: Store) {
    let c = component("api");
    store
        .insert_component(&c, &crate::fixtures::event())
        .await
        .unwrap();
    let other = component("other");
    store
        .insert_component(&other, &crate::fixtures::event())
        .await
        .unwrap();
    for tag in [
        "v1.0.0-rc.9",
        "v1.0.0",
        "latest",
        "v1.0.0-rc.10",
        "nightly-1",
        "v0.9.0",
    ] {
        store
            .upsert_manual_version(
                version(&c, tag, VersionSource::Sync),
                &crate::fixtures::event(),
            )
            .await
            .unwrap();
    }
    store
        .upsert_manual_version(
            version(&other, "v9.0.0", VersionSource::Sync),
            &crate::fixtures::event(),
        )
        .await
        .unwrap();

    let all = store
        .list_versions(VersionFilter {
            component_id: Some(c.id),
            ..Default::default()
        })
        .await
        .unwrap();
    let tags: Vec<&str> = all.iter().map(|v| v.tag.as_str()).collect();
    assert_eq!(
        tags,
        [
            "v1.0.0",
            "v1.0.0-rc.10",
            "v1.0.0-rc.9",
            "v0.9.0",
            "latest",
            "nightly-1"
        ]
    );
    assert_eq!(
        all[0].platforms.len(),
        1,
        "platforms survive the round trip"
    );

    let rc = store
        .list_versions(VersionFilter {
            component_id: Some(c.id),
            channel: Some(Channel::rc()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        rc.iter().map(|v| v.tag.as_str()).collect::<Vec<_>>(),
        ["v1.0.0-rc.10", "v1.0.0-rc.9"]
    );

    let nightly = store
        .list_versions(VersionFilter {
            channel: Some("nightly".parse().unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(nightly.len(), 1);
}

async fn manual_upsert_takes_over_tag(store: Store) {
    let c = component("api");
    store
        .insert_component(&c, &crate::fixtures::event())
        .await
        .unwrap();
    let synced = version(&c, "v2.0.0", VersionSource::Sync);
    let (first, created) = store
        .upsert_manual_version(synced.clone(), &crate::fixtures::event())
        .await
        .unwrap();
    assert!(created);
    let mut manual = version(&c, "v2.0.0", VersionSource::Manual);
    manual.channel = Some(Channel::beta());
    let (stored, created) = store
        .upsert_manual_version(manual, &crate::fixtures::event())
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(stored.id, first.id, "the record keeps its identity");
    assert_eq!(stored.first_seen_at, first.first_seen_at);
    let listed = store
        .list_versions(VersionFilter {
            source: Some(VersionSource::Manual),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed, vec![stored]);
}

async fn versions_go_with_component(store: Store) {
    let c = component("api");
    store
        .insert_component(&c, &crate::fixtures::event())
        .await
        .unwrap();
    store
        .upsert_manual_version(
            version(&c, "v1.0.0", VersionSource::Manual),
            &crate::fixtures::event(),
        )
        .await
        .unwrap();
    store
        .delete_component(c.id, &crate::fixtures::event())
        .await
        .unwrap();
    assert!(
        store
            .list_versions(VersionFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}
