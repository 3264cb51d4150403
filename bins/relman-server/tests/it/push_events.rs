//! Registries announce pushes: a real `docker-registry` with a notifications endpoint pointing at
//! the server makes a pushed tag appear without any sync call; other senders' bodies are taken
//! too, and nothing unauthenticated is.

use std::time::{Duration, Instant};

use relman_test_support::registry::{ImageSpec, TestRegistry};
use serde_json::{Value, json};

use crate::server::Server;

struct Api<'a> {
    server: &'a Server,
    client: reqwest::blocking::Client,
}

impl Api<'_> {
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .client
            .request(method, self.server.url(path))
            .bearer_auth(&self.server.token);
        if let Some(body) = body {
            r = r.json(&body);
        }
        let r = r.send().unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().unwrap_or(Value::Null))
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body))
    }

    /// The digest of `tag` once it shows up (within 20 s), or `None`.
    fn wait_for(&self, tag: &str, digest: Option<&str>) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let (_, versions) = self.call(
                reqwest::Method::GET,
                "/api/v1/components/api/versions",
                None,
            );
            let found = versions.as_array().and_then(|list| {
                list.iter()
                    .find(|v| v["tag"] == tag)
                    .and_then(|v| v["digest"].as_str().map(str::to_owned))
            });
            if let Some(found) = found
                && digest.is_none_or(|d| d == found)
            {
                return Some(found);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        None
    }
}

#[test]
fn a_push_to_a_notifying_registry_appears_without_a_sync() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let api = Api {
        server: &server,
        client: server.client(),
    };
    // The registry's URL is known once it runs, and it must know the secret when it starts.
    let (status, _) = api.post(
        "/api/v1/registry-integrations",
        json!({"name": "reg", "url": "http://127.0.0.1:9", "insecure": true}),
    );
    assert_eq!(status, 201);
    let (status, issued) = api.post("/api/v1/registry-integrations/reg/event-secret", json!({}));
    assert_eq!(status, 200, "{issued}");
    let secret = issued["secret"].as_str().unwrap().to_owned();
    let endpoint = issued["endpoint"].as_str().unwrap().to_owned();
    assert!(endpoint.ends_with("/events"), "{endpoint}");
    let registry = rt.block_on(TestRegistry::start_notifying(
        &server.url(&endpoint),
        &secret,
    ));
    let (status, _) = api.call(
        reqwest::Method::PUT,
        "/api/v1/registry-integrations/reg",
        Some(json!({"url": registry.url()})),
    );
    assert_eq!(status, 200);
    let (status, _) = api.post(
        "/api/v1/components",
        json!({"name": "api", "imageRepository": "myorg/api", "registryIntegrationId": "reg"}),
    );
    assert_eq!(status, 201);

    let pusher = registry.pusher();
    let first = rt.block_on(pusher.push_image("myorg/api", "v1.0.0", &ImageSpec::default()));
    let seen = api.wait_for("v1.0.0", None);
    assert_eq!(
        seen.as_deref(),
        Some(first.digest.to_string().as_str()),
        "the pushed tag appeared without a sync"
    );
    // A re-push of the tag with another image is recorded as a re-tag.
    let spec = ImageSpec::platform("linux", "arm64", None, "second build");
    let second = rt.block_on(pusher.push_image("myorg/api", "v1.0.0", &spec));
    assert_ne!(second.digest, first.digest);
    let moved = api.wait_for("v1.0.0", Some(&second.digest.to_string()));
    assert!(moved.is_some(), "the re-push was taken");
    let (_, retags) = api.call(reqwest::Method::GET, "/api/v1/components/api/retags", None);
    assert_eq!(retags[0]["tag"], "v1.0.0", "{retags}");
    // No sync ran: the audit trail shows the changes as the registry's.
    let (_, audit) = api.call(
        reqwest::Method::GET,
        "/api/v1/audit-events?action=component.sync",
        None,
    );
    let actors: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(
        !actors.is_empty() && actors.iter().all(|a| *a == "registry:reg"),
        "{actors:?}"
    );

    // Without the secret, or with another, nothing is taken.
    let events = server.url(&endpoint);
    let hub = json!({"push_data": {"tag": "v9.0.0"}, "repository": {"repo_name": "myorg/api"}});
    let unsigned = api.client.post(&events).json(&hub).send().unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let wrong = api
        .client
        .post(format!("{events}?secret=wrong"))
        .json(&hub)
        .send()
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    // Docker Hub puts the secret in the URL; an untracked repository is ignored with 202.
    let other =
        json!({"push_data": {"tag": "v1.0.0"}, "repository": {"repo_name": "someone/else"}});
    let ignored = api
        .client
        .post(format!("{events}?secret={secret}"))
        .json(&other)
        .send()
        .unwrap();
    assert_eq!(ignored.status().as_u16(), 202);
    let receipt: Value = ignored.json().unwrap();
    assert_eq!(receipt, json!({"accepted": 0, "ignored": 1}));
    let garbage = api
        .client
        .post(format!("{events}?secret={secret}"))
        .body("{\"hello\": 1}")
        .header("content-type", "application/json")
        .send()
        .unwrap();
    assert_eq!(garbage.status().as_u16(), 400);

    // Harbor (bearer) and GitHub (HMAC over the body) name tags too.
    rt.block_on(pusher.push_image(
        "myorg/api",
        "v2.0.0",
        &ImageSpec::platform("linux", "amd64", None, "harbor"),
    ));
    let harbor = json!({"type": "PUSH_ARTIFACT", "event_data": {
        "resources": [{"tag": "v2.0.0", "digest": "sha256:00"}],
        "repository": {"repo_full_name": "myorg/api", "name": "api", "namespace": "myorg"}}});
    let taken = api
        .client
        .post(&events)
        .bearer_auth(&secret)
        .json(&harbor)
        .send()
        .unwrap();
    assert_eq!(taken.status().as_u16(), 202);
    assert!(api.wait_for("v2.0.0", None).is_some());

    rt.block_on(pusher.push_image(
        "myorg/api",
        "v3.0.0",
        &ImageSpec::platform("linux", "amd64", None, "github"),
    ));
    let github =
        json!({"action": "published", "registry_package": {"namespace": "myorg", "name": "api",
        "package_version": {"container_metadata": {"tag": {"name": "v3.0.0"}}}}})
        .to_string();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let signature: String = ring::hmac::sign(&key, github.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let forged = api
        .client
        .post(&events)
        .header("x-hub-signature-256", "sha256=00")
        .header("content-type", "application/json")
        .body(github.clone())
        .send()
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    let signed = api
        .client
        .post(&events)
        .header("x-hub-signature-256", format!("sha256={signature}"))
        .header("content-type", "application/json")
        .body(github)
        .send()
        .unwrap();
    assert_eq!(signed.status().as_u16(), 202);
    assert!(api.wait_for("v3.0.0", None).is_some());
}
