use actix_web::http::Method;
use actix_web::test::TestRequest;
use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::json;

use crate::app;
use crate::support::{TOKEN, get, post, req, send};

backend_tests!(
    bad_bodies,
    oversized_bodies,
    auth_is_required,
    unknown_routes_and_methods,
    nothing_a_client_sends_is_a_500
);

fn raw(method: Method, path: &str, body: &str) -> TestRequest {
    req(method, path, None)
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_owned())
}

async fn bad_bodies(store: Store) {
    let app = app!(store);
    send(&app, raw(Method::POST, "/api/v1/components", "{\"name\": "))
        .await
        .problem(400, "invalid_json");
    send(&app, raw(Method::POST, "/api/v1/components", ""))
        .await
        .problem(400, "invalid_json");
    let wrong_type = send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": 5, "imageRepository": "a/b"}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(wrong_type.fields(), ["name"]);
    let missing = send(&app, post("/api/v1/components", json!({"name": "api"})))
        .await
        .problem(400, "validation_failed");
    assert_eq!(missing.fields(), ["imageRepository"]);
    let unknown = send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "api", "imageRepository": "a/b", "nmae": 1}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(unknown.fields(), ["nmae"]);
    let nested = send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "api", "imageRepository": "a/b", "channelRules": [{"pattern": "("}]}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(nested.fields(), ["channelRules[0].channel"]);
    let rule = send(
        &app,
        post("/api/v1/components", json!({"name": "api", "imageRepository": "a/b", "channelRules": [{"pattern": "(", "channel": "x"}]})),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(rule.fields(), ["channelRules[0].pattern"]);
    let bad_uuid = send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "api", "imageRepository": "a/b", "registryIntegrationId": "x"}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(bad_uuid.fields(), ["registryIntegrationId"]);
    send(
        &app,
        req(Method::POST, "/api/v1/components", None).set_payload("{}"),
    )
    .await
    .problem(415, "unsupported_media_type");
    let text = req(Method::POST, "/api/v1/components", None)
        .insert_header(("content-type", "text/plain"))
        .set_payload("{}");
    send(&app, text)
        .await
        .problem(415, "unsupported_media_type");
    let list = send(&app, get("/api/v1/components")).await.expect(200).body;
    assert_eq!(list, json!([]), "nothing was created by any bad request");
}

async fn oversized_bodies(store: Store) {
    let app = app!(store, 1024);
    let big = json!({"name": "api", "imageRepository": "a/b", "displayName": "x".repeat(2000)});
    send(&app, post("/api/v1/components", big))
        .await
        .problem(413, "payload_too_large");
    let ok = json!({"name": "api", "imageRepository": "a/b", "displayName": "x".repeat(100)});
    send(&app, post("/api/v1/components", ok)).await.expect(201);
}

async fn auth_is_required(store: Store) {
    let app = app!(store);
    let none = TestRequest::get().uri("/api/v1/components");
    let r = send(&app, none).await.problem(401, "unauthenticated");
    assert_eq!(
        r.headers.get("www-authenticate").unwrap(),
        "Bearer realm=\"relman\""
    );
    let wrong = TestRequest::get()
        .uri("/api/v1/components")
        .insert_header(("authorization", "Bearer nope"));
    send(&app, wrong).await.problem(401, "unauthenticated");
    let basic = TestRequest::get()
        .uri("/api/v1/components")
        .insert_header(("authorization", format!("Basic {TOKEN}")));
    send(&app, basic).await.problem(401, "unauthenticated");
    // Authentication comes before the body is read: no token, no validation details.
    let unauth_post = TestRequest::post()
        .uri("/api/v1/components")
        .insert_header(("content-type", "application/json"))
        .set_payload("{");
    send(&app, unauth_post)
        .await
        .problem(401, "unauthenticated");
    for open in ["/healthz", "/readyz", "/openapi.json", "/docs"] {
        send(&app, TestRequest::get().uri(open)).await.expect(200);
    }
}

