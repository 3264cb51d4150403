//! Short-lived caches of reads that any write of their kind invalidates: version-list pages and
//! release-list counts.
//!
//! Both are read far more often than they change, and both are cheap to recompute but not free
//! (a page query, an index count over every member row of a component). A cache holds answers
//! together with the write generation they were read at; every write of the kind through this
//! service bumps the generation, so an answer never outlives a local write. Writes by other
//! replicas sharing PostgreSQL are not seen, so every answer also expires after [`READ_TTL`]: that
//! is the bound on how stale another replica's write can look here (docs/OPERATIONS.md).
//!
//! A read that raced a write must not store what it read before the write: it stores its answer
//! only if the generation it saw before reading is still current.

use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::bounded::BoundedMap;

/// How long an answer is served without asking the database again.
pub const READ_TTL: Duration = Duration::from_secs(1);

/// Answers held at most per cache.
const CAPACITY: usize = 4_096;

#[derive(Debug)]
struct Inner<K, V> {
    generation: u64,
    answers: BoundedMap<K, (V, u64, Instant)>,
}

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct ReadCache<K, V> {
    inner: Mutex<Inner<K, V>>,
    ttl: Duration,
}

impl<K: Hash + Eq, V: Clone> Default for ReadCache<K, V> {
    fn default() -> Self {
        Self::new(CAPACITY, READ_TTL)
    }
}

impl<K: Hash + Eq, V: Clone> ReadCache<K, V> {
    fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            inner: Mutex::new(Inner {
                generation: 0,
                answers: BoundedMap::new(capacity),
            }),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The held answer for `key`, if it was read at the current generation and is fresh.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let mut inner = self.lock();
        let generation = inner.generation;
        match inner.answers.get(key) {
            Some((value, seen, at)) if seen == generation && at.elapsed() < self.ttl => Some(value),
            _ => None,
        }
    }

    /// The generation to pass to [`ReadCache::insert`]; read it before reading the database.
    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Holds `value` for `key` if no write happened since `seen` was taken.
    pub(crate) fn insert(&self, key: K, value: V, seen: u64) {
        let mut inner = self.lock();
        if inner.generation == seen {
            inner.answers.insert(key, (value, seen, Instant::now()));
        }
    }

    /// A write happened: nothing held before it is served again.
    pub(crate) fn invalidate(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.answers.retain(|_, _| false);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::ReadCache;

    #[test]
    fn serves_until_a_write_and_never_stores_a_raced_read() {
        let cache: ReadCache<&str, u32> = ReadCache::default();
        let seen = cache.generation();
        cache.insert("a", 1, seen);
        assert_eq!(cache.get(&"a"), Some(1));
        cache.invalidate();
        assert_eq!(cache.get(&"a"), None, "a write forgets every answer");
        // Read before the write, stored after it: dropped.
        cache.insert("a", 1, seen);
        assert_eq!(cache.get(&"a"), None);
        let now = cache.generation();
        cache.insert("a", 2, now);
        assert_eq!(cache.get(&"a"), Some(2));
    }

    #[test]
    fn answers_expire() {
        let cache: ReadCache<&str, u32> = ReadCache::new(8, Duration::ZERO);
        cache.insert("a", 1, cache.generation());
        assert_eq!(cache.get(&"a"), None, "an expired answer is read again");
    }
}
