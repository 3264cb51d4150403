//! Component version rows ("version maps") and queries.

use diesel::prelude::*;
use relman_domain::{
    AuditEvent, Channel, ComponentVersion, Digest, VersionSource, compare_versions_desc,
};
use uuid::Uuid;

use crate::codec::{from_micros, parse, platforms_from_json, platforms_to_json, to_micros, uuid};
use crate::error::StorageError;
use crate::schema::component_versions as cv;
use crate::store::Store;
use crate::sync::lock_component;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
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
        }
    }
}

impl TryFrom<VersionRow> for ComponentVersion {
    type Error = StorageError;

    fn try_from(r: VersionRow) -> Result<Self, StorageError> {
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
            first_seen_at: from_micros(r.first_seen_at)?,
            updated_at: from_micros(r.updated_at)?,
            gone: r.gone,
            tag: r.tag,
        })
    }
}

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
}

impl Store {
    /// Versions matching the filter, newest semver first (non-semver tags last, by tag).
    ///
    /// Ordering happens here rather than in SQL because semver precedence (numeric prerelease
    /// identifiers) cannot be expressed as a portable ORDER BY.
    pub async fn list_versions(
        &self,
        filter: VersionFilter,
    ) -> Result<Vec<ComponentVersion>, StorageError> {
        let mut versions = self
            .run(move |conn| {
                let mut q = cv::table.select(VersionRow::as_select()).into_boxed();
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
                q.load(conn)?
                    .into_iter()
                    .map(ComponentVersion::try_from)
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        versions.sort_by(compare_versions_desc);
        Ok(versions)
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
                    diesel::update(cv::table.filter(cv::id.eq(&id)))
                        .set(VersionRow::from(&kept))
                        .execute(conn)?;
                    Ok((kept, false))
                }
            }
        })
        .await
    }
}
