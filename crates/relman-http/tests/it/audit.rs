//! Every mutation leaves one audit event in its own transaction; failed ones leave none.

use actix_web::http::Method;
use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_test_support::registry::{ImageSpec, RegistryMode, TestRegistry};
use serde_json::{Value, json};

use crate::app;
use crate::support::{DIGEST_A, get, post, put, req, send};

backend_tests!(
    mutations_are_audited,
    failed_mutations_leave_no_event,
    audit_listing_filters_and_pages,
    sync_is_audited_when_it_changes_something
);

async fn events(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
    query: &str,
) -> Value {
    send(
        app,
        get(&format!("/api/v1/audit-events?pageSize=100&{query}")),
    )
    .await
    .expect(200)
    .body
}

fn actions(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn mutations_are_audited(store: Store) {
    let app = app!(store);
    let with_id = |r: actix_web::test::TestRequest, id: &str| {
        r.insert_header(("x-request-id", id.to_owned()))
    };
    let i = send(&app, with_id(post("/api/v1/registry-integrations", json!({"name": "hub", "url": "https://r.example", "auth": {"type": "bearer", "token": "never-logged"}})), "req-1"))
        .await
        .expect(201)
        .body;
    let c = send(&app, with_id(post("/api/v1/components", json!({"name": "api", "imageRepository": "myorg/api", "registryIntegrationId": "hub"})), "req-2"))
        .await
        .expect(201)
        .body;
    send(
        &app,
        with_id(
            put(
                "/api/v1/components/api",
                json!({"displayName": "API", "tagPattern": "^v"}),
            ),
            "req-3",
        ),
    )
    .await
    .expect(200);
    send(
        &app,
        with_id(
            post(
                "/api/v1/version-maps",
                json!({"componentId": "api", "tag": "v1.0.0", "digest": DIGEST_A}),
            ),
            "req-4",
        ),
    )
    .await
    .expect(201);
    send(
        &app,
        with_id(
            put(
                "/api/v1/registry-integrations/hub",
                json!({"maxConcurrency": 2}),
            ),
            "req-5",
        ),
    )
    .await
    .expect(200);
    send(
        &app,
        with_id(
            put(
                "/api/v1/components/api",
                json!({"registryIntegrationId": null}),
            ),
            "req-6",
        ),
    )
    .await
    .expect(200);
    send(
        &app,
        with_id(
            req(Method::DELETE, "/api/v1/registry-integrations/hub", None),
            "req-7",
        ),
    )
    .await
    .expect(204);
    send(
        &app,
        with_id(req(Method::DELETE, "/api/v1/components/api", None), "req-8"),
    )
    .await
    .expect(204);

    let page = events(&app, "").await;
    let data = page["data"].as_array().unwrap();
    let expected = [
        (
            "req-8",
            "component.delete",
            "component",
            c["id"].as_str().unwrap().to_owned(),
        ),
        (
            "req-7",
            "registry_integration.delete",
            "registry_integration",
            i["id"].as_str().unwrap().to_owned(),
        ),
        (
            "req-6",
            "component.update",
            "component",
            c["id"].as_str().unwrap().to_owned(),
        ),
        (
            "req-5",
            "registry_integration.update",
            "registry_integration",
            i["id"].as_str().unwrap().to_owned(),
        ),
        (
            "req-4",
            "version_map.set",
            "version_map",
            format!("{}:v1.0.0", c["id"].as_str().unwrap()),
        ),
        (
            "req-3",
            "component.update",
            "component",
            c["id"].as_str().unwrap().to_owned(),
        ),
        (
            "req-2",
            "component.create",
            "component",
            c["id"].as_str().unwrap().to_owned(),
        ),
        (
            "req-1",
            "registry_integration.create",
            "registry_integration",
            i["id"].as_str().unwrap().to_owned(),
        ),
    ];
    assert_eq!(data.len(), expected.len(), "{page}");
    for (event, (request, action, rtype, rid)) in data.iter().zip(expected) {
        assert_eq!(event["requestId"], request, "{event}");
        assert_eq!(event["action"], action, "{event}");
        assert_eq!(event["resourceType"], rtype, "{event}");
        assert_eq!(event["resourceId"], rid.as_str(), "{event}");
        assert_eq!(event["actor"], "admin");
        assert!(!event["summary"].as_str().unwrap().is_empty());
    }
    assert!(
        data[5]["summary"]
            .as_str()
            .unwrap()
            .contains("displayName, tagPattern"),
        "{}",
        data[5]
    );
    assert!(
        !page.to_string().contains("never-logged"),
        "no secret in the audit trail"
    );
}

async fn failed_mutations_leave_no_event(store: Store) {
    let app = app!(store);
    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "api", "imageRepository": "myorg/api"}),
        ),
    )
    .await
    .expect(201);
    send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "hub", "url": "https://r.example"}),
        ),
    )
    .await
    .expect(201);
    send(
        &app,
        put(
            "/api/v1/components/api",
            json!({"registryIntegrationId": "hub"}),
        ),
    )
    .await
    .expect(200);
    let before = events(&app, "").await["meta"]["totalCount"].clone();
    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "api", "imageRepository": "myorg/api"}),
        ),
    )
    .await
    .problem(409, "name_exists");
    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "Bad", "imageRepository": "x"}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    send(
        &app,
        put("/api/v1/components/api", json!({"defaultChannel": "NO"})),
    )
    .await
    .problem(400, "validation_failed");
    send(&app, put("/api/v1/components/nope", json!({})))
        .await
        .problem(404, "not_found");
    send(
        &app,
        req(Method::DELETE, "/api/v1/registry-integrations/hub", None),
    )
    .await
    .problem(409, "in_use");
    send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "api", "tag": "v1", "digest": "sha256:x"}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "hub", "url": "https://r.example"}),
        ),
    )
    .await
    .problem(409, "name_exists");
    assert_eq!(events(&app, "").await["meta"]["totalCount"], before);
    // The registry behind "hub" does not exist: the sync fails, changes nothing, and records
    // only that it failed (what `sync.failed` webhooks hear about).
    send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .problem(502, "registry_error");
    let after = events(&app, "").await;
    assert_eq!(
        after["meta"]["totalCount"].as_i64().unwrap(),
        before.as_i64().unwrap() + 1
    );
    assert_eq!(after["data"][0]["action"], "component.sync_failed");
}

