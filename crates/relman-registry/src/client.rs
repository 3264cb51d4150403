//! The reqwest implementation of [`RegistryClient`]: one HTTP exchange at a time under the
//! politeness limits, the authentication dance, and the mapping of answers to errors.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use reqwest::header::{ACCEPT, HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use url::Url;

use crate::api::{Artifact, Attached, Referrer, RegistryClient, ResolveOptions, ResolvedManifest};
use crate::auth::{Challenge, FetchedToken, TokenCache, TokenResponse, parse_challenge};
use crate::config::{RegistryAuth, RegistryConfig};
use crate::error::{AuthStage, RegistryError, kept_body, parse_oci_errors};
use crate::limits::{Limits, parse_retry_after, retry_delay};
use crate::observer::{RequestObserver, RequestOutcome};
use relman_domain::Digest;

/// Largest token endpoint answer read; real ones are a few KiB.
const TOKEN_BODY_LIMIT: usize = 1 << 20;

/// A registry client over reqwest (rustls). Cheap to share behind an `Arc`; all state (token
/// cache, limits, request counter) is per client, so use one client per registry integration.
pub struct HttpRegistryClient {
    pub(crate) http: reqwest::Client,
    pub(crate) base: Url,
    /// `host[:port]`, used to name the registry in errors.
    pub(crate) registry: String,
    auth: RegistryAuth,
    pub(crate) config: RegistryConfig,
    limits: Limits,
    tokens: TokenCache,
    /// The auth scheme the registry asked for, learned from the first 401, so later requests
    /// authenticate up front instead of each paying a 401 round trip.
    scheme: RwLock<Option<Challenge>>,
    requests: AtomicU64,
    observer: Option<Arc<dyn RequestObserver>>,
    /// One lock per referrers fallback tag, so that two attachments to one subject from this
    /// client never overwrite each other's index update.
    pub(crate) fallback_locks: crate::attach::FallbackLocks,
}

impl fmt::Debug for HttpRegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRegistryClient")
            .field("registry", &self.registry)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// What a request needs access to; decides which cached token it carries.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    /// `GET /v2/`: no repository.
    Registry,
    /// Reading one repository.
    Pull(String),
    /// Reading and writing one repository (attachments).
    Push(String),
}

/// A request body, with what goes with it.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    /// `Content-Type`.
    pub(crate) content_type: String,
    /// The bytes; cheap to clone for a retry.
    pub(crate) bytes: bytes::Bytes,
    /// `If-Match`, for a conditional write.
    pub(crate) if_match: Option<String>,
}

impl Scope {
    /// The token-spec scope string, also the token cache key.
    fn as_scope(&self) -> String {
        match self {
            Self::Registry => String::new(),
            Self::Pull(repo) => format!("repository:{repo}:pull"),
            Self::Push(repo) => format!("repository:{repo}:pull,push"),
        }
    }
}

/// One completed HTTP exchange with the body read.
pub(crate) struct Exchange {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
    /// The URL that answered (after redirects).
    pub(crate) url: Url,
}

/// Credentials attached to one request. Deliberately no `Debug`: it holds secrets.
enum Credential {
    Basic { username: String, password: String },
    Bearer(String),
}

impl HttpRegistryClient {
    /// Builds a client after checking the configuration.
    pub fn new(config: RegistryConfig) -> Result<Self, RegistryError> {
        let base = config.validate()?;
        let registry = match base.port() {
            Some(port) => format!("{}:{port}", base.host_str().unwrap_or_default()),
            None => base.host_str().unwrap_or_default().to_owned(),
        };
        // Token realms and redirects go through this client too, so one policy covers them.
        let http = config
            .egress
            .apply(reqwest::Client::builder())
            .user_agent(concat!("relman/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| RegistryError::InvalidConfig(format!("cannot build HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            registry,
            auth: config.auth.clone(),
            limits: Limits::new(config.max_concurrency, config.requests_per_second),
            config,
            tokens: TokenCache::default(),
            scheme: RwLock::new(None),
            requests: AtomicU64::new(0),
            observer: None,
            fallback_locks: crate::attach::FallbackLocks::default(),
        })
    }

