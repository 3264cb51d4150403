//! Version sync: learn a component's tags and digests from its registry.
//!
//! Incremental by default: a known tag that is a semantic version is trusted (release tags are
//! not re-pushed in practice), so an unchanged re-sync costs the tag-list pages and nothing else.
//! Mutable tags (`latest`, anything not semver) are re-resolved every time; `force_refresh`
//! re-resolves everything. Manual version maps are never touched. The outcome is written in one
//! transaction: a failure part-way changes nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures_util::{StreamExt, stream};
use relman_domain::RetagRecord;
use relman_domain::{
    Actor, AuditEvent, Component, ComponentVersion, VersionSource, classify_channel,
    compare_versions_desc, parse_tag_semver,
};
use relman_registry::{
    ConfigCache, KnownManifest, RegistryClient, RegistryError, ResolveOptions, ResolvedManifest,
};
use relman_storage::{Retag, StorageError, SyncChanges};
use uuid::Uuid;

use crate::Service;
use crate::error::ServiceError;
use crate::notices;
use crate::observer::{SyncOutcome, SyncRun};

/// How to sync.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    /// Re-resolve every tag, not only new and mutable ones.
    pub force_refresh: bool,
    /// Report only the versions this sync added, updated or marked gone, instead of every
    /// version of the component: an unchanged re-sync then reports none.
    pub changes_only: bool,
}

/// What a running sync is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPhase {
    /// Reading the registry's tag list.
    Listing,
    /// Resolving new and mutable tags to digests; `done` of `total` tags.
    Resolving,
    /// Writing the changes.
    Saving,
}

impl SyncPhase {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Listing => "listing",
            Self::Resolving => "resolving",
            Self::Saving => "saving",
        }
    }
}

/// A sync's progress, as it reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncStep {
    /// What it is doing.
    pub phase: SyncPhase,
    /// Items done in the phase.
    pub done: u64,
    /// Items of the phase (0 when the phase has no count).
    pub total: u64,
}

/// Hears a sync's progress; called from the sync itself, so it must return at once.
pub type SyncProgress<'a> = &'a (dyn Fn(SyncStep) + Send + Sync);

/// What a sync found and did.
#[derive(Debug, Clone)]
pub struct SyncReport {
    /// Tags the registry lists that the component tracks (after `tagPattern`).
    pub synced: usize,
    /// The component's current versions, newest first; with [`SyncOptions::changes_only`], only
    /// those this sync added, updated or marked gone (gone ones with `gone` set).
    pub versions: Vec<ComponentVersion>,
    /// Tags seen for the first time.
    pub added: usize,
    /// Known tags whose digest or details changed, or that came back.
    pub updated: usize,
    /// Known tags left as they were.
    pub unchanged: usize,
    /// Tags that vanished from the registry.
    pub gone: usize,
    /// HTTP requests made to the registry.
    pub registry_requests: u64,
}

/// The components this process is syncing right now, so that a second sync of one of them is
/// refused at once (409) instead of queueing behind the first, which may wait on a hung
/// registry. Across replicas, the PostgreSQL advisory lock does the same.
#[derive(Default)]
pub(crate) struct SyncLocks(Arc<std::sync::Mutex<HashSet<Uuid>>>);

/// Held while a component syncs; dropping it (also on error or cancellation) frees the component.
pub(crate) struct SyncGuard {
    running: Arc<std::sync::Mutex<HashSet<Uuid>>>,
    id: Uuid,
}

impl SyncLocks {
    /// Claims the component, or `None` when a sync of it is already running here.
    pub(crate) fn try_claim(&self, id: Uuid) -> Option<SyncGuard> {
        let mut running = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        running.insert(id).then(|| SyncGuard {
            running: Arc::clone(&self.0),
            id,
        })
    }
}

impl Drop for SyncGuard {
    fn drop(&mut self) {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.id);
    }
}

fn needs_resolve(existing: Option<&ComponentVersion>, tag: &str, force: bool) -> bool {
    match existing {
        None => true,
        Some(v) if v.source == VersionSource::Manual => false,
        Some(v) => force || v.gone || parse_tag_semver(tag).is_none(),
    }
}

