//! The client trait the service layer depends on, and what it returns.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use relman_domain::{Digest, Platform, Provenance};
use tokio::sync::OnceCell;

use crate::error::RegistryError;

/// What a tag or digest resolves to.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedManifest {
    /// The digest the registry serves for the reference; for a multi-arch image, the index digest.
    pub digest: Digest,
    /// The manifest's media type, e.g. `application/vnd.oci.image.index.v1+json`.
    pub media_type: String,
    /// For an image index or Docker manifest list: one entry per platform image, attestation
    /// manifests (`unknown/unknown`) left out. Empty for a single-platform manifest.
    pub platforms: Vec<Platform>,
    /// When the image was built: the `org.opencontainers.image.created` annotation, or the image
    /// config's `created` when [`ResolveOptions::fetch_created`] asked for it.
    pub created: Option<DateTime<Utc>>,
    /// Provenance labels (`org.opencontainers.image.source`, `.revision`, `.version`) from the
    /// manifest's annotations and, when the config was read for the build time, its labels.
    pub provenance: Provenance,
}

impl ResolvedManifest {
    /// Whether the manifest is a multi-platform index or manifest list.
    pub fn is_index(&self) -> bool {
        crate::manifests::is_index_media_type(&self.media_type)
    }
}

/// Extra work [`RegistryClient::resolve_with`] may do, and what it may reuse.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResolveOptions<'a> {
    /// Also find when the image was built. The manifest is then fetched with one `GET` (no
    /// `HEAD` first, since the `GET` tells the digest and media type as well) and, when it
    /// carries no `created` annotation, the image config is read: once per config digest when
    /// [`ResolveOptions::configs`] is given. For an index only the annotations already fetched
    /// are read (a platform's config would cost two more requests).
    pub fetch_created: bool,
    /// What the caller already knows about the reference (from an earlier sync). The reference
    /// is then asked about with a `HEAD`, and when the registry still serves this digest the
    /// known details are returned without fetching anything: content-addressed, the manifest
    /// and its config cannot have changed.
    pub known: Option<&'a KnownManifest>,
    /// Image configs already read in this unit of work (a sync), shared by its resolves.
    pub configs: Option<&'a ConfigCache>,
}

/// What a caller remembers of a manifest; see [`ResolveOptions::known`].
#[derive(Debug, Clone, PartialEq)]
pub struct KnownManifest {
    /// The digest last seen for the reference.
    pub digest: Digest,
    /// The platforms recorded for it (empty for a single-platform image).
    pub platforms: Vec<Platform>,
    /// The build time recorded for it. When `None` and [`ResolveOptions::fetch_created`] is set,
    /// the manifest is fetched again to look for it.
    pub created: Option<DateTime<Utc>>,
    /// The provenance labels recorded for it.
    pub provenance: Provenance,
}

/// The build time of each image config read, by config digest, shared by the resolves of one
/// sync. Configs are content-addressed and usually shared by many tags (every tag of one build,
/// re-tags of one image), so each is fetched at most once however many resolves need it at once.
#[derive(Debug, Default)]
pub struct ConfigCache {
    entries: Mutex<HashMap<Digest, Arc<ConfigCell>>>,
}

/// What one image config says: its build time and provenance labels.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConfigFacts {
    pub(crate) created: Option<DateTime<Utc>>,
    pub(crate) provenance: Provenance,
}

/// One config's facts, filled by the first resolve that needs them.
type ConfigCell = OnceCell<ConfigFacts>;

impl ConfigCache {
    /// The entry for `digest`, created empty when absent. Concurrent resolves of one digest get
    /// the same cell, so one of them fetches and the others wait for its answer.
    pub(crate) fn cell(&self, digest: &Digest) -> Arc<ConfigCell> {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(entries.entry(digest.clone()).or_default())
    }

    /// How many distinct configs have been read.
    pub fn len(&self) -> usize {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.values().filter(|c| c.initialized()).count()
    }

