//! Components: the container images relman tracks.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use regex::Regex;
use uuid::Uuid;

use crate::channel::{Channel, ChannelRules};
use crate::error::ValidationError;

crate::slug::slug_name!(
    /// A component's name: a slug `[a-z0-9][a-z0-9-]{0,62}`, unique, usable in paths in place of
    /// its id.
    ComponentName
);

/// How a component's tags are ordered. Only semantic versioning exists today; the field is kept
/// so that other strategies can arrive without changing the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersioningStrategy {
    /// Tags are semantic versions, optionally with a leading `v`.
    Semver,
}

impl VersioningStrategy {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Semver => "semver",
        }
    }
}

impl FromStr for VersioningStrategy {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "semver" => Ok(Self::Semver),
            other => Err(ValidationError::field(
                "versioningStrategy",
                format!("unknown versioning strategy '{other}' (supported: semver)"),
            )),
        }
    }
}

/// What a component's `latest` alias floats to when aliases are applied to the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LatestAlias {
    /// The highest stable version, like every other alias.
    #[default]
    Highest,
    /// Left alone: something else (CI pushing "HEAD of main") owns `latest`, and relman neither
    /// lists nor moves it.
    Unmanaged,
}

impl LatestAlias {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Highest => "highest",
            Self::Unmanaged => "unmanaged",
        }
    }
}

impl FromStr for LatestAlias {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "highest" => Ok(Self::Highest),
            "unmanaged" => Ok(Self::Unmanaged),
            other => Err(ValidationError::field(
                "latestAlias",
                format!("unknown latest alias policy '{other}' (supported: highest, unmanaged)"),
            )),
        }
    }
}

/// A regular expression a tag must match to be tracked.
#[derive(Debug, Clone)]
pub struct TagPattern(Regex);

impl TagPattern {
    /// Compiles a pattern; matched anywhere in the tag unless anchored.
    pub fn new(pattern: &str) -> Result<Self, ValidationError> {
        Regex::new(pattern).map(Self).map_err(|e| {
            ValidationError::field("tagPattern", format!("not a valid regular expression: {e}"))
        })
    }

    /// Whether a tag is tracked.
    pub fn matches(&self, tag: &str) -> bool {
        self.0.is_match(tag)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for TagPattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

/// A container image that relman tracks versions of.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// Unique slug.
    pub name: ComponentName,
    /// Human-readable name.
    pub display_name: String,
    /// Repository path inside the registry, e.g. `myorg/api`.
    pub image_repository: String,
    /// The registry integration that serves the repository, if any.
    pub registry_integration_id: Option<Uuid>,
    /// How tags are ordered.
    pub versioning_strategy: VersioningStrategy,
    /// The channel used when a release member names no version, digest or channel.
    pub default_channel: Channel,
    /// Tags not matching this are ignored.
    pub tag_pattern: Option<TagPattern>,
    /// Ordered overrides of the default channel classification.
    pub channel_rules: ChannelRules,
    /// How often the scheduler syncs it, in seconds: `None` follows the server's global
    /// interval, `Some(0)` never schedules it (manual syncs still work). See
    /// [`validate_sync_interval`] for the bounds.
    pub sync_interval_seconds: Option<u32>,
    /// Whether sync records each version's `pushed_at` (the image's build time). It costs a
    /// manifest `GET` per new tag and an image-config `GET` per distinct config; without it a
    /// first sync costs the tag list and one `HEAD` per tag (indexes still fetched for platforms).
    pub record_pushed_at: bool,
    /// What the `latest` alias floats to.
    pub latest_alias: LatestAlias,
    /// When the component was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The shortest own sync interval a component may have: a minute, so that a typo does not make
/// relman hammer a registry.
pub const MIN_SYNC_INTERVAL_SECONDS: u32 = 60;
/// The longest: a week. Longer than that, `0` (never) and a manual sync say what is meant.
pub const MAX_SYNC_INTERVAL_SECONDS: u32 = 604_800;

/// Checks a component's own sync interval: `0` (never scheduled) or
/// [`MIN_SYNC_INTERVAL_SECONDS`]`..=`[`MAX_SYNC_INTERVAL_SECONDS`]. Takes the client's number
/// as given so that a negative or huge value is a field error, not a parse failure.
pub fn validate_sync_interval(seconds: i64) -> Result<u32, ValidationError> {
    let range = i64::from(MIN_SYNC_INTERVAL_SECONDS)..=i64::from(MAX_SYNC_INTERVAL_SECONDS);
    match u32::try_from(seconds) {
        Ok(s) if seconds == 0 || range.contains(&seconds) => Ok(s),
        _ => Err(ValidationError::field(
            "syncIntervalSeconds",
            format!(
                "must be 0 (never scheduled) or between {MIN_SYNC_INTERVAL_SECONDS} and \
                 {MAX_SYNC_INTERVAL_SECONDS} seconds; null follows the server's interval"
            ),
        )),
    }
}

/// Checks an image repository path as the OCI distribution spec defines repository names:
/// lowercase path components separated by `/`, each `[a-z0-9]+([._-][a-z0-9]+)*`.
pub fn validate_image_repository(repo: &str) -> Result<(), ValidationError> {
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.split(['.', '_', '-']).all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    };
    if repo.len() <= 255 && repo.split('/').all(component_ok) {
        Ok(())
    } else {
        Err(ValidationError::field(
            "imageRepository",
            "must be an OCI repository path such as 'myorg/api' (lowercase, '/'-separated)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_names_table() {
        let long_ok = "a".repeat(63);
        let too_long = "a".repeat(64);
        let cases = [
            ("api", true),
            ("api-gateway", true),
            ("0day", true),
            (long_ok.as_str(), true),
            ("", false),
            ("-api", false),
            ("Api", false),
            ("api_gw", false),
            ("api gw", false),
            (too_long.as_str(), false),
            ("ápi", false),
            ("0190f3c2-7a4e-7b8c-9d0e-1f2a3b4c5d6e", false),
        ];
        for (name, ok) in cases {
            assert_eq!(name.parse::<ComponentName>().is_ok(), ok, "name {name:?}");
        }
    }

    #[test]
    fn image_repository_table() {
        let cases = [
            ("myorg/api", true),
            ("api", true),
            ("my-org/sub.team/api_v2", true),
            ("MyOrg/api", false),
            ("myorg//api", false),
            ("/api", false),
            ("api-", false),
            ("a..b", false),
            ("", false),
        ];
        for (repo, ok) in cases {
            assert_eq!(validate_image_repository(repo).is_ok(), ok, "repo {repo:?}");
        }
    }

    #[test]
    fn sync_interval_table() {
        let cases = [
            (0, Some(0)),
            (60, Some(60)),
            (3600, Some(3600)),
            (604_800, Some(604_800)),
            (1, None),
            (59, None),
            (604_801, None),
            (-1, None),
            (i64::MAX, None),
        ];
        for (seconds, want) in cases {
            assert_eq!(validate_sync_interval(seconds).ok(), want, "{seconds}");
        }
    }

    #[test]
    fn versioning_strategy_and_tag_pattern() {
        assert_eq!(
            "semver".parse::<VersioningStrategy>(),
            Ok(VersioningStrategy::Semver)
        );
        assert!("calver".parse::<VersioningStrategy>().is_err());
        let p = TagPattern::new(r"^v\d+\.\d+\.\d+$").unwrap();
        assert!(p.matches("v1.2.3"));
        assert!(!p.matches("latest"));
        assert_eq!(
            TagPattern::new("[").unwrap_err().errors[0].field,
            "tagPattern"
        );
    }
}
