//! Release rows: round trips, the name constraint, SQL paging, foreign keys, compare-and-set.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use relman_domain::{
    Component, Digest, Platform, Release, ReleaseMember, ReleaseStatus, SourceRef, content_digest,
};
use relman_storage::{ReleaseFilter, StorageError, Store, VersionFilter, Window};
use relman_test_support::backend_tests;
use uuid::Uuid;

use crate::fixtures::{component, now, version};

backend_tests!(
    round_trip_by_id_and_name,
    name_is_unique,
    list_filters_counts_and_pages,
    pinned_components_cannot_be_deleted,
    writes_are_compare_and_set,
    latest_release_is_chosen_in_sql
);

pub(crate) fn member(c: &Component, tag: &str) -> ReleaseMember {
    ReleaseMember {
        provenance: Default::default(),
        component_id: c.id,
        component_name: c.name.to_string(),
        image_repository: c.image_repository.clone(),
        tag: tag.to_owned(),
        version: relman_domain::parse_tag_semver(tag),
        digest: Digest::sha256_of(tag.as_bytes()),
        channel: Some(relman_domain::Channel::stable()),
        platforms: vec![Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
            digest: Digest::sha256_of(b"amd64"),
        }],
    }
}

pub(crate) fn release(name: &str, members: Vec<ReleaseMember>, minute: i64) -> Release {
    let at = now() + TimeDelta::minutes(minute);
    Release {
        id: Uuid::now_v7(),
        name: name.parse().unwrap(),
        display_name: format!("{name} display"),
        status: ReleaseStatus::Draft,
        digest: content_digest(&members),
        members,
        version: None,
        notes: Some("notes".into()),
        prerelease: false,
        metadata: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        source_ref: Some(SourceRef {
            scm_integration_id: Some(Uuid::now_v7()),
            repository: Some("myorg/app".into()),
            branch: None,
            commit_sha: Some("abc123".into()),
        }),
        created_at: at,
        created_by: "tester".into(),
        updated_at: at,
        deprecated_reason: None,
    }
}

pub(crate) async fn two_components(store: &Store) -> (Component, Component) {
    let api = component("api");
    let web = component("web");
    store
        .insert_component(&api, &crate::fixtures::event())
        .await
        .unwrap();
    store
        .insert_component(&web, &crate::fixtures::event())
        .await
        .unwrap();
    (api, web)
}

async fn round_trip_by_id_and_name(store: Store) {
    let (api, web) = two_components(&store).await;
    // Members keep the order they were given, not the order of ids or names.
    let r = release(
        "r1",
        vec![member(&web, "v2.0.0"), member(&api, "v1.0.0")],
        0,
    );
    store
        .insert_release(&r, &crate::fixtures::event())
        .await
        .unwrap();
    assert_eq!(store.release_by_id(r.id).await.unwrap(), r);
    assert_eq!(store.release_by_name("r1").await.unwrap(), r);
    assert!(matches!(
        store.release_by_name("r2").await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        store.release_by_id(Uuid::now_v7()).await,
        Err(StorageError::NotFound)
    ));
    let mut bare = release("bare", vec![member(&api, "v1.0.0")], 1);
    bare.source_ref = None;
    bare.notes = None;
    bare.metadata.clear();
    store
        .insert_release(&bare, &crate::fixtures::event())
        .await
        .unwrap();
    assert_eq!(store.release_by_id(bare.id).await.unwrap(), bare);
}

async fn name_is_unique(store: Store) {
    let (api, web) = two_components(&store).await;
    store
        .insert_release(
            &release("r1", vec![member(&api, "v1.0.0")], 0),
            &crate::fixtures::event(),
        )
        .await
        .unwrap();
    let err = store
        .insert_release(
            &release("r1", vec![member(&web, "v2.0.0")], 1),
            &crate::fixtures::event(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Conflict { .. }), "{err:?}");
    let page = store
        .list_releases(ReleaseFilter::default(), Window::Offset(0), 10)
        .await
        .unwrap();
    assert_eq!(
        page.total, 1,
        "the refused insert left no row and no members"
    );
    let with_web = store
        .list_releases(
            ReleaseFilter {
                component_id: Some(web.id),
                ..Default::default()
            },
            Window::Offset(0),
            10,
        )
        .await
        .unwrap();
    assert_eq!(with_web.total, 0);
}

