//! Version sync against a real registry (`docker-registry`), through proxies for pagination and
//! faults.

use actix_web::http::Method;
use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_test_support::registry::{
    Fault, FaultRule, ImageSpec, PASSWORD, Pagination, RegistryMode, RegistryProxy, TestRegistry,
    USERNAME,
};
use serde_json::{Value, json};

use crate::app;
use crate::support::{get, post, req, send};

backend_tests!(
    sync_tracks_tags_incrementally,
    sync_follows_pagination_over_a_thousand_tags,
    sync_with_basic_and_token_auth,
    failed_syncs_change_nothing,
    version_maps_resolve_through_the_registry,
    replicas_never_sync_one_component_at_once,
    back_to_back_syncs_find_the_component_free
);

fn by_tag<'a>(versions: &'a Value, tag: &str) -> &'a Value {
    versions
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["tag"] == tag)
        .unwrap_or_else(|| panic!("no {tag} in {versions}"))
}

/// An integration named `reg` at `url` and a component `api` on `myorg/api` using it.
macro_rules! setup {
    ($app:expr, $url:expr, $auth:expr) => {
        crate::support::component_on_registry(&$app, &$url, $auth).await
    };
}

async fn sync_tracks_tags_incrementally(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    let push = registry.pusher();
    let v1 = push
        .push_image("myorg/api", "v1.0.0", &ImageSpec::default())
        .await;
    push.push_image(
        "myorg/api",
        "v1.1.0-rc.1",
        &ImageSpec {
            seed: "rc".into(),
            ..ImageSpec::default()
        },
    )
    .await;
    push.push_image(
        "myorg/api",
        "latest",
        &ImageSpec {
            seed: "latest".into(),
            ..ImageSpec::default()
        },
    )
    .await;
    let index = push.push_oci_index("myorg/api", "v2.0.0", "multi").await;

    let app = app!(store);
    setup!(app, proxy.url(), json!({"type": "none"}));
    let first = send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        (
            first["synced"].clone(),
            first["added"].clone(),
            first["gone"].clone()
        ),
        (json!(4), json!(4), json!(0))
    );
    let versions = &first["versions"];
    let tags: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["v2.0.0", "v1.1.0-rc.1", "v1.0.0", "latest"]);
    let v1_row = by_tag(versions, "v1.0.0");
    assert_eq!(
        v1_row["digest"],
        v1.digest.to_string(),
        "the digest the registry serves"
    );
    assert_eq!(
        (v1_row["semver"].clone(), v1_row["channel"].clone()),
        (json!("1.0.0"), json!("stable"))
    );
    assert_eq!(v1_row["pushedAt"], "2024-05-01T12:00:00Z");
    assert_eq!(v1_row["source"], "sync");
    assert_eq!(by_tag(versions, "v1.1.0-rc.1")["channel"], "rc");
    let multi = by_tag(versions, "v2.0.0");
    assert_eq!(
        multi["digest"],
        index.digest.to_string(),
        "an index keeps the index digest"
    );
    let platforms: Vec<(String, String)> = multi["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["architecture"].as_str().unwrap().to_owned(),
                p["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let pushed: Vec<(String, String)> = index
        .platforms
        .iter()
        .map(|p| (p.architecture.clone(), p.digest.to_string()))
        .collect();
    assert_eq!(platforms, pushed, "platforms in order, attestation skipped");

    // An unchanged re-sync lists tags and resolves only the mutable one.
    let before = proxy.requests().len();
    let again = send(
        &app,
        req(Method::POST, "/api/v1/components/api/sync-versions", None),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        (
            again["added"].clone(),
            again["updated"].clone(),
            again["unchanged"].clone()
        ),
        (json!(0), json!(0), json!(4))
    );
    let manifest_paths: Vec<String> = proxy.requests()[before..]
        .iter()
        .map(|r| r.path.clone())
        .filter(|p| p.contains("/manifests/"))
        .collect();
    assert_eq!(
        manifest_paths,
        ["/v2/myorg/api/manifests/latest"],
        "no manifest request for semver tags"
    );
    assert!(again["registryRequests"].as_u64().unwrap() <= 3, "{again}");

    // A re-pushed release tag is trusted until forceRefresh; then the re-tag is detected.
    let v1b = push
        .push_image(
            "myorg/api",
            "v1.0.0",
            &ImageSpec {
                seed: "v1-rebuilt".into(),
                ..ImageSpec::default()
            },
        )
        .await;
    let lazy = send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        by_tag(&lazy["versions"], "v1.0.0")["digest"],
        v1.digest.to_string()
    );
    let forced = send(
        &app,
        post(
            "/api/v1/components/api/sync-versions",
            json!({"forceRefresh": true}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(forced["updated"], 1, "{forced}");
    assert_eq!(
        by_tag(&forced["versions"], "v1.0.0")["digest"],
        v1b.digest.to_string()
    );
    let v1_after = by_tag(&forced["versions"], "v1.0.0");
    assert_eq!(
        v1_after["id"], v1_row["id"],
        "a re-tag updates the record in place"
    );
    assert_eq!(v1_after["firstSeenAt"], v1_row["firstSeenAt"]);
    let retags = send(&app, get("/api/v1/components/api/retags"))
        .await
        .expect(200)
        .body;
    assert_eq!(retags.as_array().unwrap().len(), 1, "{retags}");
    assert_eq!(retags[0]["tag"], "v1.0.0");
    assert_eq!(retags[0]["oldDigest"], v1.digest.to_string());
    assert_eq!(retags[0]["newDigest"], v1b.digest.to_string());
    send(&app, get("/api/v1/components/nope/retags"))
        .await
        .problem(404, "not_found");

    // A manual map is never overwritten; a deleted tag becomes gone, not deleted.
    send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "api", "tag": "v1.1.0-rc.1", "channel": "beta"}),
        ),
    )
    .await
    .expect(200);
    let (latest_digest, _) = push.head("myorg/api", "latest").await.unwrap();
    push.delete_manifest("myorg/api", &latest_digest).await;
    let after_delete = send(
        &app,
        post(
            "/api/v1/components/api/sync-versions",
            json!({"forceRefresh": true}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(after_delete["gone"], 1);
    assert_eq!(
        by_tag(&after_delete["versions"], "v1.1.0-rc.1")["channel"],
        "beta"
    );
    assert_eq!(
        by_tag(&after_delete["versions"], "v1.1.0-rc.1")["source"],
        "manual"
    );
    assert!(
        after_delete["versions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["tag"] != "latest")
    );
    let maps = send(
        &app,
        get("/api/v1/version-maps?componentId=api&source=sync"),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        maps.as_array().unwrap().len(),
        2,
        "gone tags are kept but not listed"
    );
}

async fn sync_follows_pagination_over_a_thousand_tags(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let proxy = RegistryProxy::start(
        &registry.url(),
        Pagination::Paginate {
            default_page: 100,
            max_page: 250,
        },
    )
    .await;
    let tags: Vec<String> = (0..1100)
        .map(|i| format!("v1.{}.{}", i / 100, i % 100))
        .collect();
    let pushed = registry.pusher().push_many_tags("myorg/api", &tags).await;
    let app = app!(store);
    setup!(app, proxy.url(), json!({"type": "none"}));
    let report = send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(report["synced"], 1100);
    assert_eq!(report["added"], 1100);
    let versions = report["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1100);
    assert_eq!(
        versions[0]["tag"], "v1.10.99",
        "newest semver first across pages"
    );
    let (tag, digest) = &pushed[517];
    assert_eq!(
        by_tag(&report["versions"], tag)["digest"],
        digest.to_string()
    );
    let pages = proxy
        .requests()
        .iter()
        .filter(|r| r.path.contains("/tags/list"))
        .count();
    assert!(pages >= 5, "the tag list came in pages ({pages})");
    let again = send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(again["unchanged"], 1100);
    assert!(
        again["registryRequests"].as_u64().unwrap() < 20,
        "{}",
        again["registryRequests"]
    );
}

async fn sync_with_basic_and_token_auth(store: Store) {
    let app = app!(store);
    for (i, mode) in [RegistryMode::Htpasswd, RegistryMode::Token]
        .into_iter()
        .enumerate()
    {
        let registry = TestRegistry::start(mode).await;
        let pushed = registry
            .pusher()
            .push_image("myorg/api", "v1.0.0", &ImageSpec::default())
            .await;
        let name = format!("reg{i}");
        let good = json!({"type": "basic", "username": USERNAME, "password": PASSWORD});
        let integration = send(
            &app,
            post(
                "/api/v1/registry-integrations",
                json!({"name": name, "url": registry.url(), "insecure": true, "auth": good}),
            ),
        )
        .await
        .expect(201)
        .body;
        let check = send(
            &app,
            post(
                &format!("/api/v1/registry-integrations/{name}/test"),
                json!({}),
            ),
        )
        .await
        .expect(200)
        .body;
        assert_eq!(check["ok"], true, "{check}");
        let component = format!("api{i}");
        send(
            &app,
            post("/api/v1/components", json!({"name": component, "imageRepository": "myorg/api", "registryIntegrationId": integration["id"]})),
        )
        .await
        .expect(201);
        let report = send(
            &app,
            post(
                &format!("/api/v1/components/{component}/sync-versions"),
                json!({}),
            ),
        )
        .await
        .expect(200)
        .body;
        assert_eq!(
            by_tag(&report["versions"], "v1.0.0")["digest"],
            pushed.digest.to_string()
        );

        let bad = json!({"type": "basic", "username": USERNAME, "password": "wrong-password"});
        send(
            &app,
            crate::support::put(
                &format!("/api/v1/registry-integrations/{name}"),
                json!({"auth": bad}),
            ),
        )
        .await
        .expect(200);
        let check = send(
            &app,
            post(
                &format!("/api/v1/registry-integrations/{name}/test"),
                json!({}),
            ),
        )
        .await
        .expect(200)
        .body;
        assert_eq!(check["ok"], false);
        let stage = if mode == RegistryMode::Token {
            "token_endpoint"
        } else {
            "registry"
        };
        assert_eq!(check["stage"], stage, "{check}");
        let failed = send(
            &app,
            post(
                &format!("/api/v1/components/{component}/sync-versions"),
                json!({"forceRefresh": true}),
            ),
        )
        .await
        .problem(502, "registry_auth_failed");
        let text = String::from_utf8_lossy(&failed.raw);
        assert!(
            !text.contains("wrong-password") && !text.contains(PASSWORD),
            "{text}"
        );
    }
}

async fn failed_syncs_change_nothing(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    let push = registry.pusher();
    push.push_image("myorg/api", "v1.0.0", &ImageSpec::default())
        .await;
    let app = app!(store);
    setup!(app, proxy.url(), json!({"type": "none"}));
    send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(200);
    let before = send(&app, get("/api/v1/components/api/versions"))
        .await
        .expect(200)
        .body;

    // New tags, then a 500 on one of their manifests: the whole sync is refused.
    for t in ["v1.1.0", "v1.2.0", "v1.3.0"] {
        push.push_image(
            "myorg/api",
            t,
            &ImageSpec {
                seed: t.into(),
                ..ImageSpec::default()
            },
        )
        .await;
    }
    proxy.inject(FaultRule::new(
        "/manifests/v1.2.0",
        1,
        Fault::Respond {
            status: 500,
            content_type: "application/json".into(),
            body: r#"{"errors":[{"code":"UNKNOWN","message":"disk on fire"}]}"#.into(),
        },
    ));
    let failed = send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .problem(502, "registry_error");
    let detail = failed.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("500") && detail.contains("disk on fire"),
        "{detail}"
    );
    assert_eq!(
        send(&app, get("/api/v1/components/api/versions"))
            .await
            .expect(200)
            .body,
        before,
        "nothing committed"
    );

    // A digest header that does not match the bytes is refused, not stored.
    proxy.inject(FaultRule::new(
        "/manifests/v1.3.0",
        10,
        Fault::WrongDigestHeader,
    ));
    let mismatch = send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await;
    assert_eq!(mismatch.status.as_u16(), 502, "{}", mismatch.body);
    assert_eq!(
        send(&app, get("/api/v1/components/api/versions"))
            .await
            .expect(200)
            .body,
        before
    );

    // 429 with Retry-After is waited out, then the sync succeeds.
    let proxy2 = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    send(
        &app,
        crate::support::put(
            "/api/v1/registry-integrations/reg",
            json!({"url": proxy2.url()}),
        ),
    )
    .await
    .expect(200);
    proxy2.inject(FaultRule::new(
        "/tags/list",
        1,
        Fault::TooManyRequests {
            retry_after: Some("1".into()),
        },
    ));
    let ok = send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(ok["added"], 3);

    // The registry stops: 502, and the versions stay readable.
    registry.stop();
    send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .problem(502, "registry_error");
    let kept = send(&app, get("/api/v1/components/api/versions"))
        .await
        .expect(200)
        .body;
    assert_eq!(kept.as_array().unwrap().len(), 4);

    // A component without a registry cannot sync.
    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "local", "imageRepository": "myorg/local"}),
        ),
    )
    .await
    .expect(201);
    send(
        &app,
        post("/api/v1/components/local/sync-versions", json!({})),
    )
    .await
    .problem(422, "no_registry_integration");
}

