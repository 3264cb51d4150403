//! Webhook bodies. The signing secret appears in exactly one response: the create that
//! generated it.

use relman_domain::{DeliveryStatus, Webhook, WebhookDelivery};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::rfc3339;
use crate::webhook_events::EventTypeName;

/// `POST /webhooks`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Where deliveries are POSTed (`http` or `https`); checked against the egress policy.
    #[schema(
        min_length = 1,
        max_length = 2048,
        example = "https://hooks.example.com/relman"
    )]
    pub url: String,
    /// What it hears about.
    #[schema(min_items = 1, max_items = 12)]
    pub events: Vec<EventTypeName>,
    /// The signing secret, `whsec_` and the base64 of 24 to 64 random bytes; generated (and
    /// returned once) when absent. Write-only.
    #[serde(default)]
    #[schema(
        write_only,
        min_length = 38,
        max_length = 100,
        pattern = "^whsec_[A-Za-z0-9+/]+={0,2}$"
    )]
    pub secret: Option<String>,
    /// A label for people.
    #[serde(default)]
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub description: Option<String>,
    /// Whether events are delivered to it (default `true`).
    #[serde(default)]
    pub active: Option<bool>,
}

/// `PATCH /webhooks/{id}`: what is given changes, the rest stays.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    /// A new URL.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2048)]
    pub url: Option<String>,
    /// A new set of event types.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 12)]
    pub events: Option<Vec<EventTypeName>>,
    /// A new signing secret (rotation). Write-only.
    #[serde(default)]
    #[schema(
        write_only,
        min_length = 38,
        max_length = 100,
        pattern = "^whsec_[A-Za-z0-9+/]+={0,2}$"
    )]
    pub secret: Option<String>,
    /// A new label.
    #[serde(default)]
    #[schema(
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
    )]
    pub description: Option<String>,
    /// Turn deliveries on or off; turning on clears `disabledReason`.
    #[serde(default)]
    pub active: Option<bool>,
}

/// A webhook, without its secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResponse {
    /// Identity.
    pub id: Uuid,
    /// Where deliveries go.
    pub url: String,
    /// What it hears about.
    pub events: Vec<EventTypeName>,
    /// A label for people.
    pub description: String,
    /// Whether events are delivered to it.
    pub active: bool,
    /// Why relman deactivated it (an endpoint answered `410 Gone`); `null` otherwise.
    #[schema(required = true)]
    pub disabled_reason: Option<String>,
    /// When it was created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<&Webhook> for WebhookResponse {
    fn from(w: &Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url.clone(),
            events: w.events.iter().map(|e| EventTypeName::from(*e)).collect(),
            description: w.description.clone(),
            active: w.active,
            disabled_reason: w.disabled_reason.clone(),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        }
    }
}

/// The answer to a create: the webhook, and its secret when relman generated it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhookResponse {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: WebhookResponse,
    /// The generated signing secret; shown this once. Absent when the request gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatusName {
    /// Waiting for its first or next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Succeeded,
    /// Given up.
    Failed,
}

impl From<DeliveryStatus> for DeliveryStatusName {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Pending => Self::Pending,
            DeliveryStatus::Succeeded => Self::Succeeded,
            DeliveryStatus::Failed => Self::Failed,
        }
    }
}

impl From<DeliveryStatusName> for DeliveryStatus {
    fn from(s: DeliveryStatusName) -> Self {
        match s {
            DeliveryStatusName::Pending => Self::Pending,
            DeliveryStatusName::Succeeded => Self::Succeeded,
            DeliveryStatusName::Failed => Self::Failed,
        }
    }
}

/// One event on its way to a webhook.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResponse {
    /// Identity.
    pub id: Uuid,
    /// The event's id, sent as `webhook-id`: the same on every attempt.
    pub event_id: Uuid,
    /// What happened.
    pub event_type: EventTypeName,
    /// Where it is.
    pub status: DeliveryStatusName,
    /// Attempts made.
    #[schema(minimum = 0)]
    pub attempts: i32,
    /// The HTTP status of the last attempt; `null` when none answered.
    #[schema(required = true, minimum = 100, maximum = 599)]
    pub last_status: Option<u16>,
    /// What went wrong with the last attempt; `null` when nothing did.
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// When it was last attempted.
    #[schema(format = DateTime, required = true)]
    pub last_attempt_at: Option<String>,
    /// When it is attempted next; `null` unless pending.
    #[schema(format = DateTime, required = true)]
    pub next_attempt_at: Option<String>,
    /// When the event happened.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&WebhookDelivery> for DeliveryResponse {
    fn from(d: &WebhookDelivery) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type.into(),
            status: d.status.into(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            last_attempt_at: d.last_attempt_at.map(rfc3339),
            next_attempt_at: d.next_attempt_at.map(rfc3339),
            created_at: rfc3339(d.created_at),
        }
    }
}

/// Query of `GET /webhooks/{id}/deliveries`.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Items in the answer, 1-1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Start after this cursor (the `Link: rel="next"` of a previous answer carries it); opaque.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
    /// Only deliveries in this state.
    #[param(inline)]
    pub status: Option<DeliveryStatusName>,
}
