use actix_web::test::TestRequest;
use relman_storage::Store;
use relman_test_support::backend_tests;

use crate::app;
use crate::support::{get, send};

backend_tests!(
    health_readiness_and_documents,
    request_ids,
    problem_media_types
);

async fn health_readiness_and_documents(store: Store) {
    let app = app!(store);
    assert_eq!(
        send(&app, TestRequest::get().uri("/healthz"))
            .await
            .expect(200)
            .body["status"],
        "ok"
    );
    assert_eq!(
        send(&app, TestRequest::get().uri("/readyz"))
            .await
            .expect(200)
            .body["status"],
        "ok"
    );
    let spec = send(&app, TestRequest::get().uri("/openapi.json"))
        .await
        .expect(200)
        .body;
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/v1/components/{id}/versions"]["get"].is_object());
    let page = send(&app, TestRequest::get().uri("/docs"))
        .await
        .expect(200);
    let html = String::from_utf8(page.raw).unwrap();
    assert!(
        page.headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.contains("/api/v1/version-maps") && html.contains("CreateComponentRequest"));
    // Air-gapped: the page loads nothing from anywhere.
    for external in ["<script", "<link", "src=", "href=\"http", "url("] {
        assert!(
            !html.contains(external),
            "the reference page references {external}"
        );
    }
}

async fn request_ids(store: Store) {
    let app = app!(store);
    let given = send(
        &app,
        get("/api/v1/components").insert_header(("x-request-id", "abc-123")),
    )
    .await
    .expect(200);
    assert_eq!(given.headers.get("x-request-id").unwrap(), "abc-123");
    let generated = send(&app, get("/api/v1/components")).await.expect(200);
    let id = generated
        .headers
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    let hostile = send(
        &app,
        get("/api/v1/components").insert_header(("x-request-id", "x".repeat(500))),
    )
    .await;
    assert_ne!(
        hostile.headers.get("x-request-id").unwrap().len(),
        500,
        "oversized ids are replaced"
    );
    let failed = send(&app, get("/api/v1/nowhere"))
        .await
        .problem(404, "not_found");
    assert!(
        failed.headers.get("x-request-id").is_some(),
        "errors carry the id too"
    );
}

/// Both checked-in documents must be what the code generates, byte for byte.
#[test]
fn checked_in_openapi_is_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (file, generated, command) in [
        (
            "openapi/relman.json",
            relman_http::openapi().to_pretty_json().unwrap(),
            "cargo run -q -p relman-server -- openapi > openapi/relman.json",
        ),
        (
            "openapi/relman-3.0.json",
            relman_http::openapi30::to_pretty_json().unwrap(),
            "cargo run -q -p relman-server -- openapi --spec-version 3.0 > openapi/relman-3.0.json",
        ),
    ] {
        let checked_in = std::fs::read_to_string(root.join(file)).unwrap_or_default();
        assert!(
            checked_in == generated + "\n",
            "{file} is stale: regenerate it with `{command}`"
        );
    }
}

/// The 3.0 rendition is 3.0 throughout: nothing of 3.1 is left in any schema.
#[test]
fn openapi_30_rendition_has_no_31_leftovers() {
    let doc = relman_http::openapi30::openapi().unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    fn walk(v: &serde_json::Value, at: &str) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let here = format!("{at}/{k}");
                    // Example values are data, and property maps are keyed by name.
                    if k == "example" || k == "examples" {
                        continue;
                    }
                    if !at.ends_with("/properties") {
                        assert!(
                            !matches!(
                                k.as_str(),
                                "const" | "propertyNames" | "$schema" | "prefixItems"
                            ),
                            "{here}"
                        );
                        if k == "type" {
                            assert!(v.is_string() && v != "null", "{here}: {v}");
                        }
                        if k == "exclusiveMinimum" || k == "exclusiveMaximum" {
                            assert!(v.is_boolean(), "{here}: {v}");
                        }
                        if k == "$ref" {
                            assert_eq!(map.len(), 1, "{at}: siblings of $ref");
                        }
                    }
                    walk(v, &here);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{at}/{i}"));
                }
            }
            _ => {}
        }
    }
    walk(&doc, "");
}

/// Every error response offers the problem body as problem+json and as plain JSON, in both
/// documents.
#[test]
fn error_responses_list_both_media_types() {
    let doc = serde_json::to_value(relman_http::openapi()).unwrap();
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                if !status.starts_with('4') && !status.starts_with('5') {
                    continue;
                }
                let Some(content) = response.get("content") else {
                    continue;
                };
                let problem = &content["application/problem+json"]["schema"]["$ref"];
                assert_eq!(
                    problem, "#/components/schemas/Problem",
                    "{method} {path} {status}"
                );
                assert_eq!(
                    content["application/json"]["schema"]["$ref"], *problem,
                    "{method} {path} {status}"
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 100, "only {seen} error responses");
}

async fn problem_media_types(store: Store) {
    let app = app!(store);
    let content_type = |reply: &crate::support::Reply| {
        reply
            .headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    let missing = |accept: Option<&str>| {
        let request = get("/api/v1/components/no-such-component");
        match accept {
            Some(accept) => request.insert_header(("accept", accept.to_owned())),
            None => request,
        }
    };
    for (accept, expected) in [
        (Some("application/json"), "application/json"),
        (
            Some("application/json, text/plain, */*"),
            "application/json",
        ),
        (
            Some("application/problem+json;q=0.5, application/json"),
            "application/json",
        ),
        (Some("application/problem+json"), "application/problem+json"),
        (
            Some("application/json, application/problem+json"),
            "application/problem+json",
        ),
        (Some("*/*"), "application/problem+json"),
        (
            Some("application/json;q=0.1, */*"),
            "application/problem+json",
        ),
        (None, "application/problem+json"),
    ] {
        let reply = send(&app, missing(accept)).await.expect(404);
        assert_eq!(content_type(&reply), expected, "Accept: {accept:?}");
        // Same body either way.
        assert_eq!(reply.body["code"], "not_found", "Accept: {accept:?}");
        assert_eq!(reply.headers.get("vary").unwrap(), "accept");
    }
    // Refusals from the middleware and unmatched paths are negotiated too.
    let unauthenticated = send(
        &app,
        TestRequest::get()
            .uri("/api/v1/components")
            .insert_header(("accept", "application/json")),
    )
    .await
    .expect(401);
    assert_eq!(content_type(&unauthenticated), "application/json");
    assert_eq!(unauthenticated.body["code"], "unauthenticated");
    let unmatched = send(
        &app,
        get("/api/v1/nowhere").insert_header(("accept", "application/json")),
    )
    .await
    .expect(404);
    assert_eq!(content_type(&unmatched), "application/json");
    // A successful answer is left alone.
    let listed = send(
        &app,
        get("/api/v1/components").insert_header(("accept", "application/json")),
    )
    .await
    .expect(200);
    assert_eq!(content_type(&listed), "application/json");
    assert!(listed.headers.get("vary").is_none());
}
