//! Reading the audit trail.

use relman_domain::AuditEvent;
use relman_storage::AuditFilter;

use crate::Service;
use crate::error::ServiceError;
use crate::input::{Errors, time};
use crate::paging::PageRequest;
use crate::releases::Page;

/// Filters and paging for the audit listing.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this resource type (`component`, `release`, …).
    pub resource_type: Option<String>,
    /// Only this resource id.
    pub resource_id: Option<String>,
    /// Only this action (`component.create`, …).
    pub action: Option<String>,
    /// At or after this time (RFC 3339).
    pub since: Option<String>,
    /// Before this time (RFC 3339).
    pub until: Option<String>,
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    pub page_size: Option<i64>,
    /// Start after this cursor (from a previous page's `Link`) instead of at `page`.
    pub cursor: Option<String>,
}

/// The cursor kind of the audit trail.
const AUDIT_CURSOR: char = 'a';

impl Service {
    /// A page of audit events, newest first.
    pub async fn list_audit_events(
        &self,
        query: AuditQuery,
    ) -> Result<Page<AuditEvent>, ServiceError> {
        let mut errors = Errors::default();
        let since = time(&mut errors, "since", query.since.as_deref());
        let until = time(&mut errors, "until", query.until.as_deref());
        let paging = PageRequest::parse_with_cursor(
            &mut errors,
            query.page,
            query.page_size,
            query.cursor.as_deref(),
            AUDIT_CURSOR,
        );
        errors.finish()?;
        let filter = AuditFilter {
            resource_type: query.resource_type,
            resource_id: query.resource_id,
            action: query.action,
            since,
            until,
        };
        let (events, total, next) = self
            .store
            .list_audit_events(filter, paging.window(), paging.page_size)
            .await?;
        Ok(paging.keyset_page(events, total.unsigned_abs(), next, AUDIT_CURSOR))
    }
}
