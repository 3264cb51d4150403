//! Where relman keeps release asset bytes: a folder on the local filesystem (the default) or an
//! S3-compatible bucket (the scale-out option, shared by replicas), behind one API over the
//! `object_store` crate.
//!
//! - **Streamed, bounded memory.** [`Objects::put_stream`] writes a body chunk by chunk as a
//!   multipart upload (5 MiB parts, at most two in flight), hashing and counting on the way; a
//!   download is a stream of chunks, optionally of one byte range.
//! - **Nothing half-written survives.** A body that errors, grows past its limit or meets a
//!   store failure aborts the upload, which removes what was staged. On the filesystem the object
//!   appears under its key only by a rename once complete.
//! - **Durable when acknowledged.** On the filesystem the file and its folder are fsynced before
//!   `put_stream` returns; S3 acknowledges a completed upload only once it is stored.

mod config;
mod error;
mod get;
mod key;
mod put;

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::TryStreamExt;
use object_store::ObjectStore;

pub use config::{ObjectsConfig, S3Config};
pub use error::{ObjectsError, PutError};
pub use get::ObjectRead;
pub use key::ObjectKey;
pub use put::Stored;

/// An object listed by [`Objects::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written.
    pub last_modified: chrono::DateTime<chrono::Utc>,
}

/// Asset bytes in their configured store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    /// The folder of the filesystem backend, for fsync; `None` for S3.
    local_root: Option<PathBuf>,
    backend: &'static str,
}

impl Objects {
    /// Opens the configured store (creating the filesystem folder when missing). Nothing is
    /// contacted yet: [`Objects::check`] tells whether the store answers.
    pub fn open(config: &ObjectsConfig) -> Result<Self, ObjectsError> {
        config::open(config)
    }

    /// `filesystem` or `s3`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Deletes an object; deleting one that does not exist succeeds (a retry is harmless).
    pub async fn delete(&self, key: &ObjectKey) -> Result<(), ObjectsError> {
        match self.store.delete(key.path()).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Removes an object and, on the filesystem, anything an interrupted upload of it staged
    /// (object_store stages `<key>#<n>` files next to it until the upload completes).
    pub async fn discard(&self, key: &ObjectKey) -> Result<(), ObjectsError> {
        self.delete(key).await?;
        let Some(root) = &self.local_root else {
            return Ok(());
        };
        let path = root.join(key.as_str());
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return Ok(());
        };
        let staged = format!("{}#", name.to_string_lossy());
        let folder = folder.to_owned();
        let backend = self.backend;
        tokio::task::spawn_blocking(move || {
            let entries = match std::fs::read_dir(&folder) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            };
            for entry in entries {
                let entry = entry?;
                if entry.file_name().to_string_lossy().starts_with(&staged) {
                    std::fs::remove_file(entry.path())?;
                }
            }
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r)
        .map_err(|e| ObjectsError::Store {
            backend,
            message: format!("removing staged parts: {e}"),
        })
    }

    /// The objects under `prefix`, for sweeping orphans.
    pub async fn list(&self, prefix: &ObjectKey) -> Result<Vec<ObjectInfo>, ObjectsError> {
        self.store
            .list(Some(prefix.path()))
            .map_ok(|meta| ObjectInfo {
                key: meta.location.to_string(),
                size: meta.size,
                last_modified: meta.last_modified,
            })
            .try_collect()
            .await
            .map_err(|e| self.error(e))
    }

    /// Whether the store answers: one request for a key that never exists.
    pub async fn check(&self) -> Result<(), ObjectsError> {
        let probe = object_store::path::Path::from(".relman-readiness-probe");
        match self.store.head(&probe).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    /// A store error, without credentials (object_store's messages never carry them).
    fn error(&self, e: object_store::Error) -> ObjectsError {
        match e {
            object_store::Error::NotFound { path, .. } => ObjectsError::NotFound { key: path },
            other => ObjectsError::Store {
                backend: self.backend,
                message: other.to_string(),
            },
        }
    }
}
