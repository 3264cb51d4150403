//! The webhook outbox: deliveries queued in the transaction of the change they report, claimed
//! by one worker at a time under a lease, and their outcomes.

use std::cell::Cell;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use relman_domain::{AuditEvent, DeliveryStatus, EventType, WebhookDelivery};
use uuid::Uuid;

use crate::batch::insert_batched;
use crate::codec::{from_micros, parse, to_micros, uuid};
use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::keyset::{SortKey, after_key, key_of, split_next};
use crate::schema::{webhook_deliveries as wd, webhook_subscriptions as ws, webhooks as wh};
use crate::secrets::open;
use crate::store::Store;
use crate::webhooks::secret_aad;

const PENDING: &str = "pending";
const SUCCEEDED: &str = "succeeded";
const FAILED: &str = "failed";

thread_local! {
    /// Set when the transaction running on this (blocking-pool) thread queued deliveries, so
    /// that the store wakes the local worker once it commits.
    static QUEUED: Cell<bool> = const { Cell::new(false) };
}

/// Whether deliveries were queued on this thread since the last call; clears the flag.
pub(crate) fn take_queued() -> bool {
    QUEUED.with(|q| q.replace(false))
}

#[derive(Insertable, Queryable, Selectable)]
#[diesel(table_name = wd)]
struct DeliveryRow {
    id: String,
    webhook_id: String,
    event_id: String,
    event_type: String,
    occurred_at: i64,
    payload: String,
    status: String,
    attempts: i32,
    next_attempt_at: i64,
    last_attempt_at: Option<i64>,
    last_status: Option<i32>,
    last_error: Option<String>,
    lease_until: Option<i64>,
    created_at: i64,
}

/// Queues one delivery per (notice of `event`, active webhook subscribed to its type). Runs in
/// the change's transaction; with no notices it costs nothing, with no subscriber one indexed
/// read.
pub(crate) fn enqueue(conn: &mut DbConnection, event: &AuditEvent) -> Result<(), StorageError> {
    if event.notices.is_empty() {
        return Ok(());
    }
    let mut types: Vec<&str> = event
        .notices
        .iter()
        .map(|n| n.event_type.as_str())
        .collect();
    types.sort_unstable();
    types.dedup();
    let subscribers: Vec<(String, String)> = ws::table
        .inner_join(wh::table)
        .filter(ws::event_type.eq_any(&types))
        .filter(wh::active.eq(true))
        .select((ws::event_type, ws::webhook_id))
        .load(conn)?;
    if subscribers.is_empty() {
        return Ok(());
    }
    let at = to_micros(event.occurred_at);
    let mut rows = Vec::new();
    for notice in &event.notices {
        // One event id per notice, shared by every webhook it goes to: the `webhook-id`.
        let event_id = Uuid::now_v7().to_string();
        let kind = notice.event_type.as_str();
        let payload = payload(event, notice);
        for (_, webhook_id) in subscribers.iter().filter(|(t, _)| t == kind) {
            rows.push(DeliveryRow {
                id: Uuid::now_v7().to_string(),
                webhook_id: webhook_id.clone(),
                event_id: event_id.clone(),
                event_type: kind.to_owned(),
                occurred_at: at,
                payload: payload.clone(),
                status: PENDING.to_owned(),
                attempts: 0,
                next_attempt_at: at,
                last_attempt_at: None,
                last_status: None,
                last_error: None,
                lease_until: None,
                created_at: at,
            });
        }
    }
    if !rows.is_empty() {
        insert_batched!(conn, wd::table, &rows);
        mark_queued();
    }
    Ok(())
}

/// The body every delivery of `notice` sends: the Standard Webhooks envelope around its data.
pub(crate) fn payload(event: &AuditEvent, notice: &relman_domain::Notice) -> String {
    let timestamp = event
        .occurred_at
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    format!(
        r#"{{"type":"{}","timestamp":"{timestamp}","data":{}}}"#,
        notice.event_type.as_str(),
        notice.data
    )
}

/// Records that this thread's transaction queued deliveries (see [`take_queued`]).
pub(crate) fn mark_queued() {
    QUEUED.with(|q| q.set(true));
}

