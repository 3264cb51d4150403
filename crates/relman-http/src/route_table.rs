//! The API's path templates, matched segment by segment: which operation a request is for (the
//! access rules and the metrics label by it) and which methods a path accepts (the 405 answer).
//! The templates come from the OpenAPI document, so they cannot drift from the routes.
//!
//! A request is matched once: [`matched_template`] keeps the answer in the request's extensions,
//! so the metrics and access middleware share one lookup.

use std::sync::Arc;

use actix_web::HttpMessage;
use actix_web::dev::ServiceRequest;
use actix_web::web;
use utoipa::openapi::OpenApi;

/// Paths deeper than this match no template (the API's deepest has 8 segments).
const MAX_SEGMENTS: usize = 16;

/// Path templates of the API with the methods each accepts.
pub struct RouteTable {
    routes: Vec<Route>,
}

struct Route {
    segments: Vec<Segment>,
    template: Arc<str>,
    methods: Vec<&'static str>,
    /// Characters outside `{…}`: where two templates match a path, the more literal one is the
    /// route (`/releases/latest` before `/releases/{id}`), as actix decides by registration order.
    literal: usize,
}

/// One `/`-separated part of a template.
#[derive(Debug, PartialEq)]
enum Segment {
    /// Text that must be equal.
    Literal(String),
    /// A parameter: any non-empty text without `/`, between a fixed prefix and suffix
    /// (`{resource}.json` has the suffix `.json`).
    Param { prefix: String, suffix: String },
}

impl Segment {
    fn parse(part: &str) -> Self {
        match (part.find('{'), part.rfind('}')) {
            (Some(open), Some(close)) if open < close => Self::Param {
                prefix: part[..open].to_owned(),
                suffix: part[close + 1..].to_owned(),
            },
            _ => Self::Literal(part.to_owned()),
        }
    }

    fn matches(&self, part: &str) -> bool {
        match self {
            Self::Literal(text) => text == part,
            Self::Param { prefix, suffix } => {
                part.len() > prefix.len() + suffix.len()
                    && part.starts_with(prefix.as_str())
                    && part.ends_with(suffix.as_str())
            }
        }
    }
}

impl Route {
    fn new(template: &str, methods: Vec<&'static str>) -> Self {
        Self {
            segments: template
                .strip_prefix('/')
                .unwrap_or(template)
                .split('/')
                .map(Segment::parse)
                .collect(),
            template: Arc::from(template),
            methods,
            literal: template
                .split('/')
                .filter(|s| !s.starts_with('{'))
                .map(str::len)
                .sum(),
        }
    }

    fn matches(&self, parts: &[&str]) -> bool {
        self.segments.len() == parts.len()
            && self.segments.iter().zip(parts).all(|(s, p)| s.matches(p))
    }
}

/// A path's segments after the leading `/`, or `None` when it is too deep to be a route.
fn split(path: &str) -> Option<([&str; MAX_SEGMENTS], usize)> {
    let mut parts = [""; MAX_SEGMENTS];
    let mut count = 0;
    for part in path.strip_prefix('/').unwrap_or(path).split('/') {
        *parts.get_mut(count)? = part;
        count += 1;
    }
    Some((parts, count))
}

impl RouteTable {
    /// Builds the table from the API document.
    pub fn from_openapi(api: &OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
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
                Route::new(template, methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods `path` accepts, or `None` when no template matches it.
    pub fn allowed(&self, path: &str) -> Option<&[&'static str]> {
        self.best(path, None).map(|r| r.methods.as_slice())
    }

    /// The path template of the operation that serves `method` on `path`, if any.
    pub fn template(&self, method: &str, path: &str) -> Option<&Arc<str>> {
        self.best(path, Some(method)).map(|r| &r.template)
    }

    /// The most literal route matching `path` (and serving `method`, when given).
    fn best(&self, path: &str, method: Option<&str>) -> Option<&Route> {
        let (parts, count) = split(path)?;
        let parts = &parts[..count];
        self.routes
            .iter()
            .filter(|r| method.is_none_or(|m| r.methods.contains(&m)) && r.matches(parts))
            .max_by_key(|r| r.literal)
    }
}

/// The request's operation template, matched on first use and kept in its extensions.
#[derive(Clone)]
struct MatchedTemplate(Option<Arc<str>>);

/// The path template of the operation `req` is for (`None` for a path no operation serves),
/// looked up once per request.
pub fn matched_template(req: &ServiceRequest) -> Option<Arc<str>> {
    if let Some(found) = req.extensions().get::<MatchedTemplate>() {
        return found.0.clone();
    }
    let template = req
        .app_data::<web::Data<RouteTable>>()
        .and_then(|table| table.template(req.method().as_str(), req.path()))
        .cloned();
    req.extensions_mut()
        .insert(MatchedTemplate(template.clone()));
    template
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(templates: &[(&str, &[&'static str])]) -> RouteTable {
        RouteTable {
            routes: templates
                .iter()
                .map(|(t, methods)| Route::new(t, methods.to_vec()))
                .collect(),
        }
    }

    #[test]
    fn parameters_match_one_non_empty_segment() {
        let t = table(&[("/api/v1/releases/{id}", &["GET"])]);
        assert_eq!(
            t.template("GET", "/api/v1/releases/r1").map(|s| &**s),
            Some("/api/v1/releases/{id}")
        );
        assert!(t.template("GET", "/api/v1/releases/").is_none());
        assert!(t.template("GET", "/api/v1/releases/a/b").is_none());
        assert!(t.template("GET", "/api/v1/releases").is_none());
        assert!(t.template("POST", "/api/v1/releases/r1").is_none());
        assert_eq!(t.allowed("/api/v1/releases/r1"), Some(&["GET"][..]));
    }

    #[test]
    fn the_more_literal_template_wins() {
        let t = table(&[
            ("/api/v1/releases/{id}", &["GET"]),
            ("/api/v1/releases/latest", &["GET"]),
        ]);
        assert_eq!(
            t.template("GET", "/api/v1/releases/latest").map(|s| &**s),
            Some("/api/v1/releases/latest")
        );
        assert_eq!(
            t.template("GET", "/api/v1/releases/v1").map(|s| &**s),
            Some("/api/v1/releases/{id}")
        );
    }

    #[test]
    fn a_parameter_may_carry_a_suffix() {
        let t = table(&[("/updates/v1/latest/{resource}.json", &["GET"])]);
        assert!(t.template("GET", "/updates/v1/latest/app.json").is_some());
        assert!(t.template("GET", "/updates/v1/latest/.json").is_none());
        assert!(t.template("GET", "/updates/v1/latest/app.txt").is_none());
        assert_eq!(
            Segment::parse("v{n}.json"),
            Segment::Param {
                prefix: "v".into(),
                suffix: ".json".into()
            }
        );
    }

    #[test]
    fn deep_paths_match_nothing() {
        let t = table(&[("/{a}", &["GET"])]);
        let deep = "/x".repeat(MAX_SEGMENTS + 1);
        assert!(t.template("GET", &deep).is_none());
        assert!(t.allowed(&deep).is_none());
        assert!(t.template("GET", "/x").is_some());
    }

    #[test]
    fn every_template_of_the_api_matches_itself() {
        let t = RouteTable::from_openapi(&crate::openapi());
        assert!(t.routes.len() > 40);
        for route in &t.routes {
            let path = route.template.replace(['{', '}'], "");
            let method = route.methods[0];
            assert_eq!(
                t.template(method, &path).map(|s| &**s),
                Some(&*route.template),
                "{method} {path}"
            );
        }
    }
}
