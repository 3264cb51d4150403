//! A real OCI registry for tests: Debian's `docker-registry` (CNCF distribution) on a free loopback
//! port with a temporary storage folder, anonymous or behind htpasswd or token auth; a client
//! that pushes test images over the registry API; and proxies that paginate tag lists or inject
//! faults a real registry does not produce.
//!
//! ```ignore
//! let registry = TestRegistry::start(RegistryMode::Anonymous).await;
//! let image = registry.pusher().push_image("team/api", "v1.0.0", &ImageSpec::default()).await;
//! ```
//!
//! A missing `/usr/bin/docker-registry` fails the test with the install command; it never skips.

mod images;
mod process;
mod proxy;
mod push;
mod server;
mod token;

use std::process::Child;
use std::sync::{Arc, Mutex};

use tempfile::TempDir;

pub use images::{ImageSpec, PushedImage, PushedIndex, PushedPlatform};
pub use proxy::{Fault, FaultRule, Pagination, RecordedRequest, RegistryProxy};
pub use push::Pusher;
pub use token::TokenRequest;

use process::{AuthConfig, Notifications, spawn_registry};
use token::{ISSUER, SERVICE, TokenIssuer, TokenServer};

/// The egress policy a client needs to reach a [`TestRegistry`], its token endpoint and its
/// proxies, which all listen on 127.0.0.1: the strict default refuses loopback.
pub fn loopback_egress() -> relman_egress::EgressPolicy {
    relman_egress::EgressPolicy::default().allowing_loopback()
}

/// The user name accepted by htpasswd and token registries.
pub const USERNAME: &str = "relman-ci";
/// The password accepted by htpasswd and token registries.
pub const PASSWORD: &str = "s3cret-Pa55word";

/// How the test registry authenticates clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryMode {
    /// No authentication.
    Anonymous,
    /// HTTP basic auth against an htpasswd file (bcrypt) holding [`USERNAME`]/[`PASSWORD`].
    Htpasswd,
    /// Bearer token auth: the registry sends clients to an in-process token endpoint, which takes
    /// [`USERNAME`]/[`PASSWORD`] as basic auth and signs ES256 JWTs.
    Token,
}

/// A running `docker-registry` process; killed when dropped.
pub struct TestRegistry {
    mode: RegistryMode,
    port: u16,
    child: Mutex<Option<Child>>,
    token: Option<TokenServer>,
    // Dropped last: the storage folder outlives the process.
    _dir: TempDir,
}

impl TestRegistry {
    /// Starts a registry in `mode` and waits until it answers.
    ///
    /// # Panics
    /// When `/usr/bin/docker-registry` (apt package `docker-registry`), `htpasswd` (apt package
    /// `apache2-utils`, htpasswd mode) or `openssl` (token mode) is missing, or the registry does
    /// not come up.
    pub async fn start(mode: RegistryMode) -> Self {
        Self::start_inner(mode, None).await
    }

    /// Starts an anonymous registry that POSTs its notifications (distribution's
    /// `application/vnd.docker.distribution.events.v1+json`) to `url` with
    /// `Authorization: Bearer <bearer>`.
    pub async fn start_notifying(url: &str, bearer: &str) -> Self {
        let notify = Notifications {
            url: url.to_owned(),
            bearer: bearer.to_owned(),
        };
        Self::start_inner(RegistryMode::Anonymous, Some(&notify)).await
    }

    async fn start_inner(mode: RegistryMode, notify: Option<&Notifications>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("relman-registry-")
            .tempdir()
            .expect("create a temporary registry folder");
        let mut token = None;
        let auth = match mode {
            RegistryMode::Anonymous => AuthConfig::None,
            RegistryMode::Htpasswd => AuthConfig::Htpasswd {
                path: write_htpasswd(dir.path()),
            },
            RegistryMode::Token => {
                let issuer = Arc::new(TokenIssuer::create(dir.path()));
                let server = TokenServer::start(issuer).await;
                let auth = AuthConfig::Token {
                    realm: server.realm(),
                    service: SERVICE.to_owned(),
                    issuer: ISSUER.to_owned(),
                    cert: dir.path().join("token-cert.pem"),
                };
                token = Some(server);
                auth
            }
        };
        let (child, port) = spawn_registry(dir.path(), &auth, notify).await;
        Self {
            mode,
            port,
            child: Mutex::new(Some(child)),
            token,
            _dir: dir,
        }
    }

    /// The base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The mode the registry runs in.
    pub fn mode(&self) -> RegistryMode {
        self.mode
    }

    /// A client that pushes and deletes images with full rights, whatever the mode.
    pub fn pusher(&self) -> Pusher {
        let auth = match self.mode {
            RegistryMode::Anonymous => push::PushAuth::None,
            RegistryMode::Htpasswd => push::PushAuth::Basic,
            RegistryMode::Token => push::PushAuth::Token(
                self.token
                    .as_ref()
                    .expect("token mode has a token server")
                    .issuer
                    .clone(),
            ),
        };
        Pusher::new(self.url(), auth)
    }

    /// Every request the token endpoint answered so far (token mode; empty otherwise).
    pub fn token_requests(&self) -> Vec<TokenRequest> {
        self.token
            .as_ref()
            .map(TokenServer::requests)
            .unwrap_or_default()
    }

    /// Stops the registry process now (for "registry went away" tests). Idempotent.
    pub fn stop(&self) {
        let mut child = self.child.lock().expect("registry child lock");
        if let Some(mut child) = child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Writes an htpasswd file (bcrypt, as distribution requires) with the test credentials.
fn write_htpasswd(dir: &std::path::Path) -> std::path::PathBuf {
    let output = std::process::Command::new("htpasswd")
        .args(["-Bbn", USERNAME, PASSWORD])
        .output()
        .unwrap_or_else(|e| {
            panic!("run htpasswd (install it: apt-get install apache2-utils): {e}")
        });
    assert!(
        output.status.success(),
        "htpasswd failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let path = dir.join("htpasswd");
    std::fs::write(&path, output.stdout).expect("write htpasswd file");
    path
}
