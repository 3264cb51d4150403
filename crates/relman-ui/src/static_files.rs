//! The dashboard's stylesheet and script, compiled into the binary and served by it.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};

/// Where the stylesheet is served.
pub const CSS_PATH: &str = "/ui/static/app.css";
/// Where the script is served.
pub const JS_PATH: &str = "/ui/static/app.js";
/// Where the icon is served (and, for browsers that ask at the root, at `/favicon.ico`).
pub const ICON_PATH: &str = "/ui/static/favicon.svg";

const CSS: &str = include_str!("../static/app.css");
const JS: &str = include_str!("../static/app.js");
const ICON: &str = include_str!("../static/favicon.svg");
const SVG: &str = "image/svg+xml";

/// A file by name, with an `ETag` of its content so that a browser revalidates cheaply.
#[get("/static/{file}")]
pub async fn file(name: web::Path<String>, req: HttpRequest) -> HttpResponse {
    let (body, content_type) = match name.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (ICON, SVG),
        _ => return HttpResponse::NotFound().finish(),
    };
    send(&req, body, content_type)
}

/// The icon at the root, where browsers look for it without a `<link rel="icon">` (an SVG: every
/// current browser takes it whatever the name says).
#[get("/favicon.ico")]
pub async fn favicon(req: HttpRequest) -> HttpResponse {
    send(&req, ICON, SVG)
}

fn send(req: &HttpRequest, body: &'static str, content_type: &'static str) -> HttpResponse {
    let etag = format!("\"{:016x}\"", fnv1a(body.as_bytes()));
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .content_type(content_type);
    if matches {
        response.finish()
    } else {
        response.body(body)
    }
}

/// FNV-1a: a stable fingerprint of a file compiled into the binary (not a security measure).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
