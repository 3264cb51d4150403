//! `/api/v1/webhooks`: registration, write-only secrets, egress refusals, deliveries queued by
//! changes, redelivery and admin-only access.

use actix_web::http::Method;
use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::{Value, json};

use crate::app;
use crate::release_fixtures::{release_body, world};
use crate::support::{get, post, req, send};

backend_tests!(
    a_webhook_is_registered_with_a_secret_shown_once,
    bad_webhooks_are_refused_with_field_errors,
    changes_queue_deliveries_that_can_be_listed_and_redelivered,
    yanks_deprecations_and_failed_syncs_are_told_to_their_subscribers
);

const GIVEN_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn a_webhook_is_registered_with_a_secret_shown_once(store: Store) {
    let app = app!(store);
    let created = send(
        &app,
        post(
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/hook?token=abc", "events": ["release.created", "release.created", "deployment.failed"]}),
        ),
    )
    .await
    .expect(201);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(
        created.body["events"],
        json!(["release.created", "deployment.failed"]),
        "listed once, in documentation order"
    );
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body["disabledReason"], Value::Null);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.headers.get("location").unwrap(),
        &format!("/api/v1/webhooks/{id}")
    );
    // Never again: not in the read, the list, an update or the audit trail.
    let read = send(&app, get(&format!("/api/v1/webhooks/{id}")))
        .await
        .expect(200);
    let list = send(&app, get("/api/v1/webhooks")).await.expect(200);
    let updated = send(
        &app,
        req(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(json!({"secret": GIVEN_SECRET, "active": false, "description": "ops"})),
        ),
    )
    .await
    .expect(200);
    assert_eq!(updated.body["active"], false);
    assert_eq!(updated.body["description"], "ops");
    let audit = send(&app, get("/api/v1/audit-events?resourceType=webhook"))
        .await
        .expect(200);
    for body in [&read.raw, &list.raw, &updated.raw, &audit.raw] {
        let text = String::from_utf8_lossy(body);
        assert!(
            !text.contains(&secret) && !text.contains(GIVEN_SECRET),
            "{text}"
        );
        assert!(!text.contains("\"secret\""), "{text}");
    }
    assert!(
        !String::from_utf8_lossy(&audit.raw).contains("token=abc"),
        "the audit names the host, not the query"
    );
    assert_eq!(list.body.as_array().unwrap().len(), 1);

    // A given secret is not echoed.
    let given = send(
        &app,
        post(
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/b", "events": ["sync.failed"], "secret": GIVEN_SECRET}),
        ),
    )
    .await
    .expect(201);
    assert!(given.body.get("secret").is_none(), "{}", given.body);

    send(
        &app,
        req(Method::DELETE, &format!("/api/v1/webhooks/{id}"), None),
    )
    .await
    .expect(204);
    send(&app, get(&format!("/api/v1/webhooks/{id}")))
        .await
        .problem(404, "not_found");
    send(&app, get("/api/v1/webhooks/not-a-uuid"))
        .await
        .problem(404, "not_found");
}

async fn bad_webhooks_are_refused_with_field_errors(store: Store) {
    let app = app!(store);
    for (body, field) in [
        // Cloud metadata and link-local addresses are never reachable, whatever the policy.
        (
            json!({"url": "http://169.254.169.254/latest/meta-data", "events": ["release.created"]}),
            "url",
        ),
        (
            json!({"url": "http://[fd00:ec2::254]/", "events": ["release.created"]}),
            "url",
        ),
        (
            json!({"url": "ftp://example.com/", "events": ["release.created"]}),
            "url",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": []}),
            "events",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": ["release.created"], "secret": "whsec_c2hvcnQ="}),
            "secret",
        ),
    ] {
        let reply = send(&app, post("/api/v1/webhooks", body.clone()))
            .await
            .problem(400, "validation_failed");
        assert_eq!(reply.fields(), vec![field.to_owned()], "{body}");
    }
    let refused = send(
        &app,
        post(
            "/api/v1/webhooks",
            json!({"url": "http://169.254.169.254/", "events": ["release.created"]}),
        ),
    )
    .await;
    assert!(
        refused.body.to_string().contains("egress"),
        "{}",
        refused.body
    );
    // Unknown event names and fields are refused by the body's schema.
    send(
        &app,
        post(
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/", "events": ["release.exploded"]}),
        ),
    )
    .await
    .expect(400);
    send(
        &app,
        post(
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/", "events": ["release.created"], "extra": 1}),
        ),
    )
    .await
    .expect(400);
    assert_eq!(
        send(&app, get("/api/v1/webhooks")).await.expect(200).body,
        json!([])
    );
}

