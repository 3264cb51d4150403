//! Release channels and how tags are classified into them.

use std::fmt;
use std::str::FromStr;

use regex::Regex;

use crate::error::ValidationError;

/// The name of the channel that floats: aliases and update feeds come from it.
pub const STABLE: &str = "stable";

/// A release channel name: `stable`, `rc`, `beta`, or any slug a component's rules introduce.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Channel(String);

impl Channel {
    /// Versions without a prerelease.
    pub fn stable() -> Self {
        Self(STABLE.into())
    }

    /// Release candidates.
    pub fn rc() -> Self {
        Self("rc".into())
    }

    /// Alpha, beta and every other prerelease.
    pub fn beta() -> Self {
        Self("beta".into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Channel {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=32).contains(&s.len())
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::field(
                "channel",
                format!(
                    "'{s}' is not a channel name: 1-32 of a-z, 0-9 and '-', starting with a letter"
                ),
            ))
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One per-component rule: tags matching `pattern` belong to `channel`.
#[derive(Debug, Clone)]
pub struct ChannelRule {
    pattern: Regex,
    channel: Channel,
}

impl ChannelRule {
    /// A rule from a regular expression (matched anywhere in the tag unless anchored) and a channel.
    pub fn new(pattern: &str, channel: &str) -> Result<Self, ValidationError> {
        let pattern = Regex::new(pattern).map_err(|e| {
            ValidationError::field("pattern", format!("not a valid regular expression: {e}"))
        })?;
        Ok(Self {
            pattern,
            channel: channel.parse()?,
        })
    }

    /// The pattern as written.
    pub fn pattern(&self) -> &str {
        self.pattern.as_str()
    }

    /// The channel it assigns.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }
}

impl PartialEq for ChannelRule {
    fn eq(&self, other: &Self) -> bool {
        self.pattern.as_str() == other.pattern.as_str() && self.channel == other.channel
    }
}

/// A component's ordered channel rules; the first match wins, before the default classification.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelRules(pub Vec<ChannelRule>);

/// The channel a tag belongs to: the first matching rule, else the default rules for semver tags
/// (no prerelease → `stable`; prerelease starting with `rc` → `rc`; anything else → `beta`,
/// compared case-insensitively), else none for tags without a semver.
pub fn classify_channel(
    tag: &str,
    semver: Option<&semver::Version>,
    rules: &ChannelRules,
) -> Option<Channel> {
    if let Some(rule) = rules.0.iter().find(|r| r.pattern.is_match(tag)) {
        return Some(rule.channel.clone());
    }
    let version = semver?;
    if version.pre.is_empty() {
        return Some(Channel::stable());
    }
    let pre = version.pre.as_str().to_ascii_lowercase();
    if pre.starts_with("rc") {
        Some(Channel::rc())
    } else {
        Some(Channel::beta())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::parse_tag_semver;

    fn classify(tag: &str, rules: &ChannelRules) -> Option<String> {
        classify_channel(tag, parse_tag_semver(tag).as_ref(), rules).map(|c| c.to_string())
    }

    #[test]
    fn default_rules_table() {
        let none = ChannelRules::default();
        let cases = [
            ("v1.2.3", Some("stable")),
            ("1.2.3+build.7", Some("stable")),
            ("1.2.3-rc.1", Some("rc")),
            ("1.2.3-RC.1", Some("rc")),
            ("1.2.3-rc1", Some("rc")),
            ("1.2.3-beta.2", Some("beta")),
            ("1.2.3-alpha", Some("beta")),
            ("1.2.3-nightly.20260101", Some("beta")),
            ("1.2.3-0.3.7", Some("beta")),
            ("latest", None),
            ("v1.2", None),
        ];
        for (tag, want) in cases {
            assert_eq!(classify(tag, &none).as_deref(), want, "tag {tag:?}");
        }
    }

    #[test]
    fn rules_are_ordered_and_override_defaults() {
        let rules = ChannelRules(vec![
            ChannelRule::new("-hotfix", "stable").unwrap(),
            ChannelRule::new("^nightly-", "nightly").unwrap(),
            ChannelRule::new(".*", "edge").unwrap(),
        ]);
        assert_eq!(
            classify("1.2.3-hotfix.1", &rules).as_deref(),
            Some("stable")
        );
        assert_eq!(classify("nightly-2026", &rules).as_deref(), Some("nightly"));
        assert_eq!(classify("1.2.3", &rules).as_deref(), Some("edge"));
    }

    #[test]
    fn channel_names_and_rule_patterns_are_validated() {
        assert!("stable".parse::<Channel>().is_ok());
        assert!("long-term-2".parse::<Channel>().is_ok());
        for bad in ["", "Stable", "2fast", "a b", "x".repeat(33).as_str()] {
            assert!(bad.parse::<Channel>().is_err(), "{bad:?}");
        }
        let err = ChannelRule::new("(", "stable").unwrap_err();
        assert_eq!(err.errors[0].field, "pattern");
    }
}
