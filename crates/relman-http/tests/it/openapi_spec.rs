//! The OpenAPI document tells the truth: properties checked over every operation and schema, and
//! the server behaviour the document promises (closed sets refused by value, non-null patch
//! fields, `Location` on creates).

use std::collections::BTreeSet;

use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::{Value, json};

use crate::app;
use crate::release_fixtures::{component, digest};
use crate::support::{get, post, put, send};

fn spec() -> Value {
    serde_json::to_value(relman_http::openapi()).unwrap()
}

/// `(path, method, operation)` for every operation.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

#[test]
fn every_operation_declares_the_cross_cutting_answers() {
    let spec = spec();
    let public = relman_http::access::PUBLIC_PATHS;
    for (path, method, op) in operations(&spec) {
        let id = op["operationId"].as_str().unwrap();
        let security = &op["security"];
        // The feeds are public by default; `feeds_public = false` makes them need `read`.
        if public.contains(&path.as_str()) || path.starts_with("/updates/v1/") {
            assert_eq!(security, &json!([]), "{id} is public");
        } else {
            // `/metrics` needs `read` unless the operator makes it public (docs/ACCESS.md).
            assert!(path.starts_with("/api/v1") || path == "/metrics", "{path}");
            // One bearer requirement naming the scope; tests/it/access.rs proves each scope.
            let scopes = security[0]["bearer"].as_array();
            assert!(
                security.as_array().map(Vec::len) == Some(1)
                    && scopes.is_some_and(|s| s.len() == 1),
                "{id}: {security}"
            );
            let unauthenticated = &op["responses"]["401"]["headers"]["WWW-Authenticate"];
            assert!(
                unauthenticated.is_object(),
                "{id}: 401 without WWW-Authenticate"
            );
        }
        assert!(
            op["responses"]["405"]["headers"]["Allow"].is_object(),
            "{method} {path}: 405 with Allow"
        );
        for (status, response) in op["responses"].as_object().unwrap() {
            assert!(
                response["headers"]["X-Request-Id"].is_object(),
                "{id} {status}: X-Request-Id"
            );
            let location = response["headers"]["Location"].is_object();
            let sets_location = relman_http::openapi_extras::LOCATION_ON_201.contains(&id);
            // An accepted sync job names the job to poll.
            let accepted_job = status == "202" && id == "sync_component_versions";
            assert_eq!(
                location,
                (status == "201" && sets_location) || accepted_job,
                "{id} {status}: Location is declared exactly where the handler sets it"
            );
        }
    }
}

#[test]
fn links_name_real_operations_and_parameters() {
    let spec = spec();
    let ops = operations(&spec);
    let mut count = 0;
    for (_, _, op) in &ops {
        for response in op["responses"].as_object().unwrap().values() {
            let Some(links) = response["links"].as_object() else {
                continue;
            };
            for link in links.values() {
                count += 1;
                let target = link["operationId"].as_str().unwrap();
                let (_, _, target_op) = ops
                    .iter()
                    .find(|(_, _, o)| o["operationId"] == target)
                    .unwrap_or_else(|| panic!("link to unknown operation {target}"));
                let params: BTreeSet<String> = target_op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        format!(
                            "{}.{}",
                            p["in"].as_str().unwrap(),
                            p["name"].as_str().unwrap()
                        )
                    })
                    .collect();
                for name in link["parameters"].as_object().unwrap().keys() {
                    assert!(params.contains(name), "{target} has no parameter {name}");
                }
            }
        }
    }
    assert!(count >= 90, "only {count} links");
}

/// Fields a response may leave out (everything else is always present, `null` when empty).
const OPTIONAL_IN_RESPONSES: [&str; 4] = [
    "EnvironmentStateBody.deployedAt",
    "Problem.errors",
    "OpenApiDocument.components",
    "OpenApiDocument.tags",
];

