//! Tags, semantic versions and the versions a component has.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::channel::{Channel, STABLE};
use crate::digest::Digest;
use crate::provenance::Provenance;

/// Parses a tag as a semantic version, allowing one leading `v` (`v1.2.3`, `1.2.3-rc.1+build`).
/// Tags that are not full `MAJOR.MINOR.PATCH` versions (`v1.2`, `latest`) are valid tags without a
/// semver and yield `None`.
pub fn parse_tag_semver(tag: &str) -> Option<semver::Version> {
    parse_semver(tag).ok()
}

/// Parses a semantic version given by a client, allowing one leading `v`.
pub fn parse_semver(text: &str) -> Result<semver::Version, semver::Error> {
    let bare = text.strip_prefix('v').unwrap_or(text);
    semver::Version::parse(bare)
}

/// Orders versions newest first: semver precedence (numeric prerelease identifiers compare
/// numerically, so `rc.10` is newer than `rc.9`; build metadata does not decide precedence),
/// then versions without a semver, by tag.
pub fn compare_versions_desc(a: &ComponentVersion, b: &ComponentVersion) -> Ordering {
    match (&a.semver, &b.semver) {
        (Some(x), Some(y)) => y.cmp_precedence(x).then_with(|| a.tag.cmp(&b.tag)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.tag.cmp(&b.tag),
    }
}

/// Where a version's mapping came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionSource {
    /// Learned from the registry by a sync.
    Sync,
    /// Assigned by a person through a version map; sync never overwrites it.
    Manual,
}

impl VersionSource {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sync => "sync",
            Self::Manual => "manual",
        }
    }

    /// Parses the wire and storage name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sync" => Some(Self::Sync),
            "manual" => Some(Self::Manual),
            _ => None,
        }
    }
}

/// One platform image inside a multi-arch index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// Operating system, e.g. `linux`.
    pub os: String,
    /// CPU architecture, e.g. `amd64`.
    pub architecture: String,
    /// Architecture variant, e.g. `v8`.
    pub variant: Option<String>,
    /// The platform manifest's digest.
    pub digest: Digest,
}

/// One tag of a component and what relman knows about it (the seed's "version map").
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentVersion {
    /// Identity of this record.
    pub id: Uuid,
    /// The component the tag belongs to.
    pub component_id: Uuid,
    /// The tag, as the registry spells it.
    pub tag: String,
    /// The digest the tag points at; the version's identity.
    pub digest: Digest,
    /// The semantic version, when the tag is one or a version map assigned one.
    pub semver: Option<semver::Version>,
    /// The release channel, when one applies.
    pub channel: Option<Channel>,
    /// Where the mapping came from.
    pub source: VersionSource,
    /// Per-platform digests when `digest` is an image index.
    pub platforms: Vec<Platform>,
    /// When the image was built, when the registry says.
    pub pushed_at: Option<DateTime<Utc>>,
    /// Where the image was built from, as its labels say (empty when unlabelled or not read).
    pub provenance: Provenance,
    /// When relman first saw the tag.
    pub first_seen_at: DateTime<Utc>,
    /// When this record last changed.
    pub updated_at: DateTime<Utc>,
    /// The tag vanished from the registry; kept so releases that pinned it keep their meaning.
    pub gone: bool,
    /// Set when the version was yanked: it stays readable and pinned where a release pinned it,
    /// but no channel resolution, alias or feed picks it.
    pub yank: Option<Yank>,
}

impl ComponentVersion {
    /// Whether the version was yanked.
    pub fn is_yanked(&self) -> bool {
        self.yank.is_some()
    }

    /// Whether the version may float: a present, unyanked `stable` version whose semver has no
    /// prerelease. What aliases and update feeds are computed from.
    pub fn floats(&self) -> bool {
        !self.gone
            && self.yank.is_none()
            && self.channel.as_ref().is_some_and(|c| c.as_str() == STABLE)
            && self.semver.as_ref().is_some_and(|s| s.pre.is_empty())
    }
}

/// The longest yank reason, in characters.
pub const MAX_YANK_REASON_CHARS: usize = 500;

/// Why and when a version was yanked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yank {
    /// When it was yanked.
    pub at: DateTime<Utc>,
    /// Why, as the person who yanked it said.
    pub reason: Option<String>,
}

/// A recorded digest change of a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetagRecord {
    /// The tag.
    pub tag: String,
    /// What it pointed at.
    pub old_digest: Digest,
    /// What it points at since.
    pub new_digest: Digest,
    /// When a sync saw the change.
    pub detected_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_semver_table() {
        let cases = [
            ("v1.2.3", Some("1.2.3")),
            ("1.2.3", Some("1.2.3")),
            ("1.2.3+build.5", Some("1.2.3+build.5")),
            ("1.2.3-RC.1", Some("1.2.3-RC.1")),
            ("v2.0.0-rc.10", Some("2.0.0-rc.10")),
            ("v1.2", None),
            ("v1", None),
            ("latest", None),
            ("vv1.2.3", None),
            ("V1.2.3", None),
            ("01.2.3", None),
            ("1.2.3.4", None),
            ("", None),
        ];
        for (tag, want) in cases {
            let got = parse_tag_semver(tag).map(|v| v.to_string());
            assert_eq!(got.as_deref(), want, "tag {tag:?}");
        }
    }

    fn version(tag: &str) -> ComponentVersion {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        ComponentVersion {
            provenance: Default::default(),
            id: Uuid::nil(),
            component_id: Uuid::nil(),
            tag: tag.to_owned(),
            digest: Digest::sha256_of(tag.as_bytes()),
            semver: parse_tag_semver(tag),
            channel: None,
            source: VersionSource::Sync,
            platforms: vec![],
            pushed_at: None,
            first_seen_at: now,
            updated_at: now,
            gone: false,
            yank: None,
        }
    }

    #[test]
    fn newest_first_ordering() {
        let mut vs: Vec<ComponentVersion> = [
            "latest",
            "v1.0.0-rc.9",
            "v1.0.0",
            "v1.0.0-rc.10",
            "v0.9.0",
            "v1.0.0-beta.2",
            "main",
            "v1.0.0-beta.11",
            "v10.0.0",
            "v2.0.0-alpha",
        ]
        .into_iter()
        .map(version)
        .collect();
        vs.sort_by(compare_versions_desc);
        let tags: Vec<&str> = vs.iter().map(|v| v.tag.as_str()).collect();
        assert_eq!(
            tags,
            [
                "v10.0.0",
                "v2.0.0-alpha",
                "v1.0.0",
                "v1.0.0-rc.10",
                "v1.0.0-rc.9",
                "v1.0.0-beta.11",
                "v1.0.0-beta.2",
                "v0.9.0",
                "latest",
                "main",
            ]
        );
    }

    #[test]
    fn build_metadata_does_not_decide_precedence() {
        let a = version("1.2.3+b");
        let b = version("1.2.3+a");
        // Equal precedence: the tag breaks the tie so the order is total and stable.
        assert_eq!(compare_versions_desc(&a, &b), Ordering::Greater);
    }
}
