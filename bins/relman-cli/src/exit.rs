//! How a command fails: a message on stderr (the problem's title, detail and code when the server
//! sent one) and an exit code a script can branch on.

use std::process::ExitCode;

use relman_client::Error;
use relman_client::wire::Problem;

/// Exit codes, documented in docs/CLI.md.
pub mod code {
    /// Verification failed, or another failure without a better code.
    pub const FAILED: u8 = 1;
    /// The command line is wrong (also clap's code), or the CLI is not set up (no server).
    pub const USAGE: u8 = 2;
    /// What was asked for does not exist (404).
    pub const NOT_FOUND: u8 = 3;
    /// A conflict: taken name, wrong state, lost race (409, 412).
    pub const CONFLICT: u8 = 4;
    /// The server refused the request (other 4xx: invalid input, no access, rate limited).
    pub const REFUSED: u8 = 5;
    /// The server, its registry or the network failed (5xx, 502 from a registry, no answer).
    pub const UNAVAILABLE: u8 = 6;
}

/// A failed command.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What to print on stderr.
    pub message: String,
}

impl Failure {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: code::USAGE,
            message: message.into(),
        }
    }

    /// A failure with exit code 1.
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            code: code::FAILED,
            message: message.into(),
        }
    }

    /// Prints the message and turns into the process's exit code.
    pub fn exit(self) -> ExitCode {
        eprintln!("{}", self.message);
        ExitCode::from(self.code)
    }
}

/// The exit code of an HTTP status the server answered with.
fn status_code(status: u16) -> u8 {
    match status {
        404 => code::NOT_FOUND,
        409 | 412 => code::CONFLICT,
        400..500 => code::REFUSED,
        _ => code::UNAVAILABLE,
    }
}

impl From<&Problem> for Failure {
    /// A problem the server reported, directly or as a sync job's error.
    fn from(p: &Problem) -> Self {
        let mut message = format!("error: {} ({})\n  {}", p.title, p.code.as_str(), p.detail);
        for field in p.errors.iter().flatten() {
            message.push_str(&format!("\n  {}: {}", field.field, field.message));
        }
        Self {
            code: status_code(p.status),
            message,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        if let Some(p) = e.problem() {
            return Self::from(p);
        }
        let code = match (&e, e.status()) {
            (_, Some(status)) => status_code(status),
            (Error::Config(_), None) => code::USAGE,
            (Error::Io { .. }, None) => code::FAILED,
            _ => code::UNAVAILABLE,
        };
        Self {
            code,
            message: format!("error: {e}"),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self::failed(format!("error: {e}"))
    }
}

/// The result of a command.
pub type Outcome = Result<(), Failure>;
