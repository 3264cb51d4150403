//! Component version rows ("version maps") and queries.

use diesel::prelude::*;
use relman_domain::{
    AuditEvent, Channel, ComponentVersion, Digest, VersionSource, Yank, optional_sort_key,
};
use uuid::Uuid;

use crate::codec::{
    from_micros, parse, platforms_from_json, platforms_to_json, provenance_from_json,
    provenance_to_json, to_micros, uuid,
};
use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::schema::component_versions as cv;
use crate::store::Store;
use crate::sync::lock_component;

#[derive(Queryable, Selectable, Insertable, AsChangeset, serde::Deserialize)]
#[diesel(table_name = cv)]
#[diesel(treat_none_as_null = true)]
pub(crate) struct VersionRow {
    id: String,
    component_id: String,
    tag: String,
    digest: String,
    semver: Option<String>,
    channel: Option<String>,
    source: String,
    platforms: String,
    pushed_at: Option<i64>,
    first_seen_at: i64,
    updated_at: i64,
    gone: bool,
    /// `relman_domain::version_sort_key` of `semver`, `'0'` without one: the SQL order.
    sort_key: String,
    provenance: Option<String>,
}

impl From<&ComponentVersion> for VersionRow {
    fn from(v: &ComponentVersion) -> Self {
        Self {
            id: v.id.to_string(),
            component_id: v.component_id.to_string(),
            tag: v.tag.clone(),
            digest: v.digest.to_string(),
            semver: v.semver.as_ref().map(ToString::to_string),
            channel: v.channel.as_ref().map(ToString::to_string),
            source: v.source.as_str().to_owned(),
            platforms: platforms_to_json(&v.platforms),
            pushed_at: v.pushed_at.map(to_micros),
            first_seen_at: to_micros(v.first_seen_at),
            updated_at: to_micros(v.updated_at),
            gone: v.gone,
            sort_key: optional_sort_key(v.semver.as_ref()),
            provenance: provenance_to_json(&v.provenance),
        }
    }
}

/// A version as read: the columns sync writes, plus the yank, which only yank and unyank write
/// (so a sync that read a version before it was yanked can never undo the yank).
// Deserialize: the one-statement member read on PostgreSQL returns rows as JSON
// (`release_session.rs`).
#[derive(Queryable, Selectable, serde::Deserialize)]
#[diesel(table_name = cv)]
pub(crate) struct VersionRecord {
    #[diesel(embed)]
    #[serde(flatten)]
    row: VersionRow,
    yanked_at: Option<i64>,
    yank_reason: Option<String>,
}

impl TryFrom<VersionRecord> for ComponentVersion {
    type Error = StorageError;

    fn try_from(record: VersionRecord) -> Result<Self, StorageError> {
        let yank = record
            .yanked_at
            .map(|at| {
                Ok::<_, StorageError>(Yank {
                    at: from_micros(at)?,
                    reason: record.yank_reason,
                })
            })
            .transpose()?;
        let r = record.row;
        let platforms = platforms_from_json(&r.platforms)?;
        Ok(ComponentVersion {
            id: uuid(&r.id)?,
            component_id: uuid(&r.component_id)?,
            digest: parse::<Digest>("digest", &r.digest)?,
            semver: r
                .semver
                .as_deref()
                .map(|s| parse::<semver::Version>("semver", s))
                .transpose()?,
            channel: r
                .channel
                .as_deref()
                .map(|s| parse::<Channel>("channel", s))
                .transpose()?,
            source: VersionSource::parse(&r.source)
                .ok_or_else(|| StorageError::Corrupt(format!("source '{}'", r.source)))?,
            platforms,
            pushed_at: r.pushed_at.map(from_micros).transpose()?,
            provenance: provenance_from_json(r.provenance.as_deref())?,
            first_seen_at: from_micros(r.first_seen_at)?,
            updated_at: from_micros(r.updated_at)?,
            gone: r.gone,
            yank,
            tag: r.tag,
        })
    }
}

type DbBackend = <DbConnection as Connection>::Backend;

