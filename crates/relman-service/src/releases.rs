//! Release use cases: create (by selectors or from the latest versions), read, list, compare.
//! Changes to existing releases are in `release_changes`.

use relman_domain::ReleaseSummary;
use relman_domain::{
    Actor, AuditEvent, Channel, Comparison, MemberSelector, Release, ReleaseMember, ReleaseName,
    ReleaseStatus, compare, content_digest, latest_release,
};
use relman_storage::{ReleaseFilter, StorageError};
use uuid::Uuid;

use crate::Service;
use crate::error::{Resource, ServiceError};
use crate::input::{Errors, Key};
use crate::release_input::{
    FromLatestInput, Header, MemberSpec, ReleaseInput, ReleaseQuery, header, members, release_name,
};
use crate::resolution::resolve_members_on;

/// Releases per page when the client does not say.
pub const DEFAULT_PAGE_SIZE: i64 = 20;
/// Most releases one page holds.
pub const MAX_PAGE_SIZE: i64 = 100;

/// The cursor kind of the release list.
const RELEASE_CURSOR: char = 'r';

/// A release-list total's key: the status and component filters.
pub(crate) type CountKey = (Option<&'static str>, Option<Uuid>, Option<bool>);

/// Attempts at an insert whose name conflict vanished before it could be read (the other
/// release was deleted in between).
const CREATE_ATTEMPTS: usize = 3;

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The 1-based page number; 0 on a page asked for by cursor, which has no number.
    pub page: u64,
    /// Items per page.
    pub page_size: u64,
    /// Items over all pages.
    pub total_count: u64,
    /// Pages in all (0 when there are no items).
    pub total_pages: u64,
    /// The cursor of the next page, when there is one (lists paged by cursor as well).
    pub next_cursor: Option<String>,
}

/// Where a release is deployed in one environment (the seed's release state).
pub use relman_domain::EnvironmentState;

fn release_not_found(key: &str) -> impl FnOnce(StorageError) -> ServiceError + '_ {
    move |e| match e {
        StorageError::NotFound => ServiceError::NotFound {
            resource: Resource::Release,
            key: key.to_owned(),
        },
        other => other.into(),
    }
}

impl Service {
    /// Creates a release from member selectors. `Ok((release, true))` when it was created;
    /// `Ok((existing, false))` when a release of that name with the same content digest already
    /// existed (a retried create is safe).
    pub async fn create_release(
        &self,
        actor: &Actor,
        input: ReleaseInput,
    ) -> Result<(Release, bool), ServiceError> {
        let mut errors = Errors::default();
        let name = release_name(&mut errors, &input.name);
        let header = header(
            &mut errors,
            input.display_name.as_deref(),
            input.metadata.as_ref(),
            input.notes.as_deref(),
            input.prerelease,
            input.version.as_deref(),
            input.source_ref.as_ref(),
        );
        let specs = members(&mut errors, "components", &input.components);
        errors.finish()?;
        let Some(name) = name else {
            // Unreachable: a `None` name recorded an error that `finish` returned.
            return Err(relman_domain::ValidationError::field("name", "invalid").into());
        };
        if specs.is_empty() {
            return Err(ServiceError::EmptyRelease {
                field: "components".into(),
            });
        }
        // Reads, resolution and insert on one connection in one blocking hand-off; only a lost
        // name race goes on to the retry below.
        let by = actor.clone();
        let (release, event, inserted) = self
            .store
            .release_session(move |session| {
                let members = resolve_members_on(session, &specs)?;
                let (release, event) = new_release(&by, name, header, members, "created");
                let inserted = session.insert_release(&release, &event);
                Ok::<_, ServiceError>((release, event, inserted))
            })
            .await?;
        self.settle_insert(release, event, inserted).await
    }

