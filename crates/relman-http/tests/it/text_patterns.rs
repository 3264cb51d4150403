//! The text rule as the document states it: for free-text fields, the published `pattern` (and
//! `minLength`) accepts exactly the strings the running server accepts. Each sample goes to the
//! server in a real request; a match must be answered like any good value, a miss with 400
//! `validation_failed` naming the field. Asset names, whose rule is not the text rule, are checked
//! the same way against the domain's parser.

use actix_web::test::TestRequest;
use regex::Regex;
use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::{Value, json};

use crate::app;
use crate::release_fixtures::component;
use crate::support::{Reply, post, put, send};

/// Plain, Unicode, blank in its kinds, every kind of control character the rule names, and the
/// whitespace where ECMA's `\s` and the server's `trim` differ (U+FEFF, U+3000).
const SAMPLES: &[&str] = &[
    "plain",
    "ünïcödé ✓ 名前",
    " padded ",
    "",
    " ",
    "   ",
    "\u{3000}",
    "\u{a0}x",
    "\u{feff}",
    "a\0b",
    "\u{1b}[31mred",
    "del\u{7f}",
    "c1\u{85}",
    "a\tb",
    "\t",
    "a\nb",
    "x\n",
    "a\r\nb",
    "\r\n",
];

/// A string schema as the document publishes it: its pattern (ECMA-262, compiled here with the
/// `regex` crate, which reads these patterns alike) and its `minLength`.
struct Documented {
    name: String,
    pattern: Regex,
    min_length: usize,
}

impl Documented {
    fn of(name: &str, schema: &Value) -> Self {
        let pattern = schema["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no pattern in {schema}"));
        assert!(
            relman_wire::text::ALL.contains(&pattern),
            "{name}: {pattern} is not a text-rule pattern"
        );
        Self {
            name: name.to_owned(),
            pattern: Regex::new(pattern).unwrap(),
            min_length: schema["minLength"]
                .as_u64()
                .map_or(0, |n| usize::try_from(n).unwrap()),
        }
    }

    fn property(spec: &Value, schema: &str, field: &str) -> Self {
        Self::of(
            &format!("{schema}.{field}"),
            &spec["components"]["schemas"][schema]["properties"][field],
        )
    }

    fn accepts(&self, value: &str) -> bool {
        self.pattern.is_match(value) && value.chars().count() >= self.min_length
    }

    /// Asserts that the server agreed with the document about `value`. A good reference may
    /// name nothing (404), so "accepted" is any answer but 400 `validation_failed`.
    #[track_caller]
    fn agrees(&self, value: &str, reply: &Reply, field: &str) {
        let refused = reply.status.as_u16() == 400 && reply.body["code"] == "validation_failed";
        if self.accepts(value) {
            assert!(
                !refused,
                "{}: the pattern accepts {value:?}, the server refused it: {}",
                self.name, reply.body
            );
        } else {
            assert!(
                refused,
                "{}: the pattern refuses {value:?}, the server answered {}: {}",
                self.name, reply.status, reply.body
            );
            assert_eq!(reply.fields(), [field], "{}: {value:?}", self.name);
        }
    }
}

backend_tests!(documented_text_patterns_match_the_server);

