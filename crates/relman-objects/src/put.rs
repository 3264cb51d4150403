//! Streaming a body into an object: hashed and counted on the way, aborted on any failure.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::WriteMultipart;
use sha2::{Digest as _, Sha256};

use crate::{ObjectKey, Objects, ObjectsError, PutError};

/// Part size of multipart uploads: S3's minimum, and the most a part buffers.
const PART_SIZE: usize = 5 << 20;
/// Parts in flight at once; with the part being filled, memory stays under 3 parts.
const PARTS_IN_FLIGHT: usize = 2;

/// What was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Bytes written.
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
}

impl Objects {
    /// Streams `body` into the object at `key`, never holding more than a few parts of it.
    /// More than `limit` bytes, a body error or a store failure abort the upload, leaving
    /// nothing behind. On the filesystem the bytes are fsynced before this returns.
    pub async fn put_stream<S, E>(
        &self,
        key: &ObjectKey,
        body: S,
        limit: u64,
    ) -> Result<Stored, PutError<E>>
    where
        S: Stream<Item = Result<Bytes, E>>,
    {
        let upload = self
            .store
            .put_multipart(key.path())
            .await
            .map_err(|e| PutError::Store(self.error(e)))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut body = std::pin::pin!(body);
        let failure = loop {
            let chunk = match body.next().await {
                None => break None,
                Some(Err(e)) => break Some(PutError::Body(e)),
                Some(Ok(chunk)) => chunk,
            };
            size = size.saturating_add(chunk.len() as u64);
            if size > limit {
                break Some(PutError::TooLarge { limit });
            }
            hasher.update(&chunk);
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                break Some(PutError::Store(self.error(e)));
            }
            writer.put(chunk);
        };
        if let Some(failure) = failure {
            // Best effort: a failed abort leaves staged parts that S3 lifecycle rules expire
            // and that the filesystem backend never shows under the key.
            if let Err(e) = writer.abort().await {
                tracing::warn!(key = %key, error = %e, "aborting an upload failed");
            }
            return Err(failure);
        }
        writer
            .finish()
            .await
            .map_err(|e| PutError::Store(self.error(e)))?;
        if let Some(root) = &self.local_root {
            let path = root.join(key.as_str());
            sync_file_and_folder(&path).await.map_err(|e| {
                PutError::Store(ObjectsError::Store {
                    backend: self.backend,
                    message: format!("fsync of {}: {e}", path.display()),
                })
            })?;
        }
        Ok(Stored {
            size,
            sha256: hex(&hasher.finalize()),
        })
    }
}

async fn sync_file_and_folder(path: &std::path::Path) -> std::io::Result<()> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        std::fs::File::open(&path)?.sync_all()?;
        if let Some(parent) = path.parent() {
            std::fs::File::open(parent)?.sync_all()?;
        }
        Ok(())
    })
    .await
    .map_err(std::io::Error::other)?
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