async fn list_filters_counts_and_pages(store: Store) {
    let (api, web) = two_components(&store).await;
    for i in 0..7 {
        let members = if i % 2 == 0 {
            vec![member(&api, "v1.0.0"), member(&web, "v2.0.0")]
        } else {
            vec![member(&api, "v1.0.0")]
        };
        let mut r = release(&format!("r{i}"), members, i);
        if i >= 5 {
            r.status = ReleaseStatus::Ready;
        }
        store
            .insert_release(&r, &crate::fixtures::event())
            .await
            .unwrap();
    }
    let names = |page: &relman_storage::ReleasePage| -> Vec<String> {
        page.items.iter().map(|r| r.name.to_string()).collect()
    };
    let first = store
        .list_releases(ReleaseFilter::default(), Window::Offset(0), 3)
        .await
        .unwrap();
    assert_eq!(first.total, 7);
    assert_eq!(names(&first), ["r6", "r5", "r4"]);
    assert_eq!(first.items[0].component_count, 2);
    assert_eq!(first.items[1].component_count, 1);
    let last = store
        .list_releases(ReleaseFilter::default(), Window::Offset(6), 3)
        .await
        .unwrap();
    assert_eq!(names(&last), ["r0"]);
    let web_drafts = store
        .list_releases(
            ReleaseFilter {
                prerelease: Default::default(),
                status: Some(ReleaseStatus::Draft),
                component_id: Some(web.id),
            },
            Window::Offset(0),
            10,
        )
        .await
        .unwrap();
    assert_eq!(web_drafts.total, 3);
    assert_eq!(names(&web_drafts), ["r4", "r2", "r0"]);
    let ready = store
        .list_releases(
            ReleaseFilter {
                prerelease: Default::default(),
                status: Some(ReleaseStatus::Ready),
                component_id: None,
            },
            Window::Offset(1),
            10,
        )
        .await
        .unwrap();
    assert_eq!((ready.total, names(&ready)), (2, vec!["r5".to_owned()]));
}

async fn pinned_components_cannot_be_deleted(store: Store) {
    let (api, web) = two_components(&store).await;
    store
        .upsert_manual_version(
            version(&api, "v1.0.0", relman_domain::VersionSource::Manual),
            &crate::fixtures::event(),
        )
        .await
        .unwrap();
    let r = release("r1", vec![member(&api, "v1.0.0")], 0);
    store
        .insert_release(&r, &crate::fixtures::event())
        .await
        .unwrap();
    let err = store
        .delete_component(api.id, &crate::fixtures::event())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::ForeignKey), "{err:?}");
    let versions = store
        .list_versions(VersionFilter {
            component_id: Some(api.id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        versions.len(),
        1,
        "the refused delete kept the versions too"
    );
    store
        .delete_component(web.id, &crate::fixtures::event())
        .await
        .unwrap();

    // A member whose component is gone is refused as well, and the release is not half-written.
    let orphan = release("r2", vec![member(&web, "v2.0.0")], 1);
    let err = store
        .insert_release(&orphan, &crate::fixtures::event())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::ForeignKey), "{err:?}");
    assert!(matches!(
        store.release_by_name("r2").await,
        Err(StorageError::NotFound)
    ));

    assert!(
        store
            .delete_release(r.id, r.updated_at, &crate::fixtures::event())
            .await
            .unwrap()
    );
    store
        .delete_component(api.id, &crate::fixtures::event())
        .await
        .unwrap();
}

