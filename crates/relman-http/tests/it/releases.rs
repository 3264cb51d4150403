//! Creating, reading and listing releases.

use actix_web::http::Method;
use futures_util::future::join_all;
use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::{Value, json};

use crate::app;
use crate::release_fixtures::{column, component, content_digest, digest, release_body, world};
use crate::support::{get, post, req, send};

backend_tests!(
    create_in_seed_shape,
    invalid_configurations_are_400,
    unknown_and_unresolvable_members,
    create_is_idempotent,
    members_are_snapshots,
    list_filters_and_pages,
    list_parameters_are_checked,
    concurrent_creates_make_one_release,
    nothing_a_client_sends_is_a_500
);

async fn create_in_seed_shape(store: Store) {
    let app = app!(store);
    world(&app).await;
    let db_id = send(&app, get("/api/v1/components/db"))
        .await
        .expect(200)
        .body["id"]
        .clone();
    let body = json!({
        "name": "myapp-v2.3.1",
        "displayName": "My App 2.3.1",
        "components": [
            {"componentId": "api", "version": "2.3.1"},
            {"componentId": "worker", "digest": digest("worker", "v1.0.0")},
            {"componentId": db_id, "channel": "stable"}
        ],
        "sourceRef": {
            "scmIntegrationId": "0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e",
            "repository": "myorg/myapp",
            "branch": "main",
            "commitSha": "abc123"
        },
        "metadata": {"ticket": "REL-1", "team": "core"},
        "notes": "# 2.3.1\n\nFixes.",
        "prerelease": false,
        "version": "2.3.1"
    });
    let created = send(&app, post("/api/v1/releases", body))
        .await
        .expect(201)
        .body;
    let id = created["id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    assert_eq!(created["name"], "myapp-v2.3.1");
    assert_eq!(created["displayName"], "My App 2.3.1");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["createdBy"], "admin", "the token's actor");
    assert!(created["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(created["updatedAt"], created["createdAt"]);
    assert_eq!(created["version"], "2.3.1");
    assert_eq!(created["notes"], "# 2.3.1\n\nFixes.");
    assert_eq!(created["prerelease"], false);
    assert_eq!(
        created["metadata"],
        json!({"team": "core", "ticket": "REL-1"})
    );
    assert_eq!(created["sourceRef"]["commitSha"], "abc123");
    assert_eq!(created["sourceRef"]["repository"], "myorg/myapp");
    assert_eq!(created["deprecatedReason"], Value::Null);

    let members = created["components"].as_array().unwrap();
    assert_eq!(
        column(&created["components"], "componentName"),
        ["api", "worker", "db"],
        "request order"
    );
    let api = &members[0];
    assert_eq!(api["version"], "2.3.1");
    assert_eq!(api["digest"], digest("api", "v2.3.1"));
    assert_eq!(api["channel"], "stable");
    assert_eq!(api["tag"], "v2.3.1");
    assert_eq!(api["imageRepository"], "myorg/api");
    assert_eq!(api["platforms"], json!([]));
    assert_eq!(members[1]["version"], "1.0.0", "selected by digest");
    assert_eq!(members[2]["componentId"], db_id);
    assert_eq!(members[2]["version"], "15.0.0");

    let want = content_digest(&[
        ("api", &digest("api", "v2.3.1")),
        ("worker", &digest("worker", "v1.0.0")),
        ("db", &digest("db", "15.0.0")),
    ]);
    assert_eq!(created["digest"], want, "the documented canonical form");

    let by_id = send(&app, get(&format!("/api/v1/releases/{id}")))
        .await
        .expect(200)
        .body;
    assert_eq!(by_id, created, "a read returns exactly what the create did");
    let by_name = send(&app, get("/api/v1/releases/myapp-v2.3.1"))
        .await
        .expect(200)
        .body;
    assert_eq!(by_name, created);

    // No selector: the component's default channel (stable → 2.3.1, not the rc).
    let defaulted = send(
        &app,
        post(
            "/api/v1/releases",
            json!({"name": "plain", "components": [{"componentId": "api"}]}),
        ),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(defaulted["components"][0]["version"], "2.3.1");
    assert_eq!(defaulted["displayName"], "plain", "defaults to the name");
    assert_eq!(defaulted["metadata"], json!({}));
    assert_eq!(defaulted["sourceRef"], Value::Null);

    send(&app, get("/api/v1/releases/nope"))
        .await
        .problem(404, "not_found");
    send(
        &app,
        get("/api/v1/releases/0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e"),
    )
    .await
    .problem(404, "not_found");
}

async fn invalid_configurations_are_400(store: Store) {
    let app = app!(store);
    world(&app).await;
    let create = |body: Value| post("/api/v1/releases", body);

    let empty = send(&app, create(json!({"name": "r", "components": []})))
        .await
        .problem(400, "empty_release");
    assert_eq!(empty.fields(), ["components"]);

    let api_id = send(&app, get("/api/v1/components/api"))
        .await
        .expect(200)
        .body["id"]
        .clone();
    let twice = send(
        &app,
        create(json!({"name": "r", "components": [
            {"componentId": "api", "version": "2.3.0"},
            {"componentId": "worker"},
            {"componentId": api_id, "version": "2.3.1"}
        ]})),
    )
    .await
    .problem(400, "duplicate_component");
    assert_eq!(
        twice.fields(),
        ["components[2].componentId"],
        "by name and by id is still twice"
    );
    assert!(
        twice.body["detail"]
            .as_str()
            .unwrap()
            .contains("components[0]")
    );

    let bad = send(
        &app,
        create(json!({"name": "-bad", "version": "one", "components": [
            {"componentId": "api", "version": "2.3.1", "digest": digest("api", "v2.3.1")},
            {"componentId": "worker", "digest": "sha256:ABC"},
            {"componentId": "db", "version": "15"},
            {"componentId": "api", "channel": "Not A Channel"},
            {"componentId": ""}
        ]})),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(
        bad.fields(),
        [
            "name",
            "version",
            "components[0]",
            "components[1].digest",
            "components[2].version",
            "components[3].channel",
            "components[4].componentId"
        ]
    );

    for (name, why) in [
        ("latest", "reserved"),
        ("from-latest", "reserved"),
        ("0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e", "UUID"),
    ] {
        let r = send(&app, create(release_body(name, "2.3.1")))
            .await
            .problem(400, "validation_failed");
        assert_eq!(r.fields(), ["name"]);
        assert!(
            r.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(why),
            "{name}"
        );
    }

    let shapes = [
        (json!({"name": "r"}), "components"),
        (
            json!({"name": "r", "components": {"componentId": "api"}}),
            "components",
        ),
        (
            json!({"name": "r", "components": [{"componentId": 5}]}),
            "components[0].componentId",
        ),
        (
            json!({"name": "r", "components": [{"componentId": "api", "tag": "x"}]}),
            "components[0].tag",
        ),
        (
            json!({"name": "r", "components": [{"componentId": "api"}], "metadata": {"k": 1}}),
            "metadata.k",
        ),
        (
            json!({"name": "r", "components": [{"componentId": "api"}], "metadata": ["k"]}),
            "metadata",
        ),
        (
            json!({"name": "r", "components": [{"componentId": "api"}], "prerelease": "yes"}),
            "prerelease",
        ),
        (
            json!({"name": "r", "components": [{"componentId": "api"}], "sourceRef": {"sha": "x"}}),
            "sourceRef.sha",
        ),
        (
            json!({"name": "r", "components": [{"componentId": "api"}], "status": "ready"}),
            "status",
        ),
    ];
    for (body, field) in shapes {
        let r = send(&app, create(body.clone()))
            .await
            .problem(400, "validation_failed");
        assert_eq!(r.fields(), [field], "{body}");
    }
    let long_key = "k".repeat(129);
    let r = send(
        &app,
        create(json!({"name": "r", "components": [{"componentId": "api"}], "metadata": {long_key.clone(): "v"}})),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(r.fields(), [format!("metadata.{long_key}")]);

    let list = send(&app, get("/api/v1/releases")).await.expect(200).body;
    assert_eq!(
        list["meta"]["totalCount"], 0,
        "no bad request created anything"
    );
}

async fn unknown_and_unresolvable_members(store: Store) {
    let app = app!(store);
    world(&app).await;
    let unknown = send(
        &app,
        post(
            "/api/v1/releases",
            json!({"name": "r", "components": [{"componentId": "api"}, {"componentId": "ghost"}]}),
        ),
    )
    .await
    .problem(404, "not_found");
    assert!(unknown.body["detail"].as_str().unwrap().contains("ghost"));

    let r = send(
        &app,
        post(
            "/api/v1/releases",
            json!({"name": "r", "components": [
                {"componentId": "api", "version": "9.9.9"},
                {"componentId": "worker", "version": "1.1.0"},
                {"componentId": "db", "channel": "rc"}
            ]}),
        ),
    )
    .await
    .problem(422, "unresolvable_version");
    assert_eq!(
        r.fields(),
        ["components[0]", "components[2]"],
        "every failing member, not the first"
    );
    let messages: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        messages[0].contains("component 'api' has no version 9.9.9"),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].contains("channel 'rc' of component 'db' has no versions"),
        "{}",
        messages[1]
    );

    let r = send(
        &app,
        post(
            "/api/v1/releases",
            json!({"name": "r", "components": [{"componentId": "api", "digest": digest("worker", "v1.0.0")}]}),
        ),
    )
    .await
    .problem(422, "unresolvable_version");
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a known version")
    );
    let list = send(&app, get("/api/v1/releases")).await.expect(200).body;
    assert_eq!(list["meta"]["totalCount"], 0);
}

async fn create_is_idempotent(store: Store) {
    let app = app!(store);
    world(&app).await;
    let first = send(&app, post("/api/v1/releases", release_body("r1", "2.3.0")))
        .await
        .expect(201)
        .body;
    let again = send(&app, post("/api/v1/releases", release_body("r1", "2.3.0")))
        .await
        .expect(200)
        .body;
    assert_eq!(again, first, "a retry answers with the existing release");

    // Same members in another order, selected differently, with other display fields: same
    // content, so the same release (which keeps its own display name).
    let same_content = json!({
        "name": "r1",
        "displayName": "Something else",
        "components": [
            {"componentId": "worker", "version": "1.1.0"},
            {"componentId": "api", "digest": digest("api", "v2.3.0")}
        ]
    });
    let r = send(&app, post("/api/v1/releases", same_content))
        .await
        .expect(200)
        .body;
    assert_eq!(r["id"], first["id"]);
    assert_eq!(r["displayName"], "r1");

    let conflict = send(&app, post("/api/v1/releases", release_body("r1", "2.3.1")))
        .await
        .problem(409, "name_exists");
    let detail = conflict.body["detail"].as_str().unwrap();
    assert!(
        detail.contains(first["digest"].as_str().unwrap()),
        "{detail}"
    );
    let list = send(&app, get("/api/v1/releases")).await.expect(200).body;
    assert_eq!(list["meta"]["totalCount"], 1);
}

async fn members_are_snapshots(store: Store) {
    let app = app!(store);
    world(&app).await;
    let created = send(&app, post("/api/v1/releases", release_body("r1", "2.3.1")))
        .await
        .expect(201)
        .body;
    // The component is renamed and moved, and the tag re-pointed: the release keeps its snapshot.
    send(
        &app,
        crate::support::put(
            "/api/v1/components/api",
            json!({"name": "gateway", "imageRepository": "elsewhere/gateway"}),
        ),
    )
    .await
    .expect(200);
    send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "gateway", "tag": "v2.3.1", "digest": digest("api", "rebuilt")}),
        ),
    )
    .await
    .expect(200);
    let read = send(&app, get("/api/v1/releases/r1"))
        .await
        .expect(200)
        .body;
    assert_eq!(read, created);
    assert_eq!(read["components"][0]["componentName"], "api");
    assert_eq!(read["components"][0]["imageRepository"], "myorg/api");
    assert_eq!(read["components"][0]["digest"], digest("api", "v2.3.1"));
}

