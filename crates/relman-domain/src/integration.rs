//! Registry integrations: how relman reaches a container registry.

use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{FieldError, ValidationError};

/// A secret (password or token). Never printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How relman authenticates to a registry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IntegrationAuth {
    /// Anonymous (a token endpoint may still hand out anonymous tokens).
    #[default]
    None,
    /// User name and password or access token.
    Basic {
        /// User name.
        username: String,
        /// Password or access token.
        password: Secret,
    },
    /// A ready-made bearer token.
    Bearer {
        /// The token.
        token: Secret,
    },
}

impl IntegrationAuth {
    /// The wire and storage name of the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Basic { .. } => "basic",
            Self::Bearer { .. } => "bearer",
        }
    }

    /// Whether a secret is configured.
    pub fn has_credentials(&self) -> bool {
        !matches!(self, Self::None)
    }
}

crate::slug::slug_name!(
    /// A unique slug naming an integration: `[a-z0-9][a-z0-9-]{0,62}`.
    IntegrationName
);

/// A registry relman syncs versions from.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryIntegration {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// Unique slug.
    pub name: IntegrationName,
    /// Base URL, `https://host[:port][/prefix]`; `http://` only when `insecure`.
    pub url: String,
    /// Allows plain `http://`.
    pub insecure: bool,
    /// Credentials.
    pub auth: IntegrationAuth,
    /// Most requests in flight at once; the client's default when absent.
    pub max_concurrency: Option<u32>,
    /// Pacing of requests; unpaced when absent.
    pub requests_per_second: Option<f64>,
    /// Whether signed releases are pushed next to this registry's images (needs push rights).
    pub push_attestations: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// What may be shown of an integration: everything but its secret. Reading it never needs the
/// secret key, so listing integrations works even where stored secrets cannot be decrypted.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationSummary {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// Unique slug.
    pub name: IntegrationName,
    /// Base URL.
    pub url: String,
    /// Allows plain `http://`.
    pub insecure: bool,
    /// `none`, `basic` or `bearer` (see [`IntegrationAuth::kind`]).
    pub auth_kind: &'static str,
    /// The basic-auth user name, when there is one (not a secret).
    pub username: Option<String>,
    /// Whether a password or token is stored.
    pub has_credentials: bool,
    /// Most requests in flight at once.
    pub max_concurrency: Option<u32>,
    /// Pacing of requests.
    pub requests_per_second: Option<f64>,
    /// Whether signed releases are pushed next to this registry's images.
    pub push_attestations: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&RegistryIntegration> for IntegrationSummary {
    fn from(i: &RegistryIntegration) -> Self {
        let username = match &i.auth {
            IntegrationAuth::Basic { username, .. } => Some(username.clone()),
            _ => None,
        };
        Self {
            id: i.id,
            name: i.name.clone(),
            url: i.url.clone(),
            insecure: i.insecure,
            auth_kind: i.auth.kind(),
            username,
            has_credentials: i.auth.has_credentials(),
            max_concurrency: i.max_concurrency,
            requests_per_second: i.requests_per_second,
            push_attestations: i.push_attestations,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// Most concurrent requests an integration may ask for.
pub const MAX_CONCURRENCY_LIMIT: u32 = 64;

impl RegistryIntegration {
    /// Checks the URL against `insecure` and the limits; reports every failing field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let mut errors = Vec::new();
        let mut push = |field: &str, message: &str| {
            errors.push(FieldError {
                field: field.into(),
                message: message.into(),
            });
        };
        let rest = if let Some(rest) = self.url.strip_prefix("https://") {
            Some(rest)
        } else if let Some(rest) = self.url.strip_prefix("http://") {
            if !self.insecure {
                push(
                    "url",
                    "http:// is allowed only with \"insecure\": true; use https://",
                );
            }
            Some(rest)
        } else {
            push(
                "url",
                "must start with https:// (or http:// with \"insecure\": true)",
            );
            None
        };
        if let Some(rest) = rest {
            let host = rest.split('/').next().unwrap_or("");
            if host.is_empty()
                || host.contains('@')
                || rest.contains(['?', '#', ' '])
                || !brackets_ok(host)
            {
                push(
                    "url",
                    "must be a base URL: a host, optional port and path, no credentials or query",
                );
            }
        }
        if let Some(n) = self.max_concurrency
            && !(1..=MAX_CONCURRENCY_LIMIT).contains(&n)
        {
            push("maxConcurrency", "must be between 1 and 64");
        }
        if let Some(rps) = self.requests_per_second
            && !(rps.is_finite() && rps > 0.0 && rps <= 10_000.0)
        {
            push(
                "requestsPerSecond",
                "must be a number above 0 and at most 10000",
            );
        }
        match &self.auth {
            IntegrationAuth::Basic { username, password } => {
                if username.is_empty() {
                    push("auth.username", "must not be empty");
                }
                if password.expose().is_empty() {
                    push("auth.password", "must not be empty");
                }
            }
            IntegrationAuth::Bearer { token } if token.expose().is_empty() => {
                push("auth.token", "must not be empty");
            }
            _ => {}
        }
        ValidationError::check(errors)
    }
}

/// Square brackets appear in a host only around an IPv6 literal: `[::1]` or `[::1]:5000`.
fn brackets_ok(host: &str) -> bool {
    if !host.contains(['[', ']']) {
        return true;
    }
    let Some((literal, port)) = host.strip_prefix('[').and_then(|h| h.split_once(']')) else {
        return false;
    };
    literal.parse::<std::net::Ipv6Addr>().is_ok()
        && (port.is_empty()
            || port
                .strip_prefix(':')
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration(url: &str, insecure: bool) -> RegistryIntegration {
        RegistryIntegration {
            id: Uuid::nil(),
            name: "hub".parse().unwrap(),
            url: url.into(),
            insecure,
            auth: IntegrationAuth::None,
            max_concurrency: None,
            requests_per_second: None,
            push_attestations: false,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn url_rules() {
        let cases = [
            ("https://ghcr.io", false, true),
            ("https://registry.example:5000/mirror", false, true),
            ("http://127.0.0.1:5000", true, true),
            ("http://127.0.0.1:5000", false, false),
            ("ftp://x", true, false),
            ("https://", false, false),
            ("https://user:pw@ghcr.io", false, false),
            ("https://ghcr.io?x=1", false, false),
            ("ghcr.io", false, false),
            ("http://[::1]:5000/v", true, true),
            ("https://[", false, false),
            ("https://a[b]", false, false),
            ("https://[::1]x", false, false),
            ("https://[abcde]", false, false),
        ];
        for (url, insecure, ok) in cases {
            assert_eq!(
                integration(url, insecure).validate().is_ok(),
                ok,
                "{url} insecure={insecure}"
            );
        }
    }

    #[test]
    fn limits_and_credentials() {
        let mut i = integration("https://ghcr.io", false);
        i.max_concurrency = Some(0);
        i.requests_per_second = Some(f64::NAN);
        i.auth = IntegrationAuth::Basic {
            username: String::new(),
            password: Secret::new(""),
        };
        let fields: Vec<String> = i
            .validate()
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "maxConcurrency",
                "requestsPerSecond",
                "auth.username",
                "auth.password"
            ]
        );
    }

    #[test]
    fn secrets_never_print() {
        let auth = IntegrationAuth::Basic {
            username: "ci".into(),
            password: Secret::new("hunter2"),
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
        assert_eq!(Secret::new("x").to_string(), "***");
    }
}
