//! Release use cases, above all what concurrent callers see.

use relman_domain::{Digest, ReleaseStatus};
use relman_service::{
    ComponentInput, MemberInput, ReleaseInput, ReleasePatch, ServiceError, VersionMapInput,
};
use relman_storage::Store;
use relman_test_support::backend_tests;

backend_tests!(
    concurrent_same_content_creates_one,
    concurrent_mixed_content_one_winner,
    concurrent_updates_follow_the_machine,
    actor_and_idempotent_retry
);

/// A caller named `name`, as a request would carry it.
pub fn actor(name: &str) -> relman_domain::Actor {
    relman_domain::Actor {
        name: name.into(),
        request_id: Some(format!("req-{name}")),
    }
}

pub fn digest(component: &str, tag: &str) -> String {
    Digest::sha256_of(format!("{component}:{tag}").as_bytes()).to_string()
}

pub async fn service_with_components(store: Store) -> relman_service::Service {
    let service = relman_service::Service::new(store);
    let setup = relman_domain::Actor::system();
    for (name, tags) in [("api", ["v1.0.0", "v1.1.0"]), ("web", ["v2.0.0", "v2.1.0"])] {
        service
            .create_component(
                &setup,
                ComponentInput {
                    name: name.into(),
                    image_repository: format!("myorg/{name}"),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        for tag in tags {
            service
                .create_version_map(
                    &setup,
                    VersionMapInput {
                        component_id: name.into(),
                        tag: tag.into(),
                        digest: Some(digest(name, tag)),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
        }
    }
    service
}

pub fn input(name: &str, api_version: &str) -> ReleaseInput {
    ReleaseInput {
        name: name.into(),
        components: vec![
            MemberInput {
                component_id: "api".into(),
                version: Some(api_version.into()),
                ..Default::default()
            },
            MemberInput {
                component_id: "web".into(),
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

/// 32 callers create the same release at once, on a multi-threaded runtime: exactly one creates
/// it, every other one gets the same release back.
async fn concurrent_same_content_creates_one(store: Store) {
    let service = service_with_components(store).await;
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let service = service.clone();
            tokio::spawn(async move {
                service
                    .create_release(&actor(&format!("client-{i}")), input("racy", "1.0.0"))
                    .await
            })
        })
        .collect();
    let mut created = 0;
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (release, new) = t.await.unwrap().unwrap();
        created += usize::from(new);
        ids.insert(release.id);
    }
    assert_eq!(created, 1, "exactly one caller created it");
    assert_eq!(ids.len(), 1, "everyone got the same release");
    let page = service.list_releases(Default::default()).await.unwrap();
    assert_eq!(page.total_count, 1);
}

/// Half the callers want other members under the same name: they get `NameExistsDifferentContent`
/// when the other content won, and the content of the one stored release decides who is right.
async fn concurrent_mixed_content_one_winner(store: Store) {
    let service = service_with_components(store).await;
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let service = service.clone();
            let version = if i % 2 == 0 { "1.0.0" } else { "1.1.0" };
            tokio::spawn(async move {
                (
                    version,
                    service
                        .create_release(&actor("someone"), input("racy", version))
                        .await,
                )
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let stored = service.release("racy").await.unwrap();
    let winner = stored.members[0].version.as_ref().unwrap().to_string();
    let mut created = 0;
    for (version, result) in results {
        match result {
            Ok((release, new)) => {
                assert_eq!(version, winner, "success only with the winner's content");
                assert_eq!(release.id, stored.id);
                created += usize::from(new);
            }
            Err(ServiceError::NameExistsDifferentContent {
                existing_digest, ..
            }) => {
                assert_ne!(version, winner, "a conflict only with other content");
                assert_eq!(existing_digest, stored.digest.to_string());
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(
        service
            .list_releases(Default::default())
            .await
            .unwrap()
            .total_count,
        1
    );
}

/// Concurrent updates never break the rules: of 16 callers replacing members while 16 others mark
/// the release ready, no member change lands after the release left draft.
async fn concurrent_updates_follow_the_machine(store: Store) {
    let service = service_with_components(store).await;
    let (draft, _) = service
        .create_release(&actor("me"), input("r1", "1.0.0"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let service = service.clone();
            tokio::spawn(async move {
                let patch = if i % 2 == 0 {
                    ReleasePatch {
                        components: Some(vec![MemberInput {
                            component_id: "api".into(),
                            version: Some(if i % 4 == 0 { "1.1.0" } else { "1.0.0" }.into()),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    }
                } else {
                    ReleasePatch {
                        status: Some("ready".into()),
                        ..Default::default()
                    }
                };
                (i, service.update_release(&actor("me"), "r1", patch).await)
            })
        })
        .collect();
    let mut successes = Vec::new();
    for t in tasks {
        let (i, result) = t.await.unwrap();
        match result {
            Ok(release) => successes.push(release),
            Err(ServiceError::ReleaseImmutable { status, .. }) => {
                assert_eq!(i % 2, 0, "only member changes are refused");
                assert_eq!(status, ReleaseStatus::Ready);
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    let last = service.release("r1").await.unwrap();
    assert_eq!(last.status, ReleaseStatus::Ready);
    // The stored members are those of the last draft write; its digest matches them.
    assert_eq!(last.digest, relman_domain::content_digest(&last.members));
    assert!(successes.iter().any(|r| r.status == ReleaseStatus::Ready));
    assert_ne!(last.updated_at, draft.updated_at);
    // Once ready, the members never moved: every answer that saw it ready shows the members
    // that are stored now.
    for r in successes
        .iter()
        .filter(|r| r.status == ReleaseStatus::Ready)
    {
        assert_eq!(r.members, last.members);
        assert_eq!(r.digest, last.digest);
    }
}

async fn actor_and_idempotent_retry(store: Store) {
    let service = service_with_components(store).await;
    let (first, new) = service
        .create_release(&actor("alice"), input("r1", "1.0.0"))
        .await
        .unwrap();
    assert!(new);
    assert_eq!(first.created_by, "alice");
    assert_eq!(first.status, ReleaseStatus::Draft);
    let (again, new) = service
        .create_release(&actor("bob"), input("r1", "1.0.0"))
        .await
        .unwrap();
    assert!(!new);
    assert_eq!(again, first, "the stored release, created by alice");
    assert_eq!(service.release(&first.id.to_string()).await.unwrap(), first);
    assert!(matches!(
        service.release("r1\u{0}").await,
        Err(ServiceError::NotFound { .. })
    ));
}
