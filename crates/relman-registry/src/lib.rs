//! An OCI Distribution client for relman.
//!
//! [`RegistryClient`] is what the service layer uses (as `Arc<dyn RegistryClient>`);
//! [`HttpRegistryClient`] implements it over reqwest with rustls:
//!
//! - authentication: anonymous, basic, a static bearer token, and the bearer token flow
//!   (`WWW-Authenticate: Bearer realm=…` → token endpoint), with tokens cached per scope until
//!   they expire and fetched once per scope however many requests wait for them;
//! - tag listing that follows `Link` pagination and stops safely when a registry ignores `n`/`last`;
//! - digest resolution by `HEAD` and `Docker-Content-Digest`, falling back to `GET` and sha256,
//!   with every fetched byte verified against the digest, and platforms listed for multi-arch
//!   indexes (attestations skipped); the build time on request, each image config read once per
//!   sync through a [`ConfigCache`], and nothing fetched for a reference whose digest the caller
//!   already knows ([`KnownManifest`]);
//! - politeness: bounded concurrency, optional pacing, `Retry-After` on 429/503 with capped
//!   backoff, a timeout on every request, and a count of the requests made (per client, and per
//!   unit of work through [`count_requests`]);
//! - egress: every request, token realms and redirects included, goes through the
//!   [`RegistryConfig::egress`] policy (`relman-egress`); a refused address fails with
//!   [`RegistryError::Egress`], which says how to allow it;
//! - observation: a [`RequestObserver`] given with [`HttpRegistryClient::with_observer`] hears the
//!   status (or failure) of every request, for metrics kept elsewhere.
//!
//! Secrets never reach a `Display` or `Debug` output: [`RegistryAuth`] redacts them and errors
//! name the registry by host only.

mod api;
mod attach;
mod auth;
mod client;
mod config;
mod counting;
mod error;
mod limits;
mod manifests;
mod names;
mod observer;
mod tagging;
mod tags;

pub use api::{
    Artifact, Attached, ConfigCache, KnownManifest, Referrer, ReferrersVia, RegistryClient,
    ResolveOptions, ResolvedManifest,
};
pub use client::HttpRegistryClient;
pub use config::{RegistryAuth, RegistryConfig};
pub use counting::count_requests;
pub use error::{AuthStage, OciError, OciErrorCode, RegistryError};
pub use manifests::{
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, is_index_media_type,
};
pub use names::is_attachment_tag;
pub use observer::{RequestObserver, RequestOutcome};
