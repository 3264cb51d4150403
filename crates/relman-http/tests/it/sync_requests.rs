//! What a sync asks the registry, counted by a proxy in front of a real `docker-registry`: the
//! tag list and one `HEAD` per new tag without `pushedAt`, a manifest `GET` per new tag and one
//! config `GET` per distinct config with it, the tag list alone for an unchanged re-sync — and
//! what it writes and reports.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_test_support::registry::{
    ImageSpec, Pagination, RecordedRequest, RegistryMode, RegistryProxy, TestRegistry,
};
use serde_json::{Value, json};

use crate::app;
use crate::support::{get, post, put, send};

backend_tests!(
    first_sync_without_pushed_at_costs_the_list_and_one_head_per_tag,
    first_sync_with_pushed_at_reads_each_config_once,
    unchanged_resync_lists_tags_writes_nothing_and_reports_only_changes
);

/// How many of `requests` have this method and a path containing `part`.
fn count(requests: &[RecordedRequest], method: &str, part: &str) -> usize {
    requests
        .iter()
        .filter(|r| r.method == method && r.path.contains(part))
        .count()
}

fn tags(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("v1.0.{i}")).collect()
}

async fn sync<S, B>(app: &S, query: &str) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    sync_with(app, query, json!({})).await
}

/// Syncs component `api` with a query and a body; expects 200.
async fn sync_with<S, B>(app: &S, query: &str, body: Value) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let path = format!("/api/v1/components/api/sync-versions{query}");
    send(app, post(&path, body)).await.expect(200).body
}

/// How many sync audit events the component has.
async fn sync_events<S, B>(app: &S) -> usize
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(
        app,
        get("/api/v1/audit-events?action=component.sync&pageSize=100"),
    )
    .await
    .expect(200)
    .body["data"]
        .as_array()
        .unwrap()
        .len()
}

