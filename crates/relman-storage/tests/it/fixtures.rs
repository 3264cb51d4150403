use chrono::{DateTime, Utc};
use relman_domain::{
    Channel, ChannelRule, ChannelRules, Component, ComponentVersion, Digest, Platform,
    VersionSource, VersioningStrategy, parse_tag_semver,
};
use uuid::Uuid;

pub fn now() -> DateTime<Utc> {
    // Microsecond precision is what the database keeps.
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

pub fn component(name: &str) -> Component {
    Component {
        id: Uuid::now_v7(),
        name: name.parse().unwrap(),
        display_name: format!("{name} service"),
        image_repository: format!("myorg/{name}"),
        registry_integration_id: Some(Uuid::now_v7()),
        versioning_strategy: VersioningStrategy::Semver,
        default_channel: Channel::stable(),
        tag_pattern: None,
        channel_rules: ChannelRules(vec![ChannelRule::new("^nightly-", "nightly").unwrap()]),
        sync_interval_seconds: Some(3600),
        // Not the default, so that a round trip shows the column is read back.
        record_pushed_at: false,
        latest_alias: Default::default(),
        created_at: now(),
        updated_at: now(),
    }
}

pub fn version(component: &Component, tag: &str, source: VersionSource) -> ComponentVersion {
    let semver = parse_tag_semver(tag);
    ComponentVersion {
        provenance: Default::default(),
        id: Uuid::now_v7(),
        component_id: component.id,
        tag: tag.to_owned(),
        digest: Digest::sha256_of(tag.as_bytes()),
        channel: relman_domain::classify_channel(tag, semver.as_ref(), &component.channel_rules),
        semver,
        source,
        platforms: vec![Platform {
            os: "linux".into(),
            architecture: "arm64".into(),
            variant: Some("v8".into()),
            digest: Digest::sha256_of(b"arm64"),
        }],
        pushed_at: None,
        first_seen_at: now(),
        updated_at: now(),
        gone: false,
        yank: None,
    }
}

/// An audit event for changes made by tests.
pub fn event() -> relman_domain::AuditEvent {
    relman_domain::AuditEvent::new(
        &relman_domain::Actor::system(),
        now(),
        "test",
        "change",
        "x",
        "test change",
    )
}
