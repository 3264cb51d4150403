//! Tag listing: pagination over a thousand tags, broken pagination, re-pushed and deleted tags.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use relman_registry::{RegistryAuth, RegistryConfig, RegistryError};
use relman_test_support::registry::{
    ImageSpec, Pagination, RegistryMode, RegistryProxy, TestRegistry,
};

use crate::support::{client, client_with};

const PAGINATE_100: Pagination = Pagination::Paginate {
    default_page: 50,
    max_page: 100,
};

fn tag_names(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("v1.{}.{}", i / 100, i % 100))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_thousand_tags_through_link_pagination() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let tags = tag_names(1_234);
    let started = Instant::now();
    let pushed = registry.pusher().push_many_tags("team/api", &tags).await;
    let push_time = started.elapsed();
    let proxy = RegistryProxy::start(&registry.url(), PAGINATE_100).await;
    let client = client(&proxy.url(), RegistryAuth::None);

    let started = Instant::now();
    let listed = client.list_tags("team/api").await.unwrap();
    let list_time = started.elapsed();
    assert_eq!(listed.len(), tags.len(), "no tag missing, none twice");
    let listed_set: HashSet<&String> = listed.iter().collect();
    assert_eq!(listed_set, tags.iter().collect::<HashSet<_>>());
    // 1,234 tags at most 100 per page: 13 pages, each asked for once.
    assert_eq!(client.request_count(), 13);
    let pages = proxy.requests();
    assert_eq!(pages.len(), 13);
    assert!(
        pages[0].path.ends_with("/tags/list?n=1000"),
        "{:?}",
        pages[0]
    );
    assert!(
        pages[1..].iter().all(|p| p.path.contains("last=")),
        "{pages:?}"
    );

    // Every tag resolves to the digest pushed, one HEAD each.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (tag, digest) in pushed {
        let client = Arc::clone(&client);
        tasks.push(tokio::spawn(async move {
            let resolved = client.resolve("team/api", &tag).await.unwrap();
            assert_eq!(resolved.digest, digest, "tag {tag}");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let resolve_time = started.elapsed();
    assert_eq!(client.request_count(), 13 + tags.len() as u64);
    println!(
        "1,234 tags: push {push_time:?}, list {list_time:?} (13 pages), resolve {resolve_time:?} (concurrency 8)"
    );
}

#[tokio::test]
async fn a_server_ignoring_last_fails_instead_of_looping_or_truncating() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    registry
        .pusher()
        .push_many_tags("team/api", &tag_names(30))
        .await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::IgnoreLast).await;
    let client = client_with(RegistryConfig {
        tag_page_size: 10,
        ..crate::support::config(proxy.url())
    });
    let error = client.list_tags("team/api").await.unwrap_err();
    assert!(
        matches!(&error, RegistryError::MalformedResponse { detail, .. } if detail.contains("does not advance")),
        "{error:?}"
    );
    // The first page, then its repeat: no endless loop.
    assert_eq!(client.request_count(), 2);
}

#[tokio::test]
async fn a_server_ignoring_n_yields_each_tag_once() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let tags = tag_names(30);
    registry.pusher().push_many_tags("team/api", &tags).await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::IgnoreAll).await;
    let client = client_with(RegistryConfig {
        tag_page_size: 10,
        ..crate::support::config(proxy.url())
    });
    let mut listed = client.list_tags("team/api").await.unwrap();
    listed.sort();
    let mut want = tags.clone();
    want.sort();
    assert_eq!(listed, want);
    assert_eq!(client.request_count(), 2);
}

#[tokio::test]
async fn the_real_registry_unpaginated_and_an_unknown_repository() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let tags = tag_names(5);
    registry.pusher().push_many_tags("team/api", &tags).await;
    let client = client(&registry.url(), RegistryAuth::None);
    let mut listed = client.list_tags("team/api").await.unwrap();
    listed.sort();
    assert_eq!(listed, tags);
    let error = client.list_tags("team/nothing").await.unwrap_err();
    assert!(
        matches!(&error, RegistryError::NotFound { status: 404, repository, .. } if repository == "team/nothing"),
        "{error:?}"
    );
    assert_eq!(error.oci_errors()[0].code.as_str(), "NAME_UNKNOWN");
    let error = client.list_tags("../etc").await.unwrap_err();
    assert!(matches!(
        error,
        RegistryError::InvalidInput {
            what: "repository",
            ..
        }
    ));
}

#[tokio::test]
async fn a_re_pushed_tag_resolves_to_its_new_digest() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pusher = registry.pusher();
    let client = client(&registry.url(), RegistryAuth::None);
    let first = pusher
        .push_image(
            "team/api",
            "latest",
            &ImageSpec {
                seed: "one".into(),
                ..ImageSpec::default()
            },
        )
        .await;
    assert_eq!(
        client.resolve("team/api", "latest").await.unwrap().digest,
        first.digest
    );
    let second = pusher
        .push_image(
            "team/api",
            "latest",
            &ImageSpec {
                seed: "two".into(),
                ..ImageSpec::default()
            },
        )
        .await;
    assert_ne!(first.digest, second.digest);
    let resolved = client.resolve("team/api", "latest").await.unwrap();
    assert_eq!(resolved.digest, second.digest);
    assert_eq!(
        pusher.head("team/api", "latest").await.unwrap().0,
        second.digest
    );
    // The old manifest is still there by digest.
    let by_digest = client
        .resolve("team/api", &first.digest.to_string())
        .await
        .unwrap();
    assert_eq!(by_digest.digest, first.digest);
}

#[tokio::test]
async fn a_deleted_tag_is_gone_from_the_list() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pusher = registry.pusher();
    pusher
        .push_image(
            "team/api",
            "v1.0.0",
            &ImageSpec {
                seed: "a".into(),
                ..ImageSpec::default()
            },
        )
        .await;
    let doomed = pusher
        .push_image(
            "team/api",
            "v1.1.0",
            &ImageSpec {
                seed: "b".into(),
                ..ImageSpec::default()
            },
        )
        .await;
    let proxy = RegistryProxy::start(&registry.url(), PAGINATE_100).await;
    let client = client(&proxy.url(), RegistryAuth::None);
    let mut before = client.list_tags("team/api").await.unwrap();
    before.sort();
    assert_eq!(before, vec!["v1.0.0", "v1.1.0"]);

    pusher.delete_manifest("team/api", &doomed.digest).await;
    assert_eq!(client.list_tags("team/api").await.unwrap(), vec!["v1.0.0"]);
    let error = client.resolve("team/api", "v1.1.0").await.unwrap_err();
    assert!(
        matches!(&error, RegistryError::NotFound { reference: Some(r), .. } if r == "v1.1.0"),
        "{error:?}"
    );
}
