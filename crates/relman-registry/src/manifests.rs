//! Resolving a tag or digest to the digest the registry serves, with platforms for multi-arch
//! images and, on request, the build time.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use relman_domain::{Digest, Platform, Provenance};
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use crate::api::{ConfigFacts, ResolveOptions, ResolvedManifest};
use crate::client::{Exchange, HttpRegistryClient, Scope};
use crate::error::RegistryError;
use crate::names::{check_repository, parse_reference};

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index (multi-platform).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest v2 schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list (multi-platform).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// Every manifest type relman reads, in one `Accept` value. Without the index types a registry
/// may answer with one platform's manifest (or rewrite it), so the digest would not be the
/// one `docker pull` sees.
pub(crate) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Registries must accept manifests of at least 4 MiB; nothing larger is read.
pub(crate) const MANIFEST_BODY_LIMIT: usize = 4 << 20;
/// Image configs are small; this bounds a hostile one.
const CONFIG_BODY_LIMIT: usize = 8 << 20;

/// The annotation build tools set to the build time (OCI image spec, pre-defined annotations).
const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";
/// BuildKit marks attestation manifests inside an index with this annotation.
const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";

/// Whether a media type is a multi-platform index or manifest list.
pub fn is_index_media_type(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestJson {
    #[serde(default)]
    media_type: Option<String>,
    /// Present in an index or manifest list.
    #[serde(default)]
    manifests: Option<Vec<DescriptorJson>>,
    /// Present in an image manifest.
    #[serde(default)]
    config: Option<DescriptorJson>,
    #[serde(default)]
    annotations: HashMap<String, String>,
}

#[derive(Deserialize)]
struct DescriptorJson {
    digest: String,
    #[serde(default)]
    platform: Option<PlatformJson>,
    #[serde(default)]
    annotations: HashMap<String, String>,
}

#[derive(Deserialize)]
struct PlatformJson {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
struct ImageConfigJson {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    config: Option<ImageRuntimeJson>,
}

/// The `config` object of an image config, where `docker build` and BuildKit put `LABEL`s.
#[derive(Deserialize)]
struct ImageRuntimeJson {
    #[serde(default, rename = "Labels")]
    labels: Option<HashMap<String, String>>,
}

impl HttpRegistryClient {
    pub(crate) async fn resolve_impl(
        &self,
        repository: &str,
        reference: &str,
        options: ResolveOptions<'_>,
    ) -> Result<ResolvedManifest, RegistryError> {
        check_repository(repository)?;
        let reference_digest = parse_reference(reference)?;
        let url = self.url(&format!("v2/{repository}/manifests/{reference}"))?;
        let scope = Scope::Pull(repository.to_owned());

        // Digests the bytes must hash to, from the reference and from each response header.
        let mut claimed: Vec<Digest> = reference_digest.into_iter().collect();
        let mut head_media_type = None;
        // A HEAD is worth its round trip when it can be all there is: no build time wanted (a
        // single-platform image is then fully described by its headers), or a digest known from
        // before (nothing to fetch when it still matches). For a new tag whose build time is
        // wanted the GET alone tells everything a HEAD would.
        if !options.fetch_created || options.known.is_some() {
            let head = self
                .send(Method::HEAD, &url, Some(MANIFEST_ACCEPT), &scope, 0)
                .await?;
            // Some registries or proxies do not implement HEAD; GET tells the same.
            let head_unsupported = matches!(
                head.status,
                StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED
            );
            if !head_unsupported {
                if !head.status.is_success() {
                    return Err(self.error_for(&head, repository, Some(reference)));
                }
                let header_digest = self.digest_header(&head.headers)?;
                if let (Some(header), Some(first)) = (&header_digest, claimed.first())
                    && header != first
                {
                    return Err(RegistryError::DigestMismatch {
                        registry: self.registry.clone(),
                        expected: first.clone(),
                        actual: header.clone(),
                    });
                }
                claimed.extend(header_digest);
                head_media_type = media_type(&head.headers);
                if let (Some(digest), Some(media_type)) = (claimed.first(), &head_media_type)
                    && let Some(answer) = answer_from_head(digest, media_type, options)
                {
                    return Ok(answer);
                }
            }
        }

        let get = self
            .send(
                Method::GET,
                &url,
                Some(MANIFEST_ACCEPT),
                &scope,
                MANIFEST_BODY_LIMIT,
            )
            .await?;
        if !get.status.is_success() {
            return Err(self.error_for(&get, repository, Some(reference)));
        }
        claimed.extend(self.digest_header(&get.headers)?);
        let digest = self.verify(&claimed, &get.body)?;
        let manifest: ManifestJson = serde_json::from_slice(&get.body).map_err(|e| {
            self.malformed(format!(
                "manifest {repository}:{reference} is not valid JSON ({e})"
            ))
        })?;
        let media_type = media_type(&get.headers)
            .filter(|m| m != "application/json" && m != "application/octet-stream")
            .or(manifest.media_type.clone())
            .or(head_media_type)
            .ok_or_else(|| {
                self.malformed(format!(
                    "manifest {repository}:{reference} has no media type"
                ))
            })?;
        self.describe(repository, digest, media_type, manifest, &get, options)
            .await
    }

    /// Builds the answer from a fetched manifest: platforms of an index, and the build time
    /// when it is available at the agreed cost.
    async fn describe(
        &self,
        repository: &str,
        digest: Digest,
        media_type: String,
        manifest: ManifestJson,
        exchange: &Exchange,
        options: ResolveOptions<'_>,
    ) -> Result<ResolvedManifest, RegistryError> {
        let mut created = manifest
            .annotations
            .get(CREATED_ANNOTATION)
            .and_then(|s| parse_time(s));
        let mut provenance =
            Provenance::from_labels(|k| manifest.annotations.get(k).map(String::as_str));
        let mut platforms = Vec::new();
        if is_index_media_type(&media_type) || manifest.manifests.is_some() {
            for entry in manifest.manifests.unwrap_or_default() {
                if let Some(platform) = self.platform_of(entry)? {
                    platforms.push(platform);
                }
            }
        } else if options.fetch_created
            && created.is_none()
            && let Some(config) = manifest.config
        {
            let config_digest: Digest = config.digest.parse().map_err(|_| {
                self.malformed(format!("manifest {digest} names an invalid config digest"))
            })?;
            let facts = match options.configs {
                Some(cache) => cache
                    .cell(&config_digest)
                    .get_or_try_init(|| self.config_facts(repository, &config_digest))
                    .await?
                    .clone(),
                None => self.config_facts(repository, &config_digest).await?,
            };
            created = facts.created;
            provenance = provenance.or(facts.provenance);
        }
        tracing::trace!(registry = %self.registry, url = %exchange.url, "resolved manifest");
        Ok(ResolvedManifest {
            digest,
            media_type,
            platforms,
            created,
            provenance,
        })
    }

    /// One platform entry of an index, or `None` for entries that are not runnable images:
    /// attestation manifests (`unknown/unknown`, or BuildKit's reference-type annotation) and
    /// entries without a platform.
    fn platform_of(&self, entry: DescriptorJson) -> Result<Option<Platform>, RegistryError> {
        let is_attestation = entry
            .annotations
            .get(REFERENCE_TYPE_ANNOTATION)
            .is_some_and(|t| t == "attestation-manifest");
        let Some(platform) = entry.platform else {
            return Ok(None);
        };
        if is_attestation || (platform.os == "unknown" && platform.architecture == "unknown") {
            return Ok(None);
        }
        let digest = entry.digest.parse::<Digest>().map_err(|_| {
            self.malformed(format!(
                "index entry has an invalid digest '{}'",
                entry.digest
            ))
        })?;
        Ok(Some(Platform {
            os: platform.os,
            architecture: platform.architecture,
            variant: platform.variant.filter(|v| !v.is_empty()),
            digest,
        }))
    }

    /// The image config's `created` and provenance labels, fetched and verified.
    async fn config_facts(
        &self,
        repository: &str,
        config_digest: &Digest,
    ) -> Result<ConfigFacts, RegistryError> {
        let url = self.url(&format!("v2/{repository}/blobs/{config_digest}"))?;
        let scope = Scope::Pull(repository.to_owned());
        let exchange = self
            .send(Method::GET, &url, None, &scope, CONFIG_BODY_LIMIT)
            .await?;
        if !exchange.status.is_success() {
            return Err(self.error_for(&exchange, repository, Some(&config_digest.to_string())));
        }
        self.verify(std::slice::from_ref(config_digest), &exchange.body)?;
        // A config that is not an image config (an artifact) simply has no build time or labels.
        let Ok(config) = serde_json::from_slice::<ImageConfigJson>(&exchange.body) else {
            return Ok(ConfigFacts::default());
        };
        let labels = config.config.and_then(|c| c.labels).unwrap_or_default();
        Ok(ConfigFacts {
            created: config.created.and_then(|s| parse_time(&s)),
            provenance: Provenance::from_labels(|k| labels.get(k).map(String::as_str)),
        })
    }

    /// Checks `body` against every claimed digest; returns the digest to report (the first
    /// claimed, or the body's sha256 when nobody claimed one).
    fn verify(&self, claimed: &[Digest], body: &[u8]) -> Result<Digest, RegistryError> {
        for expected in claimed {
            if !expected.verify(body) {
                return Err(RegistryError::DigestMismatch {
                    registry: self.registry.clone(),
                    expected: expected.clone(),
                    actual: Digest::sha256_of(body),
                });
            }
        }
        Ok(claimed
            .first()
            .cloned()
            .unwrap_or_else(|| Digest::sha256_of(body)))
    }

    /// The `Docker-Content-Digest` header, if sent; a header that is not a digest is an error
    /// rather than silently ignored.
    fn digest_header(&self, headers: &HeaderMap) -> Result<Option<Digest>, RegistryError> {
        let Some(value) = headers.get("docker-content-digest") else {
            return Ok(None);
        };
        let text = value
            .to_str()
            .map_err(|_| self.malformed("Docker-Content-Digest is not ASCII"))?;
        text.trim().parse::<Digest>().map(Some).map_err(|e| {
            self.malformed(format!(
                "Docker-Content-Digest '{text}' is not a digest ({e})"
            ))
        })
    }
}

/// The answer a successful `HEAD` (digest and media type known) gives on its own, or `None` when
/// the manifest must be fetched: for an index's platforms, or for a build time not known yet.
fn answer_from_head(
    digest: &Digest,
    media_type: &str,
    options: ResolveOptions<'_>,
) -> Option<ResolvedManifest> {
    let answer = |platforms: Vec<Platform>, created, provenance| ResolvedManifest {
        digest: digest.clone(),
        media_type: media_type.to_owned(),
        platforms,
        created,
        provenance,
    };
    if let Some(known) = options.known
        && known.digest == *digest
        && (known.created.is_some() || !options.fetch_created)
    {
        // The same digest is the same bytes: platforms and config are as recorded.
        return Some(answer(
            known.platforms.clone(),
            known.created,
            known.provenance.clone(),
        ));
    }
    (!options.fetch_created && !is_index_media_type(media_type))
        .then(|| answer(Vec::new(), None, Provenance::default()))
}

/// The media type from `Content-Type`, without parameters such as `charset`.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let media_type = value.split(';').next()?.trim();
    (!media_type.is_empty()).then(|| media_type.to_ascii_lowercase())
}

/// RFC 3339 time as build tools write it; anything else is treated as unknown.
fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_strips_parameters() {
        let mut headers = HeaderMap::new();
        assert_eq!(media_type(&headers), None);
        headers.insert(
            CONTENT_TYPE,
            "application/vnd.oci.image.index.v1+json; charset=utf-8"
                .parse()
                .unwrap(),
        );
        assert_eq!(media_type(&headers).as_deref(), Some(OCI_INDEX));
    }

    #[test]
    fn times_table() {
        assert_eq!(
            parse_time("2024-05-01T12:00:00Z").map(|t| t.to_rfc3339()),
            Some("2024-05-01T12:00:00+00:00".into())
        );
        assert_eq!(
            parse_time("2024-05-01T14:00:00.5+02:00").map(|t| t.timestamp_millis()),
            Some(1_714_564_800_500)
        );
        assert_eq!(parse_time("yesterday"), None);
    }
}
