use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::{Value, json};

use crate::app;
use crate::support::{DIGEST_A, DIGEST_B, get, post, send};

backend_tests!(
    create_replace_and_list,
    versions_sorted_filtered_limited,
    version_map_errors
);

fn tags(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["tag"].as_str().unwrap())
        .collect()
}

async fn create_replace_and_list(store: Store) {
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
    let body = json!({"componentId": c["id"], "tag": "v2.3.1", "semver": "2.3.1", "channel": "stable", "digest": DIGEST_A});
    let created = send(&app, post("/api/v1/version-maps", body))
        .await
        .expect(201)
        .body;
    assert_eq!(created["componentId"], c["id"]);
    assert_eq!(created["tag"], "v2.3.1");
    assert_eq!(created["semver"], "2.3.1");
    assert_eq!(created["channel"], "stable");
    assert_eq!(created["digest"], DIGEST_A);
    assert_eq!(created["source"], "manual");

    // The same tag again replaces the mapping and keeps its identity.
    let replaced = send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "api", "tag": "v2.3.1", "channel": "beta", "digest": DIGEST_B}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(replaced["id"], created["id"]);
    assert_eq!(replaced["channel"], "beta");
    assert_eq!(
        replaced["semver"], "2.3.1",
        "semver parsed from the tag when not given"
    );
    assert_eq!(replaced["digest"], DIGEST_B);

    let other = send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "worker", "imageRepository": "myorg/worker"}),
        ),
    )
    .await
    .expect(201)
    .body;
    send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": other["id"], "tag": "1.0.0", "digest": DIGEST_A}),
        ),
    )
    .await
    .expect(201);

    let all = send(&app, get("/api/v1/version-maps"))
        .await
        .expect(200)
        .body;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let api_only = send(&app, get("/api/v1/version-maps?componentId=api"))
        .await
        .expect(200)
        .body;
    assert_eq!(tags(&api_only), ["v2.3.1"]);
    let by_id = send(
        &app,
        get(&format!(
            "/api/v1/version-maps?componentId={}",
            other["id"].as_str().unwrap()
        )),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(tags(&by_id), ["1.0.0"]);
    let stable = send(&app, get("/api/v1/version-maps?channel=stable"))
        .await
        .expect(200)
        .body;
    assert_eq!(tags(&stable), ["1.0.0"]);
    let manual = send(&app, get("/api/v1/version-maps?source=manual"))
        .await
        .expect(200)
        .body;
    assert_eq!(manual.as_array().unwrap().len(), 2);
    send(&app, get("/api/v1/version-maps?source=elsewhere"))
        .await
        .problem(400, "validation_failed");
    send(&app, get("/api/v1/version-maps?componentId=nope"))
        .await
        .problem(404, "not_found");
}

async fn versions_sorted_filtered_limited(store: Store) {
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
    for tag in [
        "v1.0.0-rc.9",
        "v1.0.0",
        "latest",
        "v1.0.0-rc.10",
        "v0.9.0",
        "v1.1.0-beta.1",
    ] {
        send(
            &app,
            post(
                "/api/v1/version-maps",
                json!({"componentId": "api", "tag": tag, "digest": DIGEST_A}),
            ),
        )
        .await
        .expect(201);
    }
    let all = send(&app, get("/api/v1/components/api/versions"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        tags(&all),
        [
            "v1.1.0-beta.1",
            "v1.0.0",
            "v1.0.0-rc.10",
            "v1.0.0-rc.9",
            "v0.9.0",
            "latest"
        ]
    );
    let latest = all.as_array().unwrap().last().unwrap();
    assert_eq!(
        (latest["semver"].clone(), latest["channel"].clone()),
        (json!(null), json!(null))
    );
    let rc = send(&app, get("/api/v1/components/api/versions?channel=rc"))
        .await
        .expect(200)
        .body;
    assert_eq!(tags(&rc), ["v1.0.0-rc.10", "v1.0.0-rc.9"]);
    let two = send(&app, get("/api/v1/components/api/versions?limit=2"))
        .await
        .expect(200)
        .body;
    assert_eq!(tags(&two), ["v1.1.0-beta.1", "v1.0.0"]);
    let stable1 = send(
        &app,
        get("/api/v1/components/api/versions?channel=stable&limit=1"),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(tags(&stable1), ["v1.0.0"]);

    for bad in [
        "limit=0",
        "limit=1001",
        "limit=-1",
        "limit=ten",
        "channel=Not%20A%20Channel",
    ] {
        let r = send(&app, get(&format!("/api/v1/components/api/versions?{bad}"))).await;
        r.problem(400, "validation_failed");
    }
    send(&app, get("/api/v1/components/nope/versions"))
        .await
        .problem(404, "not_found");
}

async fn version_map_errors(store: Store) {
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
    let no_digest = send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "api", "tag": "v1.0.0"}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(no_digest.fields(), ["digest"]);
    let bad = send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "api", "tag": "-bad", "semver": "1.2", "channel": "UP", "digest": "sha256:ABC"}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(bad.fields(), ["tag", "semver", "channel", "digest"]);
    send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "nope", "tag": "v1", "digest": DIGEST_A}),
        ),
    )
    .await
    .problem(404, "not_found");
    let listed = send(&app, get("/api/v1/version-maps"))
        .await
        .expect(200)
        .body;
    assert_eq!(listed, json!([]), "failed creates store nothing");
}
