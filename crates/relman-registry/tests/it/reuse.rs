//! What a sync reuses between resolves: image configs read once per digest, and nothing fetched
//! for a reference whose digest the caller already knows.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use relman_registry::{ConfigCache, KnownManifest, RegistryAuth, ResolveOptions};
use relman_test_support::registry::{
    ImageSpec, Pagination, RegistryMode, RegistryProxy, TestRegistry,
};
use tokio::task::JoinSet;

use crate::support::client;

/// `(method, path)` of every request the proxy saw since `from`.
fn requests_since(proxy: &RegistryProxy, from: usize) -> Vec<(String, String)> {
    proxy.requests()[from..]
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect()
}

#[tokio::test]
async fn tags_sharing_a_config_fetch_it_once_per_cache() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    let tags: Vec<String> = (0..6).map(|i| format!("v1.0.{i}")).collect();
    registry.pusher().push_many_tags("team/api", &tags).await;
    let client = client(&proxy.url(), RegistryAuth::None);
    let cache = Arc::new(ConfigCache::default());

    // All at once, so that several resolves want the config while it is being fetched.
    let mut tasks = JoinSet::new();
    for tag in tags.clone() {
        let (client, cache) = (Arc::clone(&client), Arc::clone(&cache));
        tasks.spawn(async move {
            let options = ResolveOptions {
                fetch_created: true,
                configs: Some(&cache),
                ..ResolveOptions::default()
            };
            client.resolve_with("team/api", &tag, options).await
        });
    }
    let resolved = tasks.join_all().await;
    let built = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    for r in &resolved {
        assert_eq!(r.as_ref().unwrap().created, Some(built));
    }
    let requests = requests_since(&proxy, 0);
    let count = |method: &str, part: &str| {
        requests
            .iter()
            .filter(|(m, p)| m == method && p.contains(part))
            .count()
    };
    assert_eq!(count("GET", "/manifests/"), tags.len(), "{requests:?}");
    assert_eq!(count("GET", "/blobs/"), 1, "one config for six tags");
    assert_eq!(count("HEAD", "/"), 0, "the GET tells what a HEAD would");
    assert_eq!(cache.len(), 1);

    // Without a cache every resolve reads the config again.
    let before = proxy.requests().len();
    let options = ResolveOptions {
        fetch_created: true,
        ..ResolveOptions::default()
    };
    for tag in &tags[..2] {
        client.resolve_with("team/api", tag, options).await.unwrap();
    }
    let blobs = requests_since(&proxy, before)
        .into_iter()
        .filter(|(_, p)| p.contains("/blobs/"))
        .count();
    assert_eq!(blobs, 2);
}

#[tokio::test]
async fn a_known_digest_costs_one_head_and_a_changed_one_is_fetched() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    let push = registry.pusher();
    let image = push
        .push_image("team/api", "latest", &ImageSpec::default())
        .await;
    let index = push.push_oci_index("team/api", "multi", "m").await;
    let client = client(&proxy.url(), RegistryAuth::None);
    let with_created = ResolveOptions {
        fetch_created: true,
        ..ResolveOptions::default()
    };
    let first = client
        .resolve_with("team/api", "latest", with_created)
        .await
        .unwrap();
    assert_eq!(first.digest, image.digest);
    let known = KnownManifest {
        provenance: Default::default(),
        digest: first.digest.clone(),
        platforms: first.platforms.clone(),
        created: first.created,
    };

    let before = proxy.requests().len();
    let again = client
        .resolve_with(
            "team/api",
            "latest",
            ResolveOptions {
                known: Some(&known),
                ..with_created
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (again.digest.clone(), again.created),
        (known.digest.clone(), known.created)
    );
    assert_eq!(
        requests_since(&proxy, before),
        [(
            "HEAD".to_owned(),
            "/v2/team/api/manifests/latest".to_owned()
        )]
    );

    // An index whose digest is known keeps its recorded platforms without a GET.
    let multi = client.resolve("team/api", "multi").await.unwrap();
    assert_eq!(multi.digest, index.digest);
    let known_index = KnownManifest {
        provenance: Default::default(),
        digest: multi.digest.clone(),
        platforms: multi.platforms.clone(),
        created: None,
    };
    let before = proxy.requests().len();
    let again = client
        .resolve_with(
            "team/api",
            "multi",
            ResolveOptions {
                known: Some(&known_index),
                ..ResolveOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(again.platforms, multi.platforms);
    assert_eq!(again.platforms.len(), 2);
    assert_eq!(requests_since(&proxy, before).len(), 1, "HEAD only");

    // A re-pushed tag: the HEAD shows another digest, so the manifest and config are read.
    let rebuilt = push
        .push_image(
            "team/api",
            "latest",
            &ImageSpec {
                seed: "rebuilt".into(),
                created: Some("2025-01-02T03:04:05Z".into()),
                ..ImageSpec::default()
            },
        )
        .await;
    let before = proxy.requests().len();
    let changed = client
        .resolve_with(
            "team/api",
            "latest",
            ResolveOptions {
                known: Some(&known),
                ..with_created
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.digest, rebuilt.digest);
    assert_eq!(
        changed.created,
        Some(Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap())
    );
    let methods: Vec<String> = requests_since(&proxy, before)
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    assert_eq!(methods, ["HEAD", "GET", "GET"]);
}
