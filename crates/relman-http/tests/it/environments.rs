//! Environments, promotion, deployments and release state over HTTP; the walk-through of
//! docs/ENVIRONMENTS.md; every refusal's code; the audit event of every mutation.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::{Value, json};

use crate::app;
use crate::release_fixtures::{digest, release_body, world};
use crate::support::{get, post, put, req, send};

backend_tests!(
    walk_through_promotion_pin_and_rollback,
    refusals_answer_409_with_a_reason,
    environment_crud,
    deployment_history_pages,
    mutations_are_audited_failures_are_not,
    concurrent_promotions_over_http
);

fn promote(release: &str, env: &str) -> TestRequest {
    post(
        &format!("/api/v1/releases/{release}/promote"),
        json!({ "environmentId": env }),
    )
}

fn complete(deployment: &Value, outcome: &str) -> TestRequest {
    post(
        &format!(
            "/api/v1/deployments/{}/complete",
            deployment["id"].as_str().unwrap()
        ),
        json!({ "outcome": outcome }),
    )
}

fn with_id(r: TestRequest, id: &str) -> TestRequest {
    r.insert_header(("x-request-id", id.to_owned()))
}

/// `[(environmentName, status)]` of a release's state, asserting `deployedAt` is present exactly
/// for `deployed` and `superseded`.
fn statuses(state: &Value) -> Vec<(String, String)> {
    state["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let status = e["status"].as_str().unwrap().to_owned();
            let dated = matches!(status.as_str(), "deployed" | "superseded");
            assert_eq!(e.get("deployedAt").is_some(), dated, "{e}");
            (e["environmentName"].as_str().unwrap().to_owned(), status)
        })
        .collect()
}

fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

macro_rules! state {
    ($app:expr, $release:expr) => {
        statuses(
            &send(&$app, get(&format!("/api/v1/releases/{}/state", $release)))
                .await
                .expect(200)
                .body,
        )
    };
}

async fn three_environments<S, B>(app: &S)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    // Created out of order: `order` decides, not creation time.
    for (name, display, order, requires) in [
        ("production", "Production", 30, true),
        ("development", "Development", 10, false),
        ("staging", "Staging", 20, true),
    ] {
        let env = send(
            app,
            post(
                "/api/v1/environments",
                json!({"name": name, "displayName": display, "order": order,
                       "requiresPrevious": requires}),
            ),
        )
        .await
        .expect(201)
        .body;
        assert_eq!(env["name"], name);
        assert_eq!(env["requiresPrevious"], requires);
    }
}

