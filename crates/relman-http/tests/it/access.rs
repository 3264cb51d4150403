//! Deny by default, proved from the document: every operation the OpenAPI document lists is
//! called with no token, a token one scope too low and a token of the right scope, and must answer
//! 401, 403 and neither; tokens are shown once, stored hashed, and revoked at once.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::{Value, json};

use crate::app;
use crate::support::{TOKEN, get, post, req, send};

backend_tests!(
    every_operation_enforces_the_scope_its_document_states,
    tokens_are_shown_once_and_revoked_at_once,
    rate_limited_tokens_get_429_with_retry_after,
    protected_releases_need_an_admin_to_deprecate_or_delete
);

/// The scope the document says an operation needs: `None` for `security: []`.
fn documented_scope(op: &Value) -> Option<String> {
    let security = op["security"]
        .as_array()
        .unwrap_or_else(|| panic!("no security on {op}"));
    let first = security.first()?;
    let scopes = first["bearer"].as_array().expect("bearer security");
    assert_eq!(scopes.len(), 1, "one scope per operation: {op}");
    Some(scopes[0].as_str().unwrap().to_owned())
}

fn call(method: &str, path: &str, has_body: bool, token: Option<&str>) -> TestRequest {
    let mut r = TestRequest::default()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(path);
    if let Some(t) = token {
        r = r.insert_header(("authorization", format!("Bearer {t}")));
    }
    if has_body {
        r = r
            .insert_header(("content-type", "application/json"))
            .set_payload("{}");
    }
    r
}