async fn list_filters_and_pages(store: Store) {
    let app = app!(store);
    world(&app).await;
    component(&app, "lonely", &["v1.0.0"]).await;
    for (name, version) in [
        ("r1", "2.3.0"),
        ("r2", "2.3.1"),
        ("r3", "2.3.0"),
        ("r4", "2.3.1"),
    ] {
        send(&app, post("/api/v1/releases", release_body(name, version)))
            .await
            .expect(201);
    }
    send(
        &app,
        post(
            "/api/v1/releases",
            json!({"name": "solo", "components": [{"componentId": "lonely"}]}),
        ),
    )
    .await
    .expect(201);
    send(
        &app,
        crate::support::put("/api/v1/releases/r2", json!({"status": "ready"})),
    )
    .await
    .expect(200);

    let all = send(&app, get("/api/v1/releases")).await.expect(200).body;
    assert_eq!(
        all["meta"],
        json!({"page": 1, "pageSize": 20, "totalCount": 5, "totalPages": 1})
    );
    assert_eq!(
        column(&all["data"], "name"),
        ["solo", "r4", "r3", "r2", "r1"],
        "newest first"
    );
    let item = &all["data"][1];
    for field in ["id", "name", "status", "componentCount", "createdAt"] {
        assert!(!item[field].is_null(), "list item lacks {field}: {item}");
    }
    assert_eq!(item["componentCount"], 2);
    assert_eq!(all["data"][0]["componentCount"], 1);
    assert!(
        item.get("components").is_none(),
        "list items carry no members"
    );

    let page2 = send(&app, get("/api/v1/releases?page=2&pageSize=2"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        page2["meta"],
        json!({"page": 2, "pageSize": 2, "totalCount": 5, "totalPages": 3})
    );
    assert_eq!(column(&page2["data"], "name"), ["r3", "r2"]);
    let page3 = send(&app, get("/api/v1/releases?page=3&pageSize=2"))
        .await
        .expect(200)
        .body;
    assert_eq!(column(&page3["data"], "name"), ["r1"]);
    let beyond = send(&app, get("/api/v1/releases?page=9&pageSize=2"))
        .await
        .expect(200)
        .body;
    assert_eq!(beyond["data"], json!([]));
    assert_eq!(beyond["meta"]["totalCount"], 5);

    let ready = send(&app, get("/api/v1/releases?status=ready"))
        .await
        .expect(200)
        .body;
    assert_eq!(column(&ready["data"], "name"), ["r2"]);
    assert_eq!(ready["meta"]["totalCount"], 1);
    let drafts = send(&app, get("/api/v1/releases?status=draft&pageSize=1"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        drafts["meta"],
        json!({"page": 1, "pageSize": 1, "totalCount": 4, "totalPages": 4})
    );
    let deployed = send(&app, get("/api/v1/releases?status=deployed"))
        .await
        .expect(200)
        .body;
    assert_eq!(deployed["meta"]["totalPages"], 0);

    let lonely = send(&app, get("/api/v1/releases?componentId=lonely"))
        .await
        .expect(200)
        .body;
    assert_eq!(column(&lonely["data"], "name"), ["solo"]);
    let worker_id = send(&app, get("/api/v1/components/worker"))
        .await
        .expect(200)
        .body["id"]
        .clone();
    let with_worker = send(
        &app,
        get(&format!(
            "/api/v1/releases?componentId={}&status=draft",
            worker_id.as_str().unwrap()
        )),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(column(&with_worker["data"], "name"), ["r4", "r3", "r1"]);
    let db = send(&app, get("/api/v1/releases?componentId=db"))
        .await
        .expect(200)
        .body;
    assert_eq!(db["meta"]["totalCount"], 0);
    send(&app, get("/api/v1/releases?componentId=ghost"))
        .await
        .problem(404, "not_found");
}

async fn list_parameters_are_checked(store: Store) {
    let app = app!(store);
    for (query, field) in [
        ("pageSize=0", "pageSize"),
        ("pageSize=101", "pageSize"),
        ("pageSize=-5", "pageSize"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("page=9223372036854775807&pageSize=100", "page"),
        ("page=1000000001", "page"),
        ("status=released", "status"),
        ("status=", "status"),
        ("sort=name", "sort"),
    ] {
        let r = send(&app, get(&format!("/api/v1/releases?{query}")))
            .await
            .problem(400, "validation_failed");
        assert_eq!(r.fields(), [field], "{query}");
    }
    let max = send(&app, get("/api/v1/releases?pageSize=100"))
        .await
        .expect(200)
        .body;
    assert_eq!(max["meta"]["pageSize"], 100, "100 is allowed, not clamped");
}

/// 32 clients create the same name at once: the unique constraint decides. Those with the winner's
/// content get 201 (one) or 200; those with other content get 409; one release exists.
async fn concurrent_creates_make_one_release(store: Store) {
    let app = app!(store);
    world(&app).await;
    let requests = (0..32).map(|i| {
        let version = if i % 4 == 3 { "2.3.0" } else { "2.3.1" };
        send(
            &app,
            post("/api/v1/releases", release_body("racy", version)),
        )
    });
    let replies = join_all(requests).await;
    let winner = send(&app, get("/api/v1/releases/racy"))
        .await
        .expect(200)
        .body;
    let mut created = 0;
    for (i, r) in replies.iter().enumerate() {
        let version = if i % 4 == 3 { "2.3.0" } else { "2.3.1" };
        let same = winner["components"][0]["version"] == version;
        match r.status.as_u16() {
            201 => {
                created += 1;
                assert!(same);
                assert_eq!(r.body["id"], winner["id"]);
            }
            200 => {
                assert!(same, "200 only for the winner's content");
                assert_eq!(r.body["id"], winner["id"]);
            }
            409 => {
                assert!(!same, "409 only for other content");
                assert_eq!(r.body["code"], "name_exists");
            }
            other => panic!("request {i}: {other} {}", r.body),
        }
    }
    assert_eq!(created, 1);
    let list = send(&app, get("/api/v1/releases")).await.expect(200).body;
    assert_eq!(list["meta"]["totalCount"], 1);
}

/// Hostile bodies on every mutating release route: always a 4xx problem, never a 5xx.
async fn nothing_a_client_sends_is_a_500(store: Store) {
    let app = app!(store);
    world(&app).await;
    send(&app, post("/api/v1/releases", release_body("r1", "2.3.1")))
        .await
        .expect(201);
    let bodies = [
        "null",
        "[]",
        "\"x\"",
        "1e999",
        "{\"name\": null}",
        "{\"name\": \"\\u0000\", \"components\": [{\"componentId\": \"api\"}]}",
        "{\"name\": \"r\", \"components\": [{\"componentId\": \"\\u0000\"}]}",
        "{\"name\": \"r\", \"components\": [{\"componentId\": \"api\", \"digest\": \"sha256:\"}]}",
        "{\"name\": \"r\", \"components\": [{\"componentId\": \"api\", \"version\": \"99999999999999999999999.0.0\"}]}",
        "{\"name\": \"r\", \"components\": [null]}",
        "{\"components\": [{}]}",
        "{\"status\": 5}",
        "{\"status\": \"ready\", \"components\": []}",
        "{\"metadata\": {\"\": \"x\"}}",
        "{\"name\": \"Robert'); DROP TABLE releases;--\", \"components\": [{\"componentId\": \"api\"}]}",
        "{\"componentIds\": [1]}",
        "{\"reason\": 7}",
        "\u{feff}{}",
        "{\"a\":",
    ];
    let routes = [
        (Method::POST, "/api/v1/releases"),
        (Method::POST, "/api/v1/releases/from-latest"),
        (Method::PUT, "/api/v1/releases/r1"),
        (Method::POST, "/api/v1/releases/r1/deprecate"),
    ];
    for (method, path) in routes {
        for body in bodies {
            // A deprecation's body is optional, and the document allows `null` for it: that is no
            // body, not a hostile one (the extractor's own test covers it).
            if body == "null" && path.ends_with("/deprecate") {
                continue;
            }
            let r = send(
                &app,
                req(method.clone(), path, None)
                    .insert_header(("content-type", "application/json"))
                    .set_payload(body.to_owned()),
            )
            .await;
            assert!(
                r.status.is_client_error(),
                "{method} {path} {body:?} → {} {}",
                r.status,
                r.body
            );
            assert_eq!(
                r.headers.get("content-type").unwrap(),
                "application/problem+json"
            );
        }
    }
    let read = send(&app, get("/api/v1/releases/r1"))
        .await
        .expect(200)
        .body;
    assert_eq!(read["status"], "draft", "nothing above changed the release");
    send(&app, req(Method::PATCH, "/api/v1/releases/r1", None))
        .await
        .problem(405, "method_not_allowed");
    let unauthenticated = actix_web::test::TestRequest::get().uri("/api/v1/releases");
    send(&app, unauthenticated)
        .await
        .problem(401, "unauthenticated");
}
