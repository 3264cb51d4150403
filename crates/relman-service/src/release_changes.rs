//! Changes to existing releases: update, deprecate, delete.
//!
//! Each is read → decide with the domain's rules → compare-and-set write. When another writer
//! changed the release in between, the write changes nothing and the decision is taken again on
//! a fresh read, so a rule (the status machine, the draft-only members) is always checked against
//! the state the write lands on.

use chrono::{DateTime, TimeDelta, Utc};
use relman_domain::{
    Actor, AuditEvent, EventType, ManualStatusError, Release, ReleaseMember, ReleaseStatus,
    check_deletable, content_digest, manual_transition, transition,
};

use crate::Service;
use crate::error::{Resource, ServiceError};
use crate::input::{Errors, text};
use crate::release_input::{
    MAX_REASON, MemberSpec, ReleasePatch, bundle_version, display_name, members, metadata, notes,
    source_ref,
};

/// Reads and retries before giving up on a release that keeps changing under a request.
pub(crate) const CHANGE_ATTEMPTS: usize = 16;

/// A validated patch: what to set, each `None` meaning "keep".
struct Changes {
    display_name: Option<String>,
    metadata: Option<std::collections::BTreeMap<String, String>>,
    notes: Option<Option<String>>,
    status: Option<ReleaseStatus>,
    members: Option<Vec<MemberSpec>>,
    version: Option<Option<semver::Version>>,
    prerelease: Option<bool>,
    source_ref: Option<Option<relman_domain::SourceRef>>,
}

impl Changes {
    fn parse(patch: &ReleasePatch) -> Result<Self, ServiceError> {
        let mut errors = Errors::default();
        let changes = Self {
            display_name: display_name(&mut errors, patch.display_name.as_deref()),
            metadata: patch
                .metadata
                .as_ref()
                .map(|m| metadata(&mut errors, Some(m))),
            notes: patch
                .notes
                .as_ref()
                .map(|n| notes(&mut errors, n.as_deref())),
            status: patch
                .status
                .as_deref()
                .and_then(|s| errors.parse::<ReleaseStatus>("status", s)),
            members: patch
                .components
                .as_ref()
                .map(|c| members(&mut errors, "components", c)),
            version: patch
                .version
                .as_ref()
                .map(|v| bundle_version(&mut errors, v.as_deref())),
            prerelease: patch.prerelease,
            source_ref: patch
                .source_ref
                .as_ref()
                .map(|s| source_ref(&mut errors, s.as_ref())),
        };
        errors.finish()?;
        if changes.members.as_ref().is_some_and(Vec::is_empty) {
            return Err(ServiceError::EmptyRelease {
                field: "components".into(),
            });
        }
        Ok(changes)
    }

