//! `POST /releases/{id}/generate-notes`: request and response.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::releases::ReleaseResponse;

/// What to compare with, and whether to write the notes into the release.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenerateNotesRequest {
    /// The release to compare with (UUID or name). Default: the highest non-draft release with
    /// a lower `version`; for a release without a version, the non-draft release created just
    /// before it.
    #[schema(example = "myapp-v2.3.0", max_length = 128)]
    pub previous: Option<String>,
    /// Also write the notes into the release's `notes` (default `false`: only return them).
    pub apply: Option<bool>,
}

/// The release a generated text compares with.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotesPrevious {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    #[schema(example = "myapp-v2.3.0")]
    pub name: String,
}

/// Generated release notes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedNotesResponse {
    /// The notes, in Markdown: changed components with versions, digests and source revision
    /// range, then added and removed components, then how many are unchanged. The same two
    /// releases always give the same text.
    #[schema(
        example = "## Changes since `myapp-v2.3.0`\n\n### Changed\n\n- **api** 2.3.0 → 2.3.1 (`sha256:…` → `sha256:…`)\n  - Source: [1a2b3c4d5e6f...9f8e7d6c5b4a](https://github.com/myorg/api/compare/1a2b…...9f8e…)\n\nUnchanged: 2 components.\n"
    )]
    pub notes: String,
    /// The release compared with; `null` for a first release.
    #[schema(required = true)]
    pub previous: Option<NotesPrevious>,
    /// Whether the notes were written into the release.
    pub applied: bool,
    /// The release (with the new notes when applied).
    pub release: ReleaseResponse,
}