async fn walk_through_promotion_pin_and_rollback(store: Store) {
    let app = app!(store);
    world(&app).await;
    three_environments(&app).await;
    send(&app, post("/api/v1/releases", release_body("v1", "2.3.0")))
        .await
        .expect(201);
    send(&app, put("/api/v1/releases/v1", json!({"status": "ready"})))
        .await
        .expect(200);
    let none = [
        ("Development", "not_deployed"),
        ("Staging", "not_deployed"),
        ("Production", "not_deployed"),
    ];
    assert_eq!(state!(app, "v1"), expect(&none));

    // Through the environments, one step at a time.
    let envs = ["development", "staging", "production"];
    let names = ["Development", "Staging", "Production"];
    for (i, env) in envs.iter().enumerate() {
        let d = send(&app, promote("v1", env)).await.expect(201).body;
        assert_eq!(d["status"], "in_progress");
        assert_eq!(d["releaseName"], "v1");
        assert_eq!(d["environmentName"], names[i]);
        assert_eq!(d["startedBy"], "admin");
        assert_eq!(d["completedAt"], Value::Null);
        let release = send(&app, get("/api/v1/releases/v1"))
            .await
            .expect(200)
            .body;
        assert_eq!(release["status"], "promoting");
        let mut want: Vec<(&str, &str)> = none.to_vec();
        for (j, name) in names.iter().enumerate().take(i) {
            want[j] = (name, "deployed");
        }
        want[i] = (names[i], "promoting");
        assert_eq!(state!(app, "v1"), expect(&want), "promoting to {env}");
        let done = send(&app, complete(&d, "succeeded")).await.expect(200).body;
        assert_eq!(done["status"], "succeeded");
        assert_eq!(done["completedBy"], "admin");
        want[i] = (names[i], "deployed");
        assert_eq!(state!(app, "v1"), expect(&want), "deployed to {env}");
        let release = send(&app, get("/api/v1/releases/v1"))
            .await
            .expect(200)
            .body;
        assert_eq!(release["status"], "deployed");
        let current = send(&app, get(&format!("/api/v1/environments/{env}/current")))
            .await
            .expect(200)
            .body;
        assert_eq!(current, release, "the full release");
    }

    // A hotfix: api moves to the latest stable, worker stays at the digest production runs.
    let prod_id = send(&app, get("/api/v1/environments/production"))
        .await
        .expect(200)
        .body["id"]
        .clone();
    let hotfix = send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "v1-hotfix", "channel": "stable", "componentIds": ["api"],
                   "pinFrom": {"environmentId": prod_id}}),
        ),
    )
    .await
    .expect(201)
    .body;
    let pinned: Vec<(&str, &str)> = hotfix["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["componentName"].as_str().unwrap(),
                m["digest"].as_str().unwrap(),
            )
        })
        .collect();
    let api = digest("api", "v2.3.1");
    let worker = digest("worker", "v1.1.0");
    assert_eq!(pinned, [("api", api.as_str()), ("worker", worker.as_str())]);
    // The hotfix must climb from development: production requires staging, staging requires
    // development.
    send(
        &app,
        put("/api/v1/releases/v1-hotfix", json!({"status": "ready"})),
    )
    .await
    .expect(200);
    send(&app, promote("v1-hotfix", "production"))
        .await
        .problem(409, "previous_environment_required");
    for env in envs {
        let d = send(&app, promote("v1-hotfix", env)).await.expect(201).body;
        send(&app, complete(&d, "succeeded")).await.expect(200);
    }
    let all_deployed = [
        ("Development", "deployed"),
        ("Staging", "deployed"),
        ("Production", "deployed"),
    ];
    assert_eq!(state!(app, "v1-hotfix"), expect(&all_deployed));
    assert_eq!(
        state!(app, "v1"),
        expect(&[
            ("Development", "superseded"),
            ("Staging", "superseded"),
            ("Production", "superseded"),
        ])
    );

    // Roll production back: promote the older release again.
    let d = send(&app, promote("v1", "production"))
        .await
        .expect(201)
        .body;
    assert_eq!(
        state!(app, "v1"),
        expect(&[
            ("Development", "superseded"),
            ("Staging", "superseded"),
            ("Production", "promoting"),
        ])
    );
    send(&app, complete(&d, "succeeded")).await.expect(200);
    assert_eq!(
        state!(app, "v1"),
        expect(&[
            ("Development", "superseded"),
            ("Staging", "superseded"),
            ("Production", "deployed"),
        ])
    );
    assert_eq!(
        state!(app, "v1-hotfix"),
        expect(&[
            ("Development", "deployed"),
            ("Staging", "deployed"),
            ("Production", "superseded"),
        ])
    );
    let current = send(&app, get("/api/v1/environments/production/current"))
        .await
        .expect(200)
        .body;
    assert_eq!(current["name"], "v1");

    // A failed promotion leaves what runs there in place and says so in the state.
    let d = send(&app, promote("v1-hotfix", "production"))
        .await
        .expect(201)
        .body;
    let failed = send(
        &app,
        post(
            &format!("/api/v1/deployments/{}/complete", d["id"].as_str().unwrap()),
            json!({"outcome": "failed", "message": "readiness probe failed"}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(failed["message"], "readiness probe failed");
    assert_eq!(
        state!(app, "v1-hotfix")[2],
        ("Production".into(), "failed".into())
    );
    assert_eq!(
        state!(app, "v1")[2],
        ("Production".into(), "deployed".into())
    );
    let release = send(&app, get("/api/v1/releases/v1-hotfix"))
        .await
        .expect(200)
        .body;
    assert_eq!(release["status"], "deployed", "it still runs elsewhere");

    // Deprecated: never promoted, never latest, still readable by id and name.
    let v1 = send(&app, post("/api/v1/releases/v1/deprecate", json!({})))
        .await
        .expect(200)
        .body;
    send(&app, promote("v1", "staging"))
        .await
        .problem(409, "release_deprecated");
    send(
        &app,
        get(&format!("/api/v1/releases/{}", v1["id"].as_str().unwrap())),
    )
    .await
    .expect(200);
    send(&app, get("/api/v1/releases/v1")).await.expect(200);
    // It still runs in production: `current` says so, deprecated or not.
    let current = send(&app, get("/api/v1/environments/production/current"))
        .await
        .expect(200)
        .body;
    assert_eq!(current["status"], "deprecated");
}

async fn refusals_answer_409_with_a_reason(store: Store) {
    let app = app!(store);
    world(&app).await;
    three_environments(&app).await;
    send(&app, post("/api/v1/releases", release_body("r1", "2.3.0")))
        .await
        .expect(201);
    let r = send(&app, promote("r1", "development"))
        .await
        .problem(409, "release_not_ready");
    assert!(r.body["detail"].as_str().unwrap().contains("draft"));
    send(&app, put("/api/v1/releases/r1", json!({"status": "ready"})))
        .await
        .expect(200);
    let r = send(&app, promote("r1", "staging"))
        .await
        .problem(409, "previous_environment_required");
    assert!(
        r.body["detail"].as_str().unwrap().contains("'development'"),
        "{}",
        r.body
    );
    let d = send(&app, promote("r1", "development"))
        .await
        .expect(201)
        .body;
    // A second open deployment to the same environment, of this or any release.
    send(&app, post("/api/v1/releases", release_body("r2", "2.3.1")))
        .await
        .expect(201);
    send(&app, put("/api/v1/releases/r2", json!({"status": "ready"})))
        .await
        .expect(200);
    for release in ["r1", "r2"] {
        let r = send(&app, promote(release, "development"))
            .await
            .problem(409, "deployment_in_progress");
        assert!(r.body["detail"].as_str().unwrap().contains("development"));
    }
    // Statuses only deployments set.
    let r = send(
        &app,
        put("/api/v1/releases/r1", json!({"status": "deployed"})),
    )
    .await
    .problem(409, "invalid_transition");
    assert!(
        r.body["detail"].as_str().unwrap().contains("/promote"),
        "{}",
        r.body
    );
    send(&app, put("/api/v1/releases/r1", json!({"status": "ready"})))
        .await
        .problem(409, "invalid_transition");
    send(&app, complete(&d, "succeeded")).await.expect(200);
    let r = send(&app, complete(&d, "failed"))
        .await
        .problem(409, "deployment_completed");
    assert!(r.body["detail"].as_str().unwrap().contains("succeeded"));
    send(&app, post("/api/v1/releases/r2/deprecate", json!({})))
        .await
        .expect(200);
    send(&app, promote("r2", "development"))
        .await
        .problem(409, "release_deprecated");
    // Deployed once, never deleted; the environment keeps its history.
    send(&app, req(Method::DELETE, "/api/v1/releases/r1", None))
        .await
        .problem(409, "in_use");
    send(
        &app,
        req(Method::DELETE, "/api/v1/environments/development", None),
    )
    .await
    .problem(409, "in_use");

    // Not found, and bad input.
    send(&app, promote("r1", "ghost"))
        .await
        .problem(404, "not_found");
    send(&app, promote("ghost", "development"))
        .await
        .problem(404, "not_found");
    for id in ["0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e", "not-a-uuid"] {
        send(
            &app,
            post(
                &format!("/api/v1/deployments/{id}/complete"),
                json!({"outcome": "failed"}),
            ),
        )
        .await
        .problem(404, "not_found");
        send(&app, get(&format!("/api/v1/deployments/{id}")))
            .await
            .problem(404, "not_found");
    }
    let r = send(
        &app,
        post(
            &format!("/api/v1/deployments/{}/complete", d["id"].as_str().unwrap()),
            json!({"outcome": "done"}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(r.fields(), ["outcome"]);
    for body in [json!({}), json!({"environmentId": ""}), json!({"env": "x"})] {
        send(&app, post("/api/v1/releases/r1/promote", body))
            .await
            .problem(400, "validation_failed");
    }
    let r = send(&app, get("/api/v1/environments/staging/current"))
        .await
        .problem(404, "not_found");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("nothing is deployed")
    );
    send(&app, get("/api/v1/environments/ghost/current"))
        .await
        .problem(404, "not_found");
    // pinFrom: an environment where nothing runs, and one that does not exist.
    let r = send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "hotfix", "pinFrom": {"environmentId": "staging"}}),
        ),
    )
    .await
    .problem(422, "nothing_deployed");
    assert!(r.body["detail"].as_str().unwrap().contains("staging"));
    send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "hotfix", "pinFrom": {"environmentId": "ghost"}}),
        ),
    )
    .await
    .problem(404, "not_found");
    // pinFrom without componentIds copies what runs; an unknown channel version is 422.
    let copy = send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "copy", "pinFrom": {"environmentId": "development"}}),
        ),
    )
    .await
    .expect(201)
    .body;
    let r1 = send(&app, get("/api/v1/releases/r1"))
        .await
        .expect(200)
        .body;
    assert_eq!(copy["digest"], r1["digest"]);
    let r = send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "rc", "channel": "rc", "componentIds": ["worker"],
                   "pinFrom": {"environmentId": "development"}}),
        ),
    )
    .await
    .problem(422, "unresolvable_version");
    assert_eq!(r.fields(), ["componentIds[0]"]);
    // A component the running release lacks is added.
    let more = send(
        &app,
        post(
            "/api/v1/releases/from-latest",
            json!({"name": "with-db", "componentIds": ["db"],
                   "pinFrom": {"environmentId": "development"}}),
        ),
    )
    .await
    .expect(201)
    .body;
    let names: Vec<&str> = more["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["componentName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["api", "worker", "db"]);
}

