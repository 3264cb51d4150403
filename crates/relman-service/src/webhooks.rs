//! Outgoing webhooks: registration, secrets, deliveries and redelivery (docs/WEBHOOKS.md). The
//! deliveries themselves are queued by storage from the notices of each change, and sent by the
//! worker in `relman-webhooks`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use relman_domain::{Actor, AuditEvent, DeliveryStatus, EventType, Webhook, WebhookDelivery};
use relman_storage::{NewWebhook, StorageError, WebhookChange};
use uuid::Uuid;

use crate::input::Errors;
use crate::paging::{Slice, SliceQuery};
use crate::{Resource, Service, ServiceError};

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// The longest URL a webhook may have.
pub const MAX_WEBHOOK_URL: usize = 2048;
const MAX_DESCRIPTION: usize = 500;
const DELIVERY_CURSOR: char = 'w';

/// What a create asks for; every field as given, checked by the service.
#[derive(Clone, Default)]
pub struct WebhookInput {
    /// Where deliveries go.
    pub url: String,
    /// What it hears about.
    pub events: Vec<EventType>,
    /// The signing secret; generated when `None`.
    pub secret: Option<String>,
    /// A label.
    pub description: Option<String>,
    /// On unless `Some(false)`.
    pub active: Option<bool>,
}

/// What an update changes.
#[derive(Clone, Default)]
pub struct WebhookPatch {
    /// A new URL.
    pub url: Option<String>,
    /// A new set of event types.
    pub events: Option<Vec<EventType>>,
    /// A new secret.
    pub secret: Option<String>,
    /// A new label.
    pub description: Option<String>,
    /// On or off.
    pub active: Option<bool>,
}

/// A created webhook, and its secret when relman generated it (shown once).
#[derive(Clone)]
pub struct CreatedWebhook {
    /// The webhook.
    pub webhook: Webhook,
    /// The generated secret.
    pub generated_secret: Option<String>,
}

fn generate_secret() -> Result<String, ServiceError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServiceError::Storage(StorageError::Corrupt(format!("no randomness: {e}"))))?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

/// A Standard Webhooks secret: `whsec_` and the base64 of 24 to 64 bytes.
fn check_secret(errors: &mut Errors, field: &str, secret: &str) {
    let decoded = secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|b| STANDARD.decode(b).ok());
    match decoded {
        Some(bytes) if (24..=64).contains(&bytes.len()) => {}
        _ => errors.push(
            field,
            "must be `whsec_` followed by the base64 of 24 to 64 random bytes",
        ),
    }
}

fn check_events(errors: &mut Errors, events: &[EventType]) -> Vec<EventType> {
    if events.is_empty() {
        errors.push("events", "must name at least one event type");
    }
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    events
}

impl Service {
    /// Checks `url` as a webhook destination: http(s), bounded, and allowed by the egress
    /// policy once resolved.
    async fn check_webhook_url(&self, errors: &mut Errors, url: &str) {
        if url.len() > MAX_WEBHOOK_URL {
            errors.push(
                "url",
                format!("must be at most {MAX_WEBHOOK_URL} characters"),
            );
            return;
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            errors.push("url", "must be an http or https URL");
            return;
        }
        if let Err(refusal) = self.egress.check_url(url).await {
            errors.push("url", format!("refused by the egress policy: {refusal}"));
        }
    }

