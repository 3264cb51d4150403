//! Release pages: provenance labels synced from a real registry, generated notes that link the
//! right revision range, `isLatest` and the `prerelease` filter.

use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_test_support::registry::{ImageSpec, RegistryMode, TestRegistry};
use serde_json::{Value, json};

use crate::app;
use crate::support::{get, post, put, send};

backend_tests!(
    generated_notes_link_the_revision_range_from_image_labels,
    is_latest_and_the_prerelease_filter
);

const REV_A: &str = "1111111111111111111111111111111111111111";
const REV_B: &str = "2222222222222222222222222222222222222222";

fn labelled(seed: &str, source: &str, revision: &str) -> ImageSpec {
    ImageSpec {
        seed: seed.into(),
        labels: vec![
            (relman_domain::SOURCE_LABEL.into(), source.into()),
            (relman_domain::REVISION_LABEL.into(), revision.into()),
        ],
        ..ImageSpec::default()
    }
}

async fn generated_notes_link_the_revision_range_from_image_labels(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let push = registry.pusher();
    let source = "https://github.com/myorg/api.git";
    let v1 = push
        .push_image("myorg/api", "v1.0.0", &labelled("a", source, REV_A))
        .await;
    let v2 = push
        .push_image("myorg/api", "v1.1.0", &labelled("b", source, REV_B))
        .await;
    let app = app!(store);
    crate::support::component_on_registry(&app, &registry.url(), json!({"type": "none"})).await;
    send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(200);

    let versions = send(&app, get("/api/v1/components/api/versions"))
        .await
        .expect(200)
        .body;
    let v110 = versions
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["tag"] == "v1.1.0")
        .unwrap();
    assert_eq!(
        v110["provenance"],
        json!({"source": source, "revision": REV_B, "version": null})
    );

    let create = |name: &str, version: &str, tag: &str| json!({"name": name, "version": version, "components": [{"componentId": "api", "version": tag}]});
    send(
        &app,
        post("/api/v1/releases", create("r1", "1.0.0", "1.0.0")),
    )
    .await
    .expect(201);
    let r1 = send(&app, put("/api/v1/releases/r1", json!({"status": "ready"})))
        .await
        .expect(200)
        .body;
    assert_eq!(r1["components"][0]["provenance"]["revision"], REV_A);
    let r2 = send(
        &app,
        post("/api/v1/releases", create("r2", "1.1.0", "1.1.0")),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(r2["components"][0]["provenance"]["source"], source);

    // The default previous: the highest non-draft release with a lower version.
    let generated = send(&app, post("/api/v1/releases/r2/generate-notes", json!({})))
        .await
        .expect(200)
        .body;
    let notes = generated["notes"].as_str().unwrap();
    assert_eq!(generated["previous"]["name"], "r1");
    assert_eq!(generated["applied"], false);
    let link = format!("https://github.com/myorg/api/compare/{REV_A}...{REV_B}");
    assert!(notes.contains(&format!("({link})")), "{notes}");
    assert!(notes.contains("**api** 1.0.0 → 1.1.0"), "{notes}");
    assert!(
        notes.contains(&format!("`{}` → `{}`", v1.digest, v2.digest)),
        "{notes}"
    );
    assert_eq!(generated["release"]["notes"], Value::Null, "not applied");

    // Deterministic, and applied on request.
    let applied = send(
        &app,
        post("/api/v1/releases/r2/generate-notes", json!({"apply": true})),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(applied["notes"], generated["notes"]);
    assert_eq!(applied["applied"], true);
    let stored = send(&app, get("/api/v1/releases/r2"))
        .await
        .expect(200)
        .body;
    assert_eq!(stored["notes"], generated["notes"]);

    // An explicit previous, a first release, and unknown names.
    let first = send(&app, post("/api/v1/releases/r1/generate-notes", json!({})))
        .await
        .expect(200)
        .body;
    assert_eq!(first["previous"], Value::Null);
    assert!(
        first["notes"].as_str().unwrap().contains("First release"),
        "{first}"
    );
    let explicit = send(
        &app,
        post(
            "/api/v1/releases/r1/generate-notes",
            json!({"previous": "r2"}),
        ),
    )
    .await
    .expect(200)
    .body;
    assert!(
        explicit["notes"]
            .as_str()
            .unwrap()
            .contains(&format!("compare/{REV_B}...{REV_A}")),
        "{explicit}"
    );
    let missing = send(
        &app,
        post(
            "/api/v1/releases/r2/generate-notes",
            json!({"previous": "nope"}),
        ),
    )
    .await
    .expect(404);
    assert_eq!(missing.body["code"], "not_found");
    send(
        &app,
        post(
            "/api/v1/releases/r2/generate-notes",
            json!({"apply": "yes"}),
        ),
    )
    .await
    .expect(400);
}

async fn is_latest_and_the_prerelease_filter(store: Store) {
    let app = app!(store);
    crate::support::component(&app).await;
    let digest = |n: u8| format!("sha256:{}", format!("{n:02x}").repeat(32));
    for (i, tag) in ["v1.0.0", "v1.1.0", "v2.0.0-rc.1"].into_iter().enumerate() {
        let body = json!({"componentId": "api", "tag": tag, "digest": digest(i as u8)});
        send(&app, post("/api/v1/version-maps", body))
            .await
            .expect(201);
    }
    for (name, version, tag, prerelease) in [
        ("a", "1.0.0", "1.0.0", false),
        ("b", "1.1.0", "1.1.0", false),
        ("c", "2.0.0-rc.1", "2.0.0-rc.1", true),
    ] {
        let body = json!({"name": name, "version": version, "prerelease": prerelease,
                          "components": [{"componentId": "api", "version": tag}]});
        send(&app, post("/api/v1/releases", body)).await.expect(201);
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
    let is_latest = |body: &Value| body["isLatest"].as_bool().unwrap();
    assert!(is_latest(
        &send(&app, get("/api/v1/releases/b")).await.expect(200).body
    ));
    assert!(!is_latest(
        &send(&app, get("/api/v1/releases/a")).await.expect(200).body
    ));
    assert!(!is_latest(
        &send(&app, get("/api/v1/releases/c")).await.expect(200).body
    ));
    let latest = send(&app, get("/api/v1/releases/latest"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (latest["name"].clone(), latest["isLatest"].clone()),
        (json!("b"), json!(true))
    );

    let names = |body: &Value| -> Vec<(String, bool)> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_owned(),
                    r["isLatest"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let pre = send(&app, get("/api/v1/releases?prerelease=true"))
        .await
        .expect(200)
        .body;
    assert_eq!(names(&pre), [("c".to_owned(), false)]);
    assert_eq!(pre["meta"]["totalCount"], 1);
    let stable = send(
        &app,
        get("/api/v1/releases?prerelease=false&componentId=api"),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        names(&stable),
        [("b".to_owned(), true), ("a".to_owned(), false)]
    );
    assert_eq!(stable["meta"]["totalCount"], 2);
    send(&app, get("/api/v1/releases?prerelease=maybe"))
        .await
        .expect(400);

    // Deprecating the latest moves `isLatest` (the cached body is not served stale).
    send(&app, post("/api/v1/releases/b/deprecate", json!({})))
        .await
        .expect(200);
    assert!(!is_latest(
        &send(&app, get("/api/v1/releases/b")).await.expect(200).body
    ));
    assert!(is_latest(
        &send(&app, get("/api/v1/releases/a")).await.expect(200).body
    ));
}
