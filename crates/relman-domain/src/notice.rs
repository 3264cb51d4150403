//! Webhook notices: what a change tells the outside world, written in the change's transaction.

use std::fmt;
use std::str::FromStr;

/// The kinds of change a webhook can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// A release was created (as a draft or ready).
    ReleaseCreated,
    /// A release became `ready`.
    ReleaseReady,
    /// A release was deprecated.
    ReleaseDeprecated,
    /// A release was deleted.
    ReleaseDeleted,
    /// A deployment started (promotion or rollback).
    DeploymentStarted,
    /// A deployment succeeded.
    DeploymentSucceeded,
    /// A deployment failed.
    DeploymentFailed,
    /// A sync (or a push event) found a new tag.
    VersionAdded,
    /// A tag now points at another digest.
    VersionRetagged,
    /// A version was yanked.
    VersionYanked,
    /// A floating alias tag was pushed to a new digest.
    AliasMoved,
    /// A sync failed.
    SyncFailed,
}

impl EventType {
    /// Every event type, in documentation order.
    pub const ALL: [EventType; 12] = [
        EventType::ReleaseCreated,
        EventType::ReleaseReady,
        EventType::ReleaseDeprecated,
        EventType::ReleaseDeleted,
        EventType::DeploymentStarted,
        EventType::DeploymentSucceeded,
        EventType::DeploymentFailed,
        EventType::VersionAdded,
        EventType::VersionRetagged,
        EventType::VersionYanked,
        EventType::AliasMoved,
        EventType::SyncFailed,
    ];

    /// The wire name, e.g. `release.created`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ReleaseCreated => "release.created",
            EventType::ReleaseReady => "release.ready",
            EventType::ReleaseDeprecated => "release.deprecated",
            EventType::ReleaseDeleted => "release.deleted",
            EventType::DeploymentStarted => "deployment.started",
            EventType::DeploymentSucceeded => "deployment.succeeded",
            EventType::DeploymentFailed => "deployment.failed",
            EventType::VersionAdded => "version.added",
            EventType::VersionRetagged => "version.retagged",
            EventType::VersionYanked => "version.yanked",
            EventType::AliasMoved => "alias.moved",
            EventType::SyncFailed => "sync.failed",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`EventType::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEventType(pub String);

impl fmt::Display for UnknownEventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown event type `{}`", self.0)
    }
}

impl std::error::Error for UnknownEventType {}

impl FromStr for EventType {
    type Err = UnknownEventType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownEventType(s.to_owned()))
    }
}

/// One thing a change reports to subscribed webhooks. Travels with the change's
/// [`AuditEvent`](crate::AuditEvent) so that the storage writes its deliveries in the same
/// transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// What happened.
    pub event_type: EventType,
    /// What it happened to (a release id, a tag), so that storage can drop the notice of a
    /// change it did not make after all (a tag a manual map took meanwhile).
    pub subject: String,
    /// The payload's `data` member, already serialized as JSON: the domain has no serde, and
    /// the payload's shape is the wire's.
    pub data: String,
}