async fn first_sync_without_pushed_at_costs_the_list_and_one_head_per_tag(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    let push = registry.pusher();
    let singles = tags(12);
    push.push_many_tags("myorg/api", &singles).await;
    let index = push.push_oci_index("myorg/api", "v2.0.0", "multi").await;
    let app = app!(store);
    crate::support::component_on_registry(&app, &proxy.url(), json!({"type": "none"})).await;
    let created = send(&app, get("/api/v1/components/api"))
        .await
        .expect(200)
        .body;
    assert_eq!(created["recordPushedAt"], true, "the default");
    let updated = send(
        &app,
        put("/api/v1/components/api", json!({"recordPushedAt": false})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(updated["recordPushedAt"], false);
    send(
        &app,
        put("/api/v1/components/api", json!({"recordPushedAt": null})),
    )
    .await
    .problem(400, "validation_failed");

    let report = sync(&app, "").await;
    assert_eq!(report["added"], 13, "{report}");
    let requests = proxy.requests();
    assert_eq!(count(&requests, "GET", "/tags/list"), 1, "{requests:?}");
    assert_eq!(count(&requests, "HEAD", "/manifests/"), 13);
    assert_eq!(
        count(&requests, "GET", "/manifests/"),
        1,
        "only the index is fetched, for its platforms"
    );
    assert_eq!(count(&requests, "GET", "/blobs/"), 0);
    assert_eq!(requests.len(), 1 + 13 + 1);
    assert_eq!(report["registryRequests"], 15);
    let versions = report["versions"].as_array().unwrap();
    let multi = versions.iter().find(|v| v["tag"] == "v2.0.0").unwrap();
    assert_eq!(multi["digest"], index.digest.to_string());
    assert_eq!(multi["platforms"].as_array().unwrap().len(), 2, "{multi}");
    let single = versions.iter().find(|v| v["tag"] == "v1.0.3").unwrap();
    assert_eq!(single["pushedAt"], Value::Null, "not asked for");
    assert_eq!(single["platforms"], json!([]));
}

async fn first_sync_with_pushed_at_reads_each_config_once(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    let push = registry.pusher();
    // Ten tags sharing one config, and two images with configs of their own.
    push.push_many_tags("myorg/api", &tags(10)).await;
    for (tag, seed) in [("v3.0.0", "three"), ("v4.0.0", "four")] {
        push.push_image(
            "myorg/api",
            tag,
            &ImageSpec {
                seed: seed.into(),
                created: Some("2025-03-04T05:06:07Z".into()),
                ..ImageSpec::default()
            },
        )
        .await;
    }
    let app = app!(store);
    crate::support::component_on_registry(&app, &proxy.url(), json!({"type": "none"})).await;

    let report = sync(&app, "").await;
    assert_eq!(report["added"], 12, "{report}");
    let requests = proxy.requests();
    assert_eq!(count(&requests, "GET", "/tags/list"), 1);
    assert_eq!(
        count(&requests, "HEAD", "/"),
        0,
        "the manifest GET tells what a HEAD would"
    );
    assert_eq!(count(&requests, "GET", "/manifests/"), 12);
    let configs = count(&requests, "GET", "/blobs/");
    assert_eq!(configs, 3, "one per distinct config: {requests:?}");
    assert!(configs < 12, "fewer config fetches than tags");
    for v in report["versions"].as_array().unwrap() {
        let expected = if v["tag"] == "v3.0.0" || v["tag"] == "v4.0.0" {
            "2025-03-04T05:06:07Z"
        } else {
            "2024-05-01T12:00:00Z"
        };
        assert_eq!(v["pushedAt"], expected, "{v}");
    }

    // Opted out, a forced re-sync asks with a HEAD per tag and fetches nothing: digests on
    // record keep their build time, a re-pushed tag's is no longer known.
    send(
        &app,
        put("/api/v1/components/api", json!({"recordPushedAt": false})),
    )
    .await
    .expect(200);
    let rebuilt = push
        .push_image(
            "myorg/api",
            "v3.0.0",
            &ImageSpec {
                seed: "three-again".into(),
                ..ImageSpec::default()
            },
        )
        .await;
    let before = proxy.requests().len();
    let forced = sync_with(&app, "", json!({"forceRefresh": true})).await;
    let requests = proxy.requests()[before..].to_vec();
    assert_eq!(count(&requests, "HEAD", "/manifests/"), 12, "{requests:?}");
    assert_eq!(requests.len(), 13, "the list and the HEADs alone");
    assert_eq!(forced["updated"], 1, "{forced}");
    let versions = forced["versions"].as_array().unwrap();
    let v3 = versions.iter().find(|v| v["tag"] == "v3.0.0").unwrap();
    assert_eq!(v3["digest"], rebuilt.digest.to_string());
    assert_eq!(v3["pushedAt"], Value::Null, "{v3}");
    let v4 = versions.iter().find(|v| v["tag"] == "v4.0.0").unwrap();
    assert_eq!(v4["pushedAt"], "2025-03-04T05:06:07Z");
}

async fn unchanged_resync_lists_tags_writes_nothing_and_reports_only_changes(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    let push = registry.pusher();
    push.push_many_tags("myorg/api", &tags(8)).await;
    push.push_oci_index("myorg/api", "v2.0.0", "multi").await;
    let app = app!(store);
    crate::support::component_on_registry(&app, &proxy.url(), json!({"type": "none"})).await;
    let first = sync(&app, "").await;
    assert_eq!(first["added"], 9);
    let events = sync_events(&app).await;
    assert_eq!(events, 1, "the first sync wrote");

    // The default report: every version, as stored, untouched.
    let before = proxy.requests().len();
    let again = sync(&app, "").await;
    let requests = proxy.requests()[before..].to_vec();
    assert_eq!(
        requests.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(),
        ["/v2/myorg/api/tags/list?n=1000"],
        "the tag list alone"
    );
    assert_eq!(
        (again["unchanged"].clone(), again["updated"].clone()),
        (json!(9), json!(0))
    );
    assert_eq!(again["versions"], first["versions"], "nothing rewritten");
    assert_eq!(sync_events(&app).await, events, "no write, no audit event");

    // `verbose=false`: counts, and no versions when nothing changed.
    let quiet = sync(&app, "?verbose=false").await;
    assert_eq!(quiet["unchanged"], 9);
    assert_eq!(quiet["synced"], 9);
    assert_eq!(quiet["versions"], json!([]), "{quiet}");
    let explicit = sync(&app, "?verbose=true").await;
    assert_eq!(explicit["versions"].as_array().unwrap().len(), 9);

    // After one new tag and one deleted tag, only those two are reported.
    push.push_image(
        "myorg/api",
        "v9.0.0",
        &ImageSpec {
            seed: "nine".into(),
            ..ImageSpec::default()
        },
    )
    .await;
    let (digest, _) = push.head("myorg/api", "v2.0.0").await.unwrap();
    push.delete_manifest("myorg/api", &digest).await;
    let changed = sync(&app, "?verbose=false").await;
    assert_eq!(
        (
            changed["added"].clone(),
            changed["gone"].clone(),
            changed["unchanged"].clone()
        ),
        (json!(1), json!(1), json!(8)),
        "{changed}"
    );
    let reported: Vec<(&str, bool)> = changed["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["tag"].as_str().unwrap(), v["gone"].as_bool().unwrap()))
        .collect();
    assert_eq!(reported, [("v9.0.0", false), ("v2.0.0", true)]);
    assert_eq!(sync_events(&app).await, events + 1);
    let listed = send(&app, get("/api/v1/components/api/versions"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        listed.as_array().unwrap().len(),
        9,
        "8 kept, 1 added, 1 gone"
    );

    send(
        &app,
        post(
            "/api/v1/components/api/sync-versions?verbose=maybe",
            json!({}),
        ),
    )
    .await
    .problem(400, "validation_failed");
}
