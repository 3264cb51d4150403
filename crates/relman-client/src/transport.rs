//! One request: URL from path segments, the bearer token, a timeout, retries where the operation
//! is idempotent, and the answer turned into a value or a typed [`Error`].

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LINK, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::{Client, Error};

/// Longest wait a `Retry-After` may ask for before the client gives up instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Whether a request may be sent again after a failure that may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// The operation is idempotent: repeating it changes nothing more (GET, PUT, DELETE, yank).
    Safe,
    /// Repeating could act twice (creates, promotions): only a failed connect is retried, since
    /// then the server never saw the request.
    ConnectOnly,
}

/// A list that continues on another page (`Link: <…>; rel="next"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Listed<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// The cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
}

/// The segments of `/api/v1/<rest>`.
pub(crate) fn api<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    ["api", "v1"]
        .into_iter()
        .chain(rest.iter().copied())
        .collect()
}

/// A request on its way.
pub(crate) struct Call<'a> {
    client: &'a Client,
    method: Method,
    url: Url,
    body: Option<(Vec<u8>, HeaderValue)>,
    headers: HeaderMap,
    replay: Replay,
    timeout: Option<Duration>,
    /// Whether the client's API token goes with the request.
    with_token: bool,
}

impl Client {
    /// A request to the path made of `segments` (each percent-encoded) under the base URL.
    pub(crate) fn call(&self, method: Method, segments: &[&str]) -> Call<'_> {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        let replay = if matches!(
            method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        ) {
            Replay::Safe
        } else {
            Replay::ConnectOnly
        };
        Call {
            client: self,
            method,
            url,
            body: None,
            headers: HeaderMap::new(),
            replay,
            timeout: Some(self.timeout),
            with_token: true,
        }
    }
}

impl<'a> Call<'a> {
    /// Adds query parameters (`None` fields are left out).
    pub(crate) fn query<Q: Serialize>(mut self, query: &Q) -> Result<Self, Error> {
        let encoded = serde_urlencoded::to_string(query)
            .map_err(|e| Error::Config(format!("query parameters: {e}")))?;
        if !encoded.is_empty() {
            self.url.set_query(Some(&encoded));
        }
        Ok(self)
    }

    /// Sends `body` as JSON.
    pub(crate) fn json<B: Serialize>(mut self, body: &B) -> Result<Self, Error> {
        let bytes =
            serde_json::to_vec(body).map_err(|e| Error::Config(format!("request body: {e}")))?;
        self.body = Some((bytes, HeaderValue::from_static("application/json")));
        Ok(self)
    }

    /// Sends `bytes` as they are, as `content_type`.
    pub(crate) fn raw(mut self, bytes: Vec<u8>, content_type: &str) -> Result<Self, Error> {
        let media = HeaderValue::from_str(content_type)
            .map_err(|_| Error::Config(format!("{content_type:?}: not a valid content type")))?;
        self.body = Some((bytes, media));
        Ok(self)
    }

    /// Leaves the client's API token out: for an operation that carries its own credentials
    /// (a push notification proves the integration's event secret instead).
    pub(crate) fn without_token(mut self) -> Self {
        self.with_token = false;
        self
    }

    /// Marks an operation the API defines as idempotent although its method is POST.
    pub(crate) fn idempotent(mut self) -> Self {
        self.replay = Replay::Safe;
        self
    }