/// A delivery claimed for one attempt, with what the attempt needs.
pub struct DueDelivery {
    /// The delivery.
    pub id: Uuid,
    /// The webhook it goes to.
    pub webhook_id: Uuid,
    /// The `webhook-id` header.
    pub event_id: Uuid,
    /// What happened, e.g. `release.created`.
    pub event_type: String,
    /// Where to POST it.
    pub url: String,
    /// The webhook's signing secret, opened.
    pub secret: String,
    /// The exact body: `{type, timestamp, data}`.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i32,
}

impl std::fmt::Debug for DueDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DueDelivery")
            .field("id", &self.id)
            .field("event_id", &self.event_id)
            .field("event_type", &self.event_type)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The endpoint answered 2xx.
    Delivered {
        /// Its status.
        status: u16,
    },
    /// Try again at `at`.
    Retry {
        /// The status, when the endpoint answered.
        status: Option<u16>,
        /// What went wrong.
        error: String,
        /// When to try next.
        at: DateTime<Utc>,
    },
    /// Give up.
    Failed {
        /// The status, when the endpoint answered.
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
    /// The endpoint answered `410 Gone`: give up and deactivate the webhook.
    Gone {
        /// Its status.
        status: u16,
        /// Why the webhook is deactivated.
        reason: String,
    },
}

fn delivery_of(r: DeliveryRow) -> Result<WebhookDelivery, StorageError> {
    let status = DeliveryStatus::parse(&r.status)
        .ok_or_else(|| StorageError::Corrupt(format!("delivery status {}", r.status)))?;
    Ok(WebhookDelivery {
        id: uuid(&r.id)?,
        webhook_id: uuid(&r.webhook_id)?,
        event_id: uuid(&r.event_id)?,
        event_type: parse::<EventType>("event type", &r.event_type)?,
        status,
        attempts: r.attempts,
        last_status: r.last_status.and_then(|s| u16::try_from(s).ok()),
        last_error: r.last_error,
        last_attempt_at: r.last_attempt_at.map(from_micros).transpose()?,
        next_attempt_at: match status {
            DeliveryStatus::Pending => Some(from_micros(r.next_attempt_at)?),
            _ => None,
        },
        created_at: from_micros(r.created_at)?,
    })
}

fn due_ids(conn: &mut DbConnection, now: i64, limit: i64) -> Result<Vec<String>, StorageError> {
    // A subquery, not a join: `FOR UPDATE` then locks the delivery rows only, not the webhook
    // row every claimer of that webhook's deliveries would queue on.
    let active = wh::table.filter(wh::active.eq(true)).select(wh::id);
    let query = wd::table
        .filter(wd::status.eq(PENDING))
        .filter(wd::next_attempt_at.le(now))
        .filter(wd::lease_until.is_null().or(wd::lease_until.lt(now)))
        .filter(wd::webhook_id.eq_any(active))
        .order(wd::next_attempt_at.asc())
        .limit(limit)
        .select(wd::id);
    Ok(match conn {
        // Rows another replica holds are skipped, not waited for: each delivery is attempted
        // by one replica at a time.
        DbConnection::Postgres(pg) => query.for_update().skip_locked().load(pg)?,
        // The write transaction took SQLite's one write lock up front.
        DbConnection::Sqlite(c) => query.load(c)?,
    })
}

impl Store {
    /// Wakes this process's delivery worker after a transaction that queued deliveries commits.
    pub fn outbox_signal(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.outbox()
    }

    /// Claims up to `limit` pending deliveries due at `now` whose webhook is active and which no
    /// live lease holds, leasing them until `now + lease`. A worker that dies mid-attempt leaves
    /// the lease to expire; the delivery is then claimed again, with the same `webhook-id`.
    pub async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StorageError> {
        let key = self.secret_key();
        let until = to_micros(now + chrono::Duration::from_std(lease).unwrap_or_default());
        let now = to_micros(now);
        self.transact(move |conn| {
            let ids = due_ids(conn, now, limit)?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            diesel::update(wd::table.filter(wd::id.eq_any(&ids)))
                .set(wd::lease_until.eq(until))
                .execute(conn)?;
            let rows: Vec<(DeliveryRow, String, String)> = wd::table
                .inner_join(wh::table)
                .filter(wd::id.eq_any(&ids))
                .select((DeliveryRow::as_select(), wh::url, wh::secret_sealed))
                .load(conn)?;
            rows.into_iter()
                .map(|(r, url, sealed)| {
                    Ok(DueDelivery {
                        secret: open(key.as_deref(), &secret_aad(&r.webhook_id), &sealed)?,
                        id: uuid(&r.id)?,
                        webhook_id: uuid(&r.webhook_id)?,
                        event_id: uuid(&r.event_id)?,
                        event_type: r.event_type,
                        url,
                        payload: r.payload,
                        attempts: r.attempts,
                    })
                })
                .collect()
        })
        .await
    }

