//! What can go wrong with asset bytes.

/// A store error.
#[derive(Debug, thiserror::Error)]
pub enum ObjectsError {
    /// No object under the key.
    #[error("no object {key}")]
    NotFound {
        /// The key.
        key: String,
    },
    /// A key that is not a clean relative path.
    #[error("invalid object key {key:?}")]
    InvalidKey {
        /// The key as given.
        key: String,
    },
    /// A byte range outside the object.
    #[error("byte range {start}-{end} is outside the object")]
    Range {
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
    /// The store could not be opened as configured.
    #[error("object storage configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// The store failed (unreachable, refused, I/O).
    #[error("{backend} object storage failed: {message}")]
    Store {
        /// `filesystem` or `s3`.
        backend: &'static str,
        /// What happened (never credentials).
        message: String,
    },
}

/// Why an upload did not store its object. In every case nothing of it remains.
#[derive(Debug, thiserror::Error)]
pub enum PutError<E> {
    /// The body grew past the limit.
    #[error("the body is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The body stream failed (the client went away, a malformed upload).
    #[error("the upload body failed")]
    Body(#[source] E),
    /// The store failed.
    #[error(transparent)]
    Store(ObjectsError),
}
