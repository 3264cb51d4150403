//! Recently read released releases, in memory, so that reading one costs no database round trip.
//!
//! Once a release leaves `draft`, only its status, display name, notes, metadata and deprecation
//! reason can change, and every change moves its `updated_at`. Drafts are never held (their
//! members may still change). Every change this process makes goes through the service, which
//! forgets the release as soon as the change is committed. Changes made by other replicas sharing
//! the database are found by [`Service::refresh_release_cache`], which the server runs every
//! second (docs/OPERATIONS.md): it compares each held release's `updated_at` with the database's
//! (one indexed query for all of them) and forgets those that changed or were deleted.
//!
//! A read that raced a change must not put the old state back after the change forgot it: every
//! forgetting bumps a generation, and a read stores its result only if the generation it saw
//! before reading is still current.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use relman_domain::{Release, ReleaseStatus};
use uuid::Uuid;

use crate::Service;
use crate::bounded::BoundedMap;
use crate::error::ServiceError;
use crate::input::Key;

/// Releases held at most (a 20-member release is about 10 KB in memory).
pub const RELEASE_CACHE_CAPACITY: usize = 1_024;

/// Releases whose `updated_at` one refresh query checks.
const REFRESH_CHUNK: usize = 500;

#[derive(Debug)]
struct Inner {
    generation: u64,
    by_id: BoundedMap<Uuid, Arc<Release>>,
    by_name: BoundedMap<String, Uuid>,
}

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct ReleaseCache {
    inner: Mutex<Inner>,
}

impl Default for ReleaseCache {
    fn default() -> Self {
        Self::new(RELEASE_CACHE_CAPACITY)
    }
}

impl ReleaseCache {
    fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                generation: 0,
                by_id: BoundedMap::new(capacity),
                by_name: BoundedMap::new(capacity),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The data is a cache: what a panicking holder left is still a valid map.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The held release `key` names, if any.
    fn get(&self, key: &Key<'_>) -> Option<Arc<Release>> {
        let mut inner = self.lock();
        let id = match key {
            Key::Id(id) => *id,
            Key::Name(name) => inner.by_name.get(*name)?,
        };
        inner.by_id.get(&id)
    }

    /// The generation to hand to [`ReleaseCache::insert`] after reading.
    fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Holds `release` unless it is a draft or something was forgotten since `seen` was taken
    /// (the read may then be older than that change).
    fn insert(&self, release: &Arc<Release>, seen: u64) {
        if release.status == ReleaseStatus::Draft {
            return;
        }
        let mut inner = self.lock();
        if inner.generation != seen {
            return;
        }
        inner.by_name.insert(release.name.to_string(), release.id);
        inner.by_id.insert(release.id, Arc::clone(release));
    }

    /// Forgets the release `id`, by id and by name.
    pub(crate) fn forget(&self, id: Uuid) {
        let mut inner = self.lock();
        inner.generation += 1;
        if let Some(old) = inner.by_id.remove(&id) {
            inner.by_name.remove(old.name.as_str());
        }
        inner.by_name.retain(|_, held| *held != id);
    }

    /// The id and `updated_at` of every held release.
    fn stamps(&self) -> Vec<(Uuid, DateTime<Utc>)> {
        self.lock()
            .by_id
            .iter()
            .map(|(id, r)| (*id, r.updated_at))
            .collect()
    }
}

impl Service {
    /// A release by UUID or name, from memory when it is held there (no database round trip,
    /// no blocking thread); drafts are always read from the database. Serves reads only: a
    /// change decides on a fresh read ([`Service::release`]).
    pub async fn release_cached(&self, key: &str) -> Result<Arc<Release>, ServiceError> {
        let parsed = Key::parse(key);
        if let Some(hit) = self.release_cache.get(&parsed) {
            return Ok(hit);
        }
        let seen = self.release_cache.generation();
        let release = Arc::new(self.release(key).await?);
        self.release_cache.insert(&release, seen);
        Ok(release)
    }

    /// Forgets every held release whose `updated_at` in the database differs from the held one,
    /// or that is gone: what other replicas changed. Returns how many were forgotten.
    pub async fn refresh_release_cache(&self) -> Result<usize, ServiceError> {
        let held = self.release_cache.stamps();
        let mut forgotten = 0;
        for chunk in held.chunks(REFRESH_CHUNK) {
            let current: std::collections::HashMap<Uuid, DateTime<Utc>> = self
                .store
                .release_stamps(chunk.iter().map(|(id, _)| *id).collect())
                .await?
                .into_iter()
                .collect();
            for (id, updated_at) in chunk {
                if current.get(id) != Some(updated_at) {
                    self.release_cache.forget(*id);
                    forgotten += 1;
                }
            }
        }
        Ok(forgotten)
    }

    /// Runs [`Service::refresh_release_cache`] every `interval`, for as long as the runtime
    /// lives. A failed refresh is logged and retried at the next tick; the releases it could not
    /// check are forgotten, so that a replica cut off from the database serves nothing stale
    /// once it is back.
    pub async fn refresh_release_cache_every(self, interval: std::time::Duration) {
        loop {
            tokio::time::sleep(interval).await;
            match self.refresh_release_cache().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(forgotten = n, "release cache refreshed"),
                Err(e) => {
                    tracing::warn!(error = %e, "release cache refresh failed; forgetting all");
                    for (id, _) in self.release_cache.stamps() {
                        self.release_cache.forget(id);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(status: ReleaseStatus) -> Arc<Release> {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        Arc::new(Release {
            id: Uuid::now_v7(),
            name: "rel-1".parse().unwrap(),
            display_name: "rel-1".into(),
            status,
            members: vec![],
            digest: relman_domain::content_digest(&[]),
            version: None,
            notes: None,
            prerelease: false,
            metadata: Default::default(),
            source_ref: None,
            created_at: now,
            created_by: "test".into(),
            updated_at: now,
            deprecated_reason: None,
        })
    }

    #[test]
    fn holds_released_but_never_drafts() {
        let cache = ReleaseCache::new(8);
        let draft = release(ReleaseStatus::Draft);
        cache.insert(&draft, cache.generation());
        assert!(cache.get(&Key::Id(draft.id)).is_none());
        let ready = release(ReleaseStatus::Ready);
        cache.insert(&ready, cache.generation());
        assert_eq!(cache.get(&Key::Id(ready.id)).as_deref(), Some(&*ready));
        assert_eq!(cache.get(&Key::Name("rel-1")).as_deref(), Some(&*ready));
    }

    #[test]
    fn a_read_that_raced_a_change_is_not_stored() {
        let cache = ReleaseCache::new(8);
        let ready = release(ReleaseStatus::Ready);
        let seen = cache.generation();
        cache.forget(ready.id);
        cache.insert(&ready, seen);
        assert!(cache.get(&Key::Id(ready.id)).is_none());
        assert!(cache.get(&Key::Name("rel-1")).is_none());
    }

    #[test]
    fn forget_drops_both_keys() {
        let cache = ReleaseCache::new(8);
        let ready = release(ReleaseStatus::Deployed);
        cache.insert(&ready, cache.generation());
        cache.forget(ready.id);
        assert!(cache.get(&Key::Id(ready.id)).is_none());
        assert!(cache.get(&Key::Name("rel-1")).is_none());
        assert!(cache.stamps().is_empty());
    }
}