/// Which versions to list.
#[derive(Debug, Clone, Default)]
pub struct VersionFilter {
    /// Only this component's.
    pub component_id: Option<Uuid>,
    /// Only this channel.
    pub channel: Option<Channel>,
    /// Only versions from this source.
    pub source: Option<VersionSource>,
    /// Include tags that vanished from the registry.
    pub include_gone: bool,
    /// Leave yanked versions out.
    pub exclude_yanked: bool,
}

/// Where a page of versions ends: the last row's place in the list order, from which the next
/// page continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionKey {
    /// The row's `relman_domain::version_sort_key` (`'0'` without a semver).
    pub sort_key: String,
    /// The row's tag.
    pub tag: String,
    /// The row's id; decides between equal tags of different components.
    pub id: String,
}

impl VersionKey {
    /// The place of `v` in the list order.
    pub fn of(v: &ComponentVersion) -> Self {
        Self {
            sort_key: optional_sort_key(v.semver.as_ref()),
            tag: v.tag.clone(),
            id: v.id.to_string(),
        }
    }
}

/// One page of versions, and where the next one starts when there is one.
#[derive(Debug, Clone)]
pub struct VersionPage {
    /// The versions, in list order.
    pub items: Vec<ComponentVersion>,
    /// The last item's key when more versions follow it.
    pub next: Option<VersionKey>,
}

/// The filtered, ordered query: semver precedence descending (the sort key), then tag, then id.
/// Within one component tags are unique, so the id is left out of the order there: the
/// `(component_id, sort_key DESC, tag)` index then serves the order without a sort step.
pub(crate) fn ordered(
    filter: &VersionFilter,
    after: Option<VersionKey>,
) -> cv::BoxedQuery<'static, DbBackend> {
    let mut q = cv::table.into_boxed();
    if let Some(id) = filter.component_id {
        q = q.filter(cv::component_id.eq(id.to_string()));
    }
    if let Some(channel) = &filter.channel {
        q = q.filter(cv::channel.eq(channel.to_string()));
    }
    if let Some(source) = filter.source {
        q = q.filter(cv::source.eq(source.as_str()));
    }
    if !filter.include_gone {
        q = q.filter(cv::gone.eq(false));
    }
    if filter.exclude_yanked {
        q = q.filter(cv::yanked_at.is_null());
    }
    let by_id = filter.component_id.is_none();
    if let Some(k) = after {
        // `sort_key <= k` first: a plain range on the index, which the OR alone would not give.
        let later_tag = cv::tag.gt(k.tag.clone());
        q = if by_id {
            q.filter(
                cv::sort_key.le(k.sort_key.clone()).and(
                    cv::sort_key
                        .lt(k.sort_key)
                        .or(later_tag)
                        .or(cv::tag.eq(k.tag).and(cv::id.gt(k.id))),
                ),
            )
        } else {
            q.filter(
                cv::sort_key
                    .le(k.sort_key.clone())
                    .and(cv::sort_key.lt(k.sort_key).or(later_tag)),
            )
        };
    }
    q = q.order((cv::sort_key.desc(), cv::tag.asc()));
    if by_id {
        q = q.then_order_by(cv::id.asc());
    }
    q
}

impl Store {
    /// Every version matching the filter, newest semver first (non-semver tags last), ties by tag:
    /// the order of `relman_domain::compare_versions_desc`, given by SQL on the sort key.
    pub async fn list_versions(
        &self,
        filter: VersionFilter,
    ) -> Result<Vec<ComponentVersion>, StorageError> {
        self.run(move |conn| {
            ordered(&filter, None)
                .select(VersionRecord::as_select())
                .load(conn)?
                .into_iter()
                .map(ComponentVersion::try_from)
                .collect()
        })
        .await
    }

