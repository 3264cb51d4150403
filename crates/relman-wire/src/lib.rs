//! relman's wire types: every request and response body of the REST API, camelCase JSON, with
//! the OpenAPI schemas the server publishes.
//!
//! The server and the Rust client both build on this crate, so the client cannot drift from the
//! server. It depends on serde, utoipa and the domain crate only: no web framework, no database.
//! Response types deserialize and request types serialize as well, so a body can travel both ways.

pub mod aliases;
pub mod assets;
pub mod audit;
pub mod components;
pub mod deployments;
pub mod enums;
pub mod environments;
mod error_code;
pub mod integrations;
pub mod meta;
pub mod problem;
pub mod push_events;
pub mod release_list;
pub mod release_notes;
pub mod release_reports;
pub mod releases;
pub mod schemas;
pub mod signing;
pub mod slice;
pub mod sync_jobs;
pub mod text;
pub mod tokens;
pub mod versions;
pub mod webhook_events;
pub mod webhooks;

pub use error_code::ErrorCode;
pub use problem::{FieldProblem, PROBLEM_JSON, Problem};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer};

/// RFC 3339 in UTC with only as many fraction digits as needed.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// For patch fields: absent → `None` (keep), `null` → `Some(None)` (clear), value → `Some(Some(v))`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// For patch fields that cannot be cleared: absent → `None` (keep); `null` is refused by `T`.
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}