    /// Adds a request header.
    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Result<Self, Error> {
        let value = HeaderValue::from_str(value)
            .map_err(|_| Error::Config(format!("{name}: not a valid header value")))?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Adds a request header holding a secret: marked sensitive, so it never shows in debug
    /// output.
    pub(crate) fn secret_header(self, name: &'static str, value: &str) -> Result<Self, Error> {
        let mut call = self.header(name, value)?;
        if let Some(v) = call.headers.get_mut(name) {
            v.set_sensitive(true);
        }
        Ok(call)
    }

    /// Where the request goes.
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// No overall deadline: for streams whose length has no bound known in advance.
    pub(crate) fn without_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// The request with token, headers and body, ready to send once.
    pub(crate) fn builder(&self) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .http
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone());
        if let Some(token) = self.client.token.as_ref().filter(|_| self.with_token) {
            req = req.header(AUTHORIZATION, token.clone());
        }
        if let Some(timeout) = self.timeout {
            req = req.timeout(timeout);
        }
        if let Some((bytes, media)) = &self.body {
            req = req.header(CONTENT_TYPE, media.clone()).body(bytes.clone());
        }
        req
    }

    /// Sends the request, retrying as its [`Replay`] allows, and returns a 2xx or 304 answer.
    pub(crate) async fn send(self) -> Result<Response, Error> {
        let mut attempt = 0;
        loop {
            let outcome = self.builder().send().await;
            let retry_in = match &outcome {
                Err(e) if e.is_connect() => Some(backoff(attempt)),
                Err(e) if self.replay == Replay::Safe && (e.is_timeout() || e.is_request()) => {
                    Some(backoff(attempt))
                }
                Ok(r) if self.replay == Replay::Safe && retryable(r.status()) => {
                    match retry_after(r.headers()) {
                        Some(wait) if wait > MAX_RETRY_AFTER => None,
                        Some(wait) => Some(wait),
                        None => Some(backoff(attempt)),
                    }
                }
                _ => None,
            };
            match retry_in {
                Some(wait) if attempt < self.client.max_retries => {
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    let response = outcome.map_err(|source| Error::Transport {
                        url: self.url.to_string(),
                        source,
                    })?;
                    return check(response).await;
                }
            }
        }
    }

    /// Sends and decodes a JSON answer.
    pub(crate) async fn fetch<T: DeserializeOwned>(self) -> Result<T, Error> {
        decode(self.send().await?).await
    }

    /// Sends and expects no body (204).
    pub(crate) async fn empty(self) -> Result<(), Error> {
        self.send().await.map(drop)
    }

    /// Sends and decodes a page of a cursor-paged list.
    pub(crate) async fn listed<T: DeserializeOwned>(self) -> Result<Listed<T>, Error> {
        let response = self.send().await?;
        let next_cursor = next_cursor(response.headers());
        Ok(Listed {
            items: decode(response).await?,
            next_cursor,
        })
    }
}

/// A 2xx or 304 answer as it is; anything else as its problem (or as unexpected).
pub(crate) async fn check(response: Response) -> Result<Response, Error> {
    let status = response.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers());
    let bytes = response.bytes().await.unwrap_or_default();
    match serde_json::from_slice::<relman_wire::Problem>(&bytes) {
        Ok(problem) => Err(Error::Api {
            problem: Box::new(problem),
            retry_after,
        }),
        Err(_) => Err(Error::Unexpected {
            status: status.as_u16(),
            message: String::from_utf8_lossy(&bytes).chars().take(500).collect(),
        }),
    }
}

/// The body of a successful answer as `T`.
pub(crate) async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, Error> {
    let status = response.status().as_u16();
    let url = response.url().to_string();
    let bytes = response
        .bytes()
        .await
        .map_err(|source| Error::Transport { url, source })?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Unexpected {
        status,
        message: format!("the body is not the documented shape: {e}"),
    })
}

fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempt.min(6)))
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The `cursor` query parameter of the `rel="next"` link, if any.
fn next_cursor(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        if !params.split(';').any(|p| p.trim() == r#"rel="next""#) {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let url = Url::parse(target)
            .or_else(|_| Url::parse("http://relative.invalid")?.join(target))
            .ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "cursor")
            .map(|(_, v)| v.into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_cursor_comes_from_the_next_link_only() {
        let mut h = HeaderMap::new();
        h.insert(
            LINK,
            HeaderValue::from_static(
                r#"</api/v1/x?cursor=prev>; rel="prev", </api/v1/x?limit=2&cursor=ab%2Bc>; rel="next""#,
            ),
        );
        assert_eq!(next_cursor(&h).as_deref(), Some("ab+c"));
        h.insert(
            LINK,
            HeaderValue::from_static(r#"</x?cursor=p>; rel="prev""#),
        );
        assert_eq!(next_cursor(&h), None);
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert!(backoff(1) > backoff(0));
        assert_eq!(backoff(6), backoff(60));
    }
}
