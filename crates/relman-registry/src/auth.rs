//! Authentication: parsing `WWW-Authenticate` challenges, the token response, and a per-scope
//! token cache that fetches each scope's token once even when many requests need it at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use crate::error::RegistryError;

/// What a registry asked for in its `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `Basic realm="…"`.
    Basic,
    /// `Bearer realm="…",service="…",scope="…"`: fetch a token from `realm`.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` value. Schemes are case-insensitive, parameters may be quoted
/// (and quoted values may hold commas, as in `scope="repository:a:pull,push"`). Returns the first
/// challenge relman can answer; `None` when there is none.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let mut rest = header.trim();
    while !rest.is_empty() {
        let scheme_end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        let scheme = &rest[..scheme_end];
        let (params, after) = parse_params(&rest[scheme_end..]);
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Challenge::Basic);
        }
        if scheme.eq_ignore_ascii_case("bearer") {
            let get = |k: &str| {
                params
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(k))
                    .map(|(_, v)| v.clone())
            };
            if let Some(realm) = get("realm") {
                return Some(Challenge::Bearer {
                    realm,
                    service: get("service"),
                    scope: get("scope").filter(|s| !s.is_empty()),
                });
            }
        }
        rest = after.trim_start_matches([',', ' ', '\t']);
    }
    None
}

/// Parses `k=v, k="v", …` until a token that is not a parameter (the next challenge's scheme).
/// Returns the parameters and the unparsed rest.
fn parse_params(input: &str) -> (Vec<(String, String)>, &str) {
    let mut params = Vec::new();
    let mut rest = input.trim_start();
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        let Some(eq) = rest.find('=') else {
            return (params, rest);
        };
        let name = rest[..eq].trim();
        if name.is_empty() || name.contains([' ', '\t', ',']) {
            // Not `name=`: the start of another challenge.
            return (params, rest);
        }
        let mut value_part = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = value_part.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            out.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    other => out.push(other),
                }
            }
            value = out;
            value_part = &quoted[end.min(quoted.len())..];
        } else {
            let end = value_part.find(',').unwrap_or(value_part.len());
            value = value_part[..end].trim().to_owned();
            value_part = &value_part[end..];
        }
        params.push((name.to_owned(), value));
        rest = value_part;
    }
}

/// The token endpoint's answer (distribution token spec). `token` and `access_token` are synonyms;
/// older servers send only `token`, OAuth-style ones only `access_token`.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// A token and how long it may be used.
pub(crate) struct FetchedToken {
    pub(crate) token: String,
    pub(crate) lifetime: Duration,
}

/// Per the token spec a missing `expires_in` means 60 s.
const DEFAULT_TOKEN_LIFETIME: u64 = 60;
/// Tokens are dropped this long before they expire, so a request does not reach the registry
/// with a token that expires in flight.
const EXPIRY_MARGIN: Duration = Duration::from_secs(10);

impl TokenResponse {
    /// The usable token, or `None` when the endpoint sent neither field (or an empty one).
    pub(crate) fn into_token(self) -> Option<FetchedToken> {
        let token = self
            .token
            .filter(|t| !t.is_empty())
            .or(self.access_token.filter(|t| !t.is_empty()))?;
        let secs = self.expires_in.unwrap_or(DEFAULT_TOKEN_LIFETIME);
        let lifetime = Duration::from_secs(secs)
            .checked_sub(EXPIRY_MARGIN)
            .unwrap_or(Duration::from_secs(secs) / 2);
        Some(FetchedToken { token, lifetime })
    }
}

/// A cached token. Deliberately no `Debug`: it holds a secret.
struct CachedToken {
    token: String,
    valid_until: Instant,
}

type Slot = Arc<tokio::sync::Mutex<Option<CachedToken>>>;

/// Tokens per scope key (`repository:<name>:pull`, or empty for registry-wide requests).
///
/// Each key has its own async mutex held across the fetch, so concurrent requests needing the
/// same scope wait for one token request instead of each sending their own.
#[derive(Default)]
pub(crate) struct TokenCache {
    slots: Mutex<HashMap<String, Slot>>,
}

impl TokenCache {
    fn slot(&self, key: &str) -> Slot {
        let mut slots = match self.slots.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        slots.entry(key.to_owned()).or_default().clone()
    }

