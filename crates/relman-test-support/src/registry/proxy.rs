//! A proxy in front of a registry that paginates tag lists (distribution 2.8 ignores `n` and
//! `last`) and injects faults a real registry does not produce on demand.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};

use crate::registry::server::{Server, respond, serve};
use crate::registry::token::url_query;

/// How the proxy treats `GET /v2/<repo>/tags/list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pagination {
    /// Forward unchanged.
    PassThrough,
    /// Sort the tags lexically and serve pages of `n` (at most `max_page`, `default_page` when
    /// absent) after `last`, with a `Link: <…>; rel="next"` header while more remain — as the
    /// distribution spec describes.
    Paginate {
        /// Page size when the client sends no `n`.
        default_page: usize,
        /// The largest page served, whatever `n` asks.
        max_page: usize,
    },
    /// A broken server that honours `n` but ignores `last`: always the first page, always a
    /// `next` link.
    IgnoreLast,
    /// A broken server that ignores `n` and `last`: every tag on each page, always a `next` link.
    IgnoreAll,
}

/// What to do instead of (or to) the upstream answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer `429 Too Many Requests` with this `Retry-After` value and an OCI error body.
    TooManyRequests {
        /// The header value (seconds or an HTTP date); `None` sends no header.
        retry_after: Option<String>,
    },
    /// Answer `503 Service Unavailable` with this `Retry-After` value.
    ServiceUnavailable {
        /// The header value (seconds or an HTTP date); `None` sends no header.
        retry_after: Option<String>,
    },
    /// Answer with this status and body.
    Respond {
        /// HTTP status.
        status: u16,
        /// Content type.
        content_type: String,
        /// Body.
        body: String,
    },
    /// Answer `200` with a JSON content type and a truncated JSON body.
    MalformedJson,
    /// Forward, then replace `Docker-Content-Digest` with the digest of other content.
    WrongDigestHeader,
    /// Forward, then remove `Docker-Content-Digest`.
    DropDigestHeader,
    /// Wait this long before forwarding.
    Delay(Duration),
}

/// A fault applied to the next `times` requests that match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// Only requests with this method (e.g. `"GET"`); any when `None`.
    pub method: Option<String>,
    /// Only requests whose path contains this.
    pub path_contains: String,
    /// How many requests to affect.
    pub times: usize,
    /// The fault.
    pub fault: Fault,
}

impl FaultRule {
    /// A rule for any method.
    pub fn new(path_contains: &str, times: usize, fault: Fault) -> Self {
        Self {
            method: None,
            path_contains: path_contains.to_owned(),
            times,
            fault,
        }
    }

    /// Restricts the rule to one method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }
}

/// A request the proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Whether a fault rule answered or changed it.
    pub faulted: bool,
}

