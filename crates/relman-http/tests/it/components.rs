use actix_web::http::Method;
use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::json;

use crate::app;
use crate::support::{get, post, put, req, send};

backend_tests!(
    create_get_list_in_seed_shape,
    update_partially_and_clear,
    delete_then_gone,
    lookups_by_name_and_id,
    sync_interval_is_set_cleared_and_bounded
);

async fn create_get_list_in_seed_shape(store: Store) {
    let app = app!(store);
    let integration = send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "hub", "url": "https://registry.example"}),
        ),
    )
    .await
    .expect(201)
    .body;
    let integration_id = integration["id"].as_str().unwrap();
    let body = json!({
        "name": "api",
        "displayName": "API Service",
        "imageRepository": "myorg/api",
        "registryIntegrationId": integration_id,
        "versioningStrategy": "semver",
        "defaultChannel": "stable"
    });
    let created = send(&app, post("/api/v1/components", body))
        .await
        .expect(201)
        .body;
    for (field, value) in [
        ("name", json!("api")),
        ("displayName", json!("API Service")),
        ("imageRepository", json!("myorg/api")),
        ("registryIntegrationId", json!(integration_id)),
        ("versioningStrategy", json!("semver")),
        ("defaultChannel", json!("stable")),
    ] {
        assert_eq!(created[field], value, "{field}");
    }
    let id = created["id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    let created_at = created["createdAt"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(created_at).is_ok() && created_at.ends_with('Z'));

    let fetched = send(&app, get(&format!("/api/v1/components/{id}")))
        .await
        .expect(200)
        .body;
    assert_eq!(
        fetched, created,
        "a read returns exactly what the create did"
    );

    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "worker", "imageRepository": "myorg/worker"}),
        ),
    )
    .await
    .expect(201);
    let list = send(&app, get("/api/v1/components")).await.expect(200).body;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["api", "worker"], "a plain array, by name");
    let unknown = send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "x", "imageRepository": "a/b", "registryIntegrationId": "0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e"}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(unknown.fields(), ["registryIntegrationId"]);
    let worker = &list[1];
    assert_eq!(
        worker["displayName"], "worker",
        "display name defaults to the name"
    );
    assert_eq!(worker["defaultChannel"], "stable");
    assert_eq!(worker["registryIntegrationId"], json!(null));
}

async fn update_partially_and_clear(store: Store) {
    let app = app!(store);
    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "api", "imageRepository": "myorg/api", "tagPattern": "^v", "channelRules": [{"pattern": "-hotfix", "channel": "stable"}]}),
        ),
    )
    .await
    .expect(201);
    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "taken", "imageRepository": "myorg/t"}),
        ),
    )
    .await
    .expect(201);

    let updated = send(
        &app,
        put(
            "/api/v1/components/api",
            json!({"displayName": "API", "tagPattern": null}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(updated["displayName"], "API");
    assert_eq!(updated["tagPattern"], json!(null), "null clears");
    assert_eq!(updated["imageRepository"], "myorg/api", "absent keeps");
    assert_eq!(updated["channelRules"][0]["channel"], "stable");

    send(
        &app,
        put("/api/v1/components/api", json!({"name": "taken"})),
    )
    .await
    .problem(409, "name_exists");
    let bad = send(
        &app,
        put(
            "/api/v1/components/api",
            json!({"defaultChannel": "Nope!", "imageRepository": "UP"}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(bad.fields(), ["imageRepository", "defaultChannel"]);
    let unchanged = send(&app, get("/api/v1/components/api"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        unchanged["displayName"], "API",
        "a refused update changes nothing"
    );

    send(
        &app,
        put("/api/v1/components/api", json!({"name": "api-v2"})),
    )
    .await
    .expect(200);
    send(&app, get("/api/v1/components/api-v2"))
        .await
        .expect(200);
    send(&app, get("/api/v1/components/api"))
        .await
        .problem(404, "not_found");
}

async fn delete_then_gone(store: Store) {
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
    let r = send(&app, req(Method::DELETE, "/api/v1/components/api", None))
        .await
        .expect(204);
    assert!(r.raw.is_empty());
    send(&app, get("/api/v1/components/api"))
        .await
        .problem(404, "not_found");
    send(&app, req(Method::DELETE, "/api/v1/components/api", None))
        .await
        .problem(404, "not_found");
}

async fn lookups_by_name_and_id(store: Store) {
    let app = app!(store);
    let c = send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "api", "imageRepository": "myorg/api"}),
        ),
    )
    .await
    .expect(201)
    .body;
    let id = c["id"].as_str().unwrap();
    assert_eq!(
        send(&app, get(&format!("/api/v1/components/{id}")))
            .await
            .expect(200)
            .body["name"],
        "api"
    );
    send(
        &app,
        get("/api/v1/components/0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e"),
    )
    .await
    .problem(404, "not_found");
    send(&app, get("/api/v1/components/no-such"))
        .await
        .problem(404, "not_found");
    let uuid_name = send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e", "imageRepository": "a/b"}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(uuid_name.fields(), ["name"]);
}

/// `syncIntervalSeconds`: absent or `null` follows the server, `0` never, else 60..=604800.
async fn sync_interval_is_set_cleared_and_bounded(store: Store) {
    let app = app!(store);
    let created = send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "api", "imageRepository": "myorg/api", "syncIntervalSeconds": 0}),
        ),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(created["syncIntervalSeconds"], 0);
    let set = send(
        &app,
        put(
            "/api/v1/components/api",
            json!({"syncIntervalSeconds": 3600}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(set["syncIntervalSeconds"], 3600);
    let kept = send(
        &app,
        put("/api/v1/components/api", json!({"displayName": "API"})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(kept["syncIntervalSeconds"], 3600, "absent keeps it");
    let cleared = send(
        &app,
        put(
            "/api/v1/components/api",
            json!({"syncIntervalSeconds": null}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(cleared["syncIntervalSeconds"], serde_json::Value::Null);
    for bad in [json!(30), json!(604_801), json!(-60)] {
        let refused = send(
            &app,
            put(
                "/api/v1/components/api",
                json!({"syncIntervalSeconds": bad}),
            ),
        )
        .await
        .problem(400, "validation_failed");
        assert_eq!(refused.fields(), ["syncIntervalSeconds"], "{bad}");
    }
    let plain = send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "web", "imageRepository": "myorg/web"}),
        ),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(plain["syncIntervalSeconds"], serde_json::Value::Null);
}