    /// This client, telling `observer` of every request it sends from now on.
    #[must_use]
    pub fn with_observer(mut self, observer: Arc<dyn RequestObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    fn observe(&self, outcome: RequestOutcome) {
        if let Some(observer) = &self.observer {
            observer.request_finished(outcome);
        }
    }

    /// `base` joined with a path below it (`v2/…`).
    pub(crate) fn url(&self, path: &str) -> Result<Url, RegistryError> {
        self.base
            .join(path)
            .map_err(|e| RegistryError::InvalidInput {
                what: "path",
                value: format!("{path} ({e})"),
            })
    }

    /// Sends one request with authentication: attaches what the registry is known to want,
    /// answers a 401 challenge once, and returns whatever the registry then says (any status).
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &Url,
        accept: Option<&str>,
        scope: &Scope,
        body_limit: usize,
    ) -> Result<Exchange, RegistryError> {
        self.send_upload(method, url, accept, scope, body_limit, None)
            .await
    }

    /// [`Self::send`] with a request body.
    pub(crate) async fn send_upload(
        &self,
        method: Method,
        url: &Url,
        accept: Option<&str>,
        scope: &Scope,
        body_limit: usize,
        upload: Option<&Upload>,
    ) -> Result<Exchange, RegistryError> {
        let mut answered_challenge = false;
        loop {
            let credential = self.credential_for(scope).await?;
            let exchange = self
                .send_with_retries(
                    &method,
                    url,
                    accept,
                    credential.as_ref(),
                    body_limit,
                    upload,
                )
                .await?;
            if exchange.status != StatusCode::UNAUTHORIZED {
                return Ok(exchange);
            }
            let refused = |reason: &str| self.auth_failed(AuthStage::Registry, &exchange, reason);
            if answered_challenge {
                return Err(refused("the registry rejected the credentials"));
            }
            answered_challenge = true;
            let challenge = exchange
                .headers
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(parse_challenge);
            match (&self.auth, challenge, &credential) {
                (RegistryAuth::Bearer { .. }, _, _) => {
                    return Err(refused("the registry rejected the configured token"));
                }
                (
                    RegistryAuth::Basic { .. },
                    Some(Challenge::Basic),
                    Some(Credential::Basic { .. }),
                ) => {
                    return Err(refused("the registry rejected the credentials"));
                }
                (RegistryAuth::Basic { .. }, Some(Challenge::Basic), _) => {
                    self.learn_scheme(Challenge::Basic);
                }
                (RegistryAuth::None, Some(Challenge::Basic), _) => {
                    return Err(refused(
                        "the registry requires credentials and none are configured",
                    ));
                }
                (
                    _,
                    Some(Challenge::Bearer {
                        realm,
                        service,
                        scope: asked,
                    }),
                    _,
                ) => {
                    self.learn_scheme(Challenge::Bearer {
                        realm: realm.clone(),
                        service: service.clone(),
                        scope: None,
                    });
                    let rejected = match &credential {
                        Some(Credential::Bearer(token)) => Some(token.as_str()),
                        _ => None,
                    };
                    let wanted = asked.unwrap_or_else(|| scope.as_scope());
                    self.tokens
                        .get(&scope.as_scope(), rejected, || {
                            self.fetch_token(&realm, service.as_deref(), &wanted)
                        })
                        .await?;
                }
                (_, None, _) => {
                    return Err(refused(
                        "the registry answered 401 without a challenge relman can answer",
                    ));
                }
            }
        }
    }

    /// The credential to attach up front, given what the registry is known to want.
    async fn credential_for(&self, scope: &Scope) -> Result<Option<Credential>, RegistryError> {
        if let RegistryAuth::Bearer { token } = &self.auth {
            return Ok(Some(Credential::Bearer(token.clone())));
        }
        let known = match self.scheme.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        match (known, &self.auth) {
            (Some(Challenge::Basic), RegistryAuth::Basic { username, password }) => {
                Ok(Some(Credential::Basic {
                    username: username.clone(),
                    password: password.clone(),
                }))
            }
            (Some(Challenge::Bearer { realm, service, .. }), _) => {
                let wanted = scope.as_scope();
                let token = self
                    .tokens
                    .get(&wanted, None, || {
                        self.fetch_token(&realm, service.as_deref(), &wanted)
                    })
                    .await?;
                Ok(Some(Credential::Bearer(token)))
            }
            _ => Ok(None),
        }
    }

    fn learn_scheme(&self, challenge: Challenge) {
        let mut known = match self.scheme.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *known = Some(challenge);
    }