struct State {
    upstream: String,
    pagination: Pagination,
    http: reqwest::Client,
    rules: Mutex<Vec<FaultRule>>,
    log: Mutex<Vec<RecordedRequest>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// A running proxy; stops when dropped.
pub struct RegistryProxy {
    state: Arc<State>,
    server: Server,
}

impl RegistryProxy {
    /// Starts a proxy to `upstream` (a base URL such as [`crate::registry::TestRegistry::url`]).
    pub async fn start(upstream: &str, pagination: Pagination) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("reqwest client");
        let state = Arc::new(State {
            upstream: upstream.trim_end_matches('/').to_owned(),
            pagination,
            http,
            rules: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let handler_state = state.clone();
        let server = serve(move |request| handle(handler_state.clone(), request)).await;
        Self { state, server }
    }

    /// The proxy's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// Adds a fault rule; rules are tried in the order added.
    pub fn inject(&self, rule: FaultRule) {
        self.state.rules.lock().expect("rules").push(rule);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.log.lock().expect("log").clone()
    }

    /// The most requests that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

/// Decrements the in-flight count however the handler ends.
struct InFlight(Arc<State>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _guard = InFlight(state.clone());
    let method = request.method().as_str().to_owned();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let fault = take_fault(&state, &method, &path);
    state.log.lock().expect("log").push(RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        faulted: fault.is_some(),
    });
    match fault {
        Some(Fault::TooManyRequests { retry_after }) => {
            let body = r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#;
            return with_retry_after(respond(429, "application/json", body), retry_after);
        }
        Some(Fault::ServiceUnavailable { retry_after }) => {
            return with_retry_after(respond(503, "text/plain", "maintenance"), retry_after);
        }
        Some(Fault::Respond {
            status,
            content_type,
            body,
        }) => {
            return respond(status, &content_type, body);
        }
        Some(Fault::MalformedJson) => {
            return respond(200, "application/json", r#"{"name":"x","tags":["v1.0.0","#);
        }
        Some(Fault::Delay(wait)) => tokio::time::sleep(wait).await,
        _ => {}
    }
    let mut response = if method == "GET"
        && path
            .split('?')
            .next()
            .unwrap_or_default()
            .ends_with("/tags/list")
    {
        paginate(&state, request, &path).await
    } else {
        forward(&state, request, &path).await
    };
    match fault {
        Some(Fault::WrongDigestHeader) => {
            let wrong = relman_domain::Digest::sha256_of(b"not the manifest").to_string();
            response.headers_mut().insert(
                "docker-content-digest",
                wrong.parse().expect("header value"),
            );
        }
        Some(Fault::DropDigestHeader) => {
            response.headers_mut().remove("docker-content-digest");
        }
        _ => {}
    }
    response
}

fn with_retry_after(
    mut response: Response<Full<Bytes>>,
    retry_after: Option<String>,
) -> Response<Full<Bytes>> {
    if let Some(value) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", value.parse().expect("header value"));
    }
    response
}

fn take_fault(state: &State, method: &str, path: &str) -> Option<Fault> {
    let mut rules = state.rules.lock().expect("rules");
    let rule = rules.iter_mut().find(|r| {
        r.times > 0
            && r.method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path.contains(&r.path_contains)
    })?;
    rule.times -= 1;
    Some(rule.fault.clone())
}

/// Forwards a request upstream with its headers and body, and copies the answer back.
async fn forward(state: &State, request: Request<Incoming>, path: &str) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()).expect("method");
    let mut upstream = state
        .http
        .request(method, format!("{}{path}", state.upstream));
    for (name, value) in &parts.headers {
        if !matches!(
            name.as_str(),
            "host" | "connection" | "content-length" | "transfer-encoding"
        ) {
            upstream = upstream.header(name.as_str(), value.as_bytes());
        }
    }
    let response = match upstream.body(body).send().await {
        Ok(r) => r,
        Err(e) => return respond(502, "text/plain", format!("proxy: upstream failed: {e}")),
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap_or_default();
    let mut out = Response::builder().status(status);
    for (name, value) in &headers {
        if !matches!(
            name.as_str(),
            "connection" | "transfer-encoding" | "content-length"
        ) {
            out = out.header(name.as_str(), value.as_bytes());
        }
    }
    // A HEAD answer keeps the upstream length so clients see what the registry said.
    if parts.method == hyper::Method::HEAD
        && let Some(length) = headers.get("content-length")
    {
        out = out.header("content-length", length.as_bytes());
    }
    out.body(Full::new(bytes)).expect("proxied response")
}

/// Serves a tag list page by page from the full list the upstream returns.
async fn paginate(state: &State, request: Request<Incoming>, path: &str) -> Response<Full<Bytes>> {
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    let params = url_query(query);
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let asked_n = param("n").and_then(|n| n.parse::<usize>().ok());
    let last = param("last");
    let full = forward(state, request, route).await;
    if state.pagination == Pagination::PassThrough || full.status() != 200 {
        return full;
    }
    let body = full
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let parsed: serde_json::Value = serde_json::from_slice(&body).expect("upstream tag list JSON");
    let name = parsed["name"].clone();
    let mut tags: Vec<String> = parsed["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    tags.sort();
    let (page, next_last, n) = match state.pagination {
        Pagination::Paginate {
            default_page,
            max_page,
        } => {
            let n = asked_n.unwrap_or(default_page).min(max_page).max(1);
            let rest: Vec<String> = tags
                .into_iter()
                .filter(|t| last.as_ref().is_none_or(|l| t > l))
                .collect();
            let more = rest.len() > n;
            let page: Vec<String> = rest.into_iter().take(n).collect();
            let next_last = if more { page.last().cloned() } else { None };
            (page, next_last, n)
        }
        Pagination::IgnoreLast => {
            let n = asked_n.unwrap_or(100).max(1);
            let page: Vec<String> = tags.into_iter().take(n).collect();
            let next_last = page.last().cloned();
            (page, next_last, n)
        }
        Pagination::IgnoreAll | Pagination::PassThrough => {
            let n = asked_n.unwrap_or(100);
            let next_last = tags.first().cloned();
            (tags, next_last, n)
        }
    };
    let body = serde_json::json!({"name": name, "tags": page}).to_string();
    let mut response = respond(200, "application/json", body);
    if let Some(last) = next_last {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("n", &n.to_string())
            .append_pair("last", &last)
            .finish();
        let link = format!("<{route}?{query}>; rel=\"next\"");
        response
            .headers_mut()
            .insert("link", link.parse().expect("link header"));
    }
    response
}
