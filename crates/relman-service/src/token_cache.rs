//! Live API tokens recently presented, by the hash of their secret, so that authenticating a
//! request costs no database round trip.
//!
//! An entry is trusted for [`TOKEN_CACHE_TTL`] after it was read. Revoking a token through this
//! process forgets it at once, so revocation is immediate on the replica that revoked; another
//! replica may accept the token until its entry is that old (docs/ACCESS.md). Expiry is checked
//! on every request against the cached token, so an expired token is refused on time. Tokens are
//! immutable apart from revocation and their use stamp, so nothing else can go stale.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use relman_domain::ApiToken;
use uuid::Uuid;

use crate::bounded::BoundedMap;

/// How long a token read from the database is trusted without reading it again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(5);

/// Tokens held at most.
const CAPACITY: usize = 4_096;

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct TokenCache {
    held: Mutex<BoundedMap<String, (ApiToken, Instant)>>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self {
            held: Mutex::new(BoundedMap::new(CAPACITY)),
        }
    }
}

impl TokenCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, BoundedMap<String, (ApiToken, Instant)>> {
        // A cache: whatever a panicking holder left is still a valid map.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The token whose secret hashes to `hash`, if it was read less than the TTL ago.
    pub(crate) fn get(&self, hash: &str) -> Option<ApiToken> {
        let mut held = self.lock();
        match held.get(hash) {
            Some((token, read)) if read.elapsed() < TOKEN_CACHE_TTL => Some(token),
            Some(_) => {
                held.remove(hash);
                None
            }
            None => None,
        }
    }

    /// Holds a live token just read from the database.
    pub(crate) fn insert(&self, hash: String, token: ApiToken) {
        self.lock().insert(hash, (token, Instant::now()));
    }

    /// Records that the token's use was just written, so the next requests need not write it.
    pub(crate) fn used(&self, hash: &str, at: DateTime<Utc>) {
        let mut held = self.lock();
        if let Some((mut token, read)) = held.get(hash) {
            token.last_used_at = Some(at);
            held.insert(hash.to_owned(), (token, read));
        }
    }

    /// Forgets the token `id` (revoked).
    pub(crate) fn forget(&self, id: Uuid) {
        self.lock().retain(|_, (token, _)| token.id != id);
    }
}
