//! Version-list pages and release-list totals are held briefly in memory; every write through
//! the API must be visible in the very next read.

use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::json;

use crate::app;
use crate::support::{component, get, post, req, send};

backend_tests!(
    a_version_write_shows_in_the_next_list,
    a_release_write_shows_in_the_next_total
);

async fn a_version_write_shows_in_the_next_list(store: Store) {
    let app = app!(store);
    component(&app).await;
    let path = "/api/v1/components/api/versions?limit=10";
    let empty = send(&app, get(path)).await.expect(200);
    assert_eq!(empty.body, json!([]));
    // Read twice so the second answer comes from memory, then write.
    send(&app, get(path)).await.expect(200);
    let digest = format!("sha256:{}", "a".repeat(64));
    send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "api", "tag": "v1.0.0", "digest": digest}),
        ),
    )
    .await
    .expect(201);
    let listed = send(&app, get(path)).await.expect(200);
    assert_eq!(listed.body.as_array().unwrap().len(), 1, "{}", listed.body);
    assert_eq!(listed.body[0]["tag"], "v1.0.0");

    // A rename changes what the old key answers at once.
    send(
        &app,
        req(
            actix_web::http::Method::PUT,
            "/api/v1/components/api",
            Some(json!({"name": "api2"})),
        ),
    )
    .await
    .expect(200);
    send(&app, get(path)).await.problem(404, "not_found");
}

async fn a_release_write_shows_in_the_next_total(store: Store) {
    let app = app!(store);
    component(&app).await;
    let digest = format!("sha256:{}", "b".repeat(64));
    send(
        &app,
        post(
            "/api/v1/version-maps",
            json!({"componentId": "api", "tag": "v1.0.0", "digest": digest}),
        ),
    )
    .await
    .expect(201);
    let path = "/api/v1/releases?componentId=api";
    let total = |reply: &crate::support::Reply| reply.body["meta"]["totalCount"].clone();
    assert_eq!(total(&send(&app, get(path)).await.expect(200)), json!(0));
    assert_eq!(total(&send(&app, get(path)).await.expect(200)), json!(0));
    let created = send(
        &app,
        post(
            "/api/v1/releases",
            json!({"name": "r1", "components": [{"componentId": "api"}]}),
        ),
    )
    .await
    .expect(201);
    assert_eq!(total(&send(&app, get(path)).await.expect(200)), json!(1));
    let ready = format!("{path}&status=ready");
    assert_eq!(total(&send(&app, get(&ready)).await.expect(200)), json!(0));
    let id = created.body["id"].as_str().unwrap().to_owned();
    send(
        &app,
        req(
            actix_web::http::Method::PUT,
            &format!("/api/v1/releases/{id}"),
            Some(json!({"status": "ready"})),
        ),
    )
    .await
    .expect(200);
    assert_eq!(total(&send(&app, get(&ready)).await.expect(200)), json!(1));
}
