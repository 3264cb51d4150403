//! One module per resource; handlers parse, call the service, and map.

pub mod aliases;
pub mod assets;
pub mod audit;
pub mod components;
pub mod deployments;
pub mod environments;
pub mod feeds;
pub mod integrations;
pub mod meta;
pub mod metrics;
pub mod push_events;
pub mod release_notes;
pub mod releases;
pub mod signing;
pub mod sync_jobs;
pub mod tokens;
pub mod version_maps;
pub mod webhooks;
pub mod yanks;

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;

/// 201 with the new resource's URL in `Location` (declared on the operation by
/// `openapi_extras`, which lists the operations that call this).
pub(crate) fn created(location: String, body: &impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}
