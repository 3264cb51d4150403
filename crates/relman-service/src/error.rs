//! The service's errors: what went wrong in terms a client can act on, free of HTTP.

use std::fmt;

use relman_domain::ValidationError;
use relman_storage::StorageError;

/// The kinds of resource errors can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A component.
    Component,
    /// A version of a component.
    Version,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Component => "component",
            Self::Version => "version",
        })
    }
}

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks the rules; every failing field is listed.
    #[error("invalid input: {0}")]
    Invalid(ValidationError),
    /// No such resource.
    #[error("{resource} '{key}' not found")]
    NotFound {
        /// What was looked for.
        resource: Resource,
        /// The id or name given.
        key: String,
    },
    /// The name is taken.
    #[error("a {resource} named '{name}' already exists")]
    NameExists {
        /// What kind of resource.
        resource: Resource,
        /// The taken name.
        name: String,
    },
    /// The resource is still referenced and cannot be removed.
    #[error("{resource} '{key}' is in use: {detail}")]
    InUse {
        /// What kind of resource.
        resource: Resource,
        /// Its id or name.
        key: String,
        /// What uses it.
        detail: String,
    },
    /// The database is unreachable or not migrated.
    #[error("not ready")]
    NotReady(#[source] StorageError),
    /// A storage failure the client cannot fix.
    #[error("internal storage error")]
    Storage(#[source] StorageError),
}

impl From<ValidationError> for ServiceError {
    fn from(e: ValidationError) -> Self {
        Self::Invalid(e)
    }
}

impl From<StorageError> for ServiceError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Unavailable(_) => Self::NotReady(e),
            other => Self::Storage(other),
        }
    }
}