    /// Records how an attempt of delivery `id` ended and releases its lease.
    pub async fn finish_delivery(
        &self,
        id: Uuid,
        attempted_at: DateTime<Utc>,
        outcome: DeliveryOutcome,
    ) -> Result<(), StorageError> {
        let at = to_micros(attempted_at);
        self.transact(move |conn| {
            let id = id.to_string();
            let (status, last_status, error, next) = match &outcome {
                DeliveryOutcome::Delivered { status } => (SUCCEEDED, Some(*status), None, at),
                DeliveryOutcome::Retry {
                    status,
                    error,
                    at: next,
                } => (PENDING, *status, Some(error.clone()), to_micros(*next)),
                DeliveryOutcome::Failed { status, error } => {
                    (FAILED, *status, Some(error.clone()), at)
                }
                DeliveryOutcome::Gone { status, reason } => {
                    (FAILED, Some(*status), Some(reason.clone()), at)
                }
            };
            let written = diesel::update(wd::table.find(&id))
                .set((
                    wd::status.eq(status),
                    wd::attempts.eq(wd::attempts + 1),
                    wd::last_attempt_at.eq(Some(at)),
                    wd::last_status.eq(last_status.map(i32::from)),
                    wd::last_error.eq(error),
                    wd::next_attempt_at.eq(next),
                    wd::lease_until.eq(None::<i64>),
                ))
                .execute(conn)?;
            if written == 0 {
                // Deleted with its webhook meanwhile: nothing to record.
                return Ok(());
            }
            if let DeliveryOutcome::Gone { reason, .. } = &outcome {
                let webhook: String = wd::table.find(&id).select(wd::webhook_id).first(conn)?;
                diesel::update(wh::table.find(&webhook))
                    .set((
                        wh::active.eq(false),
                        wh::disabled_reason.eq(Some(reason.clone())),
                        wh::updated_at.eq(at),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    /// A page of webhook `webhook_id`'s deliveries, newest first, and the key of the page's last
    /// one when more follow.
    pub async fn list_deliveries(
        &self,
        webhook_id: Uuid,
        status: Option<DeliveryStatus>,
        after: Option<SortKey>,
        limit: i64,
    ) -> Result<(Vec<WebhookDelivery>, Option<SortKey>), StorageError> {
        self.run(move |conn| {
            let mut q = wd::table
                .filter(wd::webhook_id.eq(webhook_id.to_string()))
                .into_boxed();
            if let Some(status) = status {
                q = q.filter(wd::status.eq(status.as_str()));
            }
            if let Some(after) = after {
                q = after_key!(q, wd::created_at, wd::id, after);
            }
            let mut rows: Vec<DeliveryRow> = q
                .order((wd::created_at.desc(), wd::id.desc()))
                .limit(limit.saturating_add(1))
                .select(DeliveryRow::as_select())
                .load(conn)?;
            let next = split_next(&mut rows, limit, |r| key_of(r.created_at, &r.id));
            let items = rows
                .into_iter()
                .map(delivery_of)
                .collect::<Result<_, _>>()?;
            Ok((items, next))
        })
        .await
    }

    /// Makes delivery `id` of webhook `webhook_id` pending and due at `now`, keeping its
    /// `webhook-id`; the attempts made so far count on.
    pub async fn redeliver(
        &self,
        webhook_id: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<WebhookDelivery, StorageError> {
        let now = to_micros(now);
        let written = self
            .write(event, move |conn| {
                let id = id.to_string();
                let n = diesel::update(
                    wd::table
                        .filter(wd::id.eq(&id))
                        .filter(wd::webhook_id.eq(webhook_id.to_string())),
                )
                .set((
                    wd::status.eq(PENDING),
                    wd::next_attempt_at.eq(now),
                    wd::lease_until.eq(None::<i64>),
                ))
                .execute(conn)?;
                if n == 0 {
                    return Err(StorageError::NotFound);
                }
                let row: DeliveryRow = wd::table
                    .find(&id)
                    .select(DeliveryRow::as_select())
                    .first(conn)?;
                mark_queued();
                delivery_of(row)
            })
            .await?;
        Ok(written)
    }
}
