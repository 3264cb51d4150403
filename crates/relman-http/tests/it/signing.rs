//! The signing routes over HTTP: keys, attestation of a draft and of a released release,
//! rotation, attachments, and the refusals (`not_signed`, `not_found`, `member_collision`).

use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::json;

use crate::app;
use crate::release_fixtures::{release_body, world};
use crate::support::{get, post, put, send};

backend_tests!(attestation_and_keys_over_http, member_collision_over_http);

async fn attestation_and_keys_over_http(store: Store) {
    let app = app!(store);
    world(&app).await;
    send(&app, get("/api/v1/releases/no-such/attestation"))
        .await
        .problem(404, "not_found");
    send(&app, post("/api/v1/releases", release_body("r1", "2.3.0")))
        .await
        .expect(201);
    send(&app, get("/api/v1/releases/r1/attestation"))
        .await
        .problem(404, "not_signed");
    send(&app, put("/api/v1/releases/r1", json!({"status": "ready"})))
        .await
        .expect(200);
    let reply = send(&app, get("/api/v1/releases/r1/attestation"))
        .await
        .expect(200);
    assert_eq!(
        reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(reply.body["payloadType"], "application/vnd.in-toto+json");
    let signed_by = reply.body["signatures"][0]["keyid"].clone();
    // Served byte for byte as stored: a second read is the same bytes.
    let again = send(&app, get("/api/v1/releases/r1/attestation")).await;
    assert_eq!(again.raw, reply.raw);

    let keys = send(&app, get("/api/v1/signing-keys"))
        .await
        .expect(200)
        .body;
    assert_eq!(keys.as_array().map(Vec::len), Some(1), "{keys}");
    assert_eq!(keys[0]["keyid"], signed_by);
    assert_eq!(keys[0]["status"], "active");
    assert_eq!(keys[0]["retiredAt"], serde_json::Value::Null);
    assert!(
        keys[0]["publicKey"]
            .as_str()
            .is_some_and(|p| p.starts_with("-----BEGIN PUBLIC KEY-----")),
        "{keys}"
    );
    let rotated = send(&app, post("/api/v1/signing-keys/rotate", json!({})))
        .await
        .expect(201)
        .body;
    assert_ne!(rotated["keyid"], signed_by);
    let keys = send(&app, get("/api/v1/signing-keys"))
        .await
        .expect(200)
        .body;
    assert_eq!(keys[0]["keyid"], rotated["keyid"]);
    assert_eq!(keys[1]["keyid"], signed_by);
    assert_eq!(keys[1]["status"], "retired");

    // No registry takes attachments here: the list is empty and a push has nothing to do.
    let list = send(&app, get("/api/v1/releases/r1/attachments"))
        .await
        .expect(200)
        .body;
    assert_eq!(list, json!([]));
    send(
        &app,
        post("/api/v1/releases/r1/attachments/push", json!({})),
    )
    .await
    .expect(200);
    send(&app, get("/api/v1/releases/no-such/attachments"))
        .await
        .problem(404, "not_found");
}

async fn member_collision_over_http(store: Store) {
    let app = app!(store);
    world(&app).await;
    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "api-mirror", "imageRepository": "myorg/api"}),
        ),
    )
    .await
    .expect(201);
    let body = json!({"name": "clash", "components": [
        {"componentId": "api", "version": "2.3.0"},
        {"componentId": "api-mirror"}
    ]});
    let reply = send(&app, post("/api/v1/releases", body))
        .await
        .problem(400, "member_collision");
    assert_eq!(reply.fields(), vec!["components[1].componentId".to_owned()]);
}