async fn environment_crud(store: Store) {
    let app = app!(store);
    let created = send(
        &app,
        post("/api/v1/environments", json!({"name": "qa", "order": 5})),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(created["displayName"], "qa", "defaults to the name");
    assert_eq!(created["requiresPrevious"], false);
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        send(&app, get(&format!("/api/v1/environments/{id}")))
            .await
            .expect(200)
            .body,
        created
    );
    send(
        &app,
        post("/api/v1/environments", json!({"name": "prod", "order": 50})),
    )
    .await
    .expect(201);
    send(
        &app,
        post("/api/v1/environments", json!({"name": "qa", "order": 6})),
    )
    .await
    .problem(409, "name_exists");
    let r = send(
        &app,
        post("/api/v1/environments", json!({"name": "uat", "order": 50})),
    )
    .await
    .problem(409, "order_exists");
    assert!(r.body["detail"].as_str().unwrap().contains("'prod'"));
    for (body, fields) in [
        (json!({"name": "QA!", "order": 1}), vec!["name"]),
        (json!({"name": "x", "order": "first"}), vec!["order"]),
        (json!({"name": "x"}), vec!["order"]),
        (
            json!({"name": "0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e", "order": 1, "displayName": ""}),
            vec!["name", "displayName"],
        ),
    ] {
        let r = send(&app, post("/api/v1/environments", body))
            .await
            .problem(400, "validation_failed");
        assert_eq!(r.fields(), fields);
    }
    let updated = send(
        &app,
        put(
            "/api/v1/environments/qa",
            json!({"displayName": "Quality", "order": 60, "requiresPrevious": true}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(updated["displayName"], "Quality");
    assert_eq!(updated["name"], "qa");
    let list = send(&app, get("/api/v1/environments"))
        .await
        .expect(200)
        .body;
    let order: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["prod", "qa"], "by order");
    send(&app, put("/api/v1/environments/qa", json!({"order": 50})))
        .await
        .problem(409, "order_exists");
    send(
        &app,
        put("/api/v1/environments/qa", json!({"name": "prod"})),
    )
    .await
    .problem(409, "name_exists");
    send(&app, put("/api/v1/environments/qa", json!({"order": null})))
        .await
        .problem(400, "validation_failed");
    send(&app, put("/api/v1/environments/ghost", json!({"order": 1})))
        .await
        .problem(404, "not_found");
    send(&app, req(Method::DELETE, "/api/v1/environments/qa", None))
        .await
        .expect(204);
    send(&app, get("/api/v1/environments/qa"))
        .await
        .problem(404, "not_found");
    send(&app, req(Method::DELETE, "/api/v1/environments/qa", None))
        .await
        .problem(404, "not_found");
}

async fn deployment_history_pages(store: Store) {
    let app = app!(store);
    world(&app).await;
    for (name, order) in [("dev", 1), ("prod", 2)] {
        send(
            &app,
            post(
                "/api/v1/environments",
                json!({"name": name, "order": order}),
            ),
        )
        .await
        .expect(201);
    }
    for name in ["a", "b"] {
        send(&app, post("/api/v1/releases", release_body(name, "2.3.0")))
            .await
            .expect(201);
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
    // Five deployments: a→dev, b→dev, a→prod, b→prod (failed), a→dev (open).
    let mut ids = Vec::new();
    for (release, env, outcome) in [
        ("a", "dev", Some("succeeded")),
        ("b", "dev", Some("succeeded")),
        ("a", "prod", Some("succeeded")),
        ("b", "prod", Some("failed")),
        ("a", "dev", None),
    ] {
        let d = send(&app, promote(release, env)).await.expect(201).body;
        if let Some(outcome) = outcome {
            send(&app, complete(&d, outcome)).await.expect(200);
        }
        ids.push(d["id"].as_str().unwrap().to_owned());
    }
    let page = send(&app, get("/api/v1/deployments?pageSize=2"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        page["meta"],
        json!({"page": 1, "pageSize": 2, "totalCount": 5, "totalPages": 3})
    );
    let got: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[4].as_str(), ids[3].as_str()], "newest first");
    let last = send(&app, get("/api/v1/deployments?pageSize=2&page=3"))
        .await
        .expect(200)
        .body;
    assert_eq!(last["data"][0]["id"], ids[0].as_str());
    let filtered = send(
        &app,
        get("/api/v1/deployments?environmentId=dev&releaseId=a"),
    )
    .await
    .expect(200)
    .body;
    let statuses: Vec<&str> = filtered["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["in_progress", "succeeded"]);
    let by_release = send(&app, get("/api/v1/deployments?releaseId=b"))
        .await
        .expect(200)
        .body;
    assert_eq!(by_release["meta"]["totalCount"], 2);
    assert_eq!(by_release["data"][0]["status"], "failed");
    let one = send(&app, get(&format!("/api/v1/deployments/{}", ids[3])))
        .await
        .expect(200)
        .body;
    assert_eq!(one, by_release["data"][0]);
    send(&app, get("/api/v1/deployments?environmentId=ghost"))
        .await
        .problem(404, "not_found");
    send(&app, get("/api/v1/deployments?releaseId=ghost"))
        .await
        .problem(404, "not_found");
    for q in ["pageSize=101", "page=0", "pageSize=x", "colour=red"] {
        send(&app, get(&format!("/api/v1/deployments?{q}")))
            .await
            .problem(400, "validation_failed");
    }
}

/// Every mutation endpoint of releases, environments and deployments records one event with the
/// caller and the request id; a refused mutation records none.
async fn mutations_are_audited_failures_are_not(store: Store) {
    let app = app!(store.clone());
    world(&app).await;
    let id_of = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let env = send(
        &app,
        with_id(
            post("/api/v1/environments", json!({"name": "dev", "order": 1})),
            "r-env-create",
        ),
    )
    .await
    .expect(201)
    .body;
    send(
        &app,
        with_id(
            put("/api/v1/environments/dev", json!({"displayName": "Dev"})),
            "r-env-update",
        ),
    )
    .await
    .expect(200);
    let scratch = send(
        &app,
        post(
            "/api/v1/environments",
            json!({"name": "scratch", "order": 2}),
        ),
    )
    .await
    .expect(201)
    .body;
    send(
        &app,
        with_id(
            req(Method::DELETE, "/api/v1/environments/scratch", None),
            "r-env-delete",
        ),
    )
    .await
    .expect(204);
    let r1 = send(
        &app,
        with_id(
            post("/api/v1/releases", release_body("r1", "2.3.0")),
            "r-create",
        ),
    )
    .await
    .expect(201)
    .body;
    let latest = send(
        &app,
        with_id(
            post("/api/v1/releases/from-latest", json!({"name": "r2"})),
            "r-from-latest",
        ),
    )
    .await
    .expect(201)
    .body;
    send(
        &app,
        with_id(
            put("/api/v1/releases/r1", json!({"status": "ready"})),
            "r-update",
        ),
    )
    .await
    .expect(200);
    let d = send(&app, with_id(promote("r1", "dev"), "r-promote"))
        .await
        .expect(201)
        .body;
    send(&app, with_id(complete(&d, "succeeded"), "r-complete"))
        .await
        .expect(200);
    let pinned = send(
        &app,
        with_id(
            post(
                "/api/v1/releases/from-latest",
                json!({"name": "r3", "componentIds": ["api"], "pinFrom": {"environmentId": "dev"}}),
            ),
            "r-pin",
        ),
    )
    .await
    .expect(201)
    .body;
    send(
        &app,
        with_id(
            post("/api/v1/releases/r2/deprecate", json!({})),
            "r-deprecate",
        ),
    )
    .await
    .expect(200);
    send(
        &app,
        with_id(req(Method::DELETE, "/api/v1/releases/r2", None), "r-delete"),
    )
    .await
    .expect(204);

    // Refusals: each answers an error and records nothing.
    let refusals = [
        (
            post("/api/v1/environments", json!({"name": "dev", "order": 9})),
            409,
        ),
        (put("/api/v1/environments/dev", json!({"name": "BAD"})), 400),
        (req(Method::DELETE, "/api/v1/environments/dev", None), 409),
        (post("/api/v1/releases", release_body("r1", "2.3.1")), 409),
        (
            put("/api/v1/releases/r1", json!({"status": "promoting"})),
            409,
        ),
        (
            put("/api/v1/releases/r3", json!({"status": "deployed"})),
            409,
        ),
        (req(Method::DELETE, "/api/v1/releases/r1", None), 409),
        (promote("r3", "dev"), 409),
        (complete(&d, "failed"), 409),
        (post("/api/v1/releases/ghost/deprecate", json!({})), 404),
    ];
    for (i, (r, status)) in refusals.into_iter().enumerate() {
        send(&app, with_id(r, &format!("refused-{i}")))
            .await
            .expect(status);
    }
    // The idempotent retry of a create changes nothing either.
    send(
        &app,
        with_id(
            post("/api/v1/releases", release_body("r1", "2.3.0")),
            "refused-retry",
        ),
    )
    .await
    .expect(200);

    let all = send(&app, get("/api/v1/audit-events?pageSize=100"))
        .await
        .expect(200)
        .body;
    let events = all["data"].as_array().unwrap();
    let find = |request: &str| -> Vec<(String, String, String)> {
        events
            .iter()
            .filter(|e| e["requestId"] == request)
            .map(|e| {
                assert_eq!(e["actor"], "admin", "{e}");
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["resourceType"].as_str().unwrap().to_owned(),
                    e["resourceId"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let one =
        |action: &str, rtype: &str, id: String| vec![(action.to_owned(), rtype.to_owned(), id)];
    assert_eq!(
        find("r-env-create"),
        one("environment.create", "environment", id_of(&env))
    );
    assert_eq!(
        find("r-env-update"),
        one("environment.update", "environment", id_of(&env))
    );
    assert_eq!(
        find("r-env-delete"),
        one("environment.delete", "environment", id_of(&scratch))
    );
    assert_eq!(
        find("r-create"),
        one("release.create", "release", id_of(&r1))
    );
    assert_eq!(
        find("r-from-latest"),
        one("release.create", "release", id_of(&latest))
    );
    assert_eq!(
        find("r-pin"),
        one("release.create", "release", id_of(&pinned))
    );
    assert_eq!(
        find("r-update"),
        one("release.update", "release", id_of(&r1))
    );
    assert_eq!(
        find("r-deprecate"),
        one("release.deprecate", "release", id_of(&latest))
    );
    assert_eq!(
        find("r-delete"),
        one("release.delete", "release", id_of(&latest))
    );
    let mut promote_events = find("r-promote");
    promote_events.sort();
    assert_eq!(
        promote_events,
        [
            (
                "deployment.start".to_owned(),
                "deployment".to_owned(),
                id_of(&d)
            ),
            (
                "release.promote".to_owned(),
                "release".to_owned(),
                id_of(&r1)
            ),
        ]
    );
    let mut complete_events = find("r-complete");
    complete_events.sort();
    assert_eq!(
        complete_events,
        [
            (
                "deployment.complete".to_owned(),
                "deployment".to_owned(),
                id_of(&d)
            ),
            (
                "release.promotion_complete".to_owned(),
                "release".to_owned(),
                id_of(&r1)
            ),
        ]
    );
    for e in events {
        let request = e["requestId"].as_str().unwrap_or("");
        assert!(!request.starts_with("refused"), "a refusal left {e}");
    }
    // The same events, read straight from the store.
    let (stored, total, _) = store
        .list_audit_events(
            relman_storage::AuditFilter {
                resource_id: Some(id_of(&r1)),
                ..Default::default()
            },
            relman_storage::Window::Offset(0),
            100,
        )
        .await
        .unwrap();
    assert_eq!(total, 4, "{stored:?}");
}

/// Two promotions to one environment at the same moment: one 201, one 409.
async fn concurrent_promotions_over_http(store: Store) {
    let app = app!(store);
    world(&app).await;
    send(
        &app,
        post("/api/v1/environments", json!({"name": "prod", "order": 1})),
    )
    .await
    .expect(201);
    for name in ["a", "b"] {
        send(&app, post("/api/v1/releases", release_body(name, "2.3.0")))
            .await
            .expect(201);
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
    for _ in 0..3 {
        let (x, y) = futures_util::future::join(
            send(&app, promote("a", "prod")),
            send(&app, promote("b", "prod")),
        )
        .await;
        let mut codes = [x.status.as_u16(), y.status.as_u16()];
        codes.sort_unstable();
        assert_eq!(codes, [201, 409]);
        let (winner, loser) = if x.status.as_u16() == 201 {
            (x, y)
        } else {
            (y, x)
        };
        let loser = loser.problem(409, "deployment_in_progress");
        assert!(loser.body["detail"].as_str().unwrap().contains("prod"));
        send(&app, complete(&winner.body, "succeeded"))
            .await
            .expect(200);
    }
    let history = send(&app, get("/api/v1/deployments"))
        .await
        .expect(200)
        .body;
    assert_eq!(history["meta"]["totalCount"], 3);
}
