//! Builders shared by the unit tests of the release modules.

use chrono::{DateTime, Utc};
use sha2::Digest as _;
use uuid::Uuid;

use crate::channel::{Channel, ChannelRules};
use crate::component::{Component, VersioningStrategy};
use crate::digest::Digest;
use crate::release::ReleaseMember;
use crate::version::{ComponentVersion, VersionSource, parse_tag_semver};

/// A stable id derived from a name, so tests can name components instead of carrying ids.
pub(crate) fn id_of(name: &str) -> Uuid {
    let hash = sha2::Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    Uuid::from_bytes(bytes)
}

/// A digest derived from a seed string.
pub(crate) fn digest_of(seed: &str) -> Digest {
    Digest::sha256_of(seed.as_bytes())
}

/// A component named `name` whose default channel is `default_channel`.
pub(crate) fn component(name: &str, default_channel: &str) -> Component {
    let now = DateTime::<Utc>::UNIX_EPOCH;
    Component {
        id: id_of(name),
        name: name.parse().unwrap(),
        display_name: name.to_uppercase(),
        image_repository: format!("myorg/{name}"),
        registry_integration_id: None,
        versioning_strategy: VersioningStrategy::Semver,
        default_channel: default_channel.parse().unwrap(),
        tag_pattern: None,
        channel_rules: ChannelRules::default(),
        sync_interval_seconds: None,
        record_pushed_at: true,
        latest_alias: Default::default(),
        created_at: now,
        updated_at: now,
    }
}

/// A synced, present version of component `component` whose digest is derived from its tag.
pub(crate) fn version(component: &str, tag: &str, channel: Option<&str>) -> ComponentVersion {
    let now = DateTime::<Utc>::UNIX_EPOCH;
    ComponentVersion {
        provenance: Default::default(),
        id: id_of(&format!("{component}:{tag}")),
        component_id: id_of(component),
        tag: tag.to_owned(),
        digest: digest_of(tag),
        semver: parse_tag_semver(tag),
        channel: channel.map(|c| c.parse::<Channel>().unwrap()),
        source: VersionSource::Sync,
        platforms: vec![],
        pushed_at: None,
        first_seen_at: now,
        updated_at: now,
        gone: false,
        yank: None,
    }
}

/// A release member of component `name` pinned at the digest derived from `digest_seed`.
pub(crate) fn member(name: &str, digest_seed: &str) -> ReleaseMember {
    ReleaseMember {
        provenance: Default::default(),
        component_id: id_of(name),
        component_name: name.to_owned(),
        image_repository: format!("myorg/{name}"),
        tag: digest_seed.to_owned(),
        version: parse_tag_semver(digest_seed),
        digest: digest_of(digest_seed),
        channel: None,
        platforms: vec![],
    }
}
