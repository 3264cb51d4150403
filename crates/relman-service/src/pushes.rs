//! Push notifications from registries (docs/WEBHOOKS.md): authenticated by a per-integration
//! event secret, answered at once, then each named tag is re-resolved with the registry and
//! written as a sync would write it. An event is a hint, never the truth.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use relman_domain::{Actor, AuditEvent, Component};
use relman_registry::{RegistryError, ResolveOptions};
use relman_storage::{StorageError, SyncChanges};
use uuid::Uuid;

use crate::push_hints::{PushAuth, authentic, parse_push};
use crate::sync::{Recorded, known_manifest, record_resolved};
use crate::{Resource, Service, ServiceError};

/// The prefix of a generated event secret.
pub const EVENT_SECRET_PREFIX: &str = "whev_";

/// How long a pushed tag waits for a running sync of its component before it is left to that
/// sync (and to the scheduled one).
const CLAIM_PATIENCE: Duration = Duration::from_secs(30);

/// A new event secret, shown once.
#[derive(Debug, Clone)]
pub struct EventSecret {
    /// The integration it belongs to.
    pub integration_id: Uuid,
    /// The secret.
    pub secret: String,
}

/// What a notification was taken as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushReceipt {
    /// Pushed tags of tracked components, re-resolved in the background.
    pub accepted: usize,
    /// Events and tags relman does not act on: pulls, pushes by digest, untracked repositories
    /// and tags a component's pattern leaves out.
    pub ignored: usize,
}

