//! Webhook rows: the endpoint, its sealed signing secret and its subscriptions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use relman_domain::{AuditEvent, EventType, Webhook};
use uuid::Uuid;

use crate::codec::{from_micros, parse, to_micros, uuid};
use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::schema::{webhook_subscriptions as ws, webhooks as wh};
use crate::secrets::seal;
use crate::store::Store;

/// A webhook to create; the service has validated every field.
#[derive(Clone)]
pub struct NewWebhook {
    /// Identity.
    pub id: Uuid,
    /// Where deliveries go.
    pub url: String,
    /// A label for people.
    pub description: String,
    /// The signing secret (`whsec_…`), sealed before it is stored.
    pub secret: String,
    /// What it hears about.
    pub events: Vec<EventType>,
    /// Whether events are delivered to it.
    pub active: bool,
    /// When it is created.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhook")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &"***")
            .finish_non_exhaustive()
    }
}

/// What an update changes; `None` keeps the stored value. Not `Debug`: it may hold a secret.
#[derive(Clone, Default)]
pub struct WebhookChange {
    /// A new URL.
    pub url: Option<String>,
    /// A new label.
    pub description: Option<String>,
    /// A new signing secret.
    pub secret: Option<String>,
    /// A new set of event types.
    pub events: Option<Vec<EventType>>,
    /// On or off; on clears the reason relman turned it off.
    pub active: Option<bool>,
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = wh, treat_none_as_null = true)]
pub(crate) struct WebhookRow {
    pub(crate) id: String,
    pub(crate) url: String,
    pub(crate) description: String,
    pub(crate) secret_sealed: String,
    pub(crate) active: bool,
    pub(crate) disabled_reason: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// The additional authenticated data a webhook's secret is sealed with: a sealed value copied
/// to another row does not open there.
pub(crate) fn secret_aad(id: &str) -> String {
    format!("webhook:{id}")
}

fn webhook_of(row: WebhookRow, events: Vec<String>) -> Result<Webhook, StorageError> {
    let mut events = events
        .iter()
        .map(|e| parse::<EventType>("event type", e))
        .collect::<Result<Vec<_>, _>>()?;
    events.sort();
    Ok(Webhook {
        id: uuid(&row.id)?,
        url: row.url,
        description: row.description,
        events,
        active: row.active,
        disabled_reason: row.disabled_reason,
        created_at: from_micros(row.created_at)?,
        updated_at: from_micros(row.updated_at)?,
    })
}

fn subscribe(conn: &mut DbConnection, id: &str, events: &[EventType]) -> Result<(), StorageError> {
    diesel::delete(ws::table.filter(ws::webhook_id.eq(id))).execute(conn)?;
    let mut names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        diesel::insert_into(ws::table)
            .values((ws::event_type.eq(name), ws::webhook_id.eq(id)))
            .execute(conn)?;
    }
    Ok(())
}

fn load(conn: &mut DbConnection, id: &str) -> Result<Webhook, StorageError> {
    let row: WebhookRow = wh::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)?;
    let events: Vec<String> = ws::table
        .filter(ws::webhook_id.eq(id))
        .select(ws::event_type)
        .load(conn)?;
    webhook_of(row, events)
}

impl Store {
    /// Creates a webhook with its subscriptions, its secret sealed.
    pub async fn create_webhook(
        &self,
        new: NewWebhook,
        event: &AuditEvent,
    ) -> Result<Webhook, StorageError> {
        let key = self.secret_key();
        self.write(event, move |conn| {
            let id = new.id.to_string();
            let row = WebhookRow {
                secret_sealed: seal(key.as_deref(), &secret_aad(&id), &new.secret)?,
                id: id.clone(),
                url: new.url,
                description: new.description,
                active: new.active,
                disabled_reason: None,
                created_at: to_micros(new.created_at),
                updated_at: to_micros(new.created_at),
            };
            diesel::insert_into(wh::table).values(&row).execute(conn)?;
            subscribe(conn, &id, &new.events)?;
            load(conn, &id)
        })
        .await
    }

    /// One webhook (without its secret).
    pub async fn webhook(&self, id: Uuid) -> Result<Webhook, StorageError> {
        self.run(move |conn| load(conn, &id.to_string())).await
    }

    /// Every webhook, oldest first (a handful per installation).
    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>, StorageError> {
        self.run(|conn| {
            let rows: Vec<WebhookRow> = wh::table
                .order((wh::created_at.asc(), wh::id.asc()))
                .select(WebhookRow::as_select())
                .load(conn)?;
            let subs: Vec<(String, String)> = ws::table
                .select((ws::webhook_id, ws::event_type))
                .load(conn)?;
            rows.into_iter()
                .map(|row| {
                    let events = subs
                        .iter()
                        .filter(|(w, _)| *w == row.id)
                        .map(|(_, e)| e.clone())
                        .collect();
                    webhook_of(row, events)
                })
                .collect()
        })
        .await
    }

    /// Applies `change` to webhook `id`.
    pub async fn update_webhook(
        &self,
        id: Uuid,
        change: WebhookChange,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<Webhook, StorageError> {
        let key = self.secret_key();
        self.write(event, move |conn| {
            let id = id.to_string();
            let mut row: WebhookRow = wh::table
                .find(&id)
                .select(WebhookRow::as_select())
                .first(conn)?;
            if let Some(url) = change.url {
                row.url = url;
            }
            if let Some(description) = change.description {
                row.description = description;
            }
            if let Some(secret) = &change.secret {
                row.secret_sealed = seal(key.as_deref(), &secret_aad(&id), secret)?;
            }
            if let Some(active) = change.active {
                row.active = active;
                if active {
                    row.disabled_reason = None;
                }
            }
            row.updated_at = to_micros(now);
            diesel::update(wh::table.find(&id))
                .set(&row)
                .execute(conn)?;
            if let Some(events) = &change.events {
                subscribe(conn, &id, events)?;
            }
            load(conn, &id)
        })
        .await
    }

    /// Deletes webhook `id` with its subscriptions and deliveries.
    pub async fn delete_webhook(&self, id: Uuid, event: &AuditEvent) -> Result<(), StorageError> {
        self.write(event, move |conn| {
            let id = id.to_string();
            // Children first: SQLite enforces the cascade only with foreign keys on, and the
            // explicit deletes make the outcome the same on both engines.
            diesel::delete(
                crate::schema::webhook_deliveries::table
                    .filter(crate::schema::webhook_deliveries::webhook_id.eq(&id)),
            )
            .execute(conn)?;
            diesel::delete(ws::table.filter(ws::webhook_id.eq(&id))).execute(conn)?;
            match diesel::delete(wh::table.find(&id)).execute(conn)? {
                0 => Err(StorageError::NotFound),
                _ => Ok(()),
            }
        })
        .await
    }
}
