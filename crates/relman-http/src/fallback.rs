//! Answers for requests no handler took: 405 with `Allow` when the path exists under another
//! method, else 404. The known paths come from the OpenAPI document, so they cannot drift from the
//! routes.

use actix_web::{HttpRequest, web};
use regex::Regex;
use utoipa::openapi::OpenApi;

use crate::error::ApiError;
use relman_wire::ErrorCode;

/// Path templates of the API with the methods each accepts.
pub struct RouteTable {
    routes: Vec<Route>,
}

struct Route {
    pattern: Regex,
    template: String,
    methods: Vec<&'static str>,
    /// Characters outside `{…}`: where two templates match a path, the more literal one is the
    /// route (`/releases/latest` before `/releases/{id}`), as actix decides by registration order.
    literal: usize,
}

impl RouteTable {
    /// Builds the table from the API document.
    pub fn from_openapi(api: &OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .filter_map(|(template, item)| {
                let pattern = regex::escape(template);
                // `\{id\}` after escaping → one path segment.
                let segment = Regex::new(r"\\\{[^}]*\\\}").ok()?;
                let pattern = format!("^{}$", segment.replace_all(&pattern, "[^/]+"));
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                Some(Route {
                    pattern: Regex::new(&pattern).ok()?,
                    template: template.clone(),
                    methods,
                    literal: template
                        .split('/')
                        .filter(|s| !s.starts_with('{'))
                        .map(str::len)
                        .sum(),
                })
            })
            .collect();
        Self { routes }
    }

    fn allowed(&self, path: &str) -> Option<&[&'static str]> {
        self.routes
            .iter()
            .find(|r| r.pattern.is_match(path))
            .map(|r| r.methods.as_slice())
    }

    /// The path template of the operation that serves `method` on `path`, if any.
    pub fn template(&self, method: &str, path: &str) -> Option<&str> {
        self.routes
            .iter()
            .filter(|r| r.methods.contains(&method) && r.pattern.is_match(path))
            .max_by_key(|r| r.literal)
            .map(|r| r.template.as_str())
    }
}

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
