//! Every operation of the API document, driven through the client against a real server, with
//! the server's own request counters as the proof that each one was reached and answered.

use std::collections::BTreeSet;

use relman_client::wire::ErrorCode;
use relman_client::{AssetFile, Client, Error};
use relman_test_server::TestServer;
use relman_test_support::db::TestDb;
use relman_test_support::registry::{RegistryMode, TestRegistry};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A request body from JSON, as a user of the wire types would build it.
fn body<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("a valid request body")
}

/// `(METHOD, path template)` of every operation the served document lists.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// `(METHOD, route)` of every request the server counted with a status below 400.
fn answered(metrics: &str) -> BTreeSet<(String, String)> {
    let label = |line: &str, name: &str| {
        let start = line.find(&format!("{name}=\""))? + name.len() + 2;
        let end = start + line[start..].find('"')?;
        Some(line[start..end].to_owned())
    };
    metrics
        .lines()
        .filter(|l| l.contains("http_requests_total{"))
        .filter_map(|l| {
            let status: u16 = label(l, "status")?.parse().ok()?;
            (status < 400).then(|| Some((label(l, "method")?, label(l, "route")?)))?
        })
        .collect()
}

/// The body of `GET path` as the server sends it, read over a plain socket: what the typed client
/// would drop (a field its wire type lacks) shows here.
fn raw_get(base: &str, path: &str, token: &str) -> String {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Accept: application/json\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "GET {path}: {answer}");
    answer
}

