//! Test-only: the whole relman application served over real TCP on a free loopback port, over a
//! fresh database (SQLite or PostgreSQL) and a filesystem asset store, composed as the server
//! binary composes it. End-to-end tests of the client and the CLI talk to it like to a deployment.

#![expect(
    clippy::expect_used,
    reason = "test-only crate: a failed set-up must stop the test loudly"
)]

use std::net::TcpListener;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use actix_web::HttpServer;
use actix_web::dev::ServerHandle;
use relman_http::{AppState, Authenticator, HttpSettings};
use relman_objects::{Objects, ObjectsConfig};
use relman_service::{AssetStore, HttpConnector, Service};
use relman_storage::{PoolOptions, Store};
use relman_test_support::db::TestDb;
use relman_test_support::registry::loopback_egress;

/// The admin token of every test server.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A running server; stopped when dropped.
pub struct TestServer {
    url: String,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    _db: TestDb,
    _assets: tempfile::TempDir,
}

impl TestServer {
    /// Serves a fresh application over `db` until dropped.
    pub fn start(db: TestDb) -> Self {
        let assets = tempfile::tempdir().expect("asset folder");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let (tx, rx) = mpsc::channel();
        let url = db.url.clone();
        let root = assets.path().to_owned();
        // actix runs its own single-threaded system; the test's runtime stays free for clients.
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let store = Store::open(url, PoolOptions::default())
                    .await
                    .expect("open the store");
                let objects = Objects::open(&ObjectsConfig::Filesystem { root }).expect("assets");
                // Registries of the tests listen on loopback, which the strict default refuses.
                let connector = HttpConnector::new(loopback_egress());
                let service = Service::with_registry_connector(store, Arc::new(connector))
                    .with_egress(loopback_egress())
                    .with_assets(AssetStore {
                        objects,
                        max_bytes: relman_service::DEFAULT_MAX_ASSET_BYTES,
                    });
                service.ensure_signing_key().await.expect("signing key");
                let state = AppState::new(
                    service,
                    Authenticator::with_admin_token(ADMIN_TOKEN),
                    &HttpSettings::default(),
                );
                let server = HttpServer::new(move || relman_http::app(state.clone()))
                    .listen(listener)
                    .expect("listen")
                    .workers(2)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .run();
                tx.send(server.handle())
                    .expect("hand over the server handle");
                server.await.expect("serve");
            });
        });
        let handle = rx.recv().expect("the server started");
        Self {
            url: format!("http://127.0.0.1:{port}"),
            handle,
            thread: Some(thread),
            _db: db,
            _assets: assets,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The admin token.
    pub fn token(&self) -> &str {
        ADMIN_TOKEN
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Stopping is asynchronous; a short-lived runtime drives it to the end.
        let handle = self.handle.clone();
        let stopper = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(handle.stop(false));
        });
        let _ = stopper.join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
