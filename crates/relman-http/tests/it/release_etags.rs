//! `ETag` and `If-None-Match` on release reads, and that a change is served at once.

use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::json;

use crate::app;
use crate::release_fixtures::{release_body, world};
use crate::support::{get, post, put, send};

backend_tests!(
    etag_is_strong_and_stable,
    if_none_match_answers_304,
    a_change_is_a_new_etag_at_once,
    drafts_are_read_fresh
);

/// Creates the release `body` describes and moves it to `ready`; returns the created release.
async fn ready<S, B>(app: &S, body: serde_json::Value) -> serde_json::Value
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let name = body["name"].as_str().unwrap().to_owned();
    let created = send(app, post("/api/v1/releases", body))
        .await
        .expect(201)
        .body;
    send(
        app,
        put(
            &format!("/api/v1/releases/{name}"),
            json!({"status": "ready"}),
        ),
    )
    .await
    .expect(200);
    created
}

/// The `ETag` of a reply, as text.
fn etag(reply: &crate::support::Reply) -> String {
    reply
        .headers
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

/// `GET` with `If-None-Match: <tags>`.
fn get_if_none_match(path: &str, tags: &str) -> actix_web::test::TestRequest {
    get(path).insert_header(("if-none-match", tags))
}

async fn etag_is_strong_and_stable(store: Store) {
    let app = app!(store);
    world(&app).await;
    let created = send(&app, post("/api/v1/releases", release_body("r1", "2.3.0")))
        .await
        .expect(201)
        .body;
    send(&app, put("/api/v1/releases/r1", json!({"status": "ready"})))
        .await
        .expect(200);
    let first = send(&app, get("/api/v1/releases/r1")).await.expect(200);
    let tag = first
        .headers
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(tag.starts_with('"') && tag.ends_with('"'), "strong: {tag}");
    assert_eq!(
        first.headers.get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(first.body["status"], "ready");
    let again = send(&app, get("/api/v1/releases/r1")).await.expect(200);
    assert_eq!(again.headers.get("etag").unwrap(), tag.as_str());
    assert_eq!(again.raw, first.raw, "same tag, same bytes");
    let id = created["id"].as_str().unwrap();
    let by_id = send(&app, get(&format!("/api/v1/releases/{id}")))
        .await
        .expect(200);
    assert_eq!(by_id.headers.get("etag").unwrap(), tag.as_str());
    let latest = send(&app, get("/api/v1/releases/latest")).await;
    // No release has a version, so none is the latest; the answer is still a plain 404.
    latest.problem(404, "not_found");
}

async fn if_none_match_answers_304(store: Store) {
    let app = app!(store);
    world(&app).await;
    let mut body = release_body("r1", "2.3.0");
    body["version"] = json!("1.0.0");
    ready(&app, body).await;
    let tag = etag(&send(&app, get("/api/v1/releases/r1")).await.expect(200));
    for tags in [
        tag.clone(),
        format!("\"other\", {tag}"),
        format!("W/{tag}"),
        "*".to_owned(),
    ] {
        let reply = send(&app, get_if_none_match("/api/v1/releases/r1", &tags))
            .await
            .expect(304);
        assert!(reply.raw.is_empty(), "{tags}: no body");
        assert_eq!(reply.headers.get("etag").unwrap(), tag.as_str(), "{tags}");
    }
    let other = send(&app, get_if_none_match("/api/v1/releases/r1", "\"other\""))
        .await
        .expect(200);
    assert_eq!(other.body["name"], "r1");
    // The latest release is the same representation, with the same tag.
    let latest = send(&app, get("/api/v1/releases/latest")).await.expect(200);
    assert_eq!(latest.headers.get("etag").unwrap(), tag.as_str());
    send(&app, get_if_none_match("/api/v1/releases/latest", &tag))
        .await
        .expect(304);
    // An unknown release is a 404 whatever the client holds.
    send(&app, get_if_none_match("/api/v1/releases/nope", "*"))
        .await
        .problem(404, "not_found");
}

async fn a_change_is_a_new_etag_at_once(store: Store) {
    let app = app!(store);
    world(&app).await;
    ready(&app, release_body("r1", "2.3.0")).await;
    let before = send(&app, get("/api/v1/releases/r1")).await.expect(200);
    let old_tag = before.headers.get("etag").unwrap().clone();
    send(
        &app,
        put("/api/v1/releases/r1", json!({"notes": "Changelog"})),
    )
    .await
    .expect(200);
    let after = send(
        &app,
        get_if_none_match("/api/v1/releases/r1", old_tag.to_str().unwrap()),
    )
    .await
    .expect(200);
    assert_eq!(after.body["notes"], "Changelog");
    let new_tag = after.headers.get("etag").unwrap().clone();
    assert_ne!(new_tag, old_tag);
    send(
        &app,
        post(
            "/api/v1/releases/r1/deprecate",
            json!({"reason": "superseded"}),
        ),
    )
    .await
    .expect(200);
    let deprecated = send(&app, get("/api/v1/releases/r1")).await.expect(200);
    assert_eq!(deprecated.body["status"], "deprecated");
    assert_eq!(deprecated.body["deprecatedReason"], "superseded");
    assert_ne!(deprecated.headers.get("etag").unwrap(), &new_tag);
    send(
        &app,
        actix_web::test::TestRequest::default()
            .method(actix_web::http::Method::DELETE)
            .uri("/api/v1/releases/r1")
            .insert_header(("authorization", format!("Bearer {}", crate::support::TOKEN))),
    )
    .await
    .expect(204);
    send(&app, get("/api/v1/releases/r1"))
        .await
        .problem(404, "not_found");
}

async fn drafts_are_read_fresh(store: Store) {
    let app = app!(store);
    world(&app).await;
    send(&app, post("/api/v1/releases", release_body("d1", "2.3.0")))
        .await
        .expect(201);
    let first = send(&app, get("/api/v1/releases/d1")).await.expect(200);
    let tag = first.headers.get("etag").unwrap().clone();
    send(
        &app,
        put(
            "/api/v1/releases/d1",
            json!({"components": [{"componentId": "api", "version": "2.3.1"}]}),
        ),
    )
    .await
    .expect(200);
    let changed = send(
        &app,
        get_if_none_match("/api/v1/releases/d1", tag.to_str().unwrap()),
    )
    .await
    .expect(200);
    assert_eq!(changed.body["components"][0]["version"], "2.3.1");
    assert_eq!(changed.body["components"].as_array().unwrap().len(), 1);
    assert_ne!(changed.headers.get("etag").unwrap(), &tag);
}
