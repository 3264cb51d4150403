//! The payloads relman sends to webhooks: `{type, timestamp, data}` (Standard Webhooks), with one
//! `data` shape per family of event types. They are small on purpose: a receiver that needs more
//! reads the resource from the API by the id it is given.

use relman_domain::{
    Component, ComponentVersion, Deployment, Digest, Environment, EventType, Release,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::rfc3339;

/// The event types a webhook can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventTypeName {
    /// A release was created.
    #[serde(rename = "release.created")]
    ReleaseCreated,
    /// A release became `ready`.
    #[serde(rename = "release.ready")]
    ReleaseReady,
    /// A release was deprecated.
    #[serde(rename = "release.deprecated")]
    ReleaseDeprecated,
    /// A release was deleted.
    #[serde(rename = "release.deleted")]
    ReleaseDeleted,
    /// A deployment started.
    #[serde(rename = "deployment.started")]
    DeploymentStarted,
    /// A deployment succeeded.
    #[serde(rename = "deployment.succeeded")]
    DeploymentSucceeded,
    /// A deployment failed.
    #[serde(rename = "deployment.failed")]
    DeploymentFailed,
    /// A new tag was found.
    #[serde(rename = "version.added")]
    VersionAdded,
    /// A tag now points at another digest.
    #[serde(rename = "version.retagged")]
    VersionRetagged,
    /// A version was yanked.
    #[serde(rename = "version.yanked")]
    VersionYanked,
    /// A floating alias moved.
    #[serde(rename = "alias.moved")]
    AliasMoved,
    /// A sync failed.
    #[serde(rename = "sync.failed")]
    SyncFailed,
}

impl From<EventType> for EventTypeName {
    fn from(t: EventType) -> Self {
        match t {
            EventType::ReleaseCreated => Self::ReleaseCreated,
            EventType::ReleaseReady => Self::ReleaseReady,
            EventType::ReleaseDeprecated => Self::ReleaseDeprecated,
            EventType::ReleaseDeleted => Self::ReleaseDeleted,
            EventType::DeploymentStarted => Self::DeploymentStarted,
            EventType::DeploymentSucceeded => Self::DeploymentSucceeded,
            EventType::DeploymentFailed => Self::DeploymentFailed,
            EventType::VersionAdded => Self::VersionAdded,
            EventType::VersionRetagged => Self::VersionRetagged,
            EventType::VersionYanked => Self::VersionYanked,
            EventType::AliasMoved => Self::AliasMoved,
            EventType::SyncFailed => Self::SyncFailed,
        }
    }
}

impl From<EventTypeName> for EventType {
    fn from(t: EventTypeName) -> Self {
        match t {
            EventTypeName::ReleaseCreated => Self::ReleaseCreated,
            EventTypeName::ReleaseReady => Self::ReleaseReady,
            EventTypeName::ReleaseDeprecated => Self::ReleaseDeprecated,
            EventTypeName::ReleaseDeleted => Self::ReleaseDeleted,
            EventTypeName::DeploymentStarted => Self::DeploymentStarted,
            EventTypeName::DeploymentSucceeded => Self::DeploymentSucceeded,
            EventTypeName::DeploymentFailed => Self::DeploymentFailed,
            EventTypeName::VersionAdded => Self::VersionAdded,
            EventTypeName::VersionRetagged => Self::VersionRetagged,
            EventTypeName::VersionYanked => Self::VersionYanked,
            EventTypeName::AliasMoved => Self::AliasMoved,
            EventTypeName::SyncFailed => Self::SyncFailed,
        }
    }
}

/// A release, as events name it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseRef {
    /// Identity.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// Its status after the change.
    pub status: String,
    /// The content digest of its members.
    pub content_digest: String,
    /// Its semantic version, when it has one.
    #[schema(required = true)]
    pub version: Option<String>,
}

impl From<&Release> for ReleaseRef {
    fn from(r: &Release) -> Self {
        Self {
            id: r.id,
            name: r.name.to_string(),
            status: r.status.as_str().to_owned(),
            content_digest: r.digest.to_string(),
            version: r.version.as_ref().map(ToString::to_string),
        }
    }
}

