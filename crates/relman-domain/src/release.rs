//! Release bundles: an immutable set of exact image digests, one per component.

mod status;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::channel::Channel;
use crate::digest::Digest;
use crate::error::ValidationError;
use crate::provenance::Provenance;
use crate::version::Platform;

pub use status::{
    ManualStatusError, ReleaseStatus, TransitionError, manual_transition, transition,
};

/// A release's unique name: 1-128 characters of `A-Z`, `a-z`, `0-9`, `.`, `_` and `-`, starting
/// with a letter or digit (`myapp-v2.3.1`). Usable in paths in place of the release's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReleaseName(String);

impl ReleaseName {
    /// The longest name accepted.
    pub const MAX_LEN: usize = 128;

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ReleaseName {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        let ok = (1..=Self::MAX_LEN).contains(&bytes.len())
            && bytes[0].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::field(
                "name",
                "must be 1-128 characters of A-Z, a-z, 0-9, '.', '_' and '-', \
                 starting with a letter or digit",
            ))
        }
    }
}

impl fmt::Display for ReleaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One member of a release: a snapshot of the component version it pinned, taken at creation.
/// Later edits to the component (renames, new tags, re-tags) never change it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseMember {
    /// The component the member belongs to.
    pub component_id: Uuid,
    /// The component's name when the release was created.
    pub component_name: String,
    /// The image repository when the release was created.
    pub image_repository: String,
    /// The tag that resolved to `digest` when the release was created.
    pub tag: String,
    /// The semantic version of that tag, if it had one.
    pub version: Option<semver::Version>,
    /// The pinned digest: the member's identity.
    pub digest: Digest,
    /// The channel of that tag, if it had one.
    pub channel: Option<Channel>,
    /// Per-platform digests when `digest` is an image index.
    pub platforms: Vec<Platform>,
    /// The pinned image's provenance labels, as recorded when the release was created.
    pub provenance: Provenance,
}

/// Where the release's source lives in version control (the seed's `sourceRef`). Every field is
/// optional and informative only; relman does not contact the SCM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceRef {
    /// The SCM integration the repository belongs to.
    pub scm_integration_id: Option<Uuid>,
    /// Repository path, e.g. `myorg/myapp`.
    pub repository: Option<String>,
    /// Branch the release was cut from.
    pub branch: Option<String>,
    /// Commit the release was cut from.
    pub commit_sha: Option<String>,
}

/// A release bundle.
///
/// `members` and `digest` are frozen once the release leaves [`ReleaseStatus::Draft`]; only
/// `display_name`, `notes`, `metadata` and `status` (along [`transition`]) move afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// Unique name.
    pub name: ReleaseName,
    /// Human-readable name; the service defaults it to the name.
    pub display_name: String,
    /// Where the release is in its life cycle.
    pub status: ReleaseStatus,
    /// The pinned images, one per component.
    pub members: Vec<ReleaseMember>,
    /// The content digest of `members` (see [`crate::content_digest`]); equal members, equal digest.
    pub digest: Digest,
    /// The bundle's own semantic version; decides which release is the latest.
    pub version: Option<semver::Version>,
    /// Release notes (Markdown).
    pub notes: Option<String>,
    /// A prerelease is never the latest release.
    pub prerelease: bool,
    /// Free-form key/value pairs, ordered by key.
    pub metadata: BTreeMap<String, String>,
    /// Where the release was cut from.
    pub source_ref: Option<SourceRef>,
    /// When the release was created.
    pub created_at: DateTime<Utc>,
    /// Who created it (the token's subject).
    pub created_by: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Why it was deprecated, when it is and a reason was given.
    pub deprecated_reason: Option<String>,
}

/// One row of the release list: what a page shows of a release.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseSummary {
    /// Identity.
    pub id: Uuid,
    /// Unique name.
    pub name: ReleaseName,
    /// Human-readable name.
    pub display_name: String,
    /// Life-cycle status.
    pub status: ReleaseStatus,
    /// Content digest.
    pub digest: Digest,
    /// The bundle's own version.
    pub version: Option<semver::Version>,
    /// Whether it is a prerelease.
    pub prerelease: bool,
    /// How many members it has.
    pub component_count: u32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Who created it.
    pub created_by: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_names_table() {
        let longest = "a".repeat(128);
        let too_long = "a".repeat(129);
        let cases = [
            ("myapp-v2.3.1", true),
            ("MyApp_2026.01", true),
            ("0", true),
            (longest.as_str(), true),
            ("", false),
            ("-myapp", false),
            (".hidden", false),
            ("_x", false),
            ("my app", false),
            ("my/app", false),
            ("myäpp", false),
            (too_long.as_str(), false),
        ];
        for (name, ok) in cases {
            let got = name.parse::<ReleaseName>();
            assert_eq!(got.is_ok(), ok, "name {name:?}");
            match got {
                Ok(n) => assert_eq!(n.to_string(), name),
                Err(e) => assert_eq!(e.errors[0].field, "name"),
            }
        }
    }
}
