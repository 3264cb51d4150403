//! Storage errors, translated from diesel exactly once, here.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database URL is not one relman understands.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// No row matched.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; holds the constraint's name when the driver says.
    #[error("unique constraint violated")]
    Conflict {
        /// The violated constraint, e.g. `components_name_key`.
        constraint: Option<String>,
    },
    /// A foreign key refused the write (a referenced row is missing or still referenced).
    #[error("foreign key constraint violated")]
    ForeignKey,
    /// The database could not be reached or a connection could not be had in time.
    #[error("database unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored value failed the domain's rules: the data was written by something else or is damaged.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Migrations failed.
    #[error("database migration failed")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Any other database error.
    #[error("database error")]
    Database(#[source] DieselError),
}

impl From<DieselError> for StorageError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // SQLite does not report constraint names; its message names the columns instead.
                let constraint = info
                    .constraint_name()
                    .map(str::to_owned)
                    .or_else(|| Some(info.message().to_owned()));
                Self::Conflict { constraint }
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                Self::ForeignKey
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Self::Unavailable(info.message().to_owned().into())
            }
            other => Self::Database(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StorageError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(Box::new(e))
    }
}