async fn version_maps_resolve_through_the_registry(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let index = registry
        .pusher()
        .push_docker_list("myorg/api", "v3.0.0", "list")
        .await;
    let app = app!(store);
    setup!(app, registry.url(), json!({"type": "none"}));
    let mapped = send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "api", "tag": "v3.0.0", "channel": "beta"}),
        ),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(mapped["digest"], index.digest.to_string());
    assert_eq!(
        mapped["platforms"].as_array().unwrap().len(),
        index.platforms.len()
    );
    assert_eq!(mapped["source"], "manual");
    send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "api", "tag": "v9.9.9"}),
        ),
    )
    .await
    .problem(422, "unresolvable_version");
}

/// On PostgreSQL a replica holding a component's sync lock keeps every other one off it (here the
/// "other replica" is a second lock taken straight through the store); SQLite has one process.
async fn replicas_never_sync_one_component_at_once(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    registry
        .pusher()
        .push_image("myorg/api", "v1.0.0", &ImageSpec::default())
        .await;
    let other_replica = store.clone();
    let app = app!(store);
    setup!(app, registry.url(), json!({"type": "none"}));
    let id = send(&app, get("/api/v1/components/api"))
        .await
        .expect(200)
        .body["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let held = other_replica
        .try_lock_sync(id)
        .await
        .unwrap()
        .expect("the lock is free");
    if other_replica.backend() == relman_storage::Backend::Postgres {
        assert!(
            other_replica.try_lock_sync(id).await.unwrap().is_none(),
            "one holder at a time"
        );
        send(
            &app,
            post("/api/v1/components/api/sync-versions", json!({})),
        )
        .await
        .problem(409, "sync_in_progress");
        assert!(
            send(&app, get("/api/v1/components/api/versions"))
                .await
                .expect(200)
                .body
                .as_array()
                .unwrap()
                .is_empty()
        );
        drop(held);
    } else {
        drop(held);
    }
    let done = send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(done["added"], 1);
    assert!(
        other_replica.try_lock_sync(id).await.unwrap().is_some(),
        "the lock is released after the sync"
    );
}

/// A sync frees its component before answering: a client that syncs again the moment the answer
/// arrives is never told another sync is in progress (on PostgreSQL the lock used to be freed
/// only when the server got round to the closed connection).
async fn back_to_back_syncs_find_the_component_free(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    registry
        .pusher()
        .push_image("myorg/api", "v1.0.0", &ImageSpec::default())
        .await;
    let app = app!(store);
    setup!(app, registry.url(), json!({"type": "none"}));
    for round in 0..30 {
        let reply = send(
            &app,
            post("/api/v1/components/api/sync-versions", json!({})),
        )
        .await;
        assert_eq!(reply.status.as_u16(), 200, "round {round}: {}", reply.body);
    }
}
