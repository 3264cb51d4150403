//! Serialized releases, kept by release and version so that a repeated read costs neither
//! serialization nor hashing.
//!
//! The key is the release's id and `updated_at`, which every change moves: a changed release is
//! a new key, never a stale entry, so nothing here needs forgetting. Whether the release itself
//! is current is the service's release cache's concern.

use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use relman_domain::Release;
use relman_service::RELEASE_CACHE_CAPACITY;
use relman_service::bounded::BoundedMap;
use uuid::Uuid;

use crate::conditional::TaggedBody;
use crate::error::ApiError;
use relman_wire::ErrorCode;
use relman_wire::releases::ReleaseResponse;

/// A release version and whether it was the latest release when serialized.
type BodyKey = (Uuid, DateTime<Utc>, bool);

/// See the module documentation.
#[derive(Debug)]
pub struct ReleaseBodies {
    held: Mutex<BoundedMap<BodyKey, TaggedBody>>,
}

impl Default for ReleaseBodies {
    fn default() -> Self {
        Self {
            held: Mutex::new(BoundedMap::new(RELEASE_CACHE_CAPACITY)),
        }
    }
}

impl ReleaseBodies {
    /// The body and tag of `release`, serialized at most once per version; `latest` is the
    /// latest release's id (it decides `isLatest`, so it is part of the key).
    pub fn of(&self, release: &Release, latest: Option<Uuid>) -> Result<TaggedBody, ApiError> {
        let key = (release.id, release.updated_at, latest == Some(release.id));
        if let Some(hit) = self.lock().get(&key) {
            return Ok(hit);
        }
        let tagged =
            TaggedBody::json(&ReleaseResponse::new(release.clone(), latest)).map_err(|e| {
                tracing::error!(error = %e, release = %release.id, "serializing a release");
                ApiError::new(
                    ErrorCode::InternalError,
                    "the release could not be serialized",
                )
            })?;
        self.lock().insert(key, tagged.clone());
        Ok(tagged)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BoundedMap<BodyKey, TaggedBody>> {
        // A cache: whatever a panicking holder left is still a valid map.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
