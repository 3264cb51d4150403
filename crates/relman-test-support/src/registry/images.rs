//! The JSON of test images: configs, image manifests, OCI indexes and Docker manifest lists.

use relman_domain::Digest;
use serde_json::{Value, json};

/// OCI image manifest media type.
pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type.
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest (schema 2) media type.
pub(crate) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list media type.
pub(crate) const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// What a single-platform test image looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    /// The config's `created` (RFC 3339), if any.
    pub created: Option<String>,
    /// An `org.opencontainers.image.created` manifest annotation, if any.
    pub created_annotation: Option<String>,
    /// Platform OS.
    pub os: String,
    /// Platform architecture.
    pub architecture: String,
    /// Platform variant.
    pub variant: Option<String>,
    /// Varies the layer bytes: images with different seeds have different digests.
    pub seed: String,
    /// Docker schema 2 media types instead of OCI.
    pub docker: bool,
    /// Extra image config labels (`config.Labels`), e.g. provenance labels.
    pub labels: Vec<(String, String)>,
    /// Extra manifest annotations.
    pub annotations: Vec<(String, String)>,
}

impl Default for ImageSpec {
    fn default() -> Self {
        Self {
            created: Some("2024-05-01T12:00:00Z".into()),
            created_annotation: None,
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
            seed: "default".into(),
            docker: false,
            labels: Vec::new(),
            annotations: Vec::new(),
        }
    }
}

impl ImageSpec {
    /// A spec for `os/architecture[/variant]` with a seed.
    pub fn platform(os: &str, architecture: &str, variant: Option<&str>, seed: &str) -> Self {
        Self {
            os: os.into(),
            architecture: architecture.into(),
            variant: variant.map(Into::into),
            seed: seed.into(),
            ..Self::default()
        }
    }
}

/// A pushed single-platform image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedImage {
    /// The manifest digest the registry answered with.
    pub digest: Digest,
    /// The manifest media type.
    pub media_type: String,
    /// The config blob's digest.
    pub config_digest: Digest,
    /// The manifest's size in bytes.
    pub size: usize,
}

/// One platform of a pushed index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedPlatform {
    /// OS.
    pub os: String,
    /// Architecture.
    pub architecture: String,
    /// Variant.
    pub variant: Option<String>,
    /// The platform manifest's digest.
    pub digest: Digest,
}

/// A pushed multi-platform index or manifest list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedIndex {
    /// The index digest.
    pub digest: Digest,
    /// The index media type.
    pub media_type: String,
    /// The runnable platforms, in index order.
    pub platforms: Vec<PushedPlatform>,
    /// The attestation manifest's digest, when the index has one.
    pub attestation: Option<Digest>,
}

/// Layer bytes: not a real tarball (the registry never looks inside), unique per seed.
pub(crate) fn layer_bytes(spec: &ImageSpec) -> Vec<u8> {
    format!(
        "relman test layer {} {}/{}",
        spec.seed, spec.os, spec.architecture
    )
    .into_bytes()
}

pub(crate) fn config_bytes(spec: &ImageSpec, layer: &Digest) -> Vec<u8> {
    let mut config = json!({
        "architecture": spec.architecture,
        "os": spec.os,
        "config": {"Labels": {"org.relman.test.seed": spec.seed}},
        "rootfs": {"type": "layers", "diff_ids": [layer.to_string()]},
    });
    if let Some(variant) = &spec.variant {
        config["variant"] = json!(variant);
    }
    for (key, value) in &spec.labels {
        config["config"]["Labels"][key] = json!(value);
    }
    if let Some(created) = &spec.created {
        config["created"] = json!(created);
    }
    config.to_string().into_bytes()
}

pub(crate) fn descriptor(media_type: &str, digest: &Digest, size: usize) -> Value {
    json!({"mediaType": media_type, "digest": digest.to_string(), "size": size})
}

/// An image manifest for one config and one layer, with optional annotations.
pub(crate) fn image_manifest(
    docker: bool,
    config: &Digest,
    config_size: usize,
    layer: &Digest,
    layer_size: usize,
    annotations: &[(&str, &str)],
) -> (Vec<u8>, &'static str) {
    let (media_type, config_type, layer_type) = if docker {
        (
            DOCKER_MANIFEST,
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
        )
    } else {
        (
            OCI_MANIFEST,
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        )
    };
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": descriptor(config_type, config, config_size),
        "layers": [descriptor(layer_type, layer, layer_size)],
    });
    // Docker schema 2 has no annotations field.
    if !annotations.is_empty() && !docker {
        let map: serde_json::Map<String, Value> = annotations
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        manifest["annotations"] = Value::Object(map);
    }
    (manifest.to_string().into_bytes(), media_type)
}

/// An index entry for a platform manifest.
pub(crate) fn platform_entry(
    media_type: &str,
    digest: &Digest,
    size: usize,
    os: &str,
    architecture: &str,
    variant: Option<&str>,
    annotations: Option<Value>,
) -> Value {
    let mut entry = descriptor(media_type, digest, size);
    let mut platform = json!({"os": os, "architecture": architecture});
    if let Some(variant) = variant {
        platform["variant"] = json!(variant);
    }
    entry["platform"] = platform;
    if let Some(annotations) = annotations {
        entry["annotations"] = annotations;
    }
    entry
}

/// An index or manifest list over `entries`.
pub(crate) fn index(docker: bool, entries: Vec<Value>) -> (Vec<u8>, &'static str) {
    let media_type = if docker { DOCKER_LIST } else { OCI_INDEX };
    let body = json!({"schemaVersion": 2, "mediaType": media_type, "manifests": entries});
    (body.to_string().into_bytes(), media_type)
}
