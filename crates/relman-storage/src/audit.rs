//! Audit event rows: written inside the transaction of the change they record.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use relman_domain::AuditEvent;

use crate::codec::{from_micros, to_micros, uuid};
use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::keyset::{SortKey, Window, after_key, key_of};
use crate::schema::audit_events as ae;
use crate::store::Store;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = ae)]
pub(crate) struct AuditRow {
    pub(crate) id: String,
    pub(crate) occurred_at: i64,
    pub(crate) actor: String,
    pub(crate) action: String,
    pub(crate) resource_type: String,
    pub(crate) resource_id: String,
    pub(crate) request_id: Option<String>,
    pub(crate) summary: String,
}

impl From<&AuditEvent> for AuditRow {
    fn from(event: &AuditEvent) -> Self {
        Self {
            id: event.id.to_string(),
            occurred_at: to_micros(event.occurred_at),
            actor: event.actor.clone(),
            action: event.action.clone(),
            resource_type: event.resource_type.clone(),
            resource_id: event.resource_id.clone(),
            request_id: event.request_id.clone(),
            summary: event.summary.clone(),
        }
    }
}

/// Records an event on a connection already inside the change's transaction.
/// Its notices queue webhook deliveries in the same transaction (the outbox).
pub(crate) fn record(conn: &mut DbConnection, event: &AuditEvent) -> Result<(), StorageError> {
    diesel::insert_into(ae::table)
        .values(AuditRow::from(event))
        .execute(conn)?;
    crate::outbox::enqueue(conn, event)
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StorageError;

    fn try_from(r: AuditRow) -> Result<Self, StorageError> {
        Ok(AuditEvent {
            id: uuid(&r.id)?,
            occurred_at: from_micros(r.occurred_at)?,
            actor: r.actor,
            action: r.action,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            request_id: r.request_id,
            summary: r.summary,
            notices: Vec::new(),
        })
    }
}

/// Filters for the audit listing; every one optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this resource type.
    pub resource_type: Option<String>,
    /// Only this resource id.
    pub resource_id: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
}

impl Store {
    /// Records an event that goes with no change (a refused request).
    pub async fn record_event(&self, event: &AuditEvent) -> Result<(), StorageError> {
        let event = event.clone();
        self.run(move |conn| record(conn, &event)).await
    }

    /// A page of audit events, newest first (`occurred_at`, then id), the total count for the
    /// filter, and the key of the page's last event when more follow.
    pub async fn list_audit_events(
        &self,
        filter: AuditFilter,
        window: Window,
        limit: i64,
    ) -> Result<(Vec<AuditEvent>, i64, Option<SortKey>), StorageError> {
        self.run(move |conn| {
            let build = || {
                let mut q = ae::table.into_boxed();
                if let Some(t) = &filter.resource_type {
                    q = q.filter(ae::resource_type.eq(t.clone()));
                }
                if let Some(id) = &filter.resource_id {
                    q = q.filter(ae::resource_id.eq(id.clone()));
                }
                if let Some(a) = &filter.action {
                    q = q.filter(ae::action.eq(a.clone()));
                }
                if let Some(since) = filter.since {
                    q = q.filter(ae::occurred_at.ge(to_micros(since)));
                }
                if let Some(until) = filter.until {
                    q = q.filter(ae::occurred_at.lt(to_micros(until)));
                }
                q
            };
            let total: i64 = build().count().get_result(conn)?;
            let (offset, fetch, after) = window.fetch(limit);
            let mut q = build();
            if let Some(after) = after {
                q = after_key!(q, ae::occurred_at, ae::id, after);
            }
            let mut rows = q
                .order((ae::occurred_at.desc(), ae::id.desc()))
                .offset(offset)
                .limit(fetch)
                .select(AuditRow::as_select())
                .load(conn)?;
            let next = window.next(&mut rows, limit, total, |r| key_of(r.occurred_at, &r.id));
            let events = rows
                .into_iter()
                .map(AuditEvent::try_from)
                .collect::<Result<Vec<_>, _>>()?;
            Ok((events, total, next))
        })
        .await
    }
}