    /// At most `limit` versions matching the filter in [`Store::list_versions`]' order, starting
    /// after `after` (a keyset page: as fast deep in the list as at its start).
    pub async fn page_versions(
        &self,
        filter: VersionFilter,
        after: Option<VersionKey>,
        limit: i64,
    ) -> Result<VersionPage, StorageError> {
        self.run(move |conn| {
            // One row more than asked tells whether a next page exists.
            let rows = ordered(&filter, after)
                .limit(limit.saturating_add(1))
                .select(VersionRecord::as_select())
                .load(conn)?;
            let mut items = rows
                .into_iter()
                .map(ComponentVersion::try_from)
                .collect::<Result<Vec<_>, _>>()?;
            let more = items.len() as i64 > limit;
            items.truncate(usize::try_from(limit).unwrap_or(0));
            let next = if more {
                items.last().map(VersionKey::of)
            } else {
                None
            };
            Ok(VersionPage { items, next })
        })
        .await
    }

    /// Records a manual mapping for a tag: inserts it, or takes over the existing record for that
    /// tag (keeping its id and `first_seen_at`). Returns the stored version and whether it is new.
    ///
    /// Writers of one component's versions are serialized (the write transaction on SQLite, a
    /// per-component advisory lock on PostgreSQL), so the read below cannot race another insert of
    /// the same tag.
    pub async fn upsert_manual_version(
        &self,
        version: ComponentVersion,
        event: &AuditEvent,
    ) -> Result<(ComponentVersion, bool), StorageError> {
        self.write(event, move |conn| {
            lock_component(conn, version.component_id)?;
            let existing = cv::table
                .filter(cv::component_id.eq(version.component_id.to_string()))
                .filter(cv::tag.eq(&version.tag))
                .select((cv::id, cv::first_seen_at))
                .first::<(String, i64)>(conn)
                .optional()?;
            match existing {
                None => {
                    diesel::insert_into(cv::table)
                        .values(VersionRow::from(&version))
                        .execute(conn)?;
                    Ok((version, true))
                }
                Some((id, first_seen_at)) => {
                    let kept = ComponentVersion {
                        id: uuid(&id)?,
                        first_seen_at: from_micros(first_seen_at)?,
                        ..version
                    };
                    let written = diesel::update(cv::table.filter(cv::id.eq(&id)))
                        .set(VersionRow::from(&kept))
                        .execute(conn)?;
                    if written == 0 {
                        // The row went with its component, deleted since the read above: the
                        // write is refused as a write to a missing component is.
                        return Err(StorageError::ForeignKey);
                    }
                    // Read back: a yank of the tag is kept, and the answer shows it.
                    let stored = cv::table
                        .filter(cv::id.eq(&id))
                        .select(VersionRecord::as_select())
                        .first(conn)?;
                    Ok((ComponentVersion::try_from(stored)?, false))
                }
            }
        })
        .await
    }

    /// Yanks (`Some`) or un-yanks (`None`) a component's tag in one statement, with its audit
    /// event, and returns the version as stored. [`StorageError::NotFound`] when the component
    /// has no such tag. Yanking a yanked version replaces its reason and time. `notices` tells
    /// the event's subscribers about the version as written.
    pub async fn set_yank<N>(
        &self,
        component_id: Uuid,
        tag: String,
        yank: Option<Yank>,
        event: &AuditEvent,
        notices: N,
    ) -> Result<ComponentVersion, StorageError>
    where
        N: FnOnce(&ComponentVersion) -> Vec<relman_domain::Notice> + Send + 'static,
    {
        let mut event = event.clone();
        self.transact(move |conn| {
            let of_tag = || {
                cv::table
                    .filter(cv::component_id.eq(component_id.to_string()))
                    .filter(cv::tag.eq(tag.clone()))
            };
            let written = diesel::update(of_tag())
                .set((
                    cv::yanked_at.eq(yank.as_ref().map(|y| to_micros(y.at))),
                    cv::yank_reason.eq(yank.and_then(|y| y.reason)),
                ))
                .execute(conn)?;
            if written == 0 {
                return Err(StorageError::NotFound);
            }
            let version = ComponentVersion::try_from(
                of_tag().select(VersionRecord::as_select()).first(conn)?,
            )?;
            event.notices.extend(notices(&version));
            crate::audit::record(conn, &event)?;
            Ok(version)
        })
        .await
    }
}
