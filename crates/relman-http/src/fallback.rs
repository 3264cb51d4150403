//! Answers for requests no handler took: 405 with `Allow` when the path exists under another
//! method, else 404.

use actix_web::{HttpRequest, web};

use crate::error::ApiError;
use crate::route_table::RouteTable;
use relman_wire::ErrorCode;

/// The default service: 405 or 404 as problem+json.
pub async fn not_matched(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<actix_web::HttpResponse, ApiError> {
    Err(match table.allowed(req.path()) {
        Some(methods) => ApiError::method_not_allowed(methods),
        None => ApiError::new(ErrorCode::NotFound, format!("no such path: {}", req.path())),
    })
}