    /// The cached token for `key`, or a fresh one from `fetch`.
    ///
    /// `rejected` is the token a request just saw refused; it is replaced only if it is still the
    /// cached one, so many requests refused with the same stale token trigger a single refetch.
    pub(crate) async fn get<F, Fut>(
        &self,
        key: &str,
        rejected: Option<&str>,
        fetch: F,
    ) -> Result<String, RegistryError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FetchedToken, RegistryError>>,
    {
        let slot = self.slot(key);
        let mut cached = slot.lock().await;
        if let Some(token) = cached.as_ref()
            && token.valid_until > Instant::now()
            && rejected != Some(token.token.as_str())
        {
            return Ok(token.token.clone());
        }
        let fetched = fetch().await?;
        let token = fetched.token.clone();
        *cached = Some(CachedToken {
            token: fetched.token,
            valid_until: Instant::now() + fetched.lifetime,
        });
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn bearer(realm: &str, service: Option<&str>, scope: Option<&str>) -> Option<Challenge> {
        Some(Challenge::Bearer {
            realm: realm.into(),
            service: service.map(Into::into),
            scope: scope.map(Into::into),
        })
    }

    #[test]
    fn www_authenticate_table() {
        let cases = [
            (
                r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
                bearer(
                    "https://auth.example/token",
                    Some("registry.example"),
                    Some("repository:a/b:pull"),
                ),
            ),
            (
                r#"Bearer realm="https://auth.example/token", scope="repository:a:pull,push", service="r""#,
                bearer(
                    "https://auth.example/token",
                    Some("r"),
                    Some("repository:a:pull,push"),
                ),
            ),
            (
                r#"bearer REALM="http://127.0.0.1:1/t""#,
                bearer("http://127.0.0.1:1/t", None, None),
            ),
            (
                "Bearer realm=https://a/t,service=svc",
                bearer("https://a/t", Some("svc"), None),
            ),
            (
                r#"Bearer realm="https://a/t\"x",service="s""#,
                bearer(r#"https://a/t"x"#, Some("s"), None),
            ),
            (r#"Basic realm="Registry Realm""#, Some(Challenge::Basic)),
            ("basic", Some(Challenge::Basic)),
            (
                r#"Negotiate abc, Bearer realm="https://a/t""#,
                bearer("https://a/t", None, None),
            ),
            (r#"Bearer service="no-realm""#, None),
            ("", None),
            ("Negotiate", None),
        ];
        for (header, want) in cases {
            assert_eq!(parse_challenge(header), want, "header {header:?}");
        }
    }

    #[test]
    fn token_response_table() {
        let parse = |json: &str| {
            serde_json::from_str::<TokenResponse>(json)
                .unwrap()
                .into_token()
                .map(|t| (t.token, t.lifetime.as_secs()))
        };
        assert_eq!(
            parse(r#"{"token":"a","expires_in":300}"#),
            Some(("a".into(), 290))
        );
        assert_eq!(parse(r#"{"access_token":"b"}"#), Some(("b".into(), 50)));
        assert_eq!(
            parse(r#"{"token":"","access_token":"c","expires_in":4}"#),
            Some(("c".into(), 2))
        );
        assert_eq!(parse(r#"{"expires_in":300}"#), None);
    }

    #[tokio::test]
    async fn one_fetch_per_scope_and_refetch_only_for_the_rejected_token() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        let fetch = |fetches: Arc<AtomicUsize>| async move {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(FetchedToken {
                token: format!("t{n}"),
                lifetime: Duration::from_secs(60),
            })
        };
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache.get("k", None, || fetch(fetches)).await.unwrap()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), "t0");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // A stale token that is no longer cached does not trigger another fetch.
        let again = cache
            .get("k", Some("old"), || fetch(fetches.clone()))
            .await
            .unwrap();
        assert_eq!((again.as_str(), fetches.load(Ordering::SeqCst)), ("t0", 1));
        let fresh = cache
            .get("k", Some("t0"), || fetch(fetches.clone()))
            .await
            .unwrap();
        assert_eq!((fresh.as_str(), fetches.load(Ordering::SeqCst)), ("t1", 2));
        let other = cache
            .get("k2", None, || fetch(fetches.clone()))
            .await
            .unwrap();
        assert_eq!((other.as_str(), fetches.load(Ordering::SeqCst)), ("t2", 3));
    }
}