    /// Registers a webhook. A secret left out is generated and returned this once.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        input: WebhookInput,
    ) -> Result<CreatedWebhook, ServiceError> {
        let mut errors = Errors::default();
        self.check_webhook_url(&mut errors, &input.url).await;
        let events = check_events(&mut errors, &input.events);
        if let Some(secret) = &input.secret {
            check_secret(&mut errors, "secret", secret);
        }
        let description = input.description.unwrap_or_default();
        if description.chars().count() > MAX_DESCRIPTION {
            errors.push("description", "must be at most 500 characters");
        }
        errors.finish()?;
        let generated_secret = match input.secret {
            Some(_) => None,
            None => Some(generate_secret()?),
        };
        let secret = input
            .secret
            .or_else(|| generated_secret.clone())
            .unwrap_or_default();
        let now = crate::now();
        let id = Uuid::now_v7();
        let names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
        // The summary names the host only: a URL's path or query may carry a token.
        let event = AuditEvent::new(
            actor,
            now,
            "webhook",
            "create",
            id,
            format!(
                "created webhook to {} for {}",
                host_of(&input.url),
                names.join(", ")
            ),
        );
        let webhook = self
            .store
            .create_webhook(
                NewWebhook {
                    id,
                    url: input.url,
                    description,
                    secret,
                    events,
                    active: input.active.unwrap_or(true),
                    created_at: now,
                },
                &event,
            )
            .await?;
        Ok(CreatedWebhook {
            webhook,
            generated_secret,
        })
    }

    /// Every webhook.
    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>, ServiceError> {
        Ok(self.store.list_webhooks().await?)
    }

    /// One webhook by id.
    pub async fn webhook(&self, key: &str) -> Result<Webhook, ServiceError> {
        let not_found = || ServiceError::NotFound {
            resource: Resource::Webhook,
            key: key.to_owned(),
        };
        let id: Uuid = key.parse().map_err(|_| not_found())?;
        match self.store.webhook(id).await {
            Err(StorageError::NotFound) => Err(not_found()),
            other => Ok(other?),
        }
    }

    /// Changes a webhook; turning it on clears the reason relman turned it off.
    pub async fn update_webhook(
        &self,
        actor: &Actor,
        key: &str,
        patch: WebhookPatch,
    ) -> Result<Webhook, ServiceError> {
        let current = self.webhook(key).await?;
        let mut errors = Errors::default();
        if let Some(url) = &patch.url {
            self.check_webhook_url(&mut errors, url).await;
        }
        let events = patch
            .events
            .as_deref()
            .map(|e| check_events(&mut errors, e));
        if let Some(secret) = &patch.secret {
            check_secret(&mut errors, "secret", secret);
        }
        if patch
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
        {
            errors.push("description", "must be at most 500 characters");
        }
        errors.finish()?;
        let now = crate::now();
        let mut changed = Vec::new();
        for (name, given) in [
            ("url", patch.url.is_some()),
            ("events", events.is_some()),
            ("secret", patch.secret.is_some()),
            ("description", patch.description.is_some()),
            ("active", patch.active.is_some()),
        ] {
            if given {
                changed.push(name);
            }
        }
        let event = AuditEvent::new(
            actor,
            now,
            "webhook",
            "update",
            current.id,
            format!("updated webhook {}: {}", current.id, changed.join(", ")),
        );
        let change = WebhookChange {
            url: patch.url,
            description: patch.description,
            secret: patch.secret,
            events,
            active: patch.active,
        };
        match self
            .store
            .update_webhook(current.id, change, now, &event)
            .await
        {
            Err(StorageError::NotFound) => Err(ServiceError::NotFound {
                resource: Resource::Webhook,
                key: key.to_owned(),
            }),
            other => Ok(other?),
        }
    }

    /// Deletes a webhook with its pending and past deliveries.
    pub async fn delete_webhook(&self, actor: &Actor, key: &str) -> Result<(), ServiceError> {
        let current = self.webhook(key).await?;
        let event = AuditEvent::new(
            actor,
            crate::now(),
            "webhook",
            "delete",
            current.id,
            format!("deleted webhook to {}", host_of(&current.url)),
        );
        match self.store.delete_webhook(current.id, &event).await {
            Err(StorageError::NotFound) => Err(ServiceError::NotFound {
                resource: Resource::Webhook,
                key: key.to_owned(),
            }),
            other => Ok(other?),
        }
    }

    /// A webhook's deliveries, newest first, one slice at a time.
    pub async fn list_deliveries(
        &self,
        key: &str,
        status: Option<DeliveryStatus>,
        query: SliceQuery,
    ) -> Result<Slice<WebhookDelivery>, ServiceError> {
        let (after, limit) = query.parse(DELIVERY_CURSOR)?;
        let webhook = self.webhook(key).await?;
        let (items, next) = self
            .store
            .list_deliveries(webhook.id, status, after, limit)
            .await?;
        Ok(Slice {
            items,
            next_cursor: next.map(|k| crate::paging::cursor_text(DELIVERY_CURSOR, k)),
        })
    }

    /// Sends a delivery again, now, with its `webhook-id`.
    pub async fn redeliver(
        &self,
        actor: &Actor,
        key: &str,
        delivery: &str,
    ) -> Result<WebhookDelivery, ServiceError> {
        let webhook = self.webhook(key).await?;
        let not_found = || ServiceError::NotFound {
            resource: Resource::WebhookDelivery,
            key: delivery.to_owned(),
        };
        let delivery_id: Uuid = delivery.parse().map_err(|_| not_found())?;
        let now = crate::now();
        let event = AuditEvent::new(
            actor,
            now,
            "webhook",
            "redeliver",
            webhook.id,
            format!("redelivery of {delivery_id} requested"),
        );
        match self
            .store
            .redeliver(webhook.id, delivery_id, now, &event)
            .await
        {
            Err(StorageError::NotFound) => Err(not_found()),
            other => Ok(other?),
        }
    }
}

/// The host of `url`, for summaries and logs that must not carry a path or query.
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    // Credentials in the authority (`user:pass@host`) stay out too.
    authority.rsplit_once('@').map_or(authority, |(_, h)| h)
}

#[cfg(test)]
mod tests {
    use super::{check_secret, generate_secret, host_of};
    use crate::input::Errors;

    #[test]
    fn host_leaves_out_path_query_and_credentials() {
        assert_eq!(
            host_of("https://u:p@hooks.example.com/x?token=1"),
            "hooks.example.com"
        );
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1:8080");
    }

    #[test]
    fn generated_secrets_pass_the_secret_check_and_short_ones_do_not() {
        let mut errors = Errors::default();
        check_secret(&mut errors, "secret", &generate_secret().unwrap());
        assert!(errors.finish().is_ok());
        let mut errors = Errors::default();
        check_secret(&mut errors, "secret", "whsec_c2hvcnQ=");
        assert!(errors.finish().is_err());
    }
}
