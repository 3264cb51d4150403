//! The client trait the service layer depends on, and what it returns.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use relman_domain::{Digest, Platform};

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
}

impl ResolvedManifest {
    /// Whether the manifest is a multi-platform index or manifest list.
    pub fn is_index(&self) -> bool {
        crate::manifests::is_index_media_type(&self.media_type)
    }
}

/// Extra work [`RegistryClient::resolve_with`] may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolveOptions {
    /// Also find when the image was built. For a single-platform image this replaces the `HEAD`
    /// with a `GET` of the manifest and, when the manifest carries no `created` annotation, adds
    /// one `GET` of the image config: at most one extra request. For an index only the
    /// annotations already fetched are read (a platform's config would cost two more requests).
    pub fetch_created: bool,
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
    /// digest header). Fetched bytes are always verified against the digest.
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
        options: ResolveOptions,
    ) -> Result<ResolvedManifest, RegistryError>;

    /// How many HTTP requests this client has sent so far, token requests and retries included.
    fn request_count(&self) -> u64;
}
