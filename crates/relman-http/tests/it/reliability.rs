//! Contention and hostile input: concurrent writers never see a 5xx, a racing insert makes one
//! row, and control characters get the same 400 on both backends.

use std::time::{Duration, Instant};

use actix_web::http::Method;
use futures_util::future::join_all;
use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_test_support::registry::{
    Fault, FaultRule, ImageSpec, Pagination, RegistryMode, RegistryProxy, TestRegistry,
};
use serde_json::{Value, json};

use crate::app;
use crate::support::{component, component_on_registry, get, post, put, req, send};

backend_tests!(
    concurrent_version_map_writers_never_fail,
    racing_creates_of_one_new_tag_make_one_version,
    control_characters_are_refused_everywhere,
    a_second_sync_of_a_component_is_refused_at_once
);

fn digest(n: usize) -> String {
    format!("sha256:{n:064x}")
}

/// 8 writers upserting version maps of one component, new tags and existing ones (the
/// read-then-write path), all at once: every answer is 200 or 201.
async fn concurrent_version_map_writers_never_fail(store: Store) {
    let app = app!(store);
    component(&app).await;
    let writers = (0..8).map(|w| {
        let app = &app;
        async move {
            let mut statuses = Vec::new();
            for i in 0..15 {
                // Half the writes hit tags every writer shares, half are the writer's own.
                let tag = if i % 2 == 0 {
                    format!("v1.0.{}", (i / 2) % 4)
                } else {
                    format!("v2.{w}.{i}")
                };
                let body = json!({"componentId": "api", "tag": tag, "digest": digest(w * 100 + i)});
                statuses.push(send(app, post("/api/v1/version-maps", body)).await.status);
            }
            statuses
        }
    });
    let statuses: Vec<_> = join_all(writers).await.into_iter().flatten().collect();
    let failed: Vec<_> = statuses.iter().filter(|s| !s.is_success()).collect();
    assert!(failed.is_empty(), "non-2xx answers: {failed:?}");
    let versions = send(&app, get("/api/v1/components/api/versions"))
        .await
        .expect(200)
        .body;
    assert_eq!(versions.as_array().unwrap().len(), 4 + 8 * 7);
}

/// 16 clients map the same brand-new tag at the same moment, five times over: each time exactly
/// one creates it (201), the others update it (200), and one version exists.
async fn racing_creates_of_one_new_tag_make_one_version(store: Store) {
    let app = app!(store);
    component(&app).await;
    for round in 0..5 {
        let tag = format!("v3.{round}.0");
        let racers = (0..16).map(|i| {
            let body = json!({"componentId": "api", "tag": tag, "digest": digest(i)});
            send(&app, post("/api/v1/version-maps", body))
        });
        let replies = join_all(racers).await;
        let mut codes: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        codes.sort_unstable();
        let mut want = vec![200; 15];
        want.push(201);
        assert_eq!(codes, want, "round {round}");
        let versions = send(&app, get("/api/v1/components/api/versions"))
            .await
            .expect(200)
            .body;
        let with_tag = versions
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["tag"] == tag)
            .count();
        assert_eq!(with_tag, 1, "round {round}: {versions}");
    }
}

/// NUL and other control characters are refused with 400 naming the field, on both backends and
/// in every kind of field: one-line text, prose, secrets' companions, nested keys and queries.
async fn control_characters_are_refused_everywhere(store: Store) {
    let app = app!(store);
    component(&app).await;
    send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "api", "tag": "v1.0.0", "digest": digest(1)}),
        ),
    )
    .await
    .expect(201);
    send(
        &app,
        post(
            "/api/v1/releases",
            json!({"name": "r1", "components": [{"componentId": "api"}]}),
        ),
    )
    .await
    .expect(201);
    let cases: Vec<(Method, &str, Value, &str)> = vec![
        (
            Method::POST,
            "/api/v1/components",
            json!({"name": "web", "imageRepository": "myorg/web", "displayName": "a\u{0}b"}),
            "displayName",
        ),
        (
            Method::POST,
            "/api/v1/components",
            json!({"name": "web", "imageRepository": "myorg/web", "displayName": "\u{1b}[31mred"}),
            "displayName",
        ),
        (
            Method::PUT,
            "/api/v1/components/api",
            json!({"displayName": "two\nlines"}),
            "displayName",
        ),
        (
            Method::PUT,
            "/api/v1/releases/r1",
            json!({"notes": "# Notes\n\nfine line\u{0}"}),
            "notes",
        ),
        (
            Method::POST,
            "/api/v1/registry-integrations",
            json!({"name": "reg", "url": "https://reg.example",
                   "auth": {"type": "basic", "username": "ci\u{0}", "password": "pw"}}),
            "auth.username",
        ),
        (
            Method::POST,
            "/api/v1/environments",
            json!({"name": "prod", "order": 1, "displayName": "Prod\u{7f}"}),
            "displayName",
        ),
    ];
    for (method, path, body, field) in cases {
        let reply = send(&app, req(method.clone(), path, Some(body.clone())))
            .await
            .problem(400, "validation_failed");
        assert_eq!(reply.fields(), [field], "{method} {path} {body}");
    }
    let reply = send(&app, get("/api/v1/audit-events?resourceType=a%00b"))
        .await
        .problem(400, "validation_failed");
    assert_eq!(reply.fields(), ["resourceType"]);
    // Nothing above was stored: the component keeps its name as display name, the release its notes.
    let api = send(&app, get("/api/v1/components/api"))
        .await
        .expect(200)
        .body;
    assert_eq!(api["displayName"], "api");
    let r1 = send(&app, get("/api/v1/releases/r1"))
        .await
        .expect(200)
        .body;
    assert_eq!(r1["notes"], Value::Null);
    // Prose keeps its line breaks.
    send(
        &app,
        put(
            "/api/v1/releases/r1",
            json!({"notes": "# Notes\r\n\n\tindented"}),
        ),
    )
    .await
    .expect(200);
}

/// While a sync of a component waits on a slow registry, a second sync of it is refused with 409
/// at once rather than queued behind the first.
async fn a_second_sync_of_a_component_is_refused_at_once(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    registry
        .pusher()
        .push_image("myorg/api", "v1.0.0", &ImageSpec::default())
        .await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    let app = app!(store);
    component_on_registry(&app, &proxy.url(), json!({"type": "none"})).await;
    proxy.inject(FaultRule::new(
        "/tags/list",
        1,
        Fault::Delay(Duration::from_secs(3)),
    ));
    let sync = || async {
        let reply = send(
            &app,
            post("/api/v1/components/api/sync-versions", json!({})),
        )
        .await;
        (reply, Instant::now())
    };
    let ((first, first_done), (second, second_done)) = futures_util::future::join(sync(), async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        sync().await
    })
    .await;
    first.expect(200);
    second.problem(409, "sync_in_progress");
    assert!(
        second_done < first_done,
        "the second sync was answered only after the first finished"
    );
}
