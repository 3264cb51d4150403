//! Audit events: who changed what, when, under which request.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who performs a change, and under which request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The authenticated principal, e.g. `admin`.
    pub name: String,
    /// The request id (`X-Request-Id`), when the change came through the API.
    pub request_id: Option<String>,
}

impl Actor {
    /// Changes relman makes on its own (scheduled sync).
    pub fn system() -> Self {
        Self {
            name: "system".into(),
            request_id: None,
        }
    }
}

/// One recorded change. Written in the same transaction as the change it records, so a failed
/// change leaves no event and a committed one always has its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Identity (UUID v7, so events sort by time).
    pub id: Uuid,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// Who made it.
    pub actor: String,
    /// What was done, `<resource>.<verb>`, e.g. `component.create`.
    pub action: String,
    /// The kind of resource changed, e.g. `component`.
    pub resource_type: String,
    /// The changed resource's id.
    pub resource_id: String,
    /// The request that made the change.
    pub request_id: Option<String>,
    /// A short account of what changed.
    pub summary: String,
    /// What the change tells subscribed webhooks; usually empty.
    pub notices: Vec<crate::Notice>,
}

impl AuditEvent {
    /// An event for `actor` doing `action` (`<resource_type>.<verb>`) to one resource.
    pub fn new(
        actor: &Actor,
        occurred_at: DateTime<Utc>,
        resource_type: &str,
        verb: &str,
        resource_id: impl ToString,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            occurred_at,
            actor: actor.name.clone(),
            action: format!("{resource_type}.{verb}"),
            resource_type: resource_type.to_owned(),
            resource_id: resource_id.to_string(),
            request_id: actor.request_id.clone(),
            summary: summary.into(),
            notices: Vec::new(),
        }
    }

    /// The same event, telling webhooks `notice` as well.
    #[must_use]
    pub fn notify(mut self, notice: crate::Notice) -> Self {
        self.notices.push(notice);
        self
    }
}
