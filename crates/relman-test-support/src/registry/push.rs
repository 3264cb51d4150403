//! Pushing test images over the registry HTTP API: monolithic blob uploads and manifest PUTs.

use std::sync::Arc;
use std::time::Duration;

use relman_domain::Digest;
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::registry::images::{
    self, DOCKER_LIST, DOCKER_MANIFEST, ImageSpec, OCI_INDEX, OCI_MANIFEST, PushedImage,
    PushedIndex, PushedPlatform,
};
use crate::registry::token::TokenIssuer;
use crate::registry::{PASSWORD, USERNAME};

/// Every manifest type, for HEAD requests that must see what a pull sees.
const ALL_MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// How the pusher authenticates.
#[derive(Clone)]
pub(crate) enum PushAuth {
    None,
    Basic,
    /// Mints its own push tokens, so pushes never show up in the token endpoint's log.
    Token(Arc<TokenIssuer>),
}

/// Pushes, inspects and deletes images in a test registry (or any registry URL, through a proxy).
#[derive(Clone)]
pub struct Pusher {
    http: reqwest::Client,
    base: String,
    auth: PushAuth,
}

impl Pusher {
    pub(crate) fn new(base: String, auth: PushAuth) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("reqwest client");
        Self { http, base, auth }
    }

    fn authed(&self, request: reqwest::RequestBuilder, repo: &str) -> reqwest::RequestBuilder {
        match &self.auth {
            PushAuth::None => request,
            PushAuth::Basic => request.basic_auth(USERNAME, Some(PASSWORD)),
            PushAuth::Token(issuer) => {
                let access = vec![(
                    repo.to_owned(),
                    vec!["pull".to_owned(), "push".to_owned(), "delete".to_owned()],
                )];
                request.bearer_auth(issuer.mint("pusher", &access, Duration::from_secs(300)))
            }
        }
    }

    /// Uploads a blob monolithically (POST for an upload session, PUT of the bytes with the
    /// digest) unless the registry already has it.
    pub async fn push_blob(&self, repo: &str, bytes: &[u8]) -> Digest {
        let digest = Digest::sha256_of(bytes);
        let head = self
            .authed(
                self.http
                    .head(format!("{}/v2/{repo}/blobs/{digest}", self.base)),
                repo,
            )
            .send()
            .await
            .expect("HEAD blob");
        if head.status().is_success() {
            return digest;
        }
        let start = self
            .authed(
                self.http
                    .post(format!("{}/v2/{repo}/blobs/uploads/", self.base)),
                repo,
            )
            .send()
            .await
            .expect("start blob upload");
        assert_eq!(
            start.status().as_u16(),
            202,
            "start upload: {}",
            start.text().await.unwrap_or_default()
        );
        let location = start
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("upload Location header")
            .to_owned();
        let location = if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let put = self
            .authed(
                self.http
                    .put(format!("{location}{separator}digest={digest}")),
                repo,
            )
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .expect("PUT blob");
        assert_eq!(
            put.status().as_u16(),
            201,
            "finish upload: {}",
            put.text().await.unwrap_or_default()
        );
        digest
    }

    /// PUTs a manifest under `reference` (a tag or its digest); returns the registry's digest.
    pub async fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> Digest {
        let response = self
            .authed(
                self.http
                    .put(format!("{}/v2/{repo}/manifests/{reference}", self.base)),
                repo,
            )
            .header("content-type", media_type)
            .body(body.to_vec())
            .send()
            .await
            .expect("PUT manifest");
        let status = response.status().as_u16();
        let header = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(
            status,
            201,
            "PUT manifest {repo}:{reference}: {}",
            response.text().await.unwrap_or_default()
        );
        let digest = Digest::sha256_of(body);
        assert_eq!(
            header.as_deref(),
            Some(digest.to_string().as_str()),
            "registry digest of {repo}:{reference}"
        );
        digest
    }

    /// Pushes a single-platform image (one layer, a config with `created`) and tags it.
    pub async fn push_image(&self, repo: &str, tag: &str, spec: &ImageSpec) -> PushedImage {
        let (manifest, media_type, config_digest) = self.image_manifest(repo, spec, &[]).await;
        let digest = self.put_manifest(repo, tag, media_type, &manifest).await;
        PushedImage {
            digest,
            media_type: media_type.to_owned(),
            config_digest,
            size: manifest.len(),
        }
    }

    /// Uploads an image's blobs; returns its manifest bytes, media type and config digest.
    async fn image_manifest(
        &self,
        repo: &str,
        spec: &ImageSpec,
        extra_annotations: &[(&str, &str)],
    ) -> (Vec<u8>, &'static str, Digest) {
        let layer = images::layer_bytes(spec);
        let layer_digest = self.push_blob(repo, &layer).await;
        let config = images::config_bytes(spec, &layer_digest);
        let config_digest = self.push_blob(repo, &config).await;
        let mut annotations: Vec<(&str, &str)> = extra_annotations.to_vec();
        annotations.extend(
            spec.annotations
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        if let Some(created) = &spec.created_annotation {
            annotations.push(("org.opencontainers.image.created", created));
        }
        let (manifest, media_type) = images::image_manifest(
            spec.docker,
            &config_digest,
            config.len(),
            &layer_digest,
            layer.len(),
            &annotations,
        );
        (manifest, media_type, config_digest)
    }

    /// Pushes an OCI image index: `linux/amd64`, `linux/arm64/v8`, and a BuildKit-style
    /// attestation manifest (`unknown/unknown`) referring to the amd64 image.
    pub async fn push_oci_index(&self, repo: &str, tag: &str, seed: &str) -> PushedIndex {
        let mut entries = Vec::new();
        let mut platforms = Vec::new();
        for (arch, variant) in [("amd64", None), ("arm64", Some("v8"))] {
            let spec = ImageSpec::platform("linux", arch, variant, &format!("{seed}-{arch}"));
            let (manifest, media_type, _) = self.image_manifest(repo, &spec, &[]).await;
            let digest = Digest::sha256_of(&manifest);
            self.put_manifest(repo, &digest.to_string(), media_type, &manifest)
                .await;
            entries.push(images::platform_entry(
                media_type,
                &digest,
                manifest.len(),
                "linux",
                arch,
                variant,
                None,
            ));
            platforms.push(PushedPlatform {
                os: "linux".into(),
                architecture: arch.into(),
                variant: variant.map(Into::into),
                digest,
            });
        }
        // The attestation: an OCI manifest whose layer is an in-toto statement.
        let statement =
            json!({"_type": "https://in-toto.io/Statement/v1", "seed": seed}).to_string();
        let layer_digest = self.push_blob(repo, statement.as_bytes()).await;
        let config = b"{}".to_vec();
        let config_digest = self.push_blob(repo, &config).await;
        let attestation = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": images::descriptor("application/vnd.oci.image.config.v1+json", &config_digest, config.len()),
            "layers": [images::descriptor("application/vnd.in-toto+json", &layer_digest, statement.len())],
        })
        .to_string()
        .into_bytes();
        let attestation_digest = Digest::sha256_of(&attestation);
        self.put_manifest(
            repo,
            &attestation_digest.to_string(),
            OCI_MANIFEST,
            &attestation,
        )
        .await;
        let reference_annotations = json!({
            "vnd.docker.reference.type": "attestation-manifest",
            "vnd.docker.reference.digest": platforms[0].digest.to_string(),
        });
        entries.push(images::platform_entry(
            OCI_MANIFEST,
            &attestation_digest,
            attestation.len(),
            "unknown",
            "unknown",
            None,
            Some(reference_annotations),
        ));
        let (index, media_type) = images::index(false, entries);
        let digest = self.put_manifest(repo, tag, media_type, &index).await;
        debug_assert_eq!(media_type, OCI_INDEX);
        PushedIndex {
            digest,
            media_type: media_type.to_owned(),
            platforms,
            attestation: Some(attestation_digest),
        }
    }

    /// Pushes a Docker manifest list: `linux/amd64` and `linux/arm/v7` Docker schema 2 images.
    pub async fn push_docker_list(&self, repo: &str, tag: &str, seed: &str) -> PushedIndex {
        let mut entries = Vec::new();
        let mut platforms = Vec::new();
        for (arch, variant) in [("amd64", None), ("arm", Some("v7"))] {
            let spec = ImageSpec {
                docker: true,
                ..ImageSpec::platform("linux", arch, variant, &format!("{seed}-{arch}"))
            };
            let (manifest, media_type, _) = self.image_manifest(repo, &spec, &[]).await;
            debug_assert_eq!(media_type, DOCKER_MANIFEST);
            let digest = Digest::sha256_of(&manifest);
            self.put_manifest(repo, &digest.to_string(), media_type, &manifest)
                .await;
            entries.push(images::platform_entry(
                media_type,
                &digest,
                manifest.len(),
                "linux",
                arch,
                variant,
                None,
            ));
            platforms.push(PushedPlatform {
                os: "linux".into(),
                architecture: arch.into(),
                variant: variant.map(Into::into),
                digest,
            });
        }
        let (list, media_type) = images::index(true, entries);
        let digest = self.put_manifest(repo, tag, media_type, &list).await;
        debug_assert_eq!(media_type, DOCKER_LIST);
        PushedIndex {
            digest,
            media_type: media_type.to_owned(),
            platforms,
            attestation: None,
        }
    }

    /// Pushes one small image per tag, all sharing one layer and config (uploaded once); each
    /// manifest carries its tag as an annotation, so every tag has its own digest. Eight PUTs in
    /// flight. Returns `(tag, digest)` in the order given.
    pub async fn push_many_tags(&self, repo: &str, tags: &[String]) -> Vec<(String, Digest)> {
        let spec = ImageSpec {
            seed: "bulk".into(),
            ..ImageSpec::default()
        };
        let layer = images::layer_bytes(&spec);
        let layer_digest = self.push_blob(repo, &layer).await;
        let config = images::config_bytes(&spec, &layer_digest);
        let config_digest = self.push_blob(repo, &config).await;
        let permits = Arc::new(Semaphore::new(8));
        let mut tasks = JoinSet::new();
        for (i, tag) in tags.iter().enumerate() {
            let (manifest, media_type) = images::image_manifest(
                false,
                &config_digest,
                config.len(),
                &layer_digest,
                layer.len(),
                &[("org.relman.test.tag", tag)],
            );
            let (pusher, repo, tag, permits) =
                (self.clone(), repo.to_owned(), tag.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire().await.expect("semaphore open");
                let digest = pusher
                    .put_manifest(&repo, &tag, media_type, &manifest)
                    .await;
                (i, tag, digest)
            });
        }
        let mut pushed: Vec<(usize, String, Digest)> = tasks.join_all().await;
        pushed.sort_by_key(|(i, _, _)| *i);
        pushed
            .into_iter()
            .map(|(_, tag, digest)| (tag, digest))
            .collect()
    }

    /// Deletes a manifest by digest; distribution also removes every tag pointing at it.
    pub async fn delete_manifest(&self, repo: &str, digest: &Digest) {
        let response = self
            .authed(
                self.http
                    .delete(format!("{}/v2/{repo}/manifests/{digest}", self.base)),
                repo,
            )
            .send()
            .await
            .expect("DELETE manifest");
        assert_eq!(
            response.status().as_u16(),
            202,
            "DELETE {repo}@{digest}: {}",
            response.text().await.unwrap_or_default()
        );
    }

    /// An independent `HEAD` of a manifest with every manifest type accepted: the digest and
    /// media type a pull would see, or `None` when the registry answers 404.
    pub async fn head(&self, repo: &str, reference: &str) -> Option<(Digest, String)> {
        let response = self
            .authed(
                self.http
                    .head(format!("{}/v2/{repo}/manifests/{reference}", self.base)),
                repo,
            )
            .header("accept", ALL_MANIFEST_TYPES)
            .send()
            .await
            .expect("HEAD manifest");
        if response.status().as_u16() == 404 {
            return None;
        }
        assert!(
            response.status().is_success(),
            "HEAD {repo}:{reference}: {}",
            response.status()
        );
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("HEAD {repo}:{reference} has no {name}"))
        };
        let digest = header("docker-content-digest")
            .parse()
            .expect("a digest header");
        Some((digest, header("content-type")))
    }

    /// The tags the registry lists for `repo`, straight from the registry (one page: distribution
    /// ignores `n`).
    pub async fn tags(&self, repo: &str) -> Vec<String> {
        let response = self
            .authed(
                self.http.get(format!("{}/v2/{repo}/tags/list", self.base)),
                repo,
            )
            .send()
            .await
            .expect("GET tags");
        assert!(
            response.status().is_success(),
            "tags of {repo}: {}",
            response.status()
        );
        let body: serde_json::Value = response.json().await.expect("tag list JSON");
        body["tags"]
            .as_array()
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}