async fn unknown_routes_and_methods(store: Store) {
    let app = app!(store);
    send(&app, get("/api/v1/nothing-here"))
        .await
        .problem(404, "not_found");
    send(&app, get("/nowhere")).await.problem(404, "not_found");
    let r = send(&app, req(Method::PATCH, "/api/v1/components/api", None))
        .await
        .problem(405, "method_not_allowed");
    assert_eq!(r.headers.get("allow").unwrap(), "GET, PUT, DELETE");
    let r = send(&app, req(Method::DELETE, "/api/v1/components", None))
        .await
        .problem(405, "method_not_allowed");
    assert_eq!(r.headers.get("allow").unwrap(), "GET, POST");
    send(&app, req(Method::POST, "/healthz", None))
        .await
        .problem(405, "method_not_allowed");
}

/// A sweep of hostile inputs over every mutating route: each gets a 4xx problem, never a 5xx.
async fn nothing_a_client_sends_is_a_500(store: Store) {
    let app = app!(store);
    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "api", "imageRepository": "a/b"}),
        ),
    )
    .await
    .expect(201);
    let bodies = [
        "null",
        "[]",
        "\"x\"",
        "1e999",
        "{\"name\": null}",
        "{\"name\": \"\\u0000\"}",
        "{\"name\": {\"$gt\": 1}}",
        "{\"name\": \"a\", \"imageRepository\": \"a/b\", \"tagPattern\": \"(?<\"}",
        "{\"componentId\": \"api\", \"tag\": \"x\", \"digest\": \"sha256:\"}",
        "{\"componentId\": [], \"tag\": 1}",
        "{\"displayName\": \"\"}",
        "{\"name\": \"Robert'); DROP TABLE components;--\"}",
        "\u{feff}{}",
        "{\"a\":",
        "{\"channelRules\": {\"pattern\": 1}}",
    ];
    let routes = [
        (Method::POST, "/api/v1/components"),
        (Method::PUT, "/api/v1/components/api"),
        (Method::POST, "/api/v1/version-maps"),
    ];
    for (method, path) in routes {
        for body in bodies {
            let r = send(&app, raw(method.clone(), path, body)).await;
            assert!(
                r.status.is_client_error(),
                "{method} {path} {body:?} → {}",
                r.status
            );
            assert_eq!(
                r.headers.get("content-type").unwrap(),
                "application/problem+json"
            );
        }
    }
    let queries = [
        "limit=99999999999999999999",
        "channel=",
        "channel=%ff",
        "limit=1&limit=2",
        "x=1",
    ];
    for q in queries {
        let r = send(&app, get(&format!("/api/v1/components/api/versions?{q}"))).await;
        assert!(r.status.is_client_error(), "{q} → {}", r.status);
    }
    // Paging at the edges of i64 is refused, never overflowed.
    for path in ["/api/v1/releases", "/api/v1/audit-events"] {
        for q in [
            "page=-9223372036854775808&pageSize=-9223372036854775808",
            "page=9223372036854775807&pageSize=100",
            "page=0",
            "pageSize=0",
        ] {
            let r = send(&app, get(&format!("{path}?{q}"))).await;
            r.problem(400, "validation_failed");
        }
    }
    send(&app, get("/api/v1/components/api")).await.expect(200);
}

/// docs/ERRORS.md lists exactly the catalogue: every code with its status, nothing else.
#[test]
fn the_error_doc_matches_the_catalogue() {
    use std::collections::BTreeSet;
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ERRORS.md"))
        .unwrap();
    let mut documented = BTreeSet::new();
    for line in doc.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Ok(status) = cells[1].parse::<u16>() else {
            continue;
        };
        for code in cells[2].split('`').skip(1).step_by(2) {
            documented.insert((status, code.to_owned()));
        }
    }
    let catalogue: BTreeSet<(u16, String)> = relman_http::error::ErrorCode::ALL
        .iter()
        .map(|c| (c.status(), c.as_str().to_owned()))
        .collect();
    let missing: Vec<_> = catalogue.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&catalogue).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "docs/ERRORS.md is out of step with relman_wire::ErrorCode: \
         missing from the doc {missing:?}; in the doc but not in the catalogue {unknown:?}"
    );
}