fn generate() -> Result<String, ServiceError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServiceError::Storage(StorageError::Corrupt(format!("no randomness: {e}"))))?;
    Ok(format!(
        "{EVENT_SECRET_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// `repository` names the component's repository, ignoring case and a leading registry host.
fn same_repository(image_repository: &str, repository: &str) -> bool {
    let ours = image_repository.to_ascii_lowercase();
    repository == ours
        || repository.ends_with(&format!("/{ours}")) && {
            // Only a host may precede it: `registry.example:5000/myorg/api`.
            let host = &repository[..repository.len() - ours.len() - 1];
            !host.contains('/') && (host.contains('.') || host.contains(':') || host == "localhost")
        }
}

impl Service {
    /// Generates a new event secret for an integration, replacing any earlier one at once.
    pub async fn rotate_event_secret(
        &self,
        actor: &Actor,
        key: &str,
    ) -> Result<EventSecret, ServiceError> {
        let integration = self.integration_summary(key).await?;
        let secret = generate()?;
        let event = AuditEvent::new(
            actor,
            crate::now(),
            "registry_integration",
            "rotate_event_secret",
            integration.id,
            format!("new push-event secret for {}", integration.name),
        );
        match self
            .store
            .set_event_secret(integration.id, &secret, &event)
            .await
        {
            Err(StorageError::NotFound) => Err(ServiceError::NotFound {
                resource: Resource::Integration,
                key: key.to_owned(),
            }),
            other => other.map_err(ServiceError::from),
        }?;
        Ok(EventSecret {
            integration_id: integration.id,
            secret,
        })
    }

    /// Takes a push notification for integration `key`: checks that it knows the event secret,
    /// reads which tags it names, and re-resolves those of tracked components in the background.
    pub async fn receive_push(
        &self,
        key: &str,
        auth: PushAuth<'_>,
        body: &[u8],
    ) -> Result<PushReceipt, ServiceError> {
        let integration = self.integration_summary(key).await?;
        let secret = self.store.event_secret(integration.id).await?;
        if !secret.is_some_and(|s| authentic(&s, &auth, body)) {
            return Err(ServiceError::PushUnauthenticated {
                integration: key.to_owned(),
            });
        }
        let parsed = parse_push(body)?;
        let components: Vec<Component> = self
            .store
            .list_components()
            .await?
            .into_iter()
            .filter(|c| c.registry_integration_id == Some(integration.id))
            .collect();
        let mut targets: BTreeMap<Uuid, (Component, Vec<String>)> = BTreeMap::new();
        let mut ignored = parsed.ignored;
        for hint in parsed.hints {
            let mut taken = false;
            for c in components
                .iter()
                .filter(|c| same_repository(&c.image_repository, &hint.repository))
                .filter(|_| !relman_registry::is_attachment_tag(&hint.tag))
                .filter(|c| c.tag_pattern.as_ref().is_none_or(|p| p.matches(&hint.tag)))
            {
                taken = true;
                targets
                    .entry(c.id)
                    .or_insert_with(|| (c.clone(), Vec::new()))
                    .1
                    .push(hint.tag.clone());
            }
            ignored += usize::from(!taken);
        }
        let accepted = targets.values().map(|(_, tags)| tags.len()).sum();
        if !targets.is_empty() {
            let service = self.clone();
            let actor = Actor {
                name: format!("registry:{}", integration.name),
                request_id: None,
            };
            tokio::spawn(async move {
                for (component, tags) in targets.into_values() {
                    if let Err(e) = service.sync_tags(&actor, &component, tags).await {
                        tracing::warn!(component = %component.name, error = %e, "re-resolving pushed tags failed");
                    }
                }
            });
        }
        Ok(PushReceipt { accepted, ignored })
    }

    /// Re-resolves `tags` of `component` and writes what changed as a sync does: a new tag is
    /// added, a moved tag recorded as a re-tag, a manual map left alone. Tags not named are not
    /// looked at, so none is marked gone.
    pub(crate) async fn sync_tags(
        &self,
        actor: &Actor,
        component: &Component,
        tags: Vec<String>,
    ) -> Result<usize, ServiceError> {
        // A running sync of the component is waited for: it may have listed before the push.
        let deadline = tokio::time::Instant::now() + CLAIM_PATIENCE;
        let (_guard, replica_lock) = loop {
            if let Some(guard) = self.sync_locks.try_claim(component.id)
                && let Some(lock) = self.store.try_lock_sync(component.id).await?
            {
                break (guard, lock);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ServiceError::SyncInProgress {
                    component: component.name.to_string(),
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        let result = self.sync_tags_claimed(actor, component, tags).await;
        replica_lock.release().await;
        result
    }

    async fn sync_tags_claimed(
        &self,
        actor: &Actor,
        component: &Component,
        tags: Vec<String>,
    ) -> Result<usize, ServiceError> {
        let client = self.client_for(component).await?;
        let existing = self.store.versions_for_sync(component.id).await?;
        let now = crate::now();
        let mut changes = SyncChanges::default();
        let (mut added, mut updated) = (0, 0);
        for tag in tags {
            let old = existing.iter().find(|v| v.tag == tag);
            let known = old.map(known_manifest);
            let options = ResolveOptions {
                fetch_created: component.record_pushed_at,
                known: known.as_ref(),
                configs: None,
            };
            let manifest = match client
                .resolve_with(&component.image_repository, &tag, options)
                .await
            {
                Ok(m) => m,
                // Deleted again since the event: nothing to record.
                Err(RegistryError::NotFound { .. }) => continue,
                Err(e) => return Err(ServiceError::Registry(e)),
            };
            match record_resolved(component, old, tag, manifest, now, &mut changes) {
                Recorded::Added => added += 1,
                Recorded::Updated => updated += 1,
                Recorded::Unchanged => {}
            }
        }
        if added + updated == 0 {
            return Ok(0);
        }
        let summary = format!(
            "push event for {}: {added} added, {updated} updated",
            component.name
        );
        self.write_sync(actor, component, changes, now, summary)
            .await?;
        Ok(added + updated)
    }
}

#[cfg(test)]
mod tests {
    use super::same_repository;

    #[test]
    fn a_repository_matches_with_or_without_its_registry_host() {
        let c = "MyOrg/api";
        assert!(same_repository(c, "myorg/api"));
        assert!(same_repository(c, "registry.example:5000/myorg/api"));
        assert!(same_repository(c, "localhost/myorg/api"));
        assert!(!same_repository(c, "other/myorg/api"));
        assert!(!same_repository(c, "myorg/api2"));
    }
}
