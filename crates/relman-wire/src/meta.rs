//! Health and readiness bodies.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Health or readiness.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HealthResponse {
    /// `ok` when healthy or ready.
    #[schema(example = "ok")]
    pub status: String,
}
