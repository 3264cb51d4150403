//! How a command fails: a message on stderr (the problem's title, detail and code when the server
//! sent one) and an exit code a script can branch on.

use std::process::ExitCode;

use relman_client::Error;

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

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match e.status() {
            Some(404) => code::NOT_FOUND,
            Some(409 | 412) => code::CONFLICT,
            Some(s) if (400..500).contains(&s) => code::REFUSED,
            Some(_) => code::UNAVAILABLE,
            None => match e {
                Error::Config(_) => code::USAGE,
                Error::Io { .. } => code::FAILED,
                _ => code::UNAVAILABLE,
            },
        };
        let message = match e.problem() {
            Some(p) => {
                let mut text = format!("error: {} ({})\n  {}", p.title, p.code.as_str(), p.detail);
                for field in p.errors.iter().flatten() {
                    text.push_str(&format!("\n  {}: {}", field.field, field.message));
                }
                text
            }
            None => format!("error: {e}"),
        };
        Self { code, message }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Self::failed(format!("error: {e}"))
    }
}

/// The result of a command.
pub type Outcome = Result<(), Failure>;
