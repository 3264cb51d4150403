//! Artifacts attached to images (OCI 1.1): push an artifact manifest whose `subject` is an
//! image, and make it discoverable through the referrers API or, for registries without one,
//! the referrers tag schema (an index at the tag `sha256-<hex of the subject>`).
//!
//! The fallback index is updated read-modify-write with `If-Match` (honoured by registries that
//! support conditional writes), re-read to check, and serialized per tag inside one client.
//! Across processes, a registry that ignores `If-Match` can still lose an entry in a tight race;
//! the caller detects that by reading [`crate::RegistryClient::referrers`] and pushes again.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use relman_domain::Digest;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::api::{Artifact, Attached, Referrer, ReferrersVia};
use crate::client::{Exchange, HttpRegistryClient, Scope, Upload};
use crate::error::{AuthStage, RegistryError};
use crate::manifests::{MANIFEST_ACCEPT, MANIFEST_BODY_LIMIT, OCI_INDEX, OCI_MANIFEST};
use crate::names::check_repository;

/// OCI's empty descriptor media type, for an artifact's config.
const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
/// The empty JSON object `{}`, the empty config's bytes.
const EMPTY_CONFIG: &[u8] = b"{}";
/// Largest artifact layer read back.
const LAYER_BODY_LIMIT: usize = 16 << 20;
/// Read-modify-write rounds on the fallback index before giving up.
const FALLBACK_ATTEMPTS: u32 = 6;