async fn changes_queue_deliveries_that_can_be_listed_and_redelivered(store: Store) {
    let app = app!(store);
    world(&app).await;
    let hook = send(
        &app,
        post(
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/hook", "events": ["release.created", "release.ready", "release.deleted"]}),
        ),
    )
    .await
    .expect(201)
    .body;
    let id = hook["id"].as_str().unwrap();
    let release = send(&app, post("/api/v1/releases", release_body("r1", "2.3.1")))
        .await
        .expect(201)
        .body;
    send(
        &app,
        req(
            Method::DELETE,
            &format!("/api/v1/releases/{}", release["id"].as_str().unwrap()),
            None,
        ),
    )
    .await
    .expect(204);
    let list = send(
        &app,
        get(&format!("/api/v1/webhooks/{id}/deliveries?limit=1")),
    )
    .await
    .expect(200);
    let first = &list.body[0];
    assert_eq!(first["eventType"], "release.deleted");
    assert_eq!(first["status"], "pending");
    assert_eq!(first["attempts"], 0);
    assert!(first["nextAttemptAt"].is_string());
    let link = list
        .headers
        .get("link")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(link.contains("rel=\"next\""), "{link}");
    let all = send(&app, get(&format!("/api/v1/webhooks/{id}/deliveries")))
        .await
        .expect(200)
        .body;
    let types: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["release.deleted", "release.created"]);
    let pending = send(
        &app,
        get(&format!(
            "/api/v1/webhooks/{id}/deliveries?status=succeeded"
        )),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(pending, json!([]));
    send(
        &app,
        get(&format!("/api/v1/webhooks/{id}/deliveries?status=lost")),
    )
    .await
    .expect(400);

    let delivery = first["id"].as_str().unwrap();
    let again = send(
        &app,
        post(
            &format!("/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver"),
            json!({}),
        ),
    )
    .await
    .expect(202)
    .body;
    assert_eq!(again["eventId"], first["eventId"]);
    assert_eq!(again["status"], "pending");
    send(
        &app,
        post(
            &format!(
                "/api/v1/webhooks/{id}/deliveries/{}/redeliver",
                uuid::Uuid::now_v7()
            ),
            json!({}),
        ),
    )
    .await
    .problem(404, "not_found");

    // Deliveries of a webhook need admin, like the webhook itself.
    let read = send(
        &app,
        post(
            "/api/v1/tokens",
            json!({"name": "reader", "scopes": ["write"]}),
        ),
    )
    .await
    .expect(201)
    .body;
    let secret = read["secret"].as_str().unwrap();
    let as_writer = actix_web::test::TestRequest::get()
        .uri(&format!("/api/v1/webhooks/{id}/deliveries"))
        .insert_header(("authorization", format!("Bearer {secret}")));
    send(&app, as_writer).await.problem(403, "forbidden");
}

async fn yanks_deprecations_and_failed_syncs_are_told_to_their_subscribers(store: Store) {
    let app = app!(store);
    world(&app).await;
    let hook = send(
        &app,
        post(
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/hook", "events": ["version.yanked", "release.deprecated", "sync.failed"]}),
        ),
    )
    .await
    .expect(201)
    .body;
    let id = hook["id"].as_str().unwrap();
    send(
        &app,
        post(
            "/api/v1/components/api/versions/v2.3.1/yank",
            json!({"reason": "CVE-2026-0001"}),
        ),
    )
    .await
    .expect(200);
    send(&app, post("/api/v1/releases", release_body("r1", "2.3.0")))
        .await
        .expect(201);
    send(
        &app,
        post(
            "/api/v1/releases/r1/deprecate",
            json!({"reason": "superseded"}),
        ),
    )
    .await
    .expect(200);
    // A component on a registry that does not answer: its sync fails.
    send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "down", "url": "http://127.0.0.1:9", "insecure": true}),
        ),
    )
    .await
    .expect(201);
    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "gone", "imageRepository": "myorg/gone", "registryIntegrationId": "down"}),
        ),
    )
    .await
    .expect(201);
    send(
        &app,
        post("/api/v1/components/gone/sync-versions", json!({})),
    )
    .await
    .problem(502, "registry_error");
    let all = send(&app, get(&format!("/api/v1/webhooks/{id}/deliveries")))
        .await
        .expect(200)
        .body;
    let types: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec!["sync.failed", "release.deprecated", "version.yanked"],
        "newest first; release.created is not subscribed"
    );
}