async fn audit_listing_filters_and_pages(store: Store) {
    let app = app!(store);
    for name in ["a", "b", "c"] {
        send(
            &app,
            post(
                "/api/v1/components",
                json!({"name": name, "imageRepository": format!("x/{name}")}),
            ),
        )
        .await
        .expect(201);
    }
    send(
        &app,
        put("/api/v1/components/b", json!({"displayName": "B"})),
    )
    .await
    .expect(200);
    let b = send(&app, get("/api/v1/components/b"))
        .await
        .expect(200)
        .body;
    let on_b = events(
        &app,
        &format!(
            "resourceType=component&resourceId={}",
            b["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(actions(&on_b), ["component.update", "component.create"]);
    let creates = events(&app, "action=component.create").await;
    assert_eq!(creates["meta"]["totalCount"], 3);
    let page2 = send(&app, get("/api/v1/audit-events?pageSize=3&page=2"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        page2["meta"],
        json!({"page": 2, "pageSize": 3, "totalCount": 4, "totalPages": 2})
    );
    assert_eq!(
        actions(&page2),
        ["component.create"],
        "the oldest event is last"
    );
    let first_time = page2["data"][0]["occurredAt"].as_str().unwrap().to_owned();
    let since = events(&app, &format!("since={}", first_time.replace('+', "%2B"))).await;
    assert_eq!(since["meta"]["totalCount"], 4);
    let until = events(&app, &format!("until={}", first_time.replace('+', "%2B"))).await;
    assert_eq!(until["meta"]["totalCount"], 0);
    for bad in [
        "since=yesterday",
        "until=2026-13-01T00:00:00Z",
        "page=0",
        "pageSize=101",
        "pageSize=x",
        "colour=red",
    ] {
        send(&app, get(&format!("/api/v1/audit-events?{bad}")))
            .await
            .problem(400, "validation_failed");
    }
    let unauth = actix_web::test::TestRequest::get().uri("/api/v1/audit-events");
    send(&app, unauth).await.problem(401, "unauthenticated");
}

async fn sync_is_audited_when_it_changes_something(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    registry
        .pusher()
        .push_image("myorg/api", "v1.0.0", &ImageSpec::default())
        .await;
    let app = app!(store);
    crate::support::component_on_registry(&app, &registry.url(), json!({"type": "none"})).await;
    send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(200);
    send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(200);
    let syncs = events(&app, "action=component.sync").await;
    assert_eq!(
        syncs["meta"]["totalCount"], 1,
        "an unchanged re-sync records nothing: {syncs}"
    );
    assert!(
        syncs["data"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("1 added")
    );
}