/// Versions in the order the API lists them: newest semver first, other tags last.
fn newest_first(mut versions: Vec<ComponentVersion>) -> Vec<ComponentVersion> {
    versions.sort_by(compare_versions_desc);
    versions
}

/// Every version a sync's changes touch, as they are once written, by id.
fn changed_versions(
    existing: &[ComponentVersion],
    changes: &SyncChanges,
    now: chrono::DateTime<chrono::Utc>,
) -> HashMap<Uuid, ComponentVersion> {
    let gone: HashSet<Uuid> = changes.gone.iter().copied().collect();
    let marked = existing
        .iter()
        .filter(|v| gone.contains(&v.id))
        .map(|v| ComponentVersion {
            gone: true,
            updated_at: now,
            ..v.clone()
        });
    changes
        .inserts
        .iter()
        .chain(&changes.updates)
        .cloned()
        .chain(marked)
        .map(|v| (v.id, v))
        .collect()
}

/// A report; the request count is filled in by the caller, which counts this sync's alone.
/// What the registry is asked to confirm about a version on record (a `HEAD` suffices when
/// the tag still points at this digest).
pub(crate) fn known_manifest(v: &ComponentVersion) -> KnownManifest {
    KnownManifest {
        provenance: v.provenance.clone(),
        digest: v.digest.clone(),
        platforms: v.platforms.clone(),
        created: v.pushed_at,
    }
}

/// What one resolved tag changed.
pub(crate) enum Recorded {
    /// A new version.
    Added,
    /// A known version changed (digest, platforms, labels or build time).
    Updated,
    /// Nothing.
    Unchanged,
}

/// Adds to `changes` what `manifest`, just resolved for `tag`, means against `old` (the version on
/// record, if any): shared by full syncs and by the re-resolution of pushed tags.
pub(crate) fn record_resolved(
    component: &Component,
    old: Option<&ComponentVersion>,
    tag: String,
    manifest: ResolvedManifest,
    now: chrono::DateTime<chrono::Utc>,
    changes: &mut SyncChanges,
) -> Recorded {
    let semver = parse_tag_semver(&tag);
    let channel = classify_channel(&tag, semver.as_ref(), &component.channel_rules);
    let Some(old) = old else {
        changes.inserts.push(ComponentVersion {
            provenance: manifest.provenance.clone(),
            id: Uuid::now_v7(),
            component_id: component.id,
            digest: manifest.digest,
            semver,
            channel,
            source: VersionSource::Sync,
            platforms: manifest.platforms,
            pushed_at: manifest.created,
            first_seen_at: now,
            updated_at: now,
            gone: false,
            yank: None,
            tag,
        });
        return Recorded::Added;
    };
    // A build time learned for this digest stays; a re-tag's is the new image's (unknown when
    // the component does not record it).
    let pushed_at = if manifest.digest == old.digest {
        manifest.created.or(old.pushed_at)
    } else {
        manifest.created
    };
    // Labels are the image's: the same digest keeps what was read of it.
    let provenance = if manifest.digest == old.digest && manifest.provenance.is_empty() {
        old.provenance.clone()
    } else {
        manifest.provenance.clone()
    };
    let next = ComponentVersion {
        provenance,
        digest: manifest.digest,
        semver,
        channel,
        platforms: manifest.platforms,
        pushed_at,
        gone: false,
        updated_at: old.updated_at,
        ..old.clone()
    };
    if next == *old {
        return Recorded::Unchanged;
    }
    if next.digest != old.digest {
        changes.retags.push(Retag {
            tag,
            old_digest: old.digest.clone(),
            new_digest: next.digest.clone(),
        });
    }
    changes.updates.push(ComponentVersion {
        updated_at: now,
        ..next
    });
    Recorded::Updated
}

