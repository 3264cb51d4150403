use actix_web::test::TestRequest;
use relman_storage::Store;
use relman_test_support::backend_tests;

use crate::app;
use crate::support::{get, send};

backend_tests!(health_readiness_and_documents, request_ids);

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

#[test]
fn checked_in_openapi_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/relman.json");
    let generated = relman_http::openapi().to_pretty_json().unwrap() + "\n";
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "openapi/relman.json is stale: run `just openapi` (cargo run -p relman-server -- openapi > openapi/relman.json)"
    );
}
