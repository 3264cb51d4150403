//! Changing, deprecating, deleting, comparing releases; latest, state and from-latest.

use actix_web::http::Method;
use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::{Value, json};

use crate::app;
use crate::release_fixtures::{component, content_digest, digest, release_body, world};
use crate::support::{get, post, put, req, send};

backend_tests!(
    update_while_draft,
    released_members_are_frozen,
    status_machine_over_http,
    deprecate_with_and_without_reason,
    delete_rules,
    components_in_use_cannot_be_deleted,
    compare_in_seed_shape,
    state_and_latest,
    from_latest
);

async fn update_while_draft(store: Store) {
    let app = app!(store);
    world(&app).await;
    let created = send(&app, post("/api/v1/releases", release_body("r1", "2.3.0")))
        .await
        .expect(201)
        .body;
    let updated = send(
        &app,
        put(
            "/api/v1/releases/r1",
            json!({
                "displayName": "Updated Display Name",
                "metadata": {"key": "value"},
                "notes": "Changelog",
                "version": "1.0.0",
                "prerelease": true,
                "sourceRef": {"branch": "release/1.0"},
                "components": [{"componentId": "db"}, {"componentId": "api", "version": "2.3.1"}]
            }),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(updated["id"], created["id"]);
    assert_eq!(updated["displayName"], "Updated Display Name");
    assert_eq!(updated["metadata"], json!({"key": "value"}));
    assert_eq!(updated["notes"], "Changelog");
    assert_eq!(updated["version"], "1.0.0");
    assert_eq!(updated["prerelease"], true);
    assert_eq!(
        updated["sourceRef"],
        json!({"scmIntegrationId": null, "repository": null, "branch": "release/1.0", "commitSha": null})
    );
    assert_eq!(updated["status"], "draft");
    assert_eq!(updated["createdAt"], created["createdAt"]);
    assert_ne!(updated["updatedAt"], created["updatedAt"]);
    let names: Vec<&str> = updated["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["componentName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["db", "api"]);
    assert_eq!(
        updated["digest"],
        content_digest(&[
            ("db", &digest("db", "15.0.0")),
            ("api", &digest("api", "v2.3.1"))
        ]),
        "new members, new digest"
    );
    assert_eq!(
        send(&app, get("/api/v1/releases/r1"))
            .await
            .expect(200)
            .body,
        updated
    );

    // The list shows the new member count; the old component is no longer a member.
    let with_worker = send(&app, get("/api/v1/releases?componentId=worker"))
        .await
        .expect(200)
        .body;
    assert_eq!(with_worker["meta"]["totalCount"], 0);
    let with_db = send(&app, get("/api/v1/releases?componentId=db"))
        .await
        .expect(200)
        .body;
    assert_eq!(with_db["data"][0]["componentCount"], 2);

    // Clearing and no-ops.
    let cleared = send(
        &app,
        put(
            "/api/v1/releases/r1",
            json!({"notes": null, "version": null}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        (cleared["notes"].clone(), cleared["version"].clone()),
        (Value::Null, Value::Null)
    );
    let same = send(&app, put("/api/v1/releases/r1", json!({})))
        .await
        .expect(200)
        .body;
    assert_eq!(
        same, cleared,
        "an empty update changes nothing, not even updatedAt"
    );

    for (body, status, code) in [
        (json!({"components": []}), 400, "empty_release"),
        (
            json!({"components": [{"componentId": "api"}, {"componentId": "api"}]}),
            400,
            "duplicate_component",
        ),
        (
            json!({"components": [{"componentId": "api", "version": "7.0.0"}]}),
            422,
            "unresolvable_version",
        ),
        (
            json!({"components": [{"componentId": "ghost"}]}),
            404,
            "not_found",
        ),
        (json!({"displayName": ""}), 400, "validation_failed"),
        (json!({"displayName": null}), 400, "validation_failed"),
        (json!({"metadata": null}), 400, "validation_failed"),
        (json!({"status": "shipped"}), 400, "validation_failed"),
        (json!({"name": "renamed"}), 400, "validation_failed"),
    ] {
        send(&app, put("/api/v1/releases/r1", body))
            .await
            .problem(status, code);
    }
    send(&app, put("/api/v1/releases/ghost", json!({"notes": "x"})))
        .await
        .problem(404, "not_found");
    send(
        &app,
        req(Method::PUT, "/api/v1/releases/r1", None)
            .insert_header(("content-type", "application/json"))
            .set_payload("{\"notes\": "),
    )
    .await
    .problem(400, "invalid_json");
    assert_eq!(
        send(&app, get("/api/v1/releases/r1"))
            .await
            .expect(200)
            .body,
        cleared
    );
}

/// Once a release leaves draft, no endpoint can change its members.
async fn released_members_are_frozen(store: Store) {
    let app = app!(store);
    world(&app).await;
    let draft = send(&app, post("/api/v1/releases", release_body("r1", "2.3.0")))
        .await
        .expect(201)
        .body;
    let ready = send(&app, put("/api/v1/releases/r1", json!({"status": "ready"})))
        .await
        .expect(200)
        .body;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["components"], draft["components"]);
    assert_eq!(ready["digest"], draft["digest"]);

    for body in [
        json!({"components": [{"componentId": "api", "version": "2.3.1"}]}),
        json!({"components": draft["components"].as_array().unwrap().iter().map(|m| json!({"componentId": m["componentId"], "digest": m["digest"]})).collect::<Vec<_>>()}),
        json!({"version": "9.0.0"}),
        json!({"prerelease": true}),
        json!({"sourceRef": null}),
        json!({"displayName": "ok", "components": [{"componentId": "db"}]}),
    ] {
        let r = send(&app, put("/api/v1/releases/r1", body.clone()))
            .await
            .problem(409, "release_immutable");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("only while it is a draft"),
            "{body}"
        );
    }
    // Re-creating the name with other members is a conflict, not a change.
    send(&app, post("/api/v1/releases", release_body("r1", "2.3.1")))
        .await
        .problem(409, "name_exists");
    send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "r1", "componentIds": ["db"]}),
        ),
    )
    .await
    .problem(409, "name_exists");
    // Deprecation moves the status only.
    send(&app, post("/api/v1/releases/r1/deprecate", json!({})))
        .await
        .expect(200);
    send(
        &app,
        put(
            "/api/v1/releases/r1",
            json!({"components": [{"componentId": "db"}]}),
        ),
    )
    .await
    .problem(409, "release_immutable");

    // What may still change does.
    let renamed = send(
        &app,
        put(
            "/api/v1/releases/r1",
            json!({"displayName": "Still editable", "notes": "n", "metadata": {"a": "b"}}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(renamed["displayName"], "Still editable");
    assert_eq!(renamed["components"], draft["components"]);
    assert_eq!(renamed["digest"], draft["digest"]);
}

async fn status_machine_over_http(store: Store) {
    let app = app!(store);
    world(&app).await;
    send(&app, post("/api/v1/releases", release_body("r1", "2.3.0")))
        .await
        .expect(201);
    let status = |s: &str| put("/api/v1/releases/r1", json!({ "status": s }));
    for (to, expected) in [
        ("promoting", 409),
        ("deployed", 409),
        ("draft", 200),
        ("ready", 200),
        ("ready", 200),
        ("draft", 409),
        ("deployed", 409),
        // Allowed by the machine, but only a promotion makes it.
        ("promoting", 409),
        ("deprecated", 200),
        ("ready", 409),
        ("deprecated", 200),
    ] {
        let r = send(&app, status(to)).await;
        if expected == 200 {
            assert_eq!(r.expect(200).body["status"], to);
        } else {
            let r = r.problem(409, "invalid_transition");
            let detail = r.body["detail"].as_str().unwrap();
            assert!(
                detail.starts_with("cannot change a release from"),
                "{detail}"
            );
            if detail.contains("ready to promoting") {
                assert!(detail.contains("/promote"), "points at promotion: {detail}");
            }
        }
    }
}

async fn deprecate_with_and_without_reason(store: Store) {
    let app = app!(store);
    world(&app).await;
    send(&app, post("/api/v1/releases", release_body("r1", "2.3.0")))
        .await
        .expect(201);
    send(&app, post("/api/v1/releases", release_body("r2", "2.3.1")))
        .await
        .expect(201);

    let r = send(
        &app,
        post(
            "/api/v1/releases/r1/deprecate",
            json!({"reason": "CVE-2026-1234"}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(r["status"], "deprecated");
    assert_eq!(r["deprecatedReason"], "CVE-2026-1234");
    let again = send(
        &app,
        req(Method::POST, "/api/v1/releases/r1/deprecate", None),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        again, r,
        "deprecating again without a reason keeps everything"
    );

    let no_body = send(
        &app,
        req(Method::POST, "/api/v1/releases/r2/deprecate", None),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(no_body["status"], "deprecated");
    assert_eq!(no_body["deprecatedReason"], Value::Null);
    assert_eq!(
        send(&app, get("/api/v1/releases/r2"))
            .await
            .expect(200)
            .body,
        no_body
    );

    send(&app, post("/api/v1/releases/ghost/deprecate", json!({})))
        .await
        .problem(404, "not_found");
    send(
        &app,
        post("/api/v1/releases/r1/deprecate", json!({"reason": ""})),
    )
    .await
    .problem(400, "validation_failed");
    send(
        &app,
        post("/api/v1/releases/r1/deprecate", json!({"why": "x"})),
    )
    .await
    .problem(400, "validation_failed");
    send(
        &app,
        req(Method::POST, "/api/v1/releases/r1/deprecate", None)
            .insert_header(("content-type", "text/plain"))
            .set_payload("because"),
    )
    .await
    .problem(415, "unsupported_media_type");
}

async fn delete_rules(store: Store) {
    let app = app!(store);
    world(&app).await;
    for name in [
        "draft",
        "ready",
        "deployed",
        "promoting",
        "deprecated",
        "failed",
        "was-deployed",
    ] {
        send(&app, post("/api/v1/releases", release_body(name, "2.3.0")))
            .await
            .expect(201);
        if name != "draft" {
            send(
                &app,
                put(
                    &format!("/api/v1/releases/{name}"),
                    json!({"status": "ready"}),
                ),
            )
            .await
            .expect(200);
        }
    }
    for (order, env) in ["dev", "staging", "qa"].into_iter().enumerate() {
        send(
            &app,
            post("/api/v1/environments", json!({"name": env, "order": order})),
        )
        .await
        .expect(201);
    }
    let promote = |name: &str, env: &str| {
        post(
            &format!("/api/v1/releases/{name}/promote"),
            json!({ "environmentId": env }),
        )
    };
    let complete = |id: &Value, outcome: &str| {
        post(
            &format!("/api/v1/deployments/{}/complete", id.as_str().unwrap()),
            json!({ "outcome": outcome }),
        )
    };
    // deployed: runs in dev; promoting: open in staging; failed: its only deployment failed;
    // was-deployed: ran in qa once, then deprecated.
    for (name, env, outcome) in [
        ("deployed", "dev", Some("succeeded")),
        ("failed", "qa", Some("failed")),
        ("was-deployed", "qa", Some("succeeded")),
        ("promoting", "staging", None),
    ] {
        let d = send(&app, promote(name, env)).await.expect(201).body;
        if let Some(outcome) = outcome {
            send(&app, complete(&d["id"], outcome)).await.expect(200);
        }
    }
    for name in ["deprecated", "was-deployed"] {
        send(
            &app,
            req(
                Method::POST,
                &format!("/api/v1/releases/{name}/deprecate"),
                None,
            ),
        )
        .await
        .expect(200);
    }
    for name in ["deployed", "promoting", "was-deployed"] {
        let r = send(
            &app,
            req(Method::DELETE, &format!("/api/v1/releases/{name}"), None),
        )
        .await
        .problem(409, "in_use");
        assert!(r.body["detail"].as_str().unwrap().contains("deprecate it"));
        send(&app, get(&format!("/api/v1/releases/{name}")))
            .await
            .expect(200);
    }
    for name in ["draft", "ready", "deprecated", "failed"] {
        let r = send(
            &app,
            req(Method::DELETE, &format!("/api/v1/releases/{name}"), None),
        )
        .await
        .expect(204);
        assert!(r.raw.is_empty());
        send(&app, get(&format!("/api/v1/releases/{name}")))
            .await
            .problem(404, "not_found");
        send(
            &app,
            req(Method::DELETE, &format!("/api/v1/releases/{name}"), None),
        )
        .await
        .problem(404, "not_found");
    }
    // The name is free again.
    send(
        &app,
        post("/api/v1/releases", release_body("draft", "2.3.1")),
    )
    .await
    .expect(201);
    let list = send(&app, get("/api/v1/releases")).await.expect(200).body;
    assert_eq!(list["meta"]["totalCount"], 4);
    // The failed release's deployment went with it; the others' history stays.
    let history = send(&app, get("/api/v1/deployments"))
        .await
        .expect(200)
        .body;
    assert_eq!(history["meta"]["totalCount"], 3);
}

async fn components_in_use_cannot_be_deleted(store: Store) {
    let app = app!(store);
    world(&app).await;
    send(&app, post("/api/v1/releases", release_body("r1", "2.3.0")))
        .await
        .expect(201);
    let r = send(&app, req(Method::DELETE, "/api/v1/components/api", None))
        .await
        .problem(409, "in_use");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("releases reference it")
    );
    let versions = send(&app, get("/api/v1/components/api/versions"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        versions.as_array().unwrap().len(),
        3,
        "a refused delete removes nothing"
    );
    send(&app, req(Method::DELETE, "/api/v1/components/db", None))
        .await
        .expect(204);
    send(&app, req(Method::DELETE, "/api/v1/releases/r1", None))
        .await
        .expect(204);
    send(&app, req(Method::DELETE, "/api/v1/components/api", None))
        .await
        .expect(204);
}

async fn compare_in_seed_shape(store: Store) {
    let app = app!(store);
    world(&app).await;
    component(&app, "legacy-service", &["v0.9.0"]).await;
    let old = send(
        &app,
        post(
            "/api/v1/releases",
            json!({"name": "old", "components": [
                {"componentId": "legacy-service"},
                {"componentId": "api", "version": "2.3.0"},
                {"componentId": "db"}
            ]}),
        ),
    )
    .await
    .expect(201)
    .body;
    let new = send(
        &app,
        post(
            "/api/v1/releases",
            json!({"name": "new", "components": [
                {"componentId": "worker", "version": "1.0.0"},
                {"componentId": "db"},
                {"componentId": "api", "version": "2.3.1"}
            ]}),
        ),
    )
    .await
    .expect(201)
    .body;
    let id = |v: &Value, i: usize| v["components"][i]["componentId"].clone();
    let c = send(&app, get("/api/v1/releases/old/compare/new"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        c,
        json!({
            "added": [{"componentId": id(&new, 0), "componentName": "worker"}],
            "removed": [{"componentId": id(&old, 0), "componentName": "legacy-service"}],
            "changed": [{
                "component": "api",
                "componentId": id(&new, 2),
                "fromVersion": "2.3.0",
                "toVersion": "2.3.1",
                "fromDigest": digest("api", "v2.3.0"),
                "toDigest": digest("api", "v2.3.1")
            }],
            "unchanged": 1
        })
    );
    let by_id = send(
        &app,
        get(&format!(
            "/api/v1/releases/{}/compare/{}",
            new["id"].as_str().unwrap(),
            old["id"].as_str().unwrap()
        )),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        by_id["added"][0]["componentName"], "legacy-service",
        "reversed direction"
    );
    assert_eq!(by_id["changed"][0]["fromVersion"], "2.3.1");
    let itself = send(&app, get("/api/v1/releases/old/compare/old"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        itself,
        json!({"added": [], "removed": [], "changed": [], "unchanged": 3})
    );
    send(&app, get("/api/v1/releases/old/compare/ghost"))
        .await
        .problem(404, "not_found");
    send(&app, get("/api/v1/releases/ghost/compare/old"))
        .await
        .problem(404, "not_found");
}

async fn state_and_latest(store: Store) {
    let app = app!(store);
    world(&app).await;
    send(&app, get("/api/v1/releases/latest"))
        .await
        .problem(404, "not_found");
    let make = |name: &str, version: &str, prerelease: bool| {
        post(
            "/api/v1/releases",
            json!({"name": name, "version": version, "prerelease": prerelease,
                   "components": [{"componentId": "api", "version": "2.3.0"}]}),
        )
    };
    for (name, version, prerelease, status) in [
        ("app-3.1.0", "3.1.0", false, Some("ready")),
        ("app-10.0.0-draft", "10.0.0", false, None),
        ("app-2.4.9", "2.4.9", false, Some("ready")),
        ("app-4.0.0-rc.1", "4.0.0-rc.1", true, Some("ready")),
        ("app-6.0.0", "6.0.0", false, Some("deprecated")),
    ] {
        send(&app, make(name, version, prerelease))
            .await
            .expect(201);
        if let Some(s) = status {
            if s == "deprecated" {
                send(
                    &app,
                    post(&format!("/api/v1/releases/{name}/deprecate"), json!({})),
                )
                .await
                .expect(200);
            } else {
                send(
                    &app,
                    put(&format!("/api/v1/releases/{name}"), json!({ "status": s })),
                )
                .await
                .expect(200);
            }
        }
    }
    let latest = send(&app, get("/api/v1/releases/latest"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        latest["name"], "app-3.1.0",
        "semver decides; the later 2.4.9 backport does not"
    );
    assert_eq!(
        latest["components"][0]["componentName"], "api",
        "the full release"
    );

    let state = send(&app, get("/api/v1/releases/app-3.1.0/state"))
        .await
        .expect(200)
        .body;
    assert_eq!(state, json!({"environments": []}));
    send(&app, get("/api/v1/releases/ghost/state"))
        .await
        .problem(404, "not_found");
    // `latest` is reserved, so no release can hide behind the path.
    send(&app, req(Method::DELETE, "/api/v1/releases/latest", None))
        .await
        .problem(404, "not_found");
    let other = send(&app, req(Method::PATCH, "/api/v1/releases/latest", None))
        .await
        .problem(405, "method_not_allowed");
    assert_eq!(other.headers.get("allow").unwrap(), "GET");
}

async fn from_latest(store: Store) {
    let app = app!(store);
    send(
        &app,
        post("/api/v1/releases/from-latest", json!({"name": "none"})),
    )
    .await
    .problem(400, "empty_release");
    world(&app).await;
    let r = send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "myapp-latest", "channel": "stable", "componentIds": ["api", "worker"]}),
        ),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(r["status"], "draft");
    assert_eq!(r["createdBy"], "admin");
    let pinned: Vec<(&str, &str)> = r["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["componentName"].as_str().unwrap(),
                m["version"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(pinned, [("api", "2.3.1"), ("worker", "1.1.0")]);
    send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "myapp-latest", "channel": "stable", "componentIds": ["worker", "api"]}),
        ),
    )
    .await
    .expect(200);

    let all = send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "everything"}),
        ),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(
        all["components"].as_array().unwrap().len(),
        3,
        "every component by default"
    );

    let rc = send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "rc", "channel": "rc", "componentIds": ["api"]}),
        ),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(rc["components"][0]["version"], "2.4.0-rc.1");

    let r = send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "rc-all", "channel": "rc", "componentIds": ["api", "worker", "db"]}),
        ),
    )
    .await
    .problem(422, "unresolvable_version");
    assert_eq!(r.fields(), ["componentIds[1]", "componentIds[2]"]);

    let pinned = send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "pinned", "channel": "stable", "pinFrom": {"environmentId": "0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e"}}),
        ),
    )
    .await
    .problem(404, "not_found");
    assert!(
        pinned.body["detail"]
            .as_str()
            .unwrap()
            .contains("0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e")
    );

    for (body, status, code) in [
        (
            json!({"name": "x", "componentIds": []}),
            400,
            "empty_release",
        ),
        (
            json!({"name": "x", "componentIds": ["api", "api"]}),
            400,
            "duplicate_component",
        ),
        (
            json!({"name": "x", "componentIds": ["ghost"]}),
            404,
            "not_found",
        ),
        (
            json!({"name": "x", "channel": "Stable!"}),
            400,
            "validation_failed",
        ),
        (
            json!({"name": "x", "componentIds": [""]}),
            400,
            "validation_failed",
        ),
        (json!({"componentIds": ["api"]}), 400, "validation_failed"),
        (
            json!({"name": "x", "pinFrom": {}}),
            400,
            "validation_failed",
        ),
    ] {
        send(&app, post("/api/v1/releases/from-latest", body))
            .await
            .problem(status, code);
    }
    let list = send(&app, get("/api/v1/releases")).await.expect(200).body;
    assert_eq!(list["meta"]["totalCount"], 3);
}