    /// Creates a release whose members are the latest version of `channel` (or each component's
    /// default channel) of the given components, or of every component. With `pinFrom`, the
    /// members start as those of the release running in that environment, and only the given
    /// components (none when absent) move to their latest version; a component the running
    /// release lacks is added.
    pub async fn create_release_from_latest(
        &self,
        actor: &Actor,
        input: FromLatestInput,
    ) -> Result<(Release, bool), ServiceError> {
        let mut errors = Errors::default();
        let name = release_name(&mut errors, &input.name);
        let header = header(
            &mut errors,
            input.display_name.as_deref(),
            input.metadata.as_ref(),
            input.notes.as_deref(),
            input.prerelease,
            input.version.as_deref(),
            input.source_ref.as_ref(),
        );
        let channel = input
            .channel
            .as_deref()
            .and_then(|c| errors.parse::<Channel>("channel", c));
        if let Some(ids) = &input.component_ids {
            for (i, key) in ids.iter().enumerate() {
                if key.trim().is_empty() {
                    errors.push(&format!("componentIds[{i}]"), "must not be empty");
                }
            }
        }
        errors.finish()?;
        let Some(name) = name else {
            return Err(relman_domain::ValidationError::field("name", "invalid").into());
        };
        let selector = channel.map_or(MemberSelector::Default, MemberSelector::Channel);
        if let Some(pin) = input.pin_from {
            let (members, from) = self
                .pinned_members(&pin.environment_id, input.component_ids, selector)
                .await?;
            let how = format!("created from {from} (running in {})", pin.environment_id);
            return self
                .insert_idempotent(actor, name, header, members, &how)
                .await;
        }
        let (keys, field) = match input.component_ids {
            Some(ids) => (ids, "componentIds"),
            None => {
                let all = self.store.list_components().await?;
                (
                    all.into_iter().map(|c| c.id.to_string()).collect(),
                    "components",
                )
            }
        };
        if keys.is_empty() {
            return Err(ServiceError::EmptyRelease {
                field: field.into(),
            });
        }
        let specs: Vec<MemberSpec> = keys
            .into_iter()
            .enumerate()
            .map(|(i, key)| MemberSpec {
                field: format!("{field}[{i}]"),
                key,
                selector: selector.clone(),
            })
            .collect();
        let members = self.resolve_members(&specs).await?;
        self.insert_idempotent(actor, name, header, members, "created from latest")
            .await
    }

