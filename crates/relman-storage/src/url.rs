//! Database URLs and the backend they select.

use std::fmt;
use std::str::FromStr;

use crate::error::StorageError;

/// The database engines relman runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite, one file.
    Sqlite,
    /// PostgreSQL, shared by replicas.
    Postgres,
}

/// A parsed database URL: `sqlite://<path>` (relative) or `sqlite:///<absolute path>`, or
/// `postgres://…` / `postgresql://…`. Anything else is refused.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    /// What the driver is given: the file path for SQLite, the whole URL for PostgreSQL.
    target: String,
}

impl DatabaseUrl {
    /// A SQLite database in the given file.
    pub fn sqlite_file(path: &std::path::Path) -> Self {
        Self {
            backend: Backend::Sqlite,
            target: path.display().to_string(),
        }
    }

    /// Which engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection target handed to the driver (the file path for SQLite).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The URL with any password replaced, for logs.
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.target),
            Backend::Postgres => redact_password(&self.target),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_once('/').map_or((rest, ""), |(a, t)| (a, t));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let sep = if tail.is_empty() { "" } else { "/" };
            format!("{scheme}://{user}:***@{host}{sep}{tail}")
        }
        None => url.to_owned(),
    }
}

impl FromStr for DatabaseUrl {
    type Err = StorageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StorageError::InvalidUrl(
                    "sqlite:// needs a file path".into(),
                ));
            }
            return Ok(Self {
                backend: Backend::Sqlite,
                target: path.to_owned(),
            });
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                target: s.to_owned(),
            });
        }
        let scheme = s.split_once("://").map_or(s, |(scheme, _)| scheme);
        Err(StorageError::InvalidUrl(format!(
            "unsupported database URL scheme '{scheme}': use sqlite://<path> or postgres://…"
        )))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_table() {
        let ok = [
            (
                "sqlite://relman-data/relman.db",
                Backend::Sqlite,
                "relman-data/relman.db",
            ),
            (
                "sqlite:///var/lib/relman.db",
                Backend::Sqlite,
                "/var/lib/relman.db",
            ),
            ("postgres://u@h/db", Backend::Postgres, "postgres://u@h/db"),
            (
                "postgresql://u:p@h:5432/db",
                Backend::Postgres,
                "postgresql://u:p@h:5432/db",
            ),
        ];
        for (input, backend, target) in ok {
            let url: DatabaseUrl = input.parse().unwrap();
            assert_eq!((url.backend(), url.target()), (backend, target), "{input}");
        }
        for bad in [
            "mysql://h/db",
            "relman.db",
            "sqlite://",
            "",
            "file:relman.db",
        ] {
            assert!(bad.parse::<DatabaseUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_never_reach_logs() {
        let url: DatabaseUrl = "postgres://relman:s3cret@db:5432/relman".parse().unwrap();
        assert_eq!(url.redacted(), "postgres://relman:***@db:5432/relman");
        assert!(!format!("{url:?}").contains("s3cret"));
    }
}