    /// Asks the token endpoint for a token (distribution token spec), with the basic
    /// credentials when configured, anonymously otherwise.
    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<FetchedToken, RegistryError> {
        let malformed = |detail: String| RegistryError::MalformedResponse {
            registry: self.registry.clone(),
            detail,
        };
        let mut url =
            Url::parse(realm).map_err(|e| malformed(format!("token realm is not a URL ({e})")))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(malformed("token realm is not an http(s) URL".into()));
        }
        let credential = match &self.auth {
            RegistryAuth::Basic { username, password } => {
                // Never downgrade: credentials for an https registry do not go over plain http.
                if url.scheme() == "http" && self.base.scheme() == "https" {
                    return Err(malformed(
                        "token realm is plain http for an https registry; refusing to send credentials"
                            .into(),
                    ));
                }
                Some(Credential::Basic {
                    username: username.clone(),
                    password: password.clone(),
                })
            }
            _ => None,
        };
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            if !scope.is_empty() {
                query.append_pair("scope", scope);
            }
            if let RegistryAuth::Basic { username, .. } = &self.auth {
                query.append_pair("account", username);
            }
        }
        let exchange = self
            .send_with_retries(
                &Method::GET,
                &url,
                Some("application/json"),
                credential.as_ref(),
                TOKEN_BODY_LIMIT,
                None,
            )
            .await?;
        if matches!(
            exchange.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            return Err(self.auth_failed(
                AuthStage::TokenEndpoint,
                &exchange,
                if credential.is_some() {
                    "the token endpoint rejected the credentials"
                } else {
                    "the token endpoint refused an anonymous token"
                },
            ));
        }
        if !exchange.status.is_success() {
            return Err(self.http_error(&exchange));
        }
        serde_json::from_slice::<TokenResponse>(&exchange.body)
            .ok()
            .and_then(TokenResponse::into_token)
            .ok_or_else(|| malformed("the token endpoint answered without a token".into()))
    }

    /// One request, retried on 429 and 503 as `Retry-After` (or capped exponential backoff) says.
    /// The concurrency permit is held for each exchange alone, not across the waits.
    async fn send_with_retries(
        &self,
        method: &Method,
        url: &Url,
        accept: Option<&str>,
        credential: Option<&Credential>,
        body_limit: usize,
        upload: Option<&Upload>,
    ) -> Result<Exchange, RegistryError> {
        let mut attempt: u32 = 0;
        loop {
            let exchange = self
                .exchange(method, url, accept, credential, body_limit, upload)
                .await?;
            let status = exchange.status;
            if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::SERVICE_UNAVAILABLE
            {
                return Ok(exchange);
            }
            let retry_after = exchange
                .headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            let wait = if attempt < self.config.max_retries {
                retry_delay(attempt, retry_after, self.config.max_retry_wait)
            } else {
                None
            };
            attempt += 1;
            let Some(wait) = wait else {
                return Err(RegistryError::RateLimited {
                    registry: self.registry.clone(),
                    status: status.as_u16(),
                    attempts: attempt,
                    retry_after,
                });
            };
            tracing::debug!(
                registry = %self.registry,
                status = status.as_u16(),
                wait_ms = wait.as_millis() as u64,
                "registry asked to slow down; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Exactly one HTTP exchange under the concurrency and pacing limits, body read in full
    /// (up to `body_limit`) so the permit covers the whole transfer.
    async fn exchange(
        &self,
        method: &Method,
        url: &Url,
        accept: Option<&str>,
        credential: Option<&Credential>,
        body_limit: usize,
        upload: Option<&Upload>,
    ) -> Result<Exchange, RegistryError> {
        let _permit = self.limits.acquire().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        crate::counting::note_request();
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .timeout(self.config.timeout);
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        if let Some(upload) = upload {
            request = request
                .header(reqwest::header::CONTENT_TYPE, &upload.content_type)
                .body(upload.bytes.clone());
            if let Some(tag) = &upload.if_match {
                request = request.header(reqwest::header::IF_MATCH, tag);
            }
        }
        request = match credential {
            Some(Credential::Basic { username, password }) => {
                request.basic_auth(username, Some(password))
            }
            Some(Credential::Bearer(token)) => request.bearer_auth(token),
            None => request,
        };
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                self.observe(RequestOutcome::Failed);
                return Err(self.transport_error(e));
            }
        };
        let status = response.status();
        // Counted once the status is in: a body that then fails to arrive is still the answer
        // the registry gave, and the error it causes is reported to the caller.
        self.observe(RequestOutcome::Status(status.as_u16()));
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        let mut body = Vec::new();
        if *method != Method::HEAD {
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| self.transport_error(e))?
            {
                if body.len() + chunk.len() > body_limit {
                    return Err(RegistryError::MalformedResponse {
                        registry: self.registry.clone(),
                        detail: format!("response body larger than {body_limit} bytes"),
                    });
                }
                body.extend_from_slice(&chunk);
            }
        }
        Ok(Exchange {
            status,
            headers,
            body,
            url: final_url,
        })
    }

    fn transport_error(&self, error: reqwest::Error) -> RegistryError {
        if let Some(refusal) = relman_egress::refusal_of(&error) {
            RegistryError::Egress {
                registry: self.registry.clone(),
                refusal: refusal.clone(),
            }
        } else if error.is_timeout() {
            RegistryError::Timeout {
                registry: self.registry.clone(),
                timeout: self.config.timeout,
            }
        } else {
            RegistryError::Unreachable {
                registry: self.registry.clone(),
                source: error.without_url(),
            }
        }
    }

    pub(crate) fn auth_failed(
        &self,
        stage: AuthStage,
        exchange: &Exchange,
        reason: &str,
    ) -> RegistryError {
        RegistryError::AuthFailed {
            registry: self.registry.clone(),
            stage,
            status: exchange.status.as_u16(),
            reason: reason.to_owned(),
            errors: parse_oci_errors(&exchange.body),
        }
    }

    /// The error for a non-success answer that has no more specific meaning.
    pub(crate) fn http_error(&self, exchange: &Exchange) -> RegistryError {
        RegistryError::Http {
            registry: self.registry.clone(),
            status: exchange.status.as_u16(),
            errors: parse_oci_errors(&exchange.body),
            body: kept_body(&exchange.body),
        }
    }

    /// Maps a non-success answer about `repository[:reference]` to an error: 404 is
    /// [`RegistryError::NotFound`], 403 is an authorization failure, the rest keep status and body.
    pub(crate) fn error_for(
        &self,
        exchange: &Exchange,
        repository: &str,
        reference: Option<&str>,
    ) -> RegistryError {
        match exchange.status {
            StatusCode::NOT_FOUND => RegistryError::NotFound {
                registry: self.registry.clone(),
                repository: repository.to_owned(),
                reference: reference.map(str::to_owned),
                status: exchange.status.as_u16(),
                errors: parse_oci_errors(&exchange.body),
            },
            StatusCode::FORBIDDEN => self.auth_failed(
                AuthStage::Registry,
                exchange,
                "the credentials do not grant access to this repository",
            ),
            _ => self.http_error(exchange),
        }
    }

    pub(crate) fn malformed(&self, detail: impl Into<String>) -> RegistryError {
        RegistryError::MalformedResponse {
            registry: self.registry.clone(),
            detail: detail.into(),
        }
    }

    /// `GET /v2/`: reachability and credentials, with the full auth dance.
    async fn ping_impl(&self) -> Result<(), RegistryError> {
        let url = self.url("v2/")?;
        let exchange = self
            .send(Method::GET, &url, None, &Scope::Registry, TOKEN_BODY_LIMIT)
            .await?;
        if exchange.status.is_success() {
            Ok(())
        } else if exchange.status == StatusCode::FORBIDDEN {
            Err(self.auth_failed(AuthStage::Registry, &exchange, "the registry denied access"))
        } else {
            Err(self.http_error(&exchange))
        }
    }
}

