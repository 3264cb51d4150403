//! How to reach one registry: its URL, credentials and politeness limits.

use std::fmt;
use std::time::Duration;

use relman_egress::EgressPolicy;
use url::Url;

use crate::error::RegistryError;

/// Settings for one registry integration.
///
/// Build one with [`RegistryConfig::new`] and override fields with struct update syntax:
/// `RegistryConfig { max_concurrency: 4, ..RegistryConfig::new(url) }`.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryConfig {
    /// Base URL, `https://host[:port]` (or `http://` for a registry the operator marked insecure).
    /// Must not carry credentials, a query or a fragment.
    pub url: String,
    /// How to authenticate.
    pub auth: RegistryAuth,
    /// Most HTTP requests in flight at once, token requests included. Default 8: beyond that a
    /// sync gains nothing measurable and registries start to push back.
    pub max_concurrency: usize,
    /// Optional pacing of request starts, e.g. `Some(5.0)` for at most five per second.
    pub requests_per_second: Option<f64>,
    /// Timeout of each HTTP request, from connecting until the body is read. Default 30 s.
    pub timeout: Duration,
    /// How many times a request answered 429 or 503 is retried. Default 4.
    pub max_retries: u32,
    /// The longest single wait between retries, whether computed or asked for by `Retry-After`.
    /// A registry asking for more is not retried: the operation fails with
    /// [`RegistryError::RateLimited`] instead of blocking a sync for that long. Default 30 s.
    pub max_retry_wait: Duration,
    /// The page size (`n`) asked for when listing tags. Registries may cap or ignore it.
    /// Default 1000.
    pub tag_page_size: usize,
    /// Which addresses the registry, its token realm and its redirects may resolve to. Default
    /// strict (public addresses only): a registry on loopback or a private network needs
    /// `RELMAN_EGRESS_ALLOW`.
    pub egress: EgressPolicy,
}

impl RegistryConfig {
    /// Defaults for everything but the URL: anonymous, concurrency 8, no pacing, 30 s timeout,
    /// the strict egress policy.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            auth: RegistryAuth::None,
            max_concurrency: 8,
            requests_per_second: None,
            timeout: Duration::from_secs(30),
            max_retries: 4,
            max_retry_wait: Duration::from_secs(30),
            tag_page_size: 1000,
            egress: EgressPolicy::default(),
        }
    }

    /// Checks the settings and parses the URL; returns the base URL ending in `/` so that
    /// `v2/...` joins below any path prefix.
    pub(crate) fn validate(&self) -> Result<Url, RegistryError> {
        let invalid = |m: &str| RegistryError::InvalidConfig(m.to_owned());
        let mut url = Url::parse(&self.url).map_err(|e| {
            // The URL text is not echoed: an operator may have pasted credentials into it.
            RegistryError::InvalidConfig(format!("url is not a valid URL ({e})"))
        })?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(invalid("url must start with https:// or http://"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "url must not contain credentials; use the auth settings",
            ));
        }
        if url.host_str().is_none() {
            return Err(invalid("url has no host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("url must not have a query or fragment"));
        }
        if self.max_concurrency == 0 {
            return Err(invalid("max_concurrency must be at least 1"));
        }
        if let Some(rps) = self.requests_per_second
            && !(rps.is_finite() && rps > 0.0)
        {
            return Err(invalid("requests_per_second must be a positive number"));
        }
        if self.timeout.is_zero() {
            return Err(invalid("timeout must be positive"));
        }
        if self.tag_page_size == 0 {
            return Err(invalid("tag_page_size must be at least 1"));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(url)
    }
}

/// Credentials for a registry. `Debug` shows which kind and the user name, never a secret.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum RegistryAuth {
    /// Anonymous; a bearer challenge is still answered with an anonymous token.
    #[default]
    None,
    /// A user name and password (or personal access token), sent as HTTP basic auth to the
    /// registry or to its token endpoint, whichever the registry asks for.
    Basic {
        /// User name.
        username: String,
        /// Password or access token.
        password: String,
    },
    /// A ready-made registry bearer token, sent as is on every request.
    Bearer {
        /// The token.
        token: String,
    },
}

impl RegistryAuth {
    /// Whether any secret is configured (the API's `hasCredentials`).
    pub fn has_credentials(&self) -> bool {
        !matches!(self, Self::None)
    }
}

impl fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Self::Bearer { .. } => f
                .debug_struct("Bearer")
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let basic = RegistryAuth::Basic {
            username: "ci".into(),
            password: "hunter2-secret".into(),
        };
        let bearer = RegistryAuth::Bearer {
            token: "tok-secret".into(),
        };
        let config = RegistryConfig {
            auth: basic.clone(),
            ..RegistryConfig::new("https://r.example")
        };
        for text in [
            format!("{basic:?}"),
            format!("{bearer:?}"),
            format!("{config:?}"),
            format!("{config:#?}"),
        ] {
            assert!(!text.contains("secret"), "{text}");
        }
        assert!(format!("{basic:?}").contains("ci"));
    }

    #[test]
    fn validation_table() {
        let ok = |url: &str| RegistryConfig::new(url).validate().map(|u| u.to_string());
        assert_eq!(ok("https://r.example").unwrap(), "https://r.example/");
        assert_eq!(
            ok("http://127.0.0.1:5000").unwrap(),
            "http://127.0.0.1:5000/"
        );
        assert_eq!(
            ok("https://r.example/mirror").unwrap(),
            "https://r.example/mirror/"
        );
        for bad in [
            "ftp://r.example",
            "r.example",
            "https://user:pw-secret@r.example",
            "https://r.example/?x=1",
        ] {
            let err = ok(bad).unwrap_err().to_string();
            assert!(!err.contains("pw-secret"), "{err}");
            assert!(matches!(
                RegistryConfig::new(bad).validate(),
                Err(RegistryError::InvalidConfig(_))
            ));
        }
        let zero = RegistryConfig {
            max_concurrency: 0,
            ..RegistryConfig::new("https://r.example")
        };
        assert!(zero.validate().is_err());
        let nan = RegistryConfig {
            requests_per_second: Some(f64::NAN),
            ..RegistryConfig::new("https://r.example")
        };
        assert!(nan.validate().is_err());
    }
}
