//! The error body every failed request answers with: RFC 9457 problem details with a stable `code`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ErrorCode;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    /// The field, as the client spelled it (`components[1].digest`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An error response (RFC 9457 problem details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:relman:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence.
    pub detail: String,
    /// Stable, machine-readable error code (see docs/ERRORS.md).
    pub code: ErrorCode,
    /// Per-field errors, for validation failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
}

impl Problem {
    /// The problem `type` URI of a code.
    pub fn type_uri(code: ErrorCode) -> String {
        format!("urn:relman:problem:{}", code.as_str())
    }
}
