//! Running Debian's `docker-registry` (CNCF distribution 2.8) as a child process.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's package installs the registry.
pub(crate) const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

/// How the registry authenticates clients.
pub(crate) enum AuthConfig {
    None,
    Htpasswd {
        path: PathBuf,
    },
    Token {
        realm: String,
        service: String,
        issuer: String,
        cert: PathBuf,
    },
}

/// Where the registry sends its push and pull notifications, with which bearer token.
pub(crate) struct Notifications {
    pub(crate) url: String,
    pub(crate) bearer: String,
}

/// Starts the registry on a free loopback port and waits until `/v2/` answers. Retries on a new
/// port if another process grabbed the chosen one between probing and binding.
pub(crate) async fn spawn_registry(
    dir: &Path,
    auth: &AuthConfig,
    notify: Option<&Notifications>,
) -> (Child, u16) {
    assert!(
        Path::new(REGISTRY_BINARY).exists(),
        "{REGISTRY_BINARY} is missing; install docker-registry: apt-get install docker-registry"
    );
    let mut last_log = String::new();
    for attempt in 0..3 {
        let port = free_port();
        let config = dir.join(format!("config-{attempt}.yml"));
        fs::write(&config, config_yaml(dir, port, auth, notify)).expect("write registry config");
        let log_path = dir.join(format!("registry-{attempt}.log"));
        let log = fs::File::create(&log_path).expect("create registry log");
        let mut child = Command::new(REGISTRY_BINARY)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {REGISTRY_BINARY}: {e}"));
        if wait_ready(&mut child, port).await {
            return (child, port);
        }
        let _ = child.kill();
        let _ = child.wait();
        last_log = fs::read_to_string(&log_path).unwrap_or_default();
    }
    panic!("docker-registry did not come up on a loopback port; its log:\n{last_log}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("find a free loopback port")
        .port()
}

/// Polls `GET /v2/` until the registry answers (200 or 401), the process exits, or 20 s pass.
async fn wait_ready(child: &mut Child, port: u16) -> bool {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("reqwest client");
    let url = format!("http://127.0.0.1:{port}/v2/");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(response) = http.get(&url).send().await
            && matches!(response.status().as_u16(), 200 | 401)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn config_yaml(dir: &Path, port: u16, auth: &AuthConfig, notify: Option<&Notifications>) -> String {
    // Distribution's notification queue retries each event; a short backoff keeps tests quick.
    let notify_yaml = notify.map_or_else(String::new, |n| {
        format!(
            "notifications:\n  endpoints:\n    - name: relman\n      url: {}\n      headers:\n        Authorization: [Bearer {}]\n      timeout: 2s\n      threshold: 3\n      backoff: 1s\n",
            n.url, n.bearer
        )
    });
    let storage = dir.join("storage");
    let auth_yaml = match auth {
        AuthConfig::None => String::new(),
        AuthConfig::Htpasswd { path } => format!(
            "auth:\n  htpasswd:\n    realm: relman-test\n    path: {}\n",
            path.display()
        ),
        AuthConfig::Token {
            realm,
            service,
            issuer,
            cert,
        } => format!(
            "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {}\n",
            cert.display()
        ),
    };
    format!(
        "version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: relman-test-upload-secret
{auth_yaml}{notify_yaml}",
        storage = storage.display()
    )
}