/// The audit event of a sync that writes `changes`, with a `version.added` or
/// `version.retagged` notice for each new tag and re-tag.
pub(crate) fn sync_event(
    actor: &Actor,
    component: &Component,
    changes: &SyncChanges,
    now: chrono::DateTime<chrono::Utc>,
    summary: String,
) -> AuditEvent {
    let mut event = AuditEvent::new(actor, now, "component", "sync", component.id, summary);
    event.notices.extend(
        changes
            .inserts
            .iter()
            .map(|v| notices::version_added(component, v)),
    );
    event.notices.extend(
        changes
            .retags
            .iter()
            .map(|r| notices::version_retagged(component, &r.tag, &r.old_digest, &r.new_digest)),
    );
    event
}

fn report(
    synced: usize,
    versions: Vec<ComponentVersion>,
    added: usize,
    updated: usize,
    unchanged: usize,
    gone: usize,
) -> SyncReport {
    SyncReport {
        synced,
        versions,
        added,
        updated,
        unchanged,
        gone,
        registry_requests: 0,
    }
}

impl Service {
    /// The registry client for a component, or why there is none.
    pub(crate) async fn client_for(
        &self,
        component: &Component,
    ) -> Result<Arc<dyn RegistryClient>, ServiceError> {
        let Some(id) = component.registry_integration_id else {
            return Err(ServiceError::NoRegistryIntegration {
                component: component.name.to_string(),
            });
        };
        let integration = match self.store.integration(Some(id), None).await {
            Ok(i) => i,
            Err(StorageError::NotFound) => {
                return Err(ServiceError::NoRegistryIntegration {
                    component: component.name.to_string(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        self.registries
            .client(&integration)
            .map_err(ServiceError::Registry)
    }

    /// Syncs a component's versions from its registry.
    pub async fn sync_versions(
        &self,
        actor: &Actor,
        key: &str,
        options: SyncOptions,
    ) -> Result<SyncReport, ServiceError> {
        self.sync_versions_reporting(actor, key, options, &|_| {})
            .await
    }

    /// [`Service::sync_versions`], telling `progress` what it does as it goes.
    pub async fn sync_versions_reporting(
        &self,
        actor: &Actor,
        key: &str,
        options: SyncOptions,
        progress: SyncProgress<'_>,
    ) -> Result<SyncReport, ServiceError> {
        let component = self.component(key).await?;
        let in_progress = || ServiceError::SyncInProgress {
            component: component.name.to_string(),
        };
        let Some(_guard) = self.sync_locks.try_claim(component.id) else {
            return Err(in_progress());
        };
        // Replicas sharing PostgreSQL: the one holding the component's lock syncs, others step back.
        let Some(replica_lock) = self.store.try_lock_sync(component.id).await? else {
            return Err(in_progress());
        };
        let started = Instant::now();
        let result = self
            .sync_claimed(actor, &component, options, progress)
            .await;
        // Freed before answering, so that the next sync of this component finds it free.
        replica_lock.release().await;
        self.observer.sync_finished(SyncRun {
            component: component.name.as_str(),
            outcome: match result {
                Ok(_) => SyncOutcome::Ok,
                Err(_) => SyncOutcome::Failed,
            },
            elapsed: started.elapsed(),
            added: result.as_ref().map_or(0, |r| r.added),
        });
        if let Err(ServiceError::Registry(e)) = &result {
            tracing::warn!(component = %component.name, error = %e, chain = ?e, "sync failed");
            // Recorded (and told to `sync.failed` subscribers) whoever started the sync: a
            // scheduled one that fails has nobody else to tell.
            let error = e.to_string();
            let event = AuditEvent::new(
                actor,
                crate::now(),
                "component",
                "sync_failed",
                component.id,
                format!("sync of {} failed: {error}", component.name),
            )
            .notify(notices::sync_failed(&component, &error));
            if let Err(e) = self.store.record_event(&event).await {
                tracing::warn!(component = %component.name, error = %e, "recording a failed sync");
            }
        }
        result
    }

    /// The sync of a component this process holds the locks of.
    async fn sync_claimed(
        &self,
        actor: &Actor,
        component: &Component,
        options: SyncOptions,
        progress: SyncProgress<'_>,
    ) -> Result<SyncReport, ServiceError> {
        let client = self.client_for(component).await?;
        // The client is shared with every other use of the integration: count this sync's own
        // requests, not the client's running total.
        let (result, requests) = relman_registry::count_requests(self.sync_with(
            actor,
            component,
            client.as_ref(),
            options,
            progress,
        ))
        .await;
        result.map(|report| SyncReport {
            registry_requests: requests,
            ..report
        })
    }

    async fn sync_with(
        &self,
        actor: &Actor,
        component: &Component,
        client: &dyn RegistryClient,
        options: SyncOptions,
        progress: SyncProgress<'_>,
    ) -> Result<SyncReport, ServiceError> {
        let repo = component.image_repository.as_str();
        progress(SyncStep {
            phase: SyncPhase::Listing,
            done: 0,
            total: 0,
        });
        let listed = client
            .list_tags(repo)
            .await
            .map_err(ServiceError::Registry)?;
        let listed: HashSet<String> = listed.into_iter().collect();
        let tracked: Vec<&String> = listed
            .iter()
            // Signatures, attestations and SBOMs pushed next to images (OCI referrers' fallback
            // tags, cosign's tags) are not versions.
            .filter(|t| !relman_registry::is_attachment_tag(t))
            .filter(|t| component.tag_pattern.as_ref().is_none_or(|p| p.matches(t)))
            .collect();

        // Read once: what the sync compares with is also, changes applied, what it reports.
        let existing = self.store.versions_for_sync(component.id).await?;
        let by_tag: HashMap<&str, &ComponentVersion> =
            existing.iter().map(|v| (v.tag.as_str(), v)).collect();

        let to_resolve: Vec<&String> = tracked
            .iter()
            .copied()
            .filter(|t| needs_resolve(by_tag.get(t.as_str()).copied(), t, options.force_refresh))
            .collect();
        let mut unchanged = tracked.len() - to_resolve.len();
        let total = to_resolve.len() as u64;
        let step = |done| SyncStep {
            phase: SyncPhase::Resolving,
            done,
            total,
        };
        progress(step(0));
        let resolved_count = AtomicU64::new(0);
        let limit = self.sync_concurrency;
        // Configs are content-addressed and shared between tags: each is read once per sync.
        let configs = ConfigCache::default();
        let fetch_created = component.record_pushed_at;
        let resolved: Vec<(String, Result<ResolvedManifest, RegistryError>)> =
            // Owned tags: a closure over borrowed ones makes the future fail `Send` (its
            // lifetime turns higher-ranked), and sync jobs run it on a spawned task.
            stream::iter(to_resolve.into_iter().cloned())
                .map(|tag: String| {
                    // A tag resolved before is asked about with a HEAD; nothing is fetched when
                    // it still points at the digest on record.
                    let known = by_tag.get(tag.as_str()).map(|v| known_manifest(v));
                    let configs = &configs;
                    let (resolved_count, step) = (&resolved_count, &step);
                    async move {
                        let options = ResolveOptions {
                            fetch_created,
                            known: known.as_ref(),
                            configs: Some(configs),
                        };
                        let outcome = client.resolve_with(repo, &tag, options).await;
                        progress(step(resolved_count.fetch_add(1, Ordering::Relaxed) + 1));
                        (tag, outcome)
                    }
                })
                .buffer_unordered(limit)
                .collect()
                .await;

        let now = crate::now();
        let mut changes = SyncChanges::default();
        let (mut added, mut updated) = (0, 0);
        let mut vanished: HashSet<String> = HashSet::new();
        for (tag, result) in resolved {
            let manifest = match result {
                Ok(m) => m,
                // Deleted between listing and resolving: treat as not listed.
                Err(RegistryError::NotFound { .. }) => {
                    vanished.insert(tag);
                    continue;
                }
                Err(e) => return Err(ServiceError::Registry(e)),
            };
            match record_resolved(
                component,
                by_tag.get(tag.as_str()).copied(),
                tag,
                manifest,
                now,
                &mut changes,
            ) {
                Recorded::Added => added += 1,
                Recorded::Updated => updated += 1,
                Recorded::Unchanged => unchanged += 1,
            }
        }
        for v in &existing {
            let still_listed = listed.contains(&v.tag) && !vanished.contains(&v.tag);
            if v.source == VersionSource::Sync && !v.gone && !still_listed {
                changes.gone.push(v.id);
            }
        }
        let gone = changes.gone.len();
        if added + updated + gone == 0 {
            // A sync that changes nothing writes nothing, not even an audit event: scheduled
            // syncs would otherwise bury the trail.
            let versions = if options.changes_only {
                Vec::new()
            } else {
                newest_first(existing.into_iter().filter(|v| !v.gone).collect())
            };
            return Ok(report(
                tracked.len() - vanished.len(),
                versions,
                0,
                0,
                unchanged,
                0,
            ));
        }
        progress(SyncStep {
            phase: SyncPhase::Saving,
            done: 0,
            total: (added + updated + gone) as u64,
        });
        let changed = changed_versions(&existing, &changes, now);
        let summary = format!(
            "synced {}: {added} added, {updated} updated, {gone} gone",
            component.name
        );
        let skipped = self
            .write_sync(actor, component, changes, now, summary)
            .await?;
        let versions = if options.changes_only {
            newest_first(changed.into_values().collect())
        } else if skipped > 0 {
            // A manual version map claimed a tag meanwhile: what was written is not what was
            // computed, so read it back.
            let stored = self.store.versions_for_sync(component.id).await?;
            newest_first(stored.into_iter().filter(|v| !v.gone).collect())
        } else {
            let mut all: Vec<ComponentVersion> = existing
                .into_iter()
                .filter(|v| !changed.contains_key(&v.id))
                .collect();
            all.extend(changed.into_values());
            newest_first(all.into_iter().filter(|v| !v.gone).collect())
        };
        Ok(report(
            tracked.len() - vanished.len(),
            versions,
            added,
            updated,
            unchanged,
            gone,
        ))
    }

    /// Writes a sync's `changes` in one transaction with their audit event and notices, and
    /// forgets the version reads they change; answers how many the store skipped (tags a manual
    /// map took meanwhile).
    pub(crate) async fn write_sync(
        &self,
        actor: &Actor,
        component: &Component,
        changes: SyncChanges,
        now: chrono::DateTime<chrono::Utc>,
        summary: String,
    ) -> Result<usize, ServiceError> {
        let event = sync_event(actor, component, &changes, now, summary);
        let applied = self
            .store
            .apply_sync(component.id, changes, now, &event)
            .await;
        // Forgotten whatever the answer: an error may follow a commit that landed.
        self.forget_version_reads();
        Ok(applied?)
    }

    /// The digest changes syncs saw for a component's tags, newest first, one slice at a time
    /// (`limit` 1-1000, default 100), with the cursor of the next slice.
    pub async fn list_retags(
        &self,
        key: &str,
        query: crate::paging::SliceQuery,
    ) -> Result<crate::paging::Slice<RetagRecord>, ServiceError> {
        let (after, limit) = query.parse(crate::paging::RETAG_CURSOR)?;
        let component = self.component(key).await?;
        let (items, next) = self
            .store
            .list_retags_page(component.id, after, limit)
            .await?;
        Ok(crate::paging::Slice {
            items,
            next_cursor: next
                .map(|key| crate::paging::cursor_text(crate::paging::RETAG_CURSOR, key)),
        })
    }

    /// Resolves one tag of a component through its registry (for version maps given no digest).
    pub(crate) async fn resolve_tag(
        &self,
        component: &Component,
        tag: &str,
    ) -> Result<Option<ResolvedManifest>, ServiceError> {
        let client = self.client_for(component).await?;
        match client
            .resolve_with(
                &component.image_repository,
                tag,
                ResolveOptions {
                    fetch_created: true,
                    ..Default::default()
                },
            )
            .await
        {
            Ok(m) => Ok(Some(m)),
            Err(RegistryError::NotFound { .. }) => Ok(None),
            Err(e) => Err(ServiceError::Registry(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::needs_resolve;

    #[test]
    fn only_new_mutable_or_forced_tags_are_resolved() {
        assert!(needs_resolve(None, "v1.0.0", false));
        assert!(needs_resolve(None, "latest", false));
    }
}