async fn every_operation_enforces_the_scope_its_document_states(store: Store) {
    let app = app!(store);
    let mut secrets = std::collections::HashMap::new();
    for scope in ["read", "write"] {
        let created = send(
            &app,
            post("/api/v1/tokens", json!({"name": scope, "scopes": [scope]})),
        )
        .await
        .expect(201);
        secrets.insert(scope, created.body["secret"].as_str().unwrap().to_owned());
    }
    let weaker = |scope: &str| match scope {
        "write" => Some(secrets["read"].clone()),
        "admin" => Some(secrets["write"].clone()),
        _ => None,
    };
    let right = |scope: &str| match scope {
        "read" | "write" => secrets[scope].clone(),
        _ => TOKEN.to_owned(),
    };
    let doc = serde_json::to_value(relman_http::openapi()).unwrap();
    let mut checked = 0;
    let param = regex::Regex::new(r"\{[^}]+\}").unwrap();
    for (template, item) in doc["paths"].as_object().unwrap() {
        // Any value fits a path parameter: authorization comes before the handler looks.
        let path = param
            .replace_all(template, "00000000-0000-7000-8000-000000000000")
            .into_owned();
        for (method, op) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let has_body = op.get("requestBody").is_some();
            let what = format!("{method} {template}");
            let Some(scope) = documented_scope(op) else {
                // Registries' push notifications carry their integration's event secret instead.
                assert!(
                    !template.starts_with("/api/v1/")
                        || relman_http::access::PUBLIC_PATHS.contains(&template.as_str()),
                    "{what}: an API operation is documented public"
                );
                let reply = send(&app, call(&method, &path, has_body, None)).await;
                assert_ne!(reply.status.as_u16(), 401, "{what} is documented public");
                continue;
            };
            // `/metrics` is the one operation outside /api/v1 that needs a token, unless the
            // operator opens it (tests/it/metrics.rs covers that switch).
            assert!(
                template.starts_with("/api/v1/") || template == "/metrics",
                "{what} needs a token outside /api/v1"
            );
            let reply = send(&app, call(&method, &path, has_body, None)).await;
            let reply = reply.problem(401, "unauthenticated");
            assert!(reply.headers.contains_key("www-authenticate"), "{what}");
            send(
                &app,
                call(&method, &path, has_body, Some("relman_pat_not-a-token")),
            )
            .await
            .problem(401, "unauthenticated");
            if let Some(low) = weaker(&scope) {
                send(&app, call(&method, &path, has_body, Some(&low)))
                    .await
                    .problem(403, "forbidden");
            }
            let reply = send(&app, call(&method, &path, has_body, Some(&right(&scope)))).await;
            assert!(
                ![401, 403].contains(&reply.status.as_u16()),
                "{what} with a {scope} token: {}",
                String::from_utf8_lossy(&reply.raw)
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} operations checked");
    // Refusals are audited without the secret.
    let refused = send(
        &app,
        get("/api/v1/audit-events?action=auth.refused&pageSize=100"),
    )
    .await
    .expect(200)
    .body;
    let text = refused.to_string();
    assert!(
        refused["meta"]["totalCount"].as_u64().unwrap() > 40,
        "{text}"
    );
    assert!(text.contains("needs the admin scope") && text.contains("no bearer token"));
    for secret in secrets.values() {
        assert!(
            !text.contains(secret.as_str()),
            "a secret reached the audit trail"
        );
    }
}

async fn tokens_are_shown_once_and_revoked_at_once(store: Store) {
    let app = app!(store);
    let created = send(
        &app,
        post(
            "/api/v1/tokens",
            json!({"name": "ci", "scopes": ["write"], "expiresAt": "2099-01-01T00:00:00Z"}),
        ),
    )
    .await
    .expect(201);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("relman_pat_"), "{secret}");
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.headers.get("location").unwrap(),
        &format!("/api/v1/tokens/{id}")
    );
    assert_eq!(created.body["createdBy"], "admin");
    // Listed and read without the secret.
    for reply in [
        send(&app, get("/api/v1/tokens")).await.expect(200),
        send(&app, get(&format!("/api/v1/tokens/{id}")))
            .await
            .expect(200),
    ] {
        assert!(!reply.body.to_string().contains(&secret));
        assert!(!String::from_utf8_lossy(&reply.raw).contains("secret"));
    }
    // The token works, and what it does is recorded under its name and id.
    let use_it = |method: Method, path: &str, body: Option<Value>| {
        let mut r = req(method, path, body);
        r = r.insert_header(("authorization", format!("Bearer {secret}")));
        r
    };
    send(
        &app,
        use_it(
            Method::POST,
            "/api/v1/components",
            Some(json!({"name": "api", "imageRepository": "myorg/api"})),
        ),
    )
    .await
    .expect(201);
    let events = send(&app, get("/api/v1/audit-events?action=component.create"))
        .await
        .expect(200)
        .body;
    assert_eq!(events["data"][0]["actor"], format!("token:ci:{id}"));
    let used = send(&app, get(&format!("/api/v1/tokens/{id}")))
        .await
        .expect(200);
    assert!(used.body["lastUsedAt"].is_string(), "{}", used.body);
    // Bad input.
    for body in [
        json!({"name": "x", "scopes": []}),
        json!({"name": "x", "scopes": ["root"]}),
        json!({"name": "x", "scopes": ["read"], "expiresAt": "2001-01-01T00:00:00Z"}),
        json!({"name": "", "scopes": ["read"]}),
    ] {
        send(&app, post("/api/v1/tokens", body))
            .await
            .problem(400, "validation_failed");
    }
    send(
        &app,
        post("/api/v1/tokens", json!({"name": "ci", "scopes": ["read"]})),
    )
    .await
    .problem(409, "name_exists");
    // Revoked: 401 at once, audited; the name is free again.
    send(
        &app,
        req(Method::DELETE, &format!("/api/v1/tokens/{id}"), None),
    )
    .await
    .expect(204);
    send(&app, use_it(Method::GET, "/api/v1/components", None))
        .await
        .problem(401, "unauthenticated");
    let refused = send(&app, get("/api/v1/audit-events?action=auth.refused"))
        .await
        .expect(200)
        .body;
    assert!(refused.to_string().contains("revoked token"), "{refused}");
    assert_eq!(refused["data"][0]["actor"], format!("token:ci:{id}"));
    send(
        &app,
        req(Method::DELETE, &format!("/api/v1/tokens/{id}"), None),
    )
    .await
    .problem(404, "not_found");
    send(
        &app,
        post("/api/v1/tokens", json!({"name": "ci", "scopes": ["read"]})),
    )
    .await
    .expect(201);
}

