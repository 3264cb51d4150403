//! `/updates/v1/`: update-discovery feeds in seed 004's shapes, the same bytes that
//! `relman-server export-feed` writes for a static server.

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use relman_domain::ComponentName;
use relman_service::{FeedFile, Service};

use crate::FeedsPublic;
use crate::conditional::TaggedBody;
use crate::error::{ApiError, Problem};
use relman_wire::ErrorCode;
use relman_wire::aliases::{FeedLatestBody, FeedListBody};

/// How long a client or CDN may reuse a feed file before asking again (with `If-None-Match`).
const MAX_AGE_SECONDS: u32 = 60;

fn check(ok: bool, field: &str, what: &str) -> Result<(), ApiError> {
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::ValidationFailed,
            format!("{field} must be {what}"),
        ))
    }
}

fn resource(name: &str) -> Result<(), ApiError> {
    check(
        name.parse::<ComponentName>().is_ok(),
        "resource",
        "a component name",
    )
}

/// `v2` or `2` (`parts` = 1), `v2.3` or `2.3` (`parts` = 2).
fn numbers(text: &str, parts: usize) -> bool {
    let bare = text.strip_prefix('v').unwrap_or(text);
    let split: Vec<&str> = bare.split('.').collect();
    split.len() == parts
        && split
            .iter()
            .all(|p| (1..=19).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

async fn serve(
    req: &HttpRequest,
    service: &Service,
    resource: &str,
    file: FeedFile,
) -> Result<HttpResponse, ApiError> {
    let bytes = service.feed_file(resource, &file).await?;
    let mut response = TaggedBody::bytes(Bytes::from(bytes)).respond(req);
    let public = req.app_data::<web::Data<FeedsPublic>>().is_none_or(|p| p.0);
    let scope = if public { "public" } else { "private" };
    if let Ok(value) = HeaderValue::from_str(&format!("{scope}, max-age={MAX_AGE_SECONDS}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    Ok(response)
}

/// The latest stable version of a component: the highest semver among its stable, present,
/// unyanked versions without a prerelease.
#[utoipa::path(
    tag = "updates",
    operation_id = "get_latest_feed",
    params(("resource" = String, Path, description = "Component name", pattern = r"^[a-z0-9][a-z0-9-]{0,62}$")),
    responses(
        (status = 200, description = "The latest version", body = FeedLatestBody,
            headers(("ETag" = String, description = "Strong tag of the exact bytes"), ("Cache-Control" = String, description = "`public, max-age=60`"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current tag"),
        (status = 400, description = "Not a component name", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such component, or no stable version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/latest/{resource}.json")]
pub async fn latest_feed(
    req: HttpRequest,
    service: web::Data<Service>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    resource(&path)?;
    serve(&req, &service, &path, FeedFile::Latest).await
}

/// The minors of one major (`v2` → `["v2.0", "v2.1", …]`), ascending.
#[utoipa::path(
    tag = "updates",
    operation_id = "get_major_feed",
    params(
        ("major" = String, Path, description = "The major, `v2` or `2`", pattern = r"^v?[0-9]{1,19}$"),
        ("resource" = String, Path, description = "Component name", pattern = r"^[a-z0-9][a-z0-9-]{0,62}$"),
    ),
    responses(
        (status = 200, description = "The major's minors", body = FeedListBody,
            headers(("ETag" = String, description = "Strong tag of the exact bytes"), ("Cache-Control" = String, description = "`public, max-age=60`"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current tag"),
        (status = 400, description = "Not a component name or major", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such component, or no stable version in that major", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/major/{major}/{resource}.json")]
pub async fn major_feed(
    req: HttpRequest,
    service: web::Data<Service>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (major, name) = path.into_inner();
    check(numbers(&major, 1), "major", "like v2")?;
    resource(&name)?;
    serve(&req, &service, &name, FeedFile::Major(major)).await
}

/// The patches of one minor (`v2.3` → `["v2.3.0", "v2.3.1", …]`), ascending.
#[utoipa::path(
    tag = "updates",
    operation_id = "get_minor_feed",
    params(
        ("minor" = String, Path, description = "The minor, `v2.3` or `2.3`", pattern = r"^v?[0-9]{1,19}\.[0-9]{1,19}$"),
        ("resource" = String, Path, description = "Component name", pattern = r"^[a-z0-9][a-z0-9-]{0,62}$"),
    ),
    responses(
        (status = 200, description = "The minor's patches", body = FeedListBody,
            headers(("ETag" = String, description = "Strong tag of the exact bytes"), ("Cache-Control" = String, description = "`public, max-age=60`"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current tag"),
        (status = 400, description = "Not a component name or minor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such component, or no stable version in that minor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/minor/{minor}/{resource}.json")]
pub async fn minor_feed(
    req: HttpRequest,
    service: web::Data<Service>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (minor, name) = path.into_inner();
    check(numbers(&minor, 2), "minor", "like v2.3")?;
    resource(&name)?;
    serve(&req, &service, &name, FeedFile::Minor(minor)).await
}