/// Per-tag locks for fallback index updates.
#[derive(Debug, Default)]
pub(crate) struct FallbackLocks(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl FallbackLocks {
    fn get(&self, key: String) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(map.entry(key).or_default())
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    digest: String,
    size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    artifact_type: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct Index {
    schema_version: u32,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactManifest<'a> {
    schema_version: u32,
    media_type: &'a str,
    artifact_type: &'a str,
    config: Descriptor,
    layers: Vec<Descriptor>,
    subject: Descriptor,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: &'a BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct LayersOnly {
    #[serde(default)]
    layers: Vec<Descriptor>,
}

/// The fallback tag of `subject`.
fn fallback_tag(subject: &Digest) -> String {
    subject.to_string().replacen(':', "-", 1)
}

impl HttpRegistryClient {
    pub(crate) async fn attach_impl(
        &self,
        repository: &str,
        subject: &Digest,
        artifact: &Artifact,
    ) -> Result<Attached, RegistryError> {
        check_repository(repository)?;
        let scope = Scope::Push(repository.to_owned());
        let (subject_bytes, subject_type) = self.manifest(repository, subject, &scope).await?;
        let config = self
            .put_blob(
                repository,
                &scope,
                EMPTY_MEDIA_TYPE,
                Bytes::from_static(EMPTY_CONFIG),
            )
            .await?;
        let layer = self
            .put_blob(
                repository,
                &scope,
                &artifact.layer_media_type,
                artifact.layer.clone(),
            )
            .await?;
        let manifest = ArtifactManifest {
            schema_version: 2,
            media_type: OCI_MANIFEST,
            artifact_type: &artifact.artifact_type,
            config,
            layers: vec![layer],
            subject: Descriptor {
                media_type: subject_type,
                digest: subject.to_string(),
                size: subject_bytes.len() as u64,
                artifact_type: None,
                annotations: BTreeMap::new(),
            },
            annotations: &artifact.annotations,
        };
        let bytes =
            Bytes::from(serde_json::to_vec(&manifest).map_err(|e| self.malformed(e.to_string()))?);
        let digest = Digest::sha256_of(&bytes);
        let put = self
            .put_manifest(
                repository,
                &digest.to_string(),
                &scope,
                OCI_MANIFEST,
                bytes.clone(),
            )
            .await?;
        let subject_header = put.headers.get("OCI-Subject").and_then(|v| v.to_str().ok());
        if subject_header == Some(subject.to_string().as_str()) {
            return Ok(Attached {
                manifest_digest: digest,
                via: ReferrersVia::Api,
            });
        }
        let entry = Descriptor {
            media_type: OCI_MANIFEST.to_owned(),
            digest: digest.to_string(),
            size: bytes.len() as u64,
            artifact_type: Some(artifact.artifact_type.clone()),
            annotations: artifact.annotations.clone(),
        };
        self.add_to_fallback(repository, subject, &scope, entry)
            .await?;
        Ok(Attached {
            manifest_digest: digest,
            via: ReferrersVia::TagFallback,
        })
    }

    /// Adds `entry` to the fallback index of `subject`, unless it is there already.
    async fn add_to_fallback(
        &self,
        repository: &str,
        subject: &Digest,
        scope: &Scope,
        entry: Descriptor,
    ) -> Result<(), RegistryError> {
        let tag = fallback_tag(subject);
        let lock = self.fallback_locks.get(format!("{repository}:{tag}"));
        let _held = lock.lock().await;
        for attempt in 0..FALLBACK_ATTEMPTS {
            let (mut index, etag) = self.fallback_index(repository, &tag, scope).await?;
            if index.manifests.iter().any(|d| d.digest == entry.digest) {
                return Ok(());
            }
            index.manifests.push(entry.clone());
            index.schema_version = 2;
            index.media_type = Some(OCI_INDEX.to_owned());
            let bytes =
                Bytes::from(serde_json::to_vec(&index).map_err(|e| self.malformed(e.to_string()))?);
            let url = self.url(&format!("v2/{repository}/manifests/{tag}"))?;
            let put = self
                .send_upload(
                    Method::PUT,
                    &url,
                    None,
                    scope,
                    MANIFEST_BODY_LIMIT,
                    Some(&upload(OCI_INDEX, bytes, etag)),
                )
                .await?;
            if put.status == StatusCode::PRECONDITION_FAILED {
                // Someone else wrote the index since it was read: read it again.
            } else if !put.status.is_success() {
                return Err(self.push_error(&put, repository));
            } else {
                let (check, _) = self.fallback_index(repository, &tag, scope).await?;
                if check.manifests.iter().any(|d| d.digest == entry.digest) {
                    return Ok(());
                }
            }
            // A concurrent writer replaced the index: back off a little and merge again.
            let jitter = u64::from(subject.hex().as_bytes()[0] % 16);
            tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt + 1) + jitter)).await;
        }
        Err(self.malformed(format!(
            "the referrers index at tag {tag} kept changing under concurrent writers"
        )))
    }

    /// The fallback index at `tag` (empty when the tag does not exist) and the digest it was
    /// read at, for `If-Match`.
    async fn fallback_index(
        &self,
        repository: &str,
        tag: &str,
        scope: &Scope,
    ) -> Result<(Index, Option<String>), RegistryError> {
        let url = self.url(&format!("v2/{repository}/manifests/{tag}"))?;
        let got = self
            .send(
                Method::GET,
                &url,
                Some(OCI_INDEX),
                scope,
                MANIFEST_BODY_LIMIT,
            )
            .await?;
        if got.status == StatusCode::NOT_FOUND {
            return Ok((Index::default(), None));
        }
        if !got.status.is_success() {
            return Err(self.error_for(&got, repository, Some(tag)));
        }
        let index: Index = serde_json::from_slice(&got.body)
            .map_err(|e| self.malformed(format!("referrers index at {tag}: {e}")))?;
        let etag = header(&got.headers, "Docker-Content-Digest")
            .unwrap_or_else(|| Digest::sha256_of(&got.body).to_string());
        Ok((index, Some(format!("\"{etag}\""))))
    }

    /// `PUT`s manifest bytes at `reference` (a tag or their digest); the registry's answer when
    /// it took them.
    pub(crate) async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        scope: &Scope,
        media_type: &str,
        bytes: Bytes,
    ) -> Result<Exchange, RegistryError> {
        let url = self.url(&format!("v2/{repository}/manifests/{reference}"))?;
        let put = self
            .send_upload(
                Method::PUT,
                &url,
                None,
                scope,
                MANIFEST_BODY_LIMIT,
                Some(&upload(media_type, bytes, None)),
            )
            .await?;
        if !put.status.is_success() {
            return Err(self.push_error(&put, repository));
        }
        Ok(put)
    }

    /// A manifest's bytes, verified against `digest`, and its media type.
    pub(crate) async fn manifest(
        &self,
        repository: &str,
        digest: &Digest,
        scope: &Scope,
    ) -> Result<(Vec<u8>, String), RegistryError> {
        let url = self.url(&format!("v2/{repository}/manifests/{digest}"))?;
        let got = self
            .send(
                Method::GET,
                &url,
                Some(MANIFEST_ACCEPT),
                scope,
                MANIFEST_BODY_LIMIT,
            )
            .await?;
        if !got.status.is_success() {
            return Err(self.error_for(&got, repository, Some(&digest.to_string())));
        }
        self.verified(digest, &got.body)?;
        let media_type = header(&got.headers, "Content-Type")
            .or_else(|| {
                serde_json::from_slice::<serde_json::Value>(&got.body)
                    .ok()
                    .and_then(|v| v.get("mediaType")?.as_str().map(str::to_owned))
            })
            .unwrap_or_else(|| OCI_MANIFEST.to_owned());
        Ok((got.body, media_type))
    }

    fn verified(&self, digest: &Digest, bytes: &[u8]) -> Result<(), RegistryError> {
        if digest.verify(bytes) {
            Ok(())
        } else {
            Err(RegistryError::DigestMismatch {
                registry: self.registry.clone(),
                expected: digest.clone(),
                actual: Digest::sha256_of(bytes),
            })
        }
    }

    /// Uploads a blob unless the registry has it; its descriptor.
    async fn put_blob(
        &self,
        repository: &str,
        scope: &Scope,
        media_type: &str,
        bytes: Bytes,
    ) -> Result<Descriptor, RegistryError> {
        let digest = Digest::sha256_of(&bytes);
        let descriptor = Descriptor {
            media_type: media_type.to_owned(),
            digest: digest.to_string(),
            size: bytes.len() as u64,
            artifact_type: None,
            annotations: BTreeMap::new(),
        };
        let blob = self.url(&format!("v2/{repository}/blobs/{digest}"))?;
        let head = self.send(Method::HEAD, &blob, None, scope, 0).await?;
        if head.status.is_success() {
            return Ok(descriptor);
        }
        let start = self.url(&format!("v2/{repository}/blobs/uploads/"))?;
        let opened = self
            .send_upload(
                Method::POST,
                &start,
                None,
                scope,
                MANIFEST_BODY_LIMIT,
                Some(&upload("application/octet-stream", Bytes::new(), None)),
            )
            .await?;
        if opened.status != StatusCode::ACCEPTED {
            return Err(self.push_error(&opened, repository));
        }
        let location = header(&opened.headers, "Location")
            .ok_or_else(|| self.malformed("blob upload answered without a Location"))?;
        let mut target: Url = opened
            .url
            .join(&location)
            .map_err(|e| self.malformed(format!("blob upload Location '{location}': {e}")))?;
        target
            .query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        let put = self
            .send_upload(
                Method::PUT,
                &target,
                None,
                scope,
                MANIFEST_BODY_LIMIT,
                Some(&upload("application/octet-stream", bytes, None)),
            )
            .await?;
        if !put.status.is_success() {
            return Err(self.push_error(&put, repository));
        }
        Ok(descriptor)
    }

    /// The error of a refused write: missing push rights said plainly, with the registry's own
    /// message where it sent one.
    pub(crate) fn push_error(&self, exchange: &Exchange, repository: &str) -> RegistryError {
        match exchange.status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => self.auth_failed(
                AuthStage::Registry,
                exchange,
                "the credentials do not grant push rights to this repository",
            ),
            _ => self.error_for(exchange, repository, None),
        }
    }

    pub(crate) async fn referrers_impl(
        &self,
        repository: &str,
        subject: &Digest,
    ) -> Result<Vec<Referrer>, RegistryError> {
        check_repository(repository)?;
        let scope = Scope::Pull(repository.to_owned());
        let url = self.url(&format!("v2/{repository}/referrers/{subject}"))?;
        let got = self
            .send(
                Method::GET,
                &url,
                Some(OCI_INDEX),
                &scope,
                MANIFEST_BODY_LIMIT,
            )
            .await?;
        let from_api = got.status.is_success()
            && header(&got.headers, "Content-Type").is_some_and(|t| t.starts_with(OCI_INDEX));
        let index = if from_api {
            serde_json::from_slice(&got.body)
                .map_err(|e| self.malformed(format!("referrers answer: {e}")))?
        } else if got.status == StatusCode::NOT_FOUND || got.status.is_success() {
            self.fallback_index(repository, &fallback_tag(subject), &scope)
                .await?
                .0
        } else {
            return Err(self.error_for(&got, repository, Some(&subject.to_string())));
        };
        index
            .manifests
            .into_iter()
            .map(|d| {
                Ok(Referrer {
                    digest: d
                        .digest
                        .parse()
                        .map_err(|_| self.malformed(format!("referrer digest '{}'", d.digest)))?,
                    media_type: d.media_type,
                    artifact_type: d.artifact_type,
                    size: d.size,
                    annotations: d.annotations,
                })
            })
            .collect()
    }

    pub(crate) async fn artifact_layer_impl(
        &self,
        repository: &str,
        manifest: &Digest,
    ) -> Result<Bytes, RegistryError> {
        check_repository(repository)?;
        let scope = Scope::Pull(repository.to_owned());
        let (bytes, _) = self.manifest(repository, manifest, &scope).await?;
        let parsed: LayersOnly = serde_json::from_slice(&bytes)
            .map_err(|e| self.malformed(format!("artifact manifest: {e}")))?;
        let layer = parsed
            .layers
            .first()
            .ok_or_else(|| self.malformed("the artifact manifest has no layer"))?;
        let digest: Digest = layer
            .digest
            .parse()
            .map_err(|_| self.malformed(format!("layer digest '{}'", layer.digest)))?;
        let url = self.url(&format!("v2/{repository}/blobs/{digest}"))?;
        let got = self
            .send(Method::GET, &url, None, &scope, LAYER_BODY_LIMIT)
            .await?;
        if !got.status.is_success() {
            return Err(self.error_for(&got, repository, Some(&digest.to_string())));
        }
        self.verified(&digest, &got.body)?;
        Ok(Bytes::from(got.body))
    }
}

fn upload(content_type: &str, bytes: Bytes, if_match: Option<String>) -> Upload {
    Upload {
        content_type: content_type.to_owned(),
        bytes,
        if_match,
    }
}

pub(crate) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
