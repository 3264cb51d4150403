//! A release create's session: the member reads (one statement on PostgreSQL, portable queries
//! on SQLite) answer alike on both backends, and its insert is the store's.

use relman_domain::{ComponentVersion, VersionSource, Yank, version_sort_key};
use relman_storage::{
    Candidates, ComponentKey, MemberQuery, MemberRead, StorageError, Store, VersionFilter,
};
use relman_test_support::backend_tests;
use uuid::Uuid;

use crate::fixtures::{event, now, version};
use crate::releases::{member, release, two_components};

backend_tests!(
    members_read_components_and_candidates,
    session_insert_is_atomic_and_loses_races
);

fn tags(read: &Option<MemberRead>) -> Vec<String> {
    let mut tags: Vec<String> = read
        .as_ref()
        .map(|(_, versions)| versions.iter().map(|v| v.tag.clone()).collect())
        .unwrap_or_default();
    tags.sort();
    tags
}

async fn members(store: &Store, queries: Vec<MemberQuery>) -> Vec<Option<MemberRead>> {
    store
        .release_session(move |s| s.members(&queries))
        .await
        .unwrap()
}

async fn members_read_components_and_candidates(store: Store) {
    let (api, web) = two_components(&store).await;
    for tag in [
        "v1.0.0",
        "1.0.0",
        "v1.1.0",
        "v1.2.0",
        "v2.0.0-rc.1",
        "nightly-7",
        "latest",
    ] {
        store
            .upsert_manual_version(version(&api, tag, VersionSource::Manual), &event())
            .await
            .unwrap();
    }
    // The channel's highest, v1.2.0, is yanked: the top is then v1.1.0.
    store
        .set_yank(
            api.id,
            "v1.2.0".into(),
            Some(Yank {
                at: now(),
                reason: Some("broken".into()),
            }),
            &event(),
            |_| vec![],
        )
        .await
        .unwrap();
    let by_name = |candidates| MemberQuery {
        key: ComponentKey::Name("api".into()),
        candidates,
    };
    let v1: semver::Version = "1.0.0".parse().unwrap();
    let digest = relman_domain::Digest::sha256_of(b"v1.1.0").to_string();
    let read = members(
        &store,
        vec![
            by_name(Candidates::TopOfDefaultChannel),
            by_name(Candidates::TopOfChannel("nightly".into())),
            by_name(Candidates::SortKey(version_sort_key(&v1))),
            by_name(Candidates::Digest(digest)),
            MemberQuery {
                key: ComponentKey::Id(web.id),
                candidates: Candidates::TopOfDefaultChannel,
            },
            MemberQuery {
                key: ComponentKey::Id(Uuid::now_v7()),
                candidates: Candidates::TopOfDefaultChannel,
            },
            by_name(Candidates::TopOfChannel("beta".into())),
            MemberQuery {
                key: ComponentKey::Name("nope".into()),
                candidates: Candidates::TopOfDefaultChannel,
            },
        ],
    )
    .await;
    assert_eq!(read.len(), 8);
    assert_eq!(read[0].as_ref().unwrap().0, api);
    assert_eq!(tags(&read[0]), ["v1.1.0"]);
    // Tags without a semver are never the top of a channel.
    assert_eq!(tags(&read[1]), Vec::<String>::new());
    // Equal precedence: both tags of 1.0.0.
    assert_eq!(tags(&read[2]), ["1.0.0", "v1.0.0"]);
    assert_eq!(tags(&read[3]), ["v1.1.0"]);
    assert_eq!(read[4].as_ref().unwrap().0, web);
    assert_eq!(tags(&read[4]), Vec::<String>::new());
    assert!(read[5].is_none());
    assert_eq!(tags(&read[6]), Vec::<String>::new());
    assert!(read[7].is_none());
    // The rows read are the rows stored.
    let stored = store
        .list_versions(VersionFilter {
            component_id: Some(api.id),
            include_gone: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let top: &ComponentVersion = &read[0].as_ref().unwrap().1[0];
    assert_eq!(stored.iter().find(|v| v.tag == "v1.1.0"), Some(top));
    let all = store
        .release_session(move |s| s.all_versions(api.id))
        .await
        .unwrap();
    assert_eq!(all, stored);
    assert!(members(&store, vec![]).await.is_empty());
}

async fn session_insert_is_atomic_and_loses_races(store: Store) {
    let (api, web) = two_components(&store).await;
    let first = release("r1", vec![member(&api, "v1.0.0")], 0);
    let again = release("r1", vec![member(&web, "v2.0.0")], 1);
    let (a, b) = (first.clone(), again.clone());
    let (one, two) = store
        .release_session(move |s| {
            Ok::<_, StorageError>((
                s.insert_release(&a, &event()),
                s.insert_release(&b, &event()),
            ))
        })
        .await
        .unwrap();
    one.unwrap();
    assert!(matches!(two, Err(StorageError::Conflict { .. })));
    assert_eq!(store.release_by_name("r1").await.unwrap(), first);
    // A member whose component is gone fails the whole insert.
    let mut ghost = release("r2", vec![member(&api, "v1.0.0")], 2);
    ghost.members[0].component_id = Uuid::now_v7();
    let r = ghost.clone();
    let failed = store
        .release_session(move |s| Ok::<_, StorageError>(s.insert_release(&r, &event())))
        .await
        .unwrap();
    assert!(matches!(failed, Err(StorageError::ForeignKey)));
    assert!(matches!(
        store.release_by_id(ghost.id).await,
        Err(StorageError::NotFound)
    ));
}
