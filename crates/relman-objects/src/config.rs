//! Which store holds the bytes, and opening it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::ClientOptions;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;

use crate::{Objects, ObjectsError};

/// Where asset bytes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectsConfig {
    /// A folder on the local filesystem (created when missing).
    Filesystem {
        /// The folder.
        root: PathBuf,
    },
    /// An S3-compatible bucket.
    S3(S3Config),
}

/// An S3-compatible bucket. Requests use path-style addressing (`endpoint/bucket/key`), which
/// AWS and every S3-compatible server accept.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// The endpoint URL; `None` for AWS itself (from the region).
    pub endpoint: Option<String>,
    /// The region (`us-east-1` for most S3-compatible servers).
    pub region: String,
    /// The access key id; with the secret, `None` takes both from the standard `AWS_*`
    /// environment variables (or the instance's role).
    pub access_key_id: Option<String>,
    /// The secret access key.
    pub secret_access_key: Option<String>,
    /// Allow a plain-HTTP endpoint (a server on loopback or inside a private network).
    pub allow_http: bool,
    /// A key prefix inside the bucket, e.g. `relman/` when the bucket is shared.
    pub prefix: Option<String>,
    /// Connect timeout.
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log.
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .field("allow_http", &self.allow_http)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl S3Config {
    /// A bucket on AWS in `us-east-1` with credentials from the environment.
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            endpoint: None,
            region: "us-east-1".into(),
            access_key_id: None,
            secret_access_key: None,
            allow_http: false,
            prefix: None,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

pub(crate) fn open(config: &ObjectsConfig) -> Result<Objects, ObjectsError> {
    match config {
        ObjectsConfig::Filesystem { root } => {
            std::fs::create_dir_all(root).map_err(|e| ObjectsError::Config {
                message: format!("cannot create the asset folder {}: {e}", root.display()),
            })?;
            let root = root.canonicalize().map_err(|e| ObjectsError::Config {
                message: format!("cannot open the asset folder {}: {e}", root.display()),
            })?;
            let store =
                LocalFileSystem::new_with_prefix(&root).map_err(|e| ObjectsError::Config {
                    message: format!("cannot open the asset folder {}: {e}", root.display()),
                })?;
            Ok(Objects {
                store: Arc::new(store),
                local_root: Some(root),
                backend: "filesystem",
            })
        }
        ObjectsConfig::S3(s3) => {
            let mut builder = AmazonS3Builder::from_env()
                .with_bucket_name(&s3.bucket)
                .with_region(&s3.region)
                .with_virtual_hosted_style_request(false)
                .with_allow_http(s3.allow_http)
                .with_client_options(
                    ClientOptions::new()
                        .with_connect_timeout(s3.connect_timeout)
                        .with_allow_http(s3.allow_http),
                );
            if let Some(endpoint) = &s3.endpoint {
                builder = builder.with_endpoint(endpoint);
            }
            if let (Some(id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) {
                builder = builder
                    .with_access_key_id(id)
                    .with_secret_access_key(secret);
            }
            let store = builder.build().map_err(|e| ObjectsError::Config {
                message: format!("S3 bucket {}: {e}", s3.bucket),
            })?;
            let store: Arc<dyn object_store::ObjectStore> =
                match s3.prefix.as_deref().map(|p| p.trim_matches('/')) {
                    Some(prefix) if !prefix.is_empty() => {
                        Arc::new(PrefixStore::new(store, prefix.to_owned()))
                    }
                    _ => Arc::new(store),
                };
            Ok(Objects {
                store,
                local_root: None,
                backend: "s3",
            })
        }
    }
}
