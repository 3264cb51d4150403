//! `/updates/v1/` feeds, yank and unyank, `includeGone`, and aliases over HTTP: seed 004's
//! shapes, strong tags and 304s, public by default and private when configured.

use actix_web::test::TestRequest;
use relman_http::{AppState, Authenticator, HttpSettings};
use relman_service::Service;
use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::{Value, json};

use crate::app;
use crate::support::{TOKEN, component, get, post, put, send};

backend_tests!(
    feeds_follow_yanks_with_strong_tags,
    feeds_can_require_a_token
);

fn digest(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

/// An anonymous GET: the feeds need no token by default.
fn anonymous(path: &str) -> TestRequest {
    TestRequest::get().uri(path)
}

async fn map<S, B>(app: &S, tag: &str, n: u8)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let body = json!({"componentId": "api", "tag": tag, "digest": digest(n)});
    send(app, post("/api/v1/version-maps", body))
        .await
        .expect(201);
}

trait HeaderText {
    fn header(&self, name: &str) -> &str;
}

impl HeaderText for crate::support::Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
    }
}

async fn feeds_follow_yanks_with_strong_tags(store: Store) {
    let app = app!(store);
    component(&app).await;
    for (i, tag) in ["v1.9.3", "v2.2.0", "v2.3.0", "v2.3.1-rc.1", "v2.3.1"]
        .into_iter()
        .enumerate()
    {
        map(&app, tag, i as u8).await;
    }
    let latest = send(&app, anonymous("/updates/v1/latest/api.json"))
        .await
        .expect(200);
    assert_eq!(
        latest.body,
        json!({"version": "v2.3.1", "tag": "v2.3.1", "digest": digest(4)})
    );
    assert_eq!(latest.header("cache-control"), "public, max-age=60");
    assert_eq!(latest.header("content-type"), "application/json");
    let etag = latest.header("etag").to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    for (path, want) in [
        ("/updates/v1/major/v2/api.json", json!(["v2.2", "v2.3"])),
        ("/updates/v1/major/1/api.json", json!(["v1.9"])),
        (
            "/updates/v1/minor/v2.3/api.json",
            json!(["v2.3.0", "v2.3.1"]),
        ),
    ] {
        let r = send(&app, anonymous(path)).await.expect(200);
        assert_eq!(r.body, json!({"versions": want}), "{path}");
    }

    // Unchanged: 304 without a body, the tag and caching kept.
    let again = send(
        &app,
        anonymous("/updates/v1/latest/api.json").insert_header(("if-none-match", etag.as_str())),
    )
    .await
    .expect(304);
    assert!(again.raw.is_empty());
    assert_eq!(again.header("etag"), etag);
    assert_eq!(again.header("cache-control"), "public, max-age=60");

    // Yank the latest: everything falls back, the old tag no longer matches.
    let yanked = send(
        &app,
        post(
            "/api/v1/components/api/versions/v2.3.1/yank",
            json!({"reason": "broken TLS"}),
        ),
    )
    .await
    .expect(200);
    assert_eq!(yanked.body["yanked"], true);
    assert_eq!(yanked.body["yankReason"], "broken TLS");
    assert!(yanked.body["yankedAt"].is_string());
    let after = send(
        &app,
        anonymous("/updates/v1/latest/api.json").insert_header(("if-none-match", etag.as_str())),
    )
    .await
    .expect(200);
    assert_eq!(after.body["version"], "v2.3.0");
    assert_ne!(after.header("etag"), etag);
    let minor = send(&app, anonymous("/updates/v1/minor/v2.3/api.json"))
        .await
        .expect(200);
    assert_eq!(minor.body, json!({"versions": ["v2.3.0"]}));
    let aliases = send(&app, get("/api/v1/components/api/aliases"))
        .await
        .expect(200);
    assert_eq!(
        aliases.body[0],
        json!({"alias": "latest", "tag": "v2.3.0", "digest": digest(2)})
    );
    let versions = send(&app, get("/api/v1/components/api/versions"))
        .await
        .expect(200);
    let listed: Vec<(&str, bool)> = versions
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["tag"].as_str().unwrap(), v["yanked"].as_bool().unwrap()))
        .collect();
    assert!(listed.contains(&("v2.3.1", true)), "{listed:?}");
    assert!(listed.contains(&("v2.3.0", false)), "{listed:?}");
    // The body may be omitted; unyank brings it back.
    send(
        &app,
        TestRequest::post()
            .uri("/api/v1/components/api/versions/v2.3.0/yank")
            .insert_header(("authorization", format!("Bearer {TOKEN}"))),
    )
    .await
    .expect(200);
    send(
        &app,
        post("/api/v1/components/api/versions/v2.3.1/unyank", json!({})),
    )
    .await
    .expect(200);
    let back = send(&app, anonymous("/updates/v1/latest/api.json"))
        .await
        .expect(200);
    assert_eq!(back.body["version"], "v2.3.1");
    assert_eq!(back.header("etag"), etag, "same bytes, same tag");

    // `latestAlias: unmanaged` drops `latest` from the aliases.
    let c = send(
        &app,
        put(
            "/api/v1/components/api",
            json!({"latestAlias": "unmanaged"}),
        ),
    )
    .await
    .expect(200);
    assert_eq!(c.body["latestAlias"], "unmanaged");
    let aliases = send(&app, get("/api/v1/components/api/aliases"))
        .await
        .expect(200);
    assert_eq!(aliases.body[0]["alias"], "v2");

    // `includeGone` is accepted (and a non-boolean refused).
    send(
        &app,
        get("/api/v1/components/api/versions?includeGone=true"),
    )
    .await
    .expect(200);
    send(
        &app,
        get("/api/v1/components/api/versions?includeGone=maybe"),
    )
    .await
    .problem(400, "validation_failed");

    // Unknown things are 404, malformed ones 400.
    for path in [
        "/updates/v1/latest/nope.json",
        "/updates/v1/major/v9/api.json",
        "/updates/v1/minor/v2.9/api.json",
    ] {
        send(&app, anonymous(path)).await.problem(404, "not_found");
    }
    for path in [
        "/updates/v1/major/x/api.json",
        "/updates/v1/minor/v2/api.json",
        "/updates/v1/latest/Not_A_Name.json",
    ] {
        send(&app, anonymous(path))
            .await
            .problem(400, "validation_failed");
    }
    for (path, body) in [
        ("/api/v1/components/api/versions/v9.9.9/yank", json!({})),
        ("/api/v1/components/nope/versions/v2.3.0/yank", json!({})),
    ] {
        send(&app, post(path, body)).await.problem(404, "not_found");
    }
    let bad: Value = json!({"reason": 7});
    send(
        &app,
        post("/api/v1/components/api/versions/v2.3.0/yank", bad),
    )
    .await
    .problem(400, "validation_failed");
    send(
        &app,
        post(
            "/api/v1/components/api/versions/v2.3.0/yank",
            json!({"reason": "x".repeat(501)}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    // A yank needs `write`; a component without an integration cannot apply aliases.
    send(
        &app,
        post(
            "/api/v1/components/api/aliases/apply",
            json!({"dryRun": true}),
        ),
    )
    .await
    .problem(422, "no_registry_integration");
}

async fn feeds_can_require_a_token(store: Store) {
    let state = AppState::new(
        Service::new(store),
        Authenticator::with_admin_token(TOKEN),
        &HttpSettings {
            feeds_public: false,
            ..HttpSettings::default()
        },
    );
    let app = actix_web::test::init_service(relman_http::app(state)).await;
    component(&app).await;
    map(&app, "v1.0.0", 1).await;
    send(&app, anonymous("/updates/v1/latest/api.json"))
        .await
        .problem(401, "unauthenticated");
    let r = send(&app, get("/updates/v1/latest/api.json"))
        .await
        .expect(200);
    assert_eq!(r.body["version"], "v1.0.0");
    assert_eq!(r.header("cache-control"), "private, max-age=60");
}
