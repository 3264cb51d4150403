//! Audit event bodies.

use relman_domain::AuditEvent;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::releases::PageMeta;
use crate::rfc3339;

/// One recorded change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventResponse {
    /// Identity.
    pub id: Uuid,
    /// When the change happened.
    #[schema(format = DateTime)]
    pub occurred_at: String,
    /// Who made it.
    #[schema(example = "admin")]
    pub actor: String,
    /// What was done, `<resourceType>.<verb>`.
    #[schema(example = "component.create")]
    pub action: String,
    /// The kind of resource changed.
    #[schema(example = "component")]
    pub resource_type: String,
    /// The changed resource's id.
    pub resource_id: String,
    /// The `X-Request-Id` of the request that made the change.
    #[schema(required = true)]
    pub request_id: Option<String>,
    /// A short account of what changed.
    pub summary: String,
}

impl From<AuditEvent> for AuditEventResponse {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            occurred_at: rfc3339(e.occurred_at),
            actor: e.actor,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            request_id: e.request_id,
            summary: e.summary,
        }
    }
}

/// A page of audit events.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventListResponse {
    /// Events of this page, newest first.
    pub data: Vec<AuditEventResponse>,
    /// Paging.
    pub meta: PageMeta,
}

/// Filters and paging for the audit trail.
#[derive(Debug, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditEventParams {
    /// Only this resource type (`component`, `version_map`, `registry_integration`, `release`, …).
    pub resource_type: Option<String>,
    /// Only this resource id.
    pub resource_id: Option<String>,
    /// Only this action, e.g. `component.create`.
    pub action: Option<String>,
    /// At or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Before this time (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// Page number, from 1 (at most 1000000000).
    #[param(minimum = 1, maximum = 1_000_000_000)]
    pub page: Option<i64>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Start after this cursor instead of at `page` (the `Link: rel="next"` of a previous page
    /// carries it); opaque, and not combinable with `page`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}
