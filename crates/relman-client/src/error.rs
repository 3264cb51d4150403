//! What a call can fail with: the server's problem (with its stable `code`), or the way there.

use std::time::Duration;

use relman_wire::{ErrorCode, Problem};

/// A failed call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a problem body (RFC 9457).
    #[error("{} ({}): {}", .problem.title, .problem.code.as_str(), .problem.detail)]
    Api {
        /// The problem the server described.
        problem: Box<Problem>,
        /// `Retry-After`, when the server sent one (rate limits, not ready).
        retry_after: Option<Duration>,
    },
    /// The server answered with a status the operation does not describe, or a body that is not
    /// the operation's shape.
    #[error("unexpected answer from the server (HTTP {status}): {message}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        message: String,
    },
    /// The request did not get an answer: connection refused, timeout, broken stream.
    #[error("request to {url} failed: {source}")]
    Transport {
        /// Where the request went.
        url: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// The client was set up wrongly (a base URL that is not one, a token with control characters).
    #[error("{0}")]
    Config(String),
    /// A local file could not be read or written (asset upload and download).
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The problem's stable code, when the server answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { problem, .. } => Some(problem.code),
            _ => None,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { problem, .. } => Some(problem.status),
            Self::Unexpected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The problem body, when the server answered with one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Api { problem, .. } => Some(problem),
            _ => None,
        }
    }
}