#[test]
fn response_fields_are_required_unless_really_optional() {
    let spec = spec();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let mut todo: Vec<String> = Vec::new();
    for (_, _, op) in operations(&spec) {
        collect_refs(&op["responses"], &mut todo);
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let schema = &schemas[&name];
        collect_refs(schema, &mut todo);
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for field in properties.keys() {
            let qualified = format!("{name}.{field}");
            assert_eq!(
                required.contains(field.as_str()),
                !OPTIONAL_IN_RESPONSES.contains(&qualified.as_str()),
                "{qualified}"
            );
        }
    }
    assert!(seen.contains("ReleaseResponse") && seen.contains("IntegrationResponse"));
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref" {
                    let name = v.as_str().unwrap().rsplit('/').next().unwrap();
                    out.push(name.to_owned());
                } else if key != "links" {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn closed_sets_are_enums() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    for (schema, values) in [
        (
            "ReleaseStatusName",
            &["draft", "ready", "promoting", "deployed", "deprecated"][..],
        ),
        (
            "DeploymentStatusName",
            &["in_progress", "succeeded", "failed"],
        ),
        (
            "EnvironmentStatusName",
            &[
                "deployed",
                "not_deployed",
                "promoting",
                "failed",
                "superseded",
            ],
        ),
        ("OutcomeName", &["succeeded", "failed"]),
        ("VersionSourceName", &["sync", "manual"]),
        ("VersioningStrategyName", &["semver"]),
        ("AuthType", &["none", "basic", "bearer"]),
        (
            "CheckStage",
            &["connection", "registry", "token_endpoint", "configuration"],
        ),
    ] {
        assert_eq!(schemas[schema]["enum"], json!(values), "{schema}");
    }
    let auth = &schemas["AuthBody"];
    assert_eq!(auth["discriminator"]["propertyName"], "type");
    assert_eq!(auth["oneOf"].as_array().unwrap().len(), 3);
}

backend_tests!(
    unknown_enum_values_are_refused_by_field,
    non_null_patch_fields_refuse_null,
    creates_answer_with_location
);

async fn unknown_enum_values_are_refused_by_field(store: Store) {
    let app = app!(store);
    let cases = [
        (
            post(
                "/api/v1/components",
                json!({"name": "api", "imageRepository": "myorg/api", "versioningStrategy": "calver"}),
            ),
            "versioningStrategy",
        ),
        (get("/api/v1/releases?status=shipped"), "status"),
        (get("/api/v1/version-maps?source=magic"), "source"),
        (
            post(
                "/api/v1/registry-integrations",
                json!({"name": "r", "url": "https://r.example", "auth": {"type": "digest"}}),
            ),
            "auth.type",
        ),
    ];
    for (request, field) in cases {
        let r = send(&app, request).await.problem(400, "validation_failed");
        assert_eq!(r.fields(), [field], "{}", r.body);
    }
}

async fn non_null_patch_fields_refuse_null(store: Store) {
    let app = app!(store);
    component(&app, "api", &["v1.0.0"]).await;
    send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "r", "url": "https://r.example"}),
        ),
    )
    .await
    .expect(201);
    for (path, field) in [
        ("/api/v1/components/api", "name"),
        ("/api/v1/components/api", "displayName"),
        ("/api/v1/registry-integrations/r", "auth"),
    ] {
        let r = send(&app, put(path, json!({ field: null })))
            .await
            .problem(400, "validation_failed");
        assert_eq!(r.fields(), [field]);
    }
    let r = send(
        &app,
        post(
            "/api/v1/releases",
            json!({"name": "r1", "components": [{"componentId": "api", "version": "1.0.0", "channel": null}]}),
        ),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(r.fields(), ["components[0].channel"]);
}

async fn creates_answer_with_location(store: Store) {
    let app = app!(store);
    let c = component(&app, "api", &["v1.0.0"]).await;
    assert!(digest("api", "v1.0.0").starts_with("sha256:"));
    let location = |r: &crate::support::Reply| {
        r.headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let created = send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "web", "imageRepository": "myorg/web"}),
        ),
    )
    .await
    .expect(201);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(
        location(&created).unwrap(),
        format!("/api/v1/components/{id}")
    );
    assert_eq!(c["name"], "api");
    let env = send(
        &app,
        post("/api/v1/environments", json!({"name": "dev", "order": 1})),
    )
    .await
    .expect(201);
    let env_id = env.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        location(&env).unwrap(),
        format!("/api/v1/environments/{env_id}")
    );
    let integration = send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "r", "url": "https://r.example"}),
        ),
    )
    .await
    .expect(201);
    let iid = integration.body["id"].as_str().unwrap();
    assert_eq!(
        location(&integration).unwrap(),
        format!("/api/v1/registry-integrations/{iid}")
    );
    let body = json!({"name": "r1", "components": [{"componentId": "api"}]});
    let release = send(&app, post("/api/v1/releases", body.clone()))
        .await
        .expect(201);
    let rid = release.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        location(&release).unwrap(),
        format!("/api/v1/releases/{rid}")
    );
    let again = send(&app, post("/api/v1/releases", body)).await.expect(200);
    assert_eq!(
        location(&again),
        None,
        "an idempotent repeat created nothing"
    );
    send(&app, put("/api/v1/releases/r1", json!({"status": "ready"})))
        .await
        .expect(200);
    let deployment = send(
        &app,
        post(
            "/api/v1/releases/r1/promote",
            json!({"environmentId": env_id}),
        ),
    )
    .await
    .expect(201);
    let did = deployment.body["id"].as_str().unwrap();
    assert_eq!(
        location(&deployment).unwrap(),
        format!("/api/v1/deployments/{did}")
    );
}