    /// Whether no config has been read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An artifact to attach to a subject manifest.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The manifest's `artifactType`, e.g. `application/vnd.in-toto+json`.
    pub artifact_type: String,
    /// The media type of its one layer, e.g. `application/vnd.dsse.envelope.v1+json`.
    pub layer_media_type: String,
    /// The layer's bytes.
    pub layer: bytes::Bytes,
    /// The manifest's annotations.
    pub annotations: BTreeMap<String, String>,
}

/// How an attached artifact is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferrersVia {
    /// The registry's referrers API lists it.
    Api,
    /// The OCI fallback: an index at the tag `sha256-<hex of the subject>` lists it.
    TagFallback,
}

/// Where an attached artifact landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// The artifact manifest's digest.
    pub manifest_digest: Digest,
    /// How referrers find it.
    pub via: ReferrersVia,
}

/// A referrer descriptor, as the referrers API or the fallback index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    /// The artifact manifest's digest.
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// Its `artifactType`.
    pub artifact_type: Option<String>,
    /// Its size in bytes.
    pub size: u64,
    /// Its annotations.
    pub annotations: BTreeMap<String, String>,
}

/// An OCI Distribution registry, as relman needs it. Object-safe, so the service layer holds an
/// `Arc<dyn RegistryClient>` and tests can substitute a fake.
#[async_trait]
pub trait RegistryClient: Send + Sync {
    /// `GET /v2/` with the authentication dance: checks that the registry is reachable and that
    /// the credentials are accepted.
    async fn ping(&self) -> Result<(), RegistryError>;

    /// Every tag of `repository`, following `Link: <…>; rel="next"` pagination, each tag once,
    /// in the order the registry listed them.
    async fn list_tags(&self, repository: &str) -> Result<Vec<String>, RegistryError>;

    /// The digest (and platforms, for an index) that `reference` — a tag or a digest — resolves
    /// to, at the cost of one `HEAD` (plus one `GET` for an index or when the registry sends no
    /// digest header or media type). Fetched bytes are always verified against the digest.
    async fn resolve(
        &self,
        repository: &str,
        reference: &str,
    ) -> Result<ResolvedManifest, RegistryError> {
        self.resolve_with(repository, reference, ResolveOptions::default())
            .await
    }

    /// [`RegistryClient::resolve`] with options.
    async fn resolve_with(
        &self,
        repository: &str,
        reference: &str,
        options: ResolveOptions<'_>,
    ) -> Result<ResolvedManifest, RegistryError>;

    /// Pushes `artifact` as an OCI artifact manifest whose `subject` is the manifest `subject`
    /// of `repository`, and makes it discoverable: through the registry's referrers API when it
    /// has one, else by the OCI fallback index at the tag `sha256-<hex>`. Idempotent. Needs push
    /// rights.
    async fn attach(
        &self,
        repository: &str,
        subject: &Digest,
        artifact: &Artifact,
    ) -> Result<Attached, RegistryError> {
        let _ = (repository, subject, artifact);
        Err(RegistryError::Unsupported("attaching artifacts"))
    }

    /// The artifacts referring to `subject`: the referrers API, or the fallback tag's index.
    async fn referrers(
        &self,
        repository: &str,
        subject: &Digest,
    ) -> Result<Vec<Referrer>, RegistryError> {
        let _ = (repository, subject);
        Err(RegistryError::Unsupported("listing referrers"))
    }

    /// The first layer of the artifact manifest `manifest`, verified against its digest.
    async fn artifact_layer(
        &self,
        repository: &str,
        manifest: &Digest,
    ) -> Result<bytes::Bytes, RegistryError> {
        let _ = (repository, manifest);
        Err(RegistryError::Unsupported("reading artifacts"))
    }

    /// Pushes the manifest `target` of `repository` again under `tag` (its exact bytes, so the
    /// tag's digest is `target`; no blobs move), creating or moving the tag. Needs push rights.
    async fn put_tag(
        &self,
        repository: &str,
        tag: &str,
        target: &Digest,
    ) -> Result<(), RegistryError> {
        let _ = (repository, tag, target);
        Err(RegistryError::Unsupported("pushing tags"))
    }

    /// How many HTTP requests this client has sent so far, token requests and retries included.
    fn request_count(&self) -> u64;
}
