use actix_web::http::Method;
use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::json;

use crate::app;
use crate::support::{get, post, put, req, send};

backend_tests!(
    crud_never_echoes_secrets,
    integration_errors,
    in_use_integration_is_kept
);

async fn crud_never_echoes_secrets(store: Store) {
    let app = app!(store);
    let created = send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "ghcr", "url": "https://ghcr.io/", "auth": {"type": "basic", "username": "ci", "password": "s3cr3t-pw"}, "maxConcurrency": 4}),
        ),
    )
    .await
    .expect(201);
    assert!(!String::from_utf8_lossy(&created.raw).contains("s3cr3t-pw"));
    let body = created.body;
    assert_eq!(body["hasCredentials"], true);
    assert_eq!(body["authType"], "basic");
    assert_eq!(body["username"], "ci");
    assert_eq!(body["url"], "https://ghcr.io", "trailing slash dropped");
    assert_eq!(body["maxConcurrency"], 4);

    let token = send(
        &app,
        put(
            "/api/v1/registry-integrations/ghcr",
            json!({"auth": {"type": "bearer", "token": "tok-s3cr3t"}, "maxConcurrency": null}),
        ),
    )
    .await
    .expect(200);
    assert!(!String::from_utf8_lossy(&token.raw).contains("tok-s3cr3t"));
    assert_eq!(token.body["authType"], "bearer");
    assert_eq!(token.body["username"], json!(null));
    assert_eq!(token.body["maxConcurrency"], json!(null));

    for path in [
        "/api/v1/registry-integrations",
        "/api/v1/registry-integrations/ghcr",
    ] {
        let r = send(&app, get(path)).await.expect(200);
        let text = String::from_utf8_lossy(&r.raw);
        assert!(!text.contains("s3cr3t"), "{path} leaks a secret: {text}");
    }
    let id = body["id"].as_str().unwrap();
    send(&app, get(&format!("/api/v1/registry-integrations/{id}")))
        .await
        .expect(200);
    send(
        &app,
        req(Method::DELETE, "/api/v1/registry-integrations/ghcr", None),
    )
    .await
    .expect(204);
    send(&app, get("/api/v1/registry-integrations/ghcr"))
        .await
        .problem(404, "not_found");
}

async fn integration_errors(store: Store) {
    let app = app!(store);
    let insecure = send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "local", "url": "http://127.0.0.1:5000"}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(insecure.fields(), ["url"]);
    send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "local", "url": "http://127.0.0.1:5000", "insecure": true}),
        ),
    )
    .await
    .expect(201);
    send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "local", "url": "https://x.example"}),
        ),
    )
    .await
    .problem(409, "name_exists");
    let bad_auth = send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "b", "url": "https://x.example", "auth": {"type": "kerberos"}}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(bad_auth.fields(), ["auth.type"]);
    let empty = send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "b", "url": "https://x.example", "auth": {"type": "basic", "username": "", "password": ""}, "maxConcurrency": 0}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(
        empty.fields(),
        ["maxConcurrency", "auth.username", "auth.password"]
    );
    let leaked = send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "c", "url": "https://x.example", "auth": {"type": "bearer", "token": "leak-me", "extra": 1}}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert!(
        !String::from_utf8_lossy(&leaked.raw).contains("leak-me"),
        "errors never echo secrets"
    );
    send(&app, put("/api/v1/registry-integrations/nope", json!({})))
        .await
        .problem(404, "not_found");
    let stray = send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "d", "url": "https://x.example", "auth": {"type": "none", "token": "stray"}}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(stray.fields(), ["auth"]);
    assert!(
        stray.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("token")
    );
}

async fn in_use_integration_is_kept(store: Store) {
    let app = app!(store);
    let i = send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "hub", "url": "https://r.example"}),
        ),
    )
    .await
    .expect(201)
    .body;
    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "api", "imageRepository": "a/api", "registryIntegrationId": i["id"]}),
        ),
    )
    .await
    .expect(201);
    send(
        &app,
        req(Method::DELETE, "/api/v1/registry-integrations/hub", None),
    )
    .await
    .problem(409, "in_use");
    send(
        &app,
        put(
            "/api/v1/components/api",
            json!({"registryIntegrationId": null}),
        ),
    )
    .await
    .expect(200);
    send(
        &app,
        req(Method::DELETE, "/api/v1/registry-integrations/hub", None),
    )
    .await
    .expect(204);
}