#[async_trait]
impl RegistryClient for HttpRegistryClient {
    async fn ping(&self) -> Result<(), RegistryError> {
        self.ping_impl().await
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<String>, RegistryError> {
        self.list_tags_impl(repository).await
    }

    async fn resolve_with(
        &self,
        repository: &str,
        reference: &str,
        options: ResolveOptions<'_>,
    ) -> Result<ResolvedManifest, RegistryError> {
        self.resolve_impl(repository, reference, options).await
    }

    async fn attach(
        &self,
        repository: &str,
        subject: &Digest,
        artifact: &Artifact,
    ) -> Result<Attached, RegistryError> {
        self.attach_impl(repository, subject, artifact).await
    }

    async fn referrers(
        &self,
        repository: &str,
        subject: &Digest,
    ) -> Result<Vec<Referrer>, RegistryError> {
        self.referrers_impl(repository, subject).await
    }

    async fn artifact_layer(
        &self,
        repository: &str,
        manifest: &Digest,
    ) -> Result<bytes::Bytes, RegistryError> {
        self.artifact_layer_impl(repository, manifest).await
    }

    async fn put_tag(
        &self,
        repository: &str,
        tag: &str,
        target: &Digest,
    ) -> Result<(), RegistryError> {
        self.put_tag_impl(repository, tag, target).await
    }

    fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