    /// The fields this patch sets, as the client spells them (for the audit trail).
    fn given_fields(&self) -> Vec<&'static str> {
        [
            ("displayName", self.display_name.is_some()),
            ("metadata", self.metadata.is_some()),
            ("notes", self.notes.is_some()),
            ("status", self.status.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .chain(self.frozen_fields())
        .collect()
    }

    /// The frozen fields this patch touches, as the client spells them.
    fn frozen_fields(&self) -> Vec<&'static str> {
        [
            ("components", self.members.is_some()),
            ("version", self.version.is_some()),
            ("prerelease", self.prerelease.is_some()),
            ("sourceRef", self.source_ref.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }
}

/// The next `updated_at`: now, but always after the previous one, so that the compare-and-set
/// on `updated_at` can never mistake a changed release for an unchanged one.
pub(crate) fn next_updated_at(previous: DateTime<Utc>) -> DateTime<Utc> {
    let now = crate::now();
    if now > previous {
        now
    } else {
        previous + TimeDelta::microseconds(1)
    }
}

impl Service {
    /// The signing that goes with a change from `current` to `next`: one when it leaves draft.
    async fn signing_for(
        &self,
        current: &Release,
        next: &Release,
    ) -> Result<Option<relman_storage::Signing>, ServiceError> {
        if current.status == ReleaseStatus::Draft && next.status != ReleaseStatus::Draft {
            Ok(Some(self.sign(next).await?))
        } else {
            Ok(None)
        }
    }

    /// Applies a partial update. Display name, metadata, notes and status may always change
    /// (the status only to `ready` from a draft, or to `deprecated`: `promoting` and `deployed`
    /// follow deployments); members, version, prerelease and source reference only while the
    /// release is a draft. New members are resolved like a create's and change the digest.
    pub async fn update_release(
        &self,
        actor: &Actor,
        key: &str,
        patch: ReleasePatch,
    ) -> Result<Release, ServiceError> {
        let changes = Changes::parse(&patch)?;
        let mut resolved: Option<Vec<ReleaseMember>> = None;
        for _ in 0..CHANGE_ATTEMPTS {
            let current = self.release(key).await?;
            let frozen = changes.frozen_fields();
            if current.status.is_frozen() && !frozen.is_empty() {
                return Err(ServiceError::ReleaseImmutable {
                    key: key.to_owned(),
                    status: current.status,
                    fields: frozen.join(", "),
                });
            }
            if let Some(to) = changes.status {
                manual_transition(current.status, to).map_err(|e| match e {
                    ManualStatusError::Machine(e) => ServiceError::InvalidTransition(e),
                    ManualStatusError::DeploymentOnly { from, to } => {
                        ServiceError::StatusByDeploymentOnly { from, to }
                    }
                })?;
            }
            if let (Some(specs), None) = (&changes.members, &resolved) {
                resolved = Some(self.resolve_members(specs).await?);
            }
            let mut next = current.clone();
            if let Some(d) = &changes.display_name {
                next.display_name.clone_from(d);
            }
            if let Some(m) = &changes.metadata {
                next.metadata.clone_from(m);
            }
            if let Some(n) = &changes.notes {
                next.notes.clone_from(n);
            }
            if let Some(v) = &changes.version {
                next.version.clone_from(v);
            }
            if let Some(p) = changes.prerelease {
                next.prerelease = p;
            }
            if let Some(s) = &changes.source_ref {
                next.source_ref.clone_from(s);
            }
            let replace_members = match &resolved {
                Some(members) if *members != current.members => {
                    next.members.clone_from(members);
                    next.digest = content_digest(members);
                    true
                }
                _ => false,
            };
            if let Some(to) = changes.status {
                next.status = to;
            }
            if next == current {
                // Nothing to write; an update that repeats the current state is a no-op.
                return Ok(current);
            }
            next.updated_at = next_updated_at(current.updated_at);
            let mut summary = format!(
                "updated release {}: {}",
                next.name,
                changes.given_fields().join(", ")
            );
            if next.status != current.status {
                summary.push_str(&format!("; {} -> {}", current.status, next.status));
            }
            let mut event = AuditEvent::new(
                actor,
                next.updated_at,
                "release",
                "update",
                next.id,
                summary,
            );
            if next.status != current.status {
                let kind = match next.status {
                    ReleaseStatus::Ready => Some(EventType::ReleaseReady),
                    ReleaseStatus::Deprecated => Some(EventType::ReleaseDeprecated),
                    _ => None,
                };
                if let Some(kind) = kind {
                    event = event.notify(crate::notices::release(kind, &next));
                }
            }
            let signing = self.signing_for(&current, &next).await?;
            let pushes = signing.as_ref().is_some_and(|s| !s.attachments.is_empty());
            let written = self
                .store
                .update_release_signed(&next, current.updated_at, replace_members, &event, signing)
                .await;
            // Forgotten whatever the answer: an error may follow a commit that landed, and a
            // lost compare-and-set means another writer changed the release.
            self.release_cache.forget(next.id);
            self.forget_release_reads();
            if written? {
                if pushes {
                    // The change stands whatever the registry says; a failure is reported
                    // (502) and kept on the attachment for a retry.
                    self.push_pending(actor, &next).await?;
                }
                return Ok(next);
            }
        }
        Err(ServiceError::Contended {
            resource: Resource::Release,
            key: key.to_owned(),
        })
    }

    /// Deprecates a release (from any status; deprecating a deprecated release again is a no-op
    /// that may update the reason). A deprecated release is never promoted or "latest" again.
    pub async fn deprecate_release(
        &self,
        actor: &Actor,
        key: &str,
        reason: Option<String>,
    ) -> Result<Release, ServiceError> {
        let mut errors = Errors::default();
        let reason = reason.and_then(|r| text(&mut errors, "reason", &r, MAX_REASON));
        errors.finish()?;
        for _ in 0..CHANGE_ATTEMPTS {
            let current = self.release(key).await?;
            transition(current.status, ReleaseStatus::Deprecated)
                .map_err(ServiceError::InvalidTransition)?;
            let mut next = current.clone();
            next.status = ReleaseStatus::Deprecated;
            if reason.is_some() {
                next.deprecated_reason.clone_from(&reason);
            }
            if next == current {
                return Ok(current);
            }
            next.updated_at = next_updated_at(current.updated_at);
            let event = AuditEvent::new(
                actor,
                next.updated_at,
                "release",
                "deprecate",
                next.id,
                match &next.deprecated_reason {
                    Some(reason) => format!("deprecated release {}: {reason}", next.name),
                    None => format!("deprecated release {}", next.name),
                },
            );
            // Deprecating again (a new reason) is not news to subscribers.
            let event = if current.status == ReleaseStatus::Deprecated {
                event
            } else {
                event.notify(crate::notices::release(EventType::ReleaseDeprecated, &next))
            };
            // A draft deprecated is signed too (every release that leaves draft is), but a
            // deprecated release is not pushed to registries.
            let signing = self.signing_for(&current, &next).await?.map(|mut s| {
                s.attachments.clear();
                s
            });
            let written = self
                .store
                .update_release_signed(&next, current.updated_at, false, &event, signing)
                .await;
            self.release_cache.forget(next.id);
            self.forget_release_reads();
            if written? {
                return Ok(next);
            }
        }
        Err(ServiceError::Contended {
            resource: Resource::Release,
            key: key.to_owned(),
        })
    }

    /// Deletes a release: always while draft, otherwise only if it was never deployed (no
    /// deployment of it succeeded, and none is open).
    pub async fn delete_release(&self, actor: &Actor, key: &str) -> Result<(), ServiceError> {
        for _ in 0..CHANGE_ATTEMPTS {
            let current = self.release(key).await?;
            // Every deployment moves the release's `updated_at`, so a deployment that lands
            // after this read makes the compare-and-set delete below fail and decide again.
            let deployed = self.store.release_has_deployments(current.id).await?;
            check_deletable(current.status, deployed).map_err(|e| ServiceError::InUse {
                resource: Resource::Release,
                key: key.to_owned(),
                detail: e.to_string(),
            })?;
            // Asset records go with the release; their bytes are removed once it is gone.
            let asset_ids = self.store.asset_ids_of(current.id).await?;
            let event = AuditEvent::new(
                actor,
                crate::now(),
                "release",
                "delete",
                current.id,
                format!("deleted release {} ({})", current.name, current.status),
            )
            .notify(crate::notices::release(EventType::ReleaseDeleted, &current));
            let deleted = self
                .store
                .delete_release(current.id, current.updated_at, &event)
                .await;
            self.release_cache.forget(current.id);
            self.forget_release_reads();
            if deleted? {
                self.remove_release_bytes(current.id, asset_ids).await;
                return Ok(());
            }
        }
        Err(ServiceError::Contended {
            resource: Resource::Release,
            key: key.to_owned(),
        })
    }
}