async fn rate_limited_tokens_get_429_with_retry_after(store: Store) {
    let app = app!(store);
    let created = send(
        &app,
        post(
            "/api/v1/tokens",
            json!({"name": "slow", "scopes": ["read"], "requestsPerSecond": 0.5}),
        ),
    )
    .await
    .expect(201);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    let list = || {
        TestRequest::get()
            .uri("/api/v1/components")
            .insert_header(("authorization", format!("Bearer {secret}")))
    };
    let first = send(&app, list()).await.expect(200);
    assert_eq!(first.headers.get("x-ratelimit-limit").unwrap(), "1");
    assert_eq!(first.headers.get("x-ratelimit-remaining").unwrap(), "0");
    let second = send(&app, list()).await.problem(429, "rate_limited");
    let retry: u64 = second
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "retry after {retry}");
    assert!(second.headers.contains_key("ratelimit"));
    // The admin token has no limit.
    for _ in 0..5 {
        send(&app, get("/api/v1/components")).await.expect(200);
    }
}

/// With `prod-*` protected, a write token may deprecate or delete other releases but not those;
/// the admin token may.
async fn protected_releases_need_an_admin_to_deprecate_or_delete(store: Store) {
    use crate::release_fixtures::{release_body, world};
    let service = relman_service::Service::new(store).with_protected_releases(
        relman_domain::ProtectedReleases::new(vec!["prod-*".into()]).unwrap(),
    );
    let app = actix_web::test::init_service(relman_http::app(relman_http::AppState::new(
        service,
        relman_http::Authenticator::with_admin_token(TOKEN),
        &relman_http::HttpSettings::default(),
    )))
    .await;
    world(&app).await;
    for name in ["prod-1", "prod-2", "prod-3", "dev-1"] {
        send(&app, post("/api/v1/releases", release_body(name, "2.3.0")))
            .await
            .expect(201);
    }
    let writer = send(
        &app,
        post("/api/v1/tokens", json!({"name": "w", "scopes": ["write"]})),
    )
    .await
    .expect(201)
    .body["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let as_writer = |method: Method, path: &str, body: Option<Value>| {
        req(method, path, body).insert_header(("authorization", format!("Bearer {writer}")))
    };
    let refused = send(
        &app,
        as_writer(Method::POST, "/api/v1/releases/prod-1/deprecate", None),
    )
    .await
    .problem(403, "forbidden");
    assert!(refused.body["detail"].as_str().unwrap().contains("prod-*"));
    send(
        &app,
        as_writer(
            Method::PUT,
            "/api/v1/releases/prod-1",
            Some(json!({"status": "deprecated"})),
        ),
    )
    .await
    .problem(403, "forbidden");
    send(
        &app,
        as_writer(Method::DELETE, "/api/v1/releases/prod-2", None),
    )
    .await
    .problem(403, "forbidden");
    // Other changes to a protected release, and anything on an unprotected one, are fine.
    send(
        &app,
        as_writer(
            Method::PUT,
            "/api/v1/releases/prod-1",
            Some(json!({"notes": "hi"})),
        ),
    )
    .await
    .expect(200);
    send(
        &app,
        as_writer(Method::POST, "/api/v1/releases/dev-1/deprecate", None),
    )
    .await
    .expect(200);
    // The admin may.
    send(&app, post("/api/v1/releases/prod-1/deprecate", json!({})))
        .await
        .expect(200);
    send(&app, req(Method::DELETE, "/api/v1/releases/prod-2", None))
        .await
        .expect(204);
}
