use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use relman_test_support::db::TestDb;
use serde_json::{Value, json};

use crate::server::{Server, command};

/// Creates a component and a version map, restarts the server, and finds both again.
fn data_survives_restart(extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, extra);
    let mode = std::fs::metadata(data.join("admin-token"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the generated token is private");

    let client = server.client();
    let created = client
        .post(server.url("/api/v1/components"))
        .bearer_auth(&server.token)
        .json(&json!({"name": "api", "imageRepository": "myorg/api"}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    assert!(created.headers().contains_key("x-request-id"));
    let mapped = client
        .post(server.url("/api/v1/version-maps"))
        .bearer_auth(&server.token)
        .json(&json!({"componentId": "api", "tag": "v1.0.0", "digest": format!("sha256:{}", "c".repeat(64))}))
        .send()
        .unwrap();
    assert_eq!(mapped.status(), 201);
    let unauth = client.get(server.url("/api/v1/components")).send().unwrap();
    assert_eq!(unauth.status(), 401);
    assert!(
        server.terminate().success(),
        "SIGTERM ends the server cleanly"
    );

    let again = Server::start(&data, extra);
    let versions: Value = again
        .client()
        .get(again.url("/api/v1/components/api/versions"))
        .bearer_auth(&again.token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        versions[0]["tag"], "v1.0.0",
        "data and token survive a restart"
    );
}

#[test]
fn sqlite_default_survives_restart() {
    data_survives_restart(&[]);
}

/// The data folder and the database files are private to their owner, and a fresh database
/// starts without "database is locked" errors (connections once raced to switch it to WAL).
#[test]
fn sqlite_files_are_private_and_first_start_is_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let created = server
        .client()
        .post(server.url("/api/v1/components"))
        .bearer_auth(&server.token)
        .json(&json!({"name": "api", "imageRepository": "myorg/api"}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data folder");
    for file in ["relman.db", "relman.db-wal", "relman.db-shm"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let log = server.log.clone();
    assert!(server.terminate().success());
    let log = std::fs::read_to_string(log).unwrap();
    assert!(!log.contains("database is locked"), "{log}");
    assert!(!log.contains("ERROR"), "{log}");
}

/// A server given another secret key than the one its stored credentials were sealed with stops
/// at start-up, naming the integrations and the remedy, instead of answering 500 later.
#[test]
fn refuses_to_start_with_another_secret_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &[]);
    let created = server
        .client()
        .post(server.url("/api/v1/registry-integrations"))
        .bearer_auth(&server.token)
        .json(&json!({"name": "ghcr", "url": "https://ghcr.example",
                      "auth": {"type": "basic", "username": "ci", "password": "pw"}}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    assert!(server.terminate().success());

    let out = command(&data)
        .env("RELMAN_SECRET_KEY", "ab".repeat(32))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(!out.status.success(), "the server must refuse to start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ghcr") && err.contains("secret key"), "{err}");

    // With the key it was written with, it starts again and reads the integration.
    let again = Server::start(&data, &[]);
    let got = again
        .client()
        .get(again.url("/api/v1/registry-integrations/ghcr"))
        .bearer_auth(&again.token)
        .send()
        .unwrap();
    assert_eq!(got.status(), 200);
}

/// After SIGTERM, `/readyz` answers 503 at once while the server keeps serving for the configured
/// delay, then it exits cleanly.
#[test]
fn sigterm_turns_readiness_off_before_the_listener_closes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(
        &dir.path().join("data"),
        &[],
        &[("RELMAN_SHUTDOWN_DELAY_SECONDS", "3")],
    );
    let client = server.client();
    assert_eq!(
        client.get(server.url("/readyz")).send().unwrap().status(),
        200
    );
    server.signal_term();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let status = client.get(server.url("/readyz")).send().unwrap().status();
        if status == 503 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "readyz stayed {status}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Still serving: liveness and the API answer while load balancers catch up.
    assert_eq!(
        client.get(server.url("/healthz")).send().unwrap().status(),
        200
    );
    let listed = client
        .get(server.url("/api/v1/components"))
        .bearer_auth(&server.token)
        .send()
        .unwrap();
    assert_eq!(listed.status(), 200);
    let body: Value = client
        .get(server.url("/readyz"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body["code"], "not_ready");
    assert!(server.wait().success(), "a clean exit after the delay");
}

#[test]
fn postgres_survives_restart() {
    let Some(db) = TestDb::postgres() else { return };
    data_survives_restart(&["--database-url", &db.url_string]);
}

fn fails_to_start(args: &[&str], config: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(&dir.path().join("data"));
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    if let Some(text) = config {
        let path = dir.path().join("relman.toml");
        std::fs::write(&path, text).unwrap();
        cmd.arg("--config").arg(path);
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "the server should refuse to start");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn refuses_bad_configuration() {
    let err = fails_to_start(
        &[],
        Some("listen = \"127.0.0.1:0\"\nlisten_adress = \"x\"\n"),
    );
    assert!(err.contains("listen_adress"), "{err}");
    let err = fails_to_start(&["--database-url", "mysql://localhost/relman"], None);
    assert!(
        err.contains("unsupported database URL scheme 'mysql'"),
        "{err}"
    );
    let err = fails_to_start(
        &["--database-url", "postgres://nobody@127.0.0.1:1/none"],
        None,
    );
    assert!(err.contains("opening the database"), "{err}");
}

#[test]
fn openapi_subcommand_prints_the_document() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relman-server"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["info"]["title"], "relman");
    assert_eq!(doc, serde_json::to_value(relman_http::openapi()).unwrap());
}

/// With a sync interval, versions appear without anyone asking for a sync.
#[test]
fn scheduled_sync_fills_versions() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let registry = rt.block_on(relman_test_support::registry::TestRegistry::start(
        relman_test_support::registry::RegistryMode::Anonymous,
    ));
    let pushed = rt.block_on(registry.pusher().push_image(
        "myorg/api",
        "v1.0.0",
        &relman_test_support::registry::ImageSpec::default(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("relman.toml");
    std::fs::write(&config, "sync_interval_seconds = 1\n").unwrap();
    let server = Server::start(&data, &["--config", config.to_str().unwrap()]);
    let client = server.client();
    let integration: Value = client
        .post(server.url("/api/v1/registry-integrations"))
        .bearer_auth(&server.token)
        .json(&json!({"name": "reg", "url": registry.url(), "insecure": true}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let created = client
        .post(server.url("/api/v1/components"))
        .bearer_auth(&server.token)
        .json(&json!({"name": "api", "imageRepository": "myorg/api", "registryIntegrationId": integration["id"]}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let versions: Value = client
            .get(server.url("/api/v1/components/api/versions"))
            .bearer_auth(&server.token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        if versions.as_array().is_some_and(|v| !v.is_empty()) {
            assert_eq!(versions[0]["digest"], pushed.digest.to_string());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no scheduled sync happened"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// By default a registry on loopback is refused before any connection, and the answers say how
/// to allow it; the policy in effect is logged at start-up.
#[test]
fn the_default_egress_policy_refuses_a_loopback_registry() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let registry = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start_with_env(&data, &[], &[("RELMAN_EGRESS_ALLOW", "")]);
    let client = server.client();
    let call = |path: &str, body: Value| {
        let r = client
            .post(server.url(path))
            .bearer_auth(&server.token)
            .json(&body)
            .send()
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().unwrap())
    };
    let (status, _) = call(
        "/api/v1/registry-integrations",
        json!({"name": "reg", "url": registry, "insecure": true}),
    );
    assert_eq!(status, 201);
    let advice = "127.0.0.1 is a loopback address; allow it with RELMAN_EGRESS_ALLOW=loopback";
    let (status, check) = call("/api/v1/registry-integrations/reg/test", json!({}));
    assert_eq!(status, 200, "{check}");
    assert_eq!(check["ok"], false, "{check}");
    assert!(check.to_string().contains(advice), "{check}");
    let (status, _) = call(
        "/api/v1/components",
        json!({"name": "api", "imageRepository": "myorg/api", "registryIntegrationId": "reg"}),
    );
    assert_eq!(status, 201);
    let (status, problem) = call("/api/v1/components/api/sync-versions", json!({}));
    assert_eq!(status, 502, "{problem}");
    assert_eq!(problem["code"], "registry_error", "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains(advice),
        "{problem}"
    );
    assert!(
        listener
            .accept()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock),
        "the refused registry was connected to"
    );
    let log = server.log.clone();
    assert!(server.terminate().success());
    let log = std::fs::read_to_string(log).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("egress policy") && l.contains("public addresses only")),
        "{log}"
    );
}

/// Secrets given to the API appear in no response and no log line, even at debug level and on
/// failure paths.
#[test]
fn secrets_never_reach_responses_or_logs() {
    const SECRET: &str = "pw-Sup3r-S3cret-value";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start_with_env(&data, &[], &[("RUST_LOG", "debug")]);
    let client = server.client();
    let mut bodies = String::new();
    let mut call = |method: reqwest::Method, path: &str, body: Value| {
        let r = client
            .request(method, server.url(path))
            .bearer_auth(&server.token)
            .json(&body)
            .send()
            .unwrap();
        bodies.push_str(&r.text().unwrap());
    };
    // An unreachable registry (nothing listens on port 1), with basic and then bearer credentials.
    call(
        reqwest::Method::POST,
        "/api/v1/registry-integrations",
        json!({"name": "reg", "url": "http://127.0.0.1:1", "insecure": true,
               "auth": {"type": "basic", "username": "ci", "password": SECRET}}),
    );
    call(
        reqwest::Method::POST,
        "/api/v1/components",
        json!({"name": "api", "imageRepository": "myorg/api", "registryIntegrationId": "reg"}),
    );
    call(
        reqwest::Method::POST,
        "/api/v1/components/api/sync-versions",
        json!({}),
    );
    call(
        reqwest::Method::POST,
        "/api/v1/registry-integrations/reg/test",
        json!({}),
    );
    call(
        reqwest::Method::PUT,
        "/api/v1/registry-integrations/reg",
        json!({"auth": {"type": "bearer", "token": SECRET}}),
    );
    call(
        reqwest::Method::POST,
        "/api/v1/components/api/sync-versions",
        json!({"forceRefresh": true}),
    );
    call(
        reqwest::Method::POST,
        "/api/v1/version-maps",
        json!({"componentId": "api", "tag": "v1.0.0"}),
    );
    call(
        reqwest::Method::GET,
        "/api/v1/registry-integrations",
        json!(null),
    );
    call(reqwest::Method::GET, "/api/v1/audit-events", json!(null));
    let log = server.log.clone();
    assert!(server.terminate().success());
    assert!(
        bodies.contains("registry_error"),
        "the failure paths ran: {bodies}"
    );
    assert!(
        !bodies.contains(SECRET),
        "a response leaked the secret: {bodies}"
    );
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("sync failed"), "the failure was logged");
    assert!(!log.contains(SECRET), "the log leaked the secret");
    // At rest: the database files hold only ciphertext, and the key file is private.
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // The (empty) asset folder.
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{} holds the secret",
            path.display()
        );
    }
    let mode = std::fs::metadata(data.join("secret-key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// SIGTERM lets a request in flight finish: a sync held up by a slow registry still answers 200,
/// then the server exits cleanly.
#[test]
fn sigterm_drains_in_flight_requests() {
    use relman_test_support::registry::{
        Fault, FaultRule, ImageSpec, Pagination, RegistryMode, RegistryProxy, TestRegistry,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let registry = rt.block_on(TestRegistry::start(RegistryMode::Anonymous));
    rt.block_on(
        registry
            .pusher()
            .push_image("myorg/api", "v1.0.0", &ImageSpec::default()),
    );
    let proxy = rt.block_on(RegistryProxy::start(
        &registry.url(),
        Pagination::PassThrough,
    ));
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), &[]);
    let client = server.client();
    for (path, body) in [
        (
            "/api/v1/registry-integrations",
            json!({"name": "reg", "url": proxy.url(), "insecure": true}),
        ),
        (
            "/api/v1/components",
            json!({"name": "api", "imageRepository": "myorg/api", "registryIntegrationId": "reg"}),
        ),
    ] {
        let r = client
            .post(server.url(path))
            .bearer_auth(&server.token)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    proxy.inject(FaultRule::new(
        "/tags/list",
        1,
        Fault::Delay(std::time::Duration::from_secs(2)),
    ));
    let url = server.url("/api/v1/components/api/sync-versions");
    let token = server.token.clone();
    let in_flight = std::thread::spawn(move || {
        reqwest::blocking::Client::new()
            .post(url)
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .map(|r| r.status())
    });
    std::thread::sleep(std::time::Duration::from_millis(700));
    let status = server.terminate();
    assert_eq!(
        in_flight.join().unwrap().unwrap(),
        200,
        "the in-flight sync completed"
    );
    assert!(status.success());
}
