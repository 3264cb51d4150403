//! Outgoing webhooks and their deliveries.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::EventType;

/// An endpoint that hears about changes. Its signing secret is not part of it: it stays in the
/// storage, sealed, and only the delivery worker opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// Where deliveries are POSTed.
    pub url: String,
    /// A label for people.
    pub description: String,
    /// What it hears about, sorted, without duplicates.
    pub events: Vec<EventType>,
    /// Whether new events are delivered to it.
    pub active: bool,
    /// Why relman deactivated it (an endpoint that answered `410 Gone`).
    pub disabled_reason: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Succeeded,
    /// Given up: retries exhausted, a refused address or a `410 Gone`.
    Failed,
}

impl DeliveryStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// The status named `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// One event on its way to one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// The webhook it goes to.
    pub webhook_id: Uuid,
    /// The event's id: the `webhook-id` header, the same on every attempt.
    pub event_id: Uuid,
    /// What happened.
    pub event_type: EventType,
    /// Where it is.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i32,
    /// The HTTP status of the last attempt, when one answered.
    pub last_status: Option<u16>,
    /// What went wrong with the last attempt.
    pub last_error: Option<String>,
    /// When it was last attempted.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When it is attempted next (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the event happened.
    pub created_at: DateTime<Utc>,
}
