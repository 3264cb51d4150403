//! Sessions and CSRF tokens.
//!
//! A session cookie holds the API token the user pasted and a random session secret, sealed
//! (ChaCha20-Poly1305) with their expiry: HttpOnly and SameSite=Strict, so the browser's scripts
//! cannot read it, other sites cannot make the browser send it, and the token is never readable
//! from the cookie jar. The session's row in the store keeps it alive (signing out deletes it, so
//! a copied cookie dies with it), and every request re-identifies the token, so revoking the token
//! ends its sessions at once.
//!
//! Every state-changing form carries a CSRF token: an HMAC of the session cookie (or, on the
//! sign-in form, of a random pre-session cookie) under a key derived from the server's secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use ring::hmac;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "relman_session";
/// The cookie that binds the sign-in form's CSRF token before there is a session.
pub const SIGN_IN_COOKIE: &str = "relman_sign_in";
/// Where both cookies are sent: the dashboard only, never the API.
pub const COOKIE_PATH: &str = "/ui";
/// How long a session lasts, whatever the token's own expiry (which is checked on every request).
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

const AAD: &[u8] = b"relman-ui session v2";

/// What a session cookie holds.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The session's secret, whose hash names its row in the store.
    pub secret: String,
    /// The API token the user signed in with.
    pub token: String,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealed(***)")
    }
}

/// The dashboard's keys, derived from one server secret so that every replica holding the same
/// secret accepts the same sessions.
#[derive(Clone)]
pub struct UiKeys {
    seal: [u8; 32],
    csrf: hmac::Key,
}

impl std::fmt::Debug for UiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UiKeys(***)")
    }
}

impl UiKeys {
    /// Keys derived from `secret` (the server's secret key); each use gets its own by HMAC.
    pub fn derive(secret: &[u8]) -> Self {
        let root = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let mut seal = [0u8; 32];
        seal.copy_from_slice(hmac::sign(&root, b"relman-ui seal").as_ref());
        let csrf = hmac::sign(&root, b"relman-ui csrf");
        Self {
            seal,
            csrf: hmac::Key::new(hmac::HMAC_SHA256, csrf.as_ref()),
        }
    }

    /// The cookie value holding session `secret` and `token` until `SESSION_LIFETIME` from now;
    /// `None` only when the system has no randomness to give.
    pub fn seal(&self, secret: &str, token: &str) -> Option<String> {
        let expires = now_secs() + SESSION_LIFETIME.as_secs();
        let plain = format!("{expires}\n{secret}\n{token}");
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).ok()?;
        let cipher = ChaCha20Poly1305::new((&self.seal).into());
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: AAD,
                },
            )
            .ok()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Some(URL_SAFE_NO_PAD.encode(out))
    }

    /// The session secret and the token in a cookie value, when it is ours, intact and not
    /// expired.
    pub fn open(&self, value: &str) -> Option<Sealed> {
        let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
        if bytes.len() < 12 + 16 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        let cipher = ChaCha20Poly1305::new((&self.seal).into());
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: AAD,
                },
            )
            .ok()?;
        let plain = String::from_utf8(plain).ok()?;
        let (expires, rest) = plain.split_once('\n')?;
        let (secret, token) = rest.split_once('\n')?;
        (expires.parse::<u64>().ok()? > now_secs()).then(|| Sealed {
            secret: secret.to_owned(),
            token: token.to_owned(),
        })
    }

    /// The CSRF token bound to `binding` (a cookie value) for forms of `purpose`.
    pub fn csrf_token(&self, purpose: &str, binding: &str) -> String {
        let message = format!("{purpose}\n{binding}");
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.csrf, message.as_bytes()).as_ref())
    }

    /// Whether `presented` is the CSRF token of `binding`, compared in fixed time.
    pub fn csrf_holds(&self, purpose: &str, binding: &str, presented: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(presented) else {
            return false;
        };
        let message = format!("{purpose}\n{binding}");
        hmac::verify(&self.csrf, message.as_bytes(), &tag).is_ok()
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A dashboard cookie: HttpOnly, SameSite=Strict, on `/ui`, Secure when the request came over TLS.
pub fn cookie(
    req: &HttpRequest,
    name: &'static str,
    value: String,
    max_age: Duration,
) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_path(COOKIE_PATH);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_secure(over_tls(req));
    c.set_max_age(actix_web::cookie::time::Duration::seconds(
        i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
    ));
    c
}

/// A cookie that removes `name` from the browser.
pub fn removal(req: &HttpRequest, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(req, name, String::new(), Duration::ZERO);
    c.make_removal();
    c
}

/// Whether the browser reached us over TLS: directly, or through a proxy that says so.
fn over_tls(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

/// A random cookie value (the sign-in form's binding); `None` without system randomness.
pub fn random_value() -> Option<String> {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_token_opens_only_with_the_same_keys_and_intact() {
        let keys = UiKeys::derive(b"secret one");
        let value = keys.seal("s3cr3t", "rm_abc").unwrap();
        let opened = keys.open(&value).unwrap();
        assert_eq!(
            (opened.secret.as_str(), opened.token.as_str()),
            ("s3cr3t", "rm_abc")
        );
        assert!(
            !value.contains("rm_abc") && !value.contains("s3cr3t"),
            "neither the token nor the secret is readable in the cookie"
        );
        assert_eq!(UiKeys::derive(b"secret two").open(&value), None);
        let mut tampered = value.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(keys.open(&String::from_utf8(tampered).unwrap()), None);
        assert_eq!(keys.open("not base64 !"), None);
        assert_eq!(keys.open(""), None);
    }

    #[test]
    fn csrf_tokens_are_bound_to_purpose_and_cookie() {
        let keys = UiKeys::derive(b"k");
        let token = keys.csrf_token("session", "cookie-a");
        assert!(keys.csrf_holds("session", "cookie-a", &token));
        assert!(!keys.csrf_holds("session", "cookie-b", &token));
        assert!(!keys.csrf_holds("sign-in", "cookie-a", &token));
        assert!(!keys.csrf_holds("session", "cookie-a", ""));
        assert!(!keys.csrf_holds("session", "cookie-a", "wrong"));
    }
}
