//! What can go wrong publishing a feed tree.

use std::path::PathBuf;

/// A publish or refresh that did not happen; the published tree is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum TufError {
    /// A feed file's path is not a plain relative path.
    #[error("feed file path '{0}' is not a relative path of plain segments")]
    BadPath(String),
    /// The output path holds something relman did not publish.
    #[error("{0} exists and is not a relman feed export (a non-empty directory or a file)")]
    NotAnExport(PathBuf),
    /// Nothing was published yet, so there is no timestamp to refresh.
    #[error("nothing is published at {0} yet")]
    NothingPublished(PathBuf),
    /// The signing key changed and no key of the published root is available to sign the new
    /// root, so pinned clients could not follow.
    #[error(
        "the active signing key {active} is not a key of the published root (version {version}) \
         and none of that root's keys is available to sign the rotation"
    )]
    ChainBroken {
        /// The active key's keyid.
        active: String,
        /// The published root's version.
        version: u64,
    },
    /// The published metadata could not be read back.
    #[error("published metadata {path} is unreadable: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The file system refused.
    #[error("{path}: {source}")]
    Io {
        /// What was being read or written.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Attaches the path to an I/O error.
pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> TufError {
    let path = path.into();
    move |source| TufError::Io { path, source }
}
