//! The same cases against both backends: a temporary folder, and a real S3-compatible server
//! (moto) on a loopback port.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod cases;

use relman_objects::{Objects, ObjectsConfig};
use relman_test_support::s3::TestS3;
use tempfile::TempDir;

/// A store and whatever keeps it alive.
pub enum Backend {
    /// A temporary folder.
    Filesystem(TempDir),
    /// A moto server.
    S3(TestS3),
}

impl Backend {
    /// The folder of the filesystem backend, to look for leftovers.
    pub fn folder(&self) -> Option<&std::path::Path> {
        match self {
            Backend::Filesystem(dir) => Some(dir.path()),
            Backend::S3(_) => None,
        }
    }
}

/// A store in a temporary folder.
pub async fn filesystem() -> (Objects, Backend) {
    let dir = TempDir::new().unwrap();
    let objects = Objects::open(&ObjectsConfig::Filesystem {
        root: dir.path().join("assets"),
    })
    .unwrap();
    (objects, Backend::Filesystem(dir))
}

/// A store in a fresh bucket of a moto server.
pub async fn s3() -> (Objects, Backend) {
    let server = TestS3::start().await;
    let objects = Objects::open(&ObjectsConfig::S3(server.config())).unwrap();
    (objects, Backend::S3(server))
}

/// One `#[tokio::test]` per backend for each case.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod filesystem {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let (objects, backend) = crate::filesystem().await;
                    crate::cases::$case(&objects, &backend).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let (objects, backend) = crate::s3().await;
                    crate::cases::$case(&objects, &backend).await;
                }
            )*
        }
    };
}

on_both_backends!(
    large_round_trip_with_ranges,
    small_and_empty_objects,
    over_the_limit_leaves_nothing,
    failed_body_leaves_nothing,
    delete_is_idempotent,
    keys_are_checked,
    the_store_answers_check,
);

#[tokio::test]
async fn an_unreachable_s3_fails_check_quickly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = relman_objects::S3Config::new("nowhere");
    config.endpoint = Some(format!("http://127.0.0.1:{port}"));
    config.allow_http = true;
    config.access_key_id = Some("x".into());
    config.secret_access_key = Some("y".into());
    let objects = Objects::open(&ObjectsConfig::S3(config)).unwrap();
    let started = std::time::Instant::now();
    let err = objects.check().await.unwrap_err();
    assert!(
        matches!(
            err,
            relman_objects::ObjectsError::Store { backend: "s3", .. }
        ),
        "{err}"
    );
    println!("unreachable S3 answered in {:?}", started.elapsed());
}