    /// The members of the release running in an environment, with `component_ids` moved to the
    /// version `selector` picks (and added when the running release lacks them). Also returns
    /// the running release's name.
    async fn pinned_members(
        &self,
        environment_key: &str,
        component_ids: Option<Vec<String>>,
        selector: MemberSelector,
    ) -> Result<(Vec<ReleaseMember>, String), ServiceError> {
        let running = match self.current_release(environment_key).await {
            Ok(release) => release,
            Err(ServiceError::NothingRunning { environment }) => {
                return Err(ServiceError::NothingDeployed { environment });
            }
            Err(other) => return Err(other),
        };
        let specs: Vec<MemberSpec> = component_ids
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, key)| MemberSpec {
                field: format!("componentIds[{i}]"),
                key,
                selector: selector.clone(),
            })
            .collect();
        let mut members = running.members.clone();
        for moved in self.resolve_members(&specs).await? {
            match members
                .iter_mut()
                .find(|m| m.component_id == moved.component_id)
            {
                Some(slot) => *slot = moved,
                None => members.push(moved),
            }
        }
        Ok((members, running.name.to_string()))
    }

    /// A release with its members, by UUID or name.
    pub async fn release(&self, key: &str) -> Result<Release, ServiceError> {
        let found = match Key::parse(key) {
            Key::Id(id) => self.store.release_by_id(id).await,
            Key::Name(name) if name.parse::<ReleaseName>().is_ok() => {
                self.store.release_by_name(name).await
            }
            // No release can have a name that is not valid.
            Key::Name(_) => Err(StorageError::NotFound),
        };
        found.map_err(release_not_found(key))
    }

    /// One page of releases, newest first.
    pub async fn list_releases(
        &self,
        query: ReleaseQuery,
    ) -> Result<Page<ReleaseSummary>, ServiceError> {
        let mut errors = Errors::default();
        let status = query
            .status
            .as_deref()
            .and_then(|s| errors.parse::<ReleaseStatus>("status", s));
        let paging = crate::paging::PageRequest::parse_with_cursor(
            &mut errors,
            query.page,
            query.page_size,
            query.cursor.as_deref(),
            RELEASE_CURSOR,
        );
        errors.finish()?;
        // `component` answers NotFound for keys that cannot be names without querying.
        let component_id = match query.component_id.as_deref() {
            Some(key) => Some(self.component(key).await?.id),
            None => None,
        };
        let count_key = (
            status.map(ReleaseStatus::as_str),
            component_id,
            query.prerelease,
        );
        let seen = self.release_counts.generation();
        let known_total = self.release_counts.get(&count_key);
        let result = self
            .store
            .list_releases_counted(
                ReleaseFilter {
                    status,
                    component_id,
                    prerelease: query.prerelease,
                },
                paging.window(),
                paging.page_size,
                known_total,
            )
            .await?;
        if known_total.is_none() {
            self.release_counts.insert(count_key, result.total, seen);
        }
        Ok(paging.keyset_page(result.items, result.total, result.next, RELEASE_CURSOR))
    }

    /// The latest release: the highest `version` among releases that are not draft, prerelease
    /// or deprecated (semver decides, not time). The winner's members come from the release
    /// cache when it holds them.
    pub async fn latest_release(&self) -> Result<std::sync::Arc<Release>, ServiceError> {
        let candidates = self.store.latest_release_candidates().await?;
        let Some(winner) = latest_release(&candidates) else {
            return Err(ServiceError::NotFound {
                resource: Resource::Release,
                key: "latest".into(),
            });
        };
        self.release_cached(&winner.id.to_string()).await
    }

    /// The id of the latest release (see [`Service::latest_release`]), if one qualifies: what
    /// `isLatest` says on every release. One indexed row, cached like the list counts.
    pub async fn latest_release_id(&self) -> Result<Option<Uuid>, ServiceError> {
        if let Some(hit) = self.latest_ids.get(&()) {
            return Ok(hit);
        }
        let seen = self.latest_ids.generation();
        let candidates = self.store.latest_release_candidates().await?;
        let id = latest_release(&candidates).map(|r| r.id);
        self.latest_ids.insert((), id, seen);
        Ok(id)
    }

    /// What changed from release `from` to release `to`.
    pub async fn compare_releases(&self, from: &str, to: &str) -> Result<Comparison, ServiceError> {
        let a = self.release(from).await?;
        let b = self.release(to).await?;
        Ok(compare(&a.members, &b.members))
    }

    /// Resolves validated member specs (see [`resolve_members_on`]) in one blocking hand-off.
    pub(crate) async fn resolve_members(
        &self,
        specs: &[MemberSpec],
    ) -> Result<Vec<ReleaseMember>, ServiceError> {
        let specs = specs.to_vec();
        self.store
            .release_session(move |session| resolve_members_on(session, &specs))
            .await
    }

    /// Inserts a new release; when the name is taken, the stored release's content decides
    /// (see [`Service::settle_insert`]).
    async fn insert_idempotent(
        &self,
        actor: &Actor,
        name: ReleaseName,
        header: Header,
        members: Vec<ReleaseMember>,
        how: &str,
    ) -> Result<(Release, bool), ServiceError> {
        let (release, event) = new_release(actor, name, header, members, how);
        let inserted = self.store.insert_release(&release, &event).await;
        self.settle_insert(release, event, inserted).await
    }

    /// What a first insert's answer means. When the name is taken, the stored release's content
    /// decides: the same content digest is the same release (returned, not created), another is
    /// a conflict. The unique constraint decides between concurrent creators, never a prior
    /// read; a conflict whose release vanished before it could be read is tried again.
    async fn settle_insert(
        &self,
        release: Release,
        event: AuditEvent,
        mut inserted: Result<(), StorageError>,
    ) -> Result<(Release, bool), ServiceError> {
        for attempt in 1..=CREATE_ATTEMPTS {
            if attempt > 1 {
                inserted = self.store.insert_release(&release, &event).await;
            }
            // Forgotten whatever the answer: an error may follow a commit that landed. Only the
            // counts: a new release is a draft, which is never the latest.
            self.release_counts.invalidate();
            match std::mem::replace(&mut inserted, Ok(())) {
                Ok(()) => return Ok((release, true)),
                Err(StorageError::Conflict { .. }) => {}
                Err(StorageError::ForeignKey) => {
                    // A member's component was deleted between resolution and insert.
                    return Err(ServiceError::NotFound {
                        resource: Resource::Component,
                        key: "(deleted while the release was being created)".into(),
                    });
                }
                Err(other) => return Err(other.into()),
            }
            match self.store.release_by_name(release.name.as_str()).await {
                Ok(existing) if existing.digest == release.digest => {
                    return Ok((existing, false));
                }
                Ok(existing) => {
                    return Err(ServiceError::NameExistsDifferentContent {
                        name: release.name.to_string(),
                        existing_digest: existing.digest.to_string(),
                        requested_digest: release.digest.to_string(),
                    });
                }
                // Deleted since the conflict: the name is free again, so try once more.
                Err(StorageError::NotFound) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Contended {
            resource: Resource::Release,
            key: release.name.to_string(),
        })
    }
}

/// A new draft release of `members` and the audit event (with its webhook notice) its insert
/// records; the event is written only if the insert commits.
fn new_release(
    actor: &Actor,
    name: ReleaseName,
    header: Header,
    members: Vec<ReleaseMember>,
    how: &str,
) -> (Release, AuditEvent) {
    let now = crate::now();
    let release = Release {
        id: Uuid::now_v7(),
        display_name: header.display_name.unwrap_or_else(|| name.to_string()),
        name,
        status: ReleaseStatus::Draft,
        digest: content_digest(&members),
        members,
        version: header.version,
        notes: header.notes,
        prerelease: header.prerelease,
        metadata: header.metadata,
        source_ref: header.source_ref,
        created_at: now,
        created_by: actor.name.clone(),
        updated_at: now,
        deprecated_reason: None,
    };
    // A retry answered with the existing release changes nothing and records nothing.
    let event = AuditEvent::new(
        actor,
        now,
        "release",
        "create",
        release.id,
        format!(
            "release {} {how} with {} members, digest {}",
            release.name,
            release.members.len(),
            release.digest
        ),
    )
    .notify(crate::notices::release(
        relman_domain::EventType::ReleaseCreated,
        &release,
    ));
    (release, event)
}
