//! Release asset bodies.

use relman_domain::Asset;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{nullable, present, rfc3339};

/// A file attached to a release.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssetResponse {
    /// Identity.
    pub id: Uuid,
    /// The release it belongs to.
    pub release_id: Uuid,
    /// File name, unique within the release.
    #[schema(example = "relman-linux-amd64.tar.gz")]
    pub name: String,
    /// Display label.
    #[schema(example = "Linux (x86-64)", required = true)]
    pub label: Option<String>,
    /// Media type as uploaded.
    #[schema(example = "application/gzip")]
    pub content_type: String,
    /// Size in bytes.
    #[schema(example = 1048576, minimum = 0)]
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex; also the download's `ETag`.
    #[schema(example = "9f2c4e1d7a3b5c6d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d")]
    pub sha256: String,
    /// Completed downloads (responses that delivered the asset's last byte).
    #[schema(minimum = 0)]
    pub download_count: u64,
    /// Who uploaded it.
    pub created_by: String,
    /// When the upload began.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the record last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Where the bytes are downloaded (also `GET …/assets/{assetId}` with
    /// `Accept: application/octet-stream`).
    #[schema(
        example = "/api/v1/releases/0193a1b2-0000-7000-8000-000000000001/assets/0193a1b2-0000-7000-8000-000000000002/download"
    )]
    pub download_url: String,
}

impl From<Asset> for AssetResponse {
    fn from(a: Asset) -> Self {
        Self {
            download_url: format!("/api/v1/releases/{}/assets/{}/download", a.release_id, a.id),
            id: a.id,
            release_id: a.release_id,
            name: a.name.to_string(),
            label: a.label,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            download_count: a.download_count,
            created_by: a.created_by,
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
        }
    }
}

/// The multipart form of an upload. Text fields must come before the file part; the file is
/// streamed to storage as it arrives.
#[derive(Debug, ToSchema)]
#[allow(
    dead_code,
    reason = "documents the form; the handler reads it as a stream"
)]
pub struct AssetUploadForm {
    /// The file name (default: the file part's `filename`): `A-Z`, `a-z`, `0-9`, `.`, `_`, `-`
    /// and `+`, not starting with `.`.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$"
    )]
    name: Option<String>,
    /// A display label.
    #[schema(max_length = 500, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    label: Option<String>,
    /// The file; its part's `Content-Type` is recorded (default `application/octet-stream`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The bytes of an asset.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct AssetBytes(pub Vec<u8>);

/// Name and label of an upload given in the query (as GitHub's upload API takes them) instead
/// of form fields.
#[derive(Debug, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetUploadParams {
    /// The file name (default: the file part's `filename`): `A-Z`, `a-z`, `0-9`, `.`, `_`, `-`
    /// and `+`, not starting with `.`.
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$"
    )]
    pub name: Option<String>,
    /// A display label.
    #[param(max_length = 500, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub label: Option<String>,
}

/// A change of an asset's name or label (draft releases only).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAssetRequest {
    /// New file name: `A-Z`, `a-z`, `0-9`, `.`, `_`, `-` and `+`, not starting with `.`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$"
    )]
    pub name: Option<String>,
    /// New label, or `null` to clear it.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, max_length = 500, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub label: Option<Option<String>>,
}