async fn drive_every_operation(db: TestDb) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let tags = ["v1.0.0".to_owned(), "v1.1.0".to_owned()];
    registry.pusher().push_many_tags("myorg/api", &tags).await;
    let server = TestServer::start(db);
    let c = Client::builder(server.url())
        .token(server.token())
        .build()
        .expect("client");

    assert_eq!(c.health().await.expect("health").status, "ok");
    assert_eq!(c.readiness().await.expect("ready").status, "ok");
    let doc = c.openapi().await.expect("document");
    assert_eq!(c.whoami().await.expect("whoami").actor, "admin");
    assert!(c.docs_page().await.expect("docs").contains("<html"));

    // Integrations and components.
    let reg = c
        .create_integration(&body(json!({
            "name": "reg", "url": registry.url(), "insecure": true, "auth": {"type": "none"}
        })))
        .await
        .expect("create integration");
    assert_eq!(c.list_integrations().await.expect("integrations").len(), 1);
    assert_eq!(
        c.get_integration("reg").await.expect("integration").id,
        reg.id
    );
    c.update_integration("reg", &body(json!({"maxConcurrency": 4})))
        .await
        .expect("update integration");
    c.test_integration("reg").await.expect("test integration");
    let spare = c
        .create_integration(&body(
            json!({"name": "spare", "url": "https://r.example", "auth": {"type": "none"}}),
        ))
        .await
        .expect("spare integration");
    c.delete_integration(&spare.id.to_string())
        .await
        .expect("delete integration");

    c.create_component(&body(json!({
        "name": "api", "imageRepository": "myorg/api", "registryIntegrationId": "reg"
    })))
    .await
    .expect("create api");
    c.create_component(&body(
        json!({"name": "web", "imageRepository": "myorg/web"}),
    ))
    .await
    .expect("create web");
    let spare = c
        .create_component(&body(
            json!({"name": "spare", "imageRepository": "myorg/spare"}),
        ))
        .await
        .expect("create spare");
    c.delete_component(&spare.id.to_string())
        .await
        .expect("delete component");
    assert_eq!(c.list_components().await.expect("components").len(), 2);
    let api = c
        .update_component("api", &body(json!({"displayName": "API"})))
        .await
        .expect("update component");
    assert_eq!(
        c.get_component("api").await.expect("get").display_name,
        api.display_name
    );

    // Versions: sync, list, yank, version maps, retags, aliases.
    let sync = c
        .sync_component_versions("api", &body(json!({})), &body(json!({})))
        .await
        .expect("sync");
    assert_eq!(sync.added, 2, "{sync:?}");
    let job = c
        .start_sync_job("api", &body(json!({"forceRefresh": true})))
        .await
        .expect("sync job");
    let finished = loop {
        let now = c.get_sync_job(&job.id.to_string()).await.expect("poll");
        if now.finished_at.is_some() {
            break now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(finished.result.map(|r| r.synced), Some(2));
    let versions = c
        .list_component_versions("api", &body(json!({"limit": 1})))
        .await
        .expect("versions");
    assert_eq!(versions.items[0].tag, "v1.1.0");
    assert!(versions.next_cursor.is_some(), "a second page is linked");
    let yanked = c
        .yank_version("api", "v1.0.0", &body(json!({"reason": "broken"})))
        .await
        .expect("yank");
    assert!(yanked.yanked);
    assert!(
        !c.unyank_version("api", "v1.0.0")
            .await
            .expect("unyank")
            .yanked
    );
    let digest = format!("sha256:{}", "a".repeat(64));
    c.create_version_map(&body(
        json!({"componentId": "web", "tag": "v2.0.0", "digest": digest}),
    ))
    .await
    .expect("version map");
    let maps = c
        .list_version_maps(&body(json!({"componentId": "web"})))
        .await
        .expect("version maps");
    assert_eq!(maps.items.len(), 1);
    c.list_component_retags("api", &body(json!({})))
        .await
        .expect("retags");
    let aliases = c.list_component_aliases("api").await.expect("aliases");
    assert!(aliases.iter().any(|a| a.alias == "latest"));
    c.apply_component_aliases("api", &body(json!({"dryRun": true})))
        .await
        .expect("apply aliases");

    // Releases.
    let r1 = c
        .create_release(&body(json!({
            "name": "shop-v1.0.0", "version": "1.0.0", "components": [{"componentId": "api", "version": "1.0.0"}, {"componentId": "web"}]
        })))
        .await
        .expect("create release");
    let r2 = c
        .create_release_from_latest(&body(json!({"name": "shop-v1.1.0", "version": "1.1.0"})))
        .await
        .expect("from latest");
    let draft = c
        .create_release(&body(
            json!({"name": "scrap", "components": [{"componentId": "web"}]}),
        ))
        .await
        .expect("draft to delete");
    c.delete_release("scrap").await.expect("delete release");
    assert_eq!(draft.name, "scrap");
    let listed = c.list_releases(&body(json!({}))).await.expect("releases");
    assert_eq!(listed.meta.total_count, 2);
    c.update_release("shop-v1.0.0", &body(json!({"notes": "first"})))
        .await
        .expect("notes");
    let ready = c
        .update_release("shop-v1.0.0", &body(json!({"status": "ready"})))
        .await
        .expect("ready");
    assert_eq!(ready.id, r1.id);
    assert_eq!(
        c.get_release("shop-v1.0.0").await.expect("get").name,
        "shop-v1.0.0"
    );
    assert_eq!(c.get_latest_release().await.expect("latest").id, r1.id);
    let envelope = c
        .get_release_attestation("shop-v1.0.0")
        .await
        .expect("attestation");
    assert!(!envelope.signatures.is_empty());
    c.list_release_attachments("shop-v1.0.0")
        .await
        .expect("attachments");
    c.push_release_attachments("shop-v1.0.0")
        .await
        .expect("push attachments");
    let cmp = c
        .compare_releases("shop-v1.1.0", "shop-v1.0.0")
        .await
        .expect("compare");
    assert_eq!(cmp.changed.len(), 1, "{cmp:?}");
    let notes = c
        .generate_release_notes("shop-v1.1.0", &body(json!({"previous": "shop-v1.0.0"})))
        .await
        .expect("notes");
    assert!(notes.notes.contains("api"), "{}", notes.notes);
    assert_eq!(c.list_signing_keys().await.expect("keys").len(), 1);

    // Assets on the draft.
    let file = AssetFile::from_bytes("app.tar.gz", "application/gzip", vec![7u8; 100_000]);
    let asset = c
        .upload_release_asset("shop-v1.1.0", file, &body(json!({})))
        .await
        .expect("upload");
    assert_eq!(asset.size, 100_000);
    let aid = asset.id.to_string();
    assert_eq!(
        c.list_release_assets("shop-v1.1.0")
            .await
            .expect("assets")
            .len(),
        1
    );
    c.update_release_asset("shop-v1.1.0", &aid, &body(json!({"label": "Linux build"})))
        .await
        .expect("relabel");
    assert_eq!(
        c.get_release_asset("shop-v1.1.0", &aid)
            .await
            .expect("asset")
            .label
            .as_deref(),
        Some("Linux build")
    );
    let mut rest = c
        .download_release_asset("shop-v1.1.0", &aid, 99_990)
        .await
        .expect("resume");
    assert_eq!((rest.offset(), rest.total()), (99_990, Some(100_000)));
    let mut got = 0;
    while let Some(chunk) = rest.chunk().await.expect("chunk") {
        got += chunk.len();
    }
    assert_eq!(got, 10);
    c.delete_release_asset("shop-v1.1.0", &aid)
        .await
        .expect("delete asset");
    c.deprecate_release("shop-v1.1.0", &body(json!({"reason": "superseded"})))
        .await
        .expect("deprecate");

    // Environments and deployments.
    c.create_environment(&body(json!({"name": "staging", "order": 10})))
        .await
        .expect("environment");
    let spare = c
        .create_environment(&body(json!({"name": "spare", "order": 20})))
        .await
        .expect("spare environment");
    c.delete_environment(&spare.id.to_string())
        .await
        .expect("delete environment");
    c.update_environment("staging", &body(json!({"displayName": "Staging"})))
        .await
        .expect("update environment");
    assert_eq!(c.list_environments().await.expect("environments").len(), 1);
    c.get_environment("staging").await.expect("get environment");
    let deployment = c
        .promote_release("shop-v1.0.0", &body(json!({"environmentId": "staging"})))
        .await
        .expect("promote");
    let did = deployment.id.to_string();
    c.get_deployment(&did).await.expect("deployment");
    c.list_deployments(&body(json!({})))
        .await
        .expect("deployments");
    c.complete_deployment(&did, &body(json!({"outcome": "succeeded"})))
        .await
        .expect("complete");
    assert_eq!(
        c.get_current_release("staging").await.expect("current").id,
        r1.id
    );
    let state = c.get_release_state("shop-v1.0.0").await.expect("state");
    assert_eq!(state.environments.len(), 1);

    // Feeds, tokens, keys, audit.
    assert_eq!(
        c.latest_feed("api").await.expect("latest feed").version,
        "v1.1.0"
    );
    c.major_feed("v1", "api").await.expect("major feed");
    c.minor_feed("1.1", "api").await.expect("minor feed");
    let token = c
        .create_token(&body(json!({"name": "ci", "scopes": ["read"]})))
        .await
        .expect("token");
    let tid = token.token.id.to_string();
    assert_eq!(c.get_token(&tid).await.expect("get token").name, "ci");
    assert_eq!(c.list_tokens().await.expect("tokens").len(), 1);
    c.delete_token(&tid).await.expect("revoke");
    c.rotate_signing_key().await.expect("rotate");
    // Webhooks: created with a generated secret shown this once; a release created and deleted
    // queues two deliveries (no worker runs in the test server, so they stay pending), listed a
    // page at a time and sent again under the same event id.
    let hook = c
        .create_webhook(&body(json!({
            "url": "http://127.0.0.1:9/hook", "events": ["release.created", "release.deleted"],
            "description": "ci"
        })))
        .await
        .expect("create webhook");
    let secret = hook.secret.clone().expect("a generated secret");
    assert!(
        secret.starts_with("whsec_") && secret.len() >= 38,
        "{secret}"
    );
    assert!(hook.webhook.active && hook.webhook.disabled_reason.is_none());
    let hid = hook.webhook.id.to_string();
    let given = format!("whsec_{}", "A".repeat(32));
    let chosen = c
        .create_webhook(&body(json!({
            "url": "http://127.0.0.1:9/other", "events": ["deployment.succeeded"],
            "secret": given, "active": false
        })))
        .await
        .expect("create webhook with a secret");
    assert_eq!(chosen.secret, None, "a given secret is not echoed");
    assert!(!chosen.webhook.active);
    let listed = c.list_webhooks().await.expect("webhooks");
    assert_eq!(
        listed.iter().map(|w| w.id).collect::<Vec<_>>(),
        [hook.webhook.id, chosen.webhook.id],
        "oldest first"
    );
    let read = c.get_webhook(&hid).await.expect("get webhook");
    assert_eq!(
        (read.url.as_str(), read.events.len()),
        ("http://127.0.0.1:9/hook", 2)
    );
    for path in [
        "/api/v1/webhooks".to_owned(),
        format!("/api/v1/webhooks/{hid}"),
    ] {
        let raw = raw_get(server.url(), &path, server.token());
        assert!(raw.contains(&hid), "{raw}");
        assert!(
            !raw.contains("\"secret\"") && !raw.contains(&secret) && !raw.contains(&given),
            "GET {path} shows no secret: {raw}"
        );
    }
    let changed = c
        .update_webhook(&hid, &body(json!({"description": "ops"})))
        .await
        .expect("update webhook");
    assert_eq!(changed.description, "ops");
    assert_eq!(changed.events, read.events, "what is not given stays");
    assert_eq!(changed.url, read.url);
    c.create_release(&body(json!({
        "name": "hooked", "components": [{"componentId": "api", "version": "v1.0.0"}]
    })))
    .await
    .expect("a release for the webhook");
    c.delete_release("hooked").await.expect("delete it again");
    let page = c
        .list_webhook_deliveries(&hid, &body(json!({"limit": 1})))
        .await
        .expect("deliveries");
    let newest = page.items.first().expect("a queued delivery");
    assert_eq!(
        serde_json::to_value(newest.event_type).unwrap(),
        "release.deleted"
    );
    let cursor = page.next_cursor.clone().expect("an older page is linked");
    let older = c
        .list_webhook_deliveries(&hid, &body(json!({"limit": 1, "cursor": cursor})))
        .await
        .expect("older deliveries");
    assert_eq!(older.items.len(), 1);
    assert_eq!(older.next_cursor, None, "two deliveries in all");
    let first = &older.items[0];
    assert_eq!(
        serde_json::to_value(first.event_type).unwrap(),
        "release.created"
    );
    assert_ne!(first.event_id, newest.event_id);
    let pending = c
        .list_webhook_deliveries(&hid, &body(json!({"status": "pending"})))
        .await
        .expect("pending deliveries");
    assert_eq!(pending.items.len(), 2);
    let failed = c
        .list_webhook_deliveries(&hid, &body(json!({"status": "failed"})))
        .await
        .expect("failed deliveries");
    assert!(failed.items.is_empty());
    let again = c
        .redeliver_webhook_delivery(&hid, &first.id.to_string())
        .await
        .expect("redeliver");
    assert_eq!((again.id, again.event_id), (first.id, first.event_id));
    assert_eq!(
        serde_json::to_value(again.status).unwrap(),
        "pending",
        "pending again"
    );
    assert!(again.next_attempt_at.is_some(), "due now");
    let other = chosen.webhook.id.to_string();
    let mismatched = c
        .redeliver_webhook_delivery(&other, &first.id.to_string())
        .await
        .expect_err("a delivery of another webhook");
    assert_eq!(mismatched.code(), Some(ErrorCode::NotFound), "{mismatched}");
    c.delete_webhook(&hid).await.expect("delete webhook");
    c.delete_webhook(&other).await.expect("delete webhook");
    assert!(c.list_webhooks().await.expect("webhooks").is_empty());
    let gone = c.get_webhook(&hid).await.expect_err("deleted");
    assert_eq!(gone.code(), Some(ErrorCode::NotFound), "{gone}");

    // Registry push notifications: an event secret, rotated (the earlier one stops working at
    // once), proven by a Docker Hub body in `?secret=` and a distribution envelope as a bearer.
    let earlier = c
        .rotate_registry_event_secret("reg")
        .await
        .expect("event secret");
    let issued = c
        .rotate_registry_event_secret("reg")
        .await
        .expect("event secret rotated");
    assert_ne!(issued.secret, earlier.secret);
    assert_eq!(
        issued.endpoint,
        format!("/api/v1/registry-integrations/{}/events", reg.id)
    );
    let hub = json!({
        "push_data": {"tag": "v9.9.9"},
        "repository": {"repo_name": api.image_repository}
    });
    let receipt = c
        .receive_registry_events(
            "reg",
            hub.to_string(),
            "application/json",
            relman_client::PushProof::Query(&issued.secret),
        )
        .await
        .expect("push event");
    assert_eq!((receipt.accepted, receipt.ignored), (1, 0));
    let envelope = json!({"events": [
        {"action": "push", "target": {"repository": "myorg/api", "tag": "v1.1.0"}},
        {"action": "pull", "target": {"repository": "myorg/api", "tag": "v1.1.0"}},
        {"action": "push", "target": {"repository": "other/repo", "tag": "v1.0.0"}}
    ]});
    let receipt = c
        .receive_registry_events(
            "reg",
            envelope.to_string(),
            "application/vnd.docker.distribution.events.v1+json",
            relman_client::PushProof::Bearer(&issued.secret),
        )
        .await
        .expect("distribution event");
    assert_eq!(
        (receipt.accepted, receipt.ignored),
        (1, 2),
        "a pull and an untracked repository are ignored"
    );
    for stale in [earlier.secret.as_str(), "wrong"] {
        let refused = c
            .receive_registry_events(
                "reg",
                hub.to_string(),
                "application/json",
                relman_client::PushProof::Bearer(stale),
            )
            .await
            .expect_err("a secret that is not the integration's");
        assert_eq!(
            refused.code(),
            Some(ErrorCode::Unauthenticated),
            "{refused}"
        );
    }

    let audit = c.list_audit_events(&body(json!({}))).await.expect("audit");
    assert!(audit.meta.total_count > 10);
    let logged = serde_json::to_string(&audit).unwrap();
    for secret in [&secret, &given, &issued.secret] {
        assert!(
            !logged.contains(secret.as_str()),
            "the audit log shows no secret"
        );
    }
    assert_eq!(r2.name, "shop-v1.1.0");

    // A problem arrives typed.
    let err = c.get_release("nope").await.expect_err("unknown release");
    assert_eq!(err.code(), Some(ErrorCode::NotFound), "{err}");
    assert!(matches!(err, Error::Api { .. }));

    // Every operation of the document was reached and answered with success.
    let metrics = c.metrics().await.expect("metrics");
    let mut missing: Vec<_> = operations(&doc)
        .difference(&answered(&metrics))
        .cloned()
        .collect();
    // This very request is counted only after it is answered.
    missing.retain(|(m, p)| !(m == "GET" && p == "/metrics"));
    assert!(
        missing.is_empty(),
        "operations not driven through the client: {missing:?}"
    );
}

#[tokio::test]
async fn every_operation_on_sqlite() {
    drive_every_operation(TestDb::sqlite()).await;
}

#[tokio::test]
async fn every_operation_on_postgres() {
    if let Some(db) = TestDb::postgres() {
        drive_every_operation(db).await;
    }
}