/// A component, as events name it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentRef {
    /// Identity.
    pub id: Uuid,
    /// Unique slug.
    pub name: String,
    /// Its repository in the registry.
    pub image_repository: String,
}

impl From<&Component> for ComponentRef {
    fn from(c: &Component) -> Self {
        Self {
            id: c.id,
            name: c.name.to_string(),
            image_repository: c.image_repository.clone(),
        }
    }
}

/// `data` of `release.*` events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseEventData {
    /// The release after the change (for `release.deleted`, as it was).
    pub release: ReleaseRef,
    /// Why it was deprecated (`release.deprecated` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `data` of `deployment.*` events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentEventData {
    /// The deployment's id.
    pub deployment_id: Uuid,
    /// `in_progress`, `succeeded` or `failed`.
    pub status: String,
    /// The environment's slug.
    pub environment: String,
    /// The environment's id.
    pub environment_id: Uuid,
    /// What is deployed.
    pub release: ReleaseRef,
    /// Who started it.
    pub started_by: String,
    /// When it started.
    #[schema(format = DateTime)]
    pub started_at: String,
    /// When it finished, once it has.
    #[schema(format = DateTime, required = true)]
    pub completed_at: Option<String>,
    /// What the CD tool said, if anything.
    #[schema(required = true)]
    pub message: Option<String>,
}

impl DeploymentEventData {
    /// The data of an event about `d`, of `release` to `environment`.
    pub fn of(d: &Deployment, environment: &Environment, release: &Release) -> Self {
        Self {
            deployment_id: d.id,
            status: d.status.as_str().to_owned(),
            environment: environment.name.to_string(),
            environment_id: environment.id,
            release: ReleaseRef::from(release),
            started_by: d.started_by.clone(),
            started_at: rfc3339(d.started_at),
            completed_at: d.completed_at.map(rfc3339),
            message: d.message.clone(),
        }
    }
}

/// `data` of `version.*` events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionEventData {
    /// The component.
    pub component: ComponentRef,
    /// The tag.
    pub tag: String,
    /// The digest it points at now.
    pub digest: String,
    /// The digest it pointed at before (`version.retagged` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_digest: Option<String>,
    /// Why it was yanked (`version.yanked` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl VersionEventData {
    /// The data of an event about version `v` of `c`.
    pub fn of(c: &Component, v: &ComponentVersion) -> Self {
        Self {
            component: ComponentRef::from(c),
            tag: v.tag.clone(),
            digest: v.digest.to_string(),
            previous_digest: None,
            reason: None,
        }
    }

    /// The data of a re-tag of `tag` from `old` to `new`.
    pub fn retag(c: &Component, tag: &str, old: &Digest, new: &Digest) -> Self {
        Self {
            component: ComponentRef::from(c),
            tag: tag.to_owned(),
            digest: new.to_string(),
            previous_digest: Some(old.to_string()),
            reason: None,
        }
    }
}

/// `data` of `alias.moved`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AliasEventData {
    /// The component.
    pub component: ComponentRef,
    /// The alias tag, e.g. `1.4`.
    pub alias: String,
    /// The digest it points at now.
    pub digest: String,
    /// The digest it pointed at before; `null` when the alias is new.
    #[schema(required = true)]
    pub previous_digest: Option<String>,
}

/// `data` of `sync.failed`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncFailedEventData {
    /// The component whose sync failed.
    pub component: ComponentRef,
    /// What went wrong.
    pub error: String,
}

/// The body of every delivery (Standard Webhooks): the `webhook-id` header carries the event id.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookPayload {
    /// The event type, e.g. `release.created`.
    #[serde(rename = "type")]
    pub event_type: EventTypeName,
    /// When the change happened (RFC 3339).
    #[schema(format = DateTime)]
    pub timestamp: String,
    /// One of the `*EventData` shapes, by `type`.
    pub data: serde_json::Value,
}
