//! An async client for relman's REST API.
//!
//! Every operation of the API is a method on [`Client`]; bodies are the server's own wire types
//! ([`wire`], re-exported), so the client cannot drift from the server. A failed call is an
//! [`Error`]: the server's problem with its stable [`ErrorCode`](wire::ErrorCode), or the
//! transport's failure. Idempotent operations (reads, `PUT`, `DELETE`, yanks, version maps) are
//! retried on connection failures, `429` and `502`–`504`, honouring `Retry-After`; the others only
//! when the connection failed before the request left.
//!
//! ```no_run
//! # async fn run() -> Result<(), relman_client::Error> {
//! let client = relman_client::Client::builder("http://127.0.0.1:8080")
//!     .token("…")
//!     .build()?;
//! for component in client.list_components().await? {
//!     println!("{} {}", component.name, component.image_repository);
//! }
//! # Ok(()) }
//! ```

mod assets;
mod catalogue;
mod error;
mod meta;
mod releases;
mod rollout;
mod transport;
mod webhooks;

use std::time::Duration;

use url::Url;

pub use assets::{AssetDownload, AssetFile};
pub use error::Error;
pub use relman_wire as wire;
pub use transport::Listed;
pub use webhooks::PushProof;

/// Default deadline of one JSON request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection to one relman server. Cheap to clone: clones share the connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: Option<reqwest::header::HeaderValue>,
    timeout: Duration,
    max_retries: u32,
}

/// Settings of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base: String,
    token: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    max_retries: u32,
    user_agent: String,
}

impl Client {
    /// Settings for a client of the server at `base_url` (`http://host:port`, or with a path
    /// prefix behind a proxy).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base: base_url.into(),
            token: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
            max_retries: 2,
            user_agent: concat!("relman-client/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &Url {
        &self.base
    }
}

impl ClientBuilder {
    /// The bearer token sent with every request.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Deadline of one JSON request (default 30 s); asset transfers have none.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Deadline of opening a connection (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many times a retryable failure is retried (default 2).
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The `User-Agent` header.
    #[must_use]
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// The client.
    pub fn build(self) -> Result<Client, Error> {
        let base = Url::parse(&self.base)
            .map_err(|e| Error::Config(format!("server URL {:?}: {e}", self.base)))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(Error::Config(format!(
                "server URL {:?}: must be an http:// or https:// URL",
                self.base
            )));
        }
        let token = self
            .token
            .map(|t| {
                let mut v = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", t.trim()))
                    .map_err(|_| {
                        Error::Config("the token holds characters a header cannot".into())
                    })?;
                v.set_sensitive(true);
                Ok::<_, Error>(v)
            })
            .transpose()?;
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent)
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Client {
            http,
            base,
            token,
            timeout: self.timeout,
            max_retries: self.max_retries,
        })
    }
}
