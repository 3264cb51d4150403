//! Paging parameters of the plain-array lists that page by cursor.

use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

/// How many items, and where to start.
#[derive(Debug, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SliceParams {
    /// Items in the answer, 1-1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Start after this cursor (the `Link: rel="next"` of a previous answer carries it); opaque.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}
