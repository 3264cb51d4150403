//! A real S3-compatible server for tests: moto's server mode (PyPI `moto[server]`) on a free
//! loopback port, with a fresh bucket; killed when dropped.
//!
//! The executable is `RELMAN_MOTO_SERVER`, else `.tools/moto/bin/moto_server` in the workspace
//! (which `scripts/test` installs), else `moto_server` on `PATH`. A missing one fails the test
//! with the install command; it never skips.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use relman_objects::S3Config;

/// The access key moto accepts (any is accepted; this one is recognisable in logs).
pub const ACCESS_KEY: &str = "testing";

/// A running moto server with one bucket.
pub struct TestS3 {
    child: Child,
    port: u16,
    bucket: String,
}

fn executable() -> PathBuf {
    if let Some(path) = std::env::var_os("RELMAN_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let local = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../.tools/moto/bin/moto_server"
    ));
    if local.exists() {
        return local;
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("moto_server"))
            .find(|p| p.exists())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "moto_server is missing: run ./scripts/test (it installs it), or \
             python3 -m venv .tools/moto && .tools/moto/bin/pip install 'moto[server]>=5,<6'"
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("find a free loopback port")
        .port()
}

impl TestS3 {
    /// Starts moto and creates a bucket.
    pub async fn start() -> Self {
        static BUCKETS: AtomicU32 = AtomicU32::new(0);
        let exe = executable();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("reqwest client");
        for _ in 0..3 {
            let port = free_port();
            let mut child = Command::new(&exe)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", exe.display()));
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut up = false;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if http
                    .get(format!("http://127.0.0.1:{port}/"))
                    .send()
                    .await
                    .is_ok()
                {
                    up = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if !up {
                let _ = child.kill();
                let _ = child.wait();
                continue;
            }
            let n = BUCKETS.fetch_add(1, Ordering::Relaxed);
            let bucket = format!("relman-test-{}-{n}", std::process::id());
            let created = http
                .put(format!("http://127.0.0.1:{port}/{bucket}"))
                .send()
                .await
                .expect("create the test bucket");
            assert!(
                created.status().is_success(),
                "creating bucket {bucket}: {}",
                created.status()
            );
            return Self {
                child,
                port,
                bucket,
            };
        }
        panic!("moto_server did not come up on a loopback port");
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// A configuration for this bucket.
    pub fn config(&self) -> S3Config {
        S3Config {
            endpoint: Some(self.endpoint()),
            access_key_id: Some(ACCESS_KEY.into()),
            secret_access_key: Some(ACCESS_KEY.into()),
            allow_http: true,
            ..S3Config::new(self.bucket.clone())
        }
    }
}

impl Drop for TestS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