async fn writes_are_compare_and_set(store: Store) {
    let (api, web) = two_components(&store).await;
    let r = release("r1", vec![member(&api, "v1.0.0")], 0);
    store
        .insert_release(&r, &crate::fixtures::event())
        .await
        .unwrap();

    let mut changed = r.clone();
    changed.display_name = "renamed".into();
    changed.members = vec![member(&web, "v2.0.0"), member(&api, "v1.1.0")];
    changed.digest = content_digest(&changed.members);
    changed.updated_at = r.updated_at + TimeDelta::seconds(1);
    let stale = r.updated_at - TimeDelta::seconds(1);
    assert!(
        !store
            .update_release(&changed, stale, true, &crate::fixtures::event())
            .await
            .unwrap()
    );
    assert_eq!(
        store.release_by_id(r.id).await.unwrap(),
        r,
        "a stale write changes nothing"
    );
    assert!(
        store
            .update_release(&changed, r.updated_at, true, &crate::fixtures::event())
            .await
            .unwrap()
    );
    assert_eq!(store.release_by_id(r.id).await.unwrap(), changed);
    assert!(
        !store
            .update_release(&changed, r.updated_at, true, &crate::fixtures::event())
            .await
            .unwrap(),
        "the same read cannot be written twice"
    );

    // Without replace_members, the stored members stay as they are.
    let mut header_only = changed.clone();
    header_only.status = ReleaseStatus::Ready;
    header_only.members = vec![];
    header_only.updated_at = changed.updated_at + TimeDelta::seconds(1);
    assert!(
        store
            .update_release(
                &header_only,
                changed.updated_at,
                false,
                &crate::fixtures::event()
            )
            .await
            .unwrap()
    );
    let read = store.release_by_id(r.id).await.unwrap();
    assert_eq!(read.status, ReleaseStatus::Ready);
    assert_eq!(read.members, changed.members);

    assert!(
        !store
            .delete_release(r.id, changed.updated_at, &crate::fixtures::event())
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_release(r.id, header_only.updated_at, &crate::fixtures::event())
            .await
            .unwrap()
    );
    assert!(matches!(
        store.release_by_id(r.id).await,
        Err(StorageError::NotFound)
    ));
    assert!(
        !store
            .delete_release(r.id, header_only.updated_at, &crate::fixtures::event())
            .await
            .unwrap()
    );
    // Members went with it: both components are free again.
    store
        .delete_component(api.id, &crate::fixtures::event())
        .await
        .unwrap();
    store
        .delete_component(web.id, &crate::fixtures::event())
        .await
        .unwrap();
}

/// The latest release is one indexed row, chosen by the same rule as the domain's
/// `latest_release`: ineligible releases filtered out, `rc.10` above `rc.9` (numeric-aware
/// precedence), and of equal precedence the later one.
async fn latest_release_is_chosen_in_sql(store: Store) {
    let (api, _) = two_components(&store).await;
    let cases = [
        ("ready", ReleaseStatus::Ready, Some("1.0.0"), false),
        ("deployed", ReleaseStatus::Deployed, Some("2.0.0"), false),
        ("rc10", ReleaseStatus::Ready, Some("2.1.0-rc.10"), false),
        (
            "rebuild",
            ReleaseStatus::Ready,
            Some("2.1.0-rc.10+b"),
            false,
        ),
        ("rc9", ReleaseStatus::Deployed, Some("2.1.0-rc.9"), false),
        ("draft", ReleaseStatus::Draft, Some("3.0.0"), false),
        (
            "deprecated",
            ReleaseStatus::Deprecated,
            Some("4.0.0"),
            false,
        ),
        ("pre", ReleaseStatus::Ready, Some("5.0.0"), true),
        ("unversioned", ReleaseStatus::Ready, None, false),
    ];
    let mut all = Vec::new();
    for (i, (name, status, v, pre)) in cases.iter().enumerate() {
        let mut r = release(
            name,
            vec![member(&api, "v1.0.0")],
            i64::try_from(i).unwrap(),
        );
        r.status = *status;
        r.version = v.map(|v| v.parse().unwrap());
        r.prerelease = *pre;
        store
            .insert_release(&r, &crate::fixtures::event())
            .await
            .unwrap();
        all.push(r);
    }
    let got: Vec<String> = store
        .latest_release_candidates()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name.to_string())
        .collect();
    assert_eq!(got, ["rebuild"]);
    let domain = relman_domain::latest_release(&all).map(|r| r.name.to_string());
    assert_eq!(domain.as_deref(), Some("rebuild"));
}