async fn documented_text_patterns_match_the_server(store: Store) {
    let app = app!(store);
    let spec = serde_json::to_value(relman_http::openapi()).unwrap();
    component(&app, "api", &["v1.0.0"]).await;
    send(
        &app,
        post("/api/v1/environments", json!({"name": "prod", "order": 1})),
    )
    .await
    .expect(201);
    for name in ["r1", "r2"] {
        send(
            &app,
            post(
                "/api/v1/releases",
                json!({"name": name, "components": [{"componentId": "api", "version": "1.0.0"}]}),
            ),
        )
        .await
        .expect(201);
    }
    let metadata = &spec["components"]["schemas"]["Metadata"];
    // (documented schema, the request carrying a sample, the field a refusal names)
    type Case = (Documented, fn(&str) -> TestRequest, &'static str);
    let cases: Vec<Case> = vec![
        (
            Documented::property(&spec, "UpdateComponentRequest", "displayName"),
            |s| put("/api/v1/components/api", json!({ "displayName": s })),
            "displayName",
        ),
        (
            Documented::property(&spec, "UpdateEnvironmentRequest", "displayName"),
            |s| put("/api/v1/environments/prod", json!({ "displayName": s })),
            "displayName",
        ),
        (
            Documented::property(&spec, "CreateTokenRequest", "name"),
            |s| post("/api/v1/tokens", json!({ "name": s, "scopes": ["read"] })),
            "name",
        ),
        (
            Documented::property(&spec, "YankRequest", "reason"),
            |s| {
                post(
                    "/api/v1/components/api/versions/v1.0.0/yank",
                    json!({ "reason": s }),
                )
            },
            "reason",
        ),
        (
            Documented::property(&spec, "SourceRefBody", "branch"),
            |s| {
                put(
                    "/api/v1/releases/r1",
                    json!({ "sourceRef": { "branch": s } }),
                )
            },
            "sourceRef.branch",
        ),
        (
            Documented::property(&spec, "UpdateReleaseRequest", "notes"),
            |s| put("/api/v1/releases/r1", json!({ "notes": s })),
            "notes",
        ),
        (
            Documented::of("Metadata key", &metadata["propertyNames"]),
            |s| put("/api/v1/releases/r1", json!({ "metadata": { s: "v" } })),
            "metadata.",
        ),
        (
            Documented::of("Metadata value", &metadata["additionalProperties"]),
            |s| put("/api/v1/releases/r1", json!({ "metadata": { "k": s } })),
            "metadata.k",
        ),
        (
            Documented::property(&spec, "PromoteRequest", "environmentId"),
            |s| post("/api/v1/releases/r2/promote", json!({ "environmentId": s })),
            "environmentId",
        ),
        (
            Documented::property(&spec, "DeprecateRequest", "reason"),
            |s| post("/api/v1/releases/r2/deprecate", json!({ "reason": s })),
            "reason",
        ),
    ];
    for (documented, request, field) in &cases {
        for sample in SAMPLES {
            let reply = send(&app, request(sample)).await;
            // A metadata key names itself in the field.
            let field = if *field == "metadata." {
                format!("metadata.{sample}")
            } else {
                (*field).to_owned()
            };
            documented.agrees(sample, &reply, &field);
            let reference = documented.name == "PromoteRequest.environmentId";
            if documented.accepts(sample) && !reference {
                assert!(
                    reply.status.is_success(),
                    "{}: {sample:?} answered {}: {}",
                    documented.name,
                    reply.status,
                    reply.body
                );
            }
        }
    }
}

/// Asset names: every place the document gives a name rule (the upload's query parameter and form
/// field, the change of an asset) accepts exactly what `AssetName` does, which the service parses
/// every name with.
#[test]
fn documented_asset_name_rule_is_the_servers() {
    let spec = serde_json::to_value(relman_http::openapi()).unwrap();
    let upload = &spec["paths"]["/api/v1/releases/{id}/assets"]["post"];
    let query = upload["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "name")
        .unwrap();
    let schemas = &spec["components"]["schemas"];
    let documented = [
        ("query name", &query["schema"]),
        (
            "form name",
            &schemas["AssetUploadForm"]["properties"]["name"],
        ),
        (
            "change name",
            &schemas["UpdateAssetRequest"]["properties"]["name"],
        ),
    ];
    let longest = "a".repeat(255);
    let too_long = "a".repeat(256);
    let samples = [
        "relman-linux-amd64.tar.gz",
        "SHA256SUMS",
        "c++.zip",
        "_build",
        "-x",
        "a.",
        longest.as_str(),
        too_long.as_str(),
        "",
        ".hidden",
        "..",
        "a/b",
        "a b",
        "naïve",
        "a\nb",
        "x%2Fy",
    ];
    for (place, schema) in documented {
        let pattern = Regex::new(schema["pattern"].as_str().unwrap()).unwrap();
        let min = usize::try_from(schema["minLength"].as_u64().unwrap()).unwrap();
        let max = usize::try_from(schema["maxLength"].as_u64().unwrap()).unwrap();
        for sample in samples {
            let by_document =
                pattern.is_match(sample) && (min..=max).contains(&sample.chars().count());
            let by_server = sample.parse::<relman_domain::AssetName>().is_ok();
            assert_eq!(by_document, by_server, "{place}: {sample:?}");
        }
    }
}
