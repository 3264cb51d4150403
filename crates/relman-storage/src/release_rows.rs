//! Release and release-member rows, and their conversions to and from the domain.

use std::collections::BTreeMap;

use diesel::prelude::*;
use relman_domain::{
    Channel, Digest, Release, ReleaseMember, ReleaseName, ReleaseStatus, SourceRef,
};
use relman_domain::{ReleaseSummary, optional_sort_key};

use crate::codec::{
    from_micros, json, parse, platforms_from_json, platforms_to_json, provenance_from_json,
    provenance_to_json, to_json, to_micros, uuid,
};
use crate::error::StorageError;
use crate::schema::{release_members, releases};

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = releases)]
#[diesel(treat_none_as_null = true)]
pub(crate) struct ReleaseRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) display_name: String,
    pub(crate) status: String,
    pub(crate) digest: String,
    pub(crate) version: Option<String>,
    pub(crate) notes: Option<String>,
    pub(crate) prerelease: bool,
    pub(crate) metadata: String,
    pub(crate) source_ref: Option<String>,
    pub(crate) component_count: i32,
    pub(crate) created_at: i64,
    pub(crate) created_by: String,
    pub(crate) updated_at: i64,
    pub(crate) deprecated_reason: Option<String>,
    /// `relman_domain::version_sort_key` of `version`, `'0'` without one (GET /releases/latest).
    pub(crate) version_sort_key: String,
}

/// The columns the release list shows: no notes, metadata or members, so a page stays small.
#[derive(Queryable, Selectable)]
#[diesel(table_name = releases)]
pub(crate) struct SummaryRow {
    id: String,
    name: String,
    display_name: String,
    status: String,
    digest: String,
    version: Option<String>,
    prerelease: bool,
    component_count: i32,
    created_at: i64,
    created_by: String,
    updated_at: i64,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = release_members)]
pub(crate) struct MemberRow {
    pub(crate) release_id: String,
    pub(crate) component_id: String,
    pub(crate) position: i32,
    pub(crate) component_name: String,
    pub(crate) image_repository: String,
    pub(crate) tag: String,
    pub(crate) version: Option<String>,
    pub(crate) digest: String,
    pub(crate) channel: Option<String>,
    pub(crate) platforms: String,
    /// The release's `created_at`, copied so the `componentId` filter walks one index in list
    /// order (see docs/DATABASE.md).
    pub(crate) release_created_at: i64,
    pub(crate) provenance: Option<String>,
}

/// `sourceRef` as stored in its JSON column; absent fields are left out.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredSourceRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scm_integration_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    commit_sha: Option<String>,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl From<&Release> for ReleaseRow {
    fn from(r: &Release) -> Self {
        let source_ref = r.source_ref.as_ref().map(|s| {
            to_json(&StoredSourceRef {
                scm_integration_id: s.scm_integration_id.map(|u| u.to_string()),
                repository: s.repository.clone(),
                branch: s.branch.clone(),
                commit_sha: s.commit_sha.clone(),
            })
        });
        Self {
            id: r.id.to_string(),
            name: r.name.to_string(),
            display_name: r.display_name.clone(),
            status: r.status.as_str().to_owned(),
            digest: r.digest.to_string(),
            version: r.version.as_ref().map(ToString::to_string),
            notes: r.notes.clone(),
            prerelease: r.prerelease,
            metadata: to_json(&r.metadata),
            source_ref,
            component_count: count(r.members.len()),
            created_at: to_micros(r.created_at),
            created_by: r.created_by.clone(),
            updated_at: to_micros(r.updated_at),
            deprecated_reason: r.deprecated_reason.clone(),
            version_sort_key: optional_sort_key(r.version.as_ref()),
        }
    }
}

fn status(s: &str) -> Result<ReleaseStatus, StorageError> {
    ReleaseStatus::parse(s).ok_or_else(|| StorageError::Corrupt(format!("release status '{s}'")))
}

fn semver_opt(s: Option<&str>) -> Result<Option<semver::Version>, StorageError> {
    s.map(|s| parse::<semver::Version>("semver", s)).transpose()
}

impl ReleaseRow {
    /// The release, with the given members (read separately, in position order).
    pub(crate) fn into_release(self, members: Vec<ReleaseMember>) -> Result<Release, StorageError> {
        let metadata: BTreeMap<String, String> = json("metadata", &self.metadata)?;
        let source_ref = match self.source_ref.as_deref() {
            None => None,
            Some(text) => {
                let s: StoredSourceRef = json("source_ref", text)?;
                Some(SourceRef {
                    scm_integration_id: s.scm_integration_id.as_deref().map(uuid).transpose()?,
                    repository: s.repository,
                    branch: s.branch,
                    commit_sha: s.commit_sha,
                })
            }
        };
        Ok(Release {
            id: uuid(&self.id)?,
            name: parse::<ReleaseName>("release name", &self.name)?,
            display_name: self.display_name,
            status: status(&self.status)?,
            members,
            digest: parse::<Digest>("digest", &self.digest)?,
            version: semver_opt(self.version.as_deref())?,
            notes: self.notes,
            prerelease: self.prerelease,
            metadata,
            source_ref,
            created_at: from_micros(self.created_at)?,
            created_by: self.created_by,
            updated_at: from_micros(self.updated_at)?,
            deprecated_reason: self.deprecated_reason,
        })
    }
}

impl TryFrom<SummaryRow> for ReleaseSummary {
    type Error = StorageError;

    fn try_from(r: SummaryRow) -> Result<Self, StorageError> {
        Ok(Self {
            id: uuid(&r.id)?,
            name: parse::<ReleaseName>("release name", &r.name)?,
            display_name: r.display_name,
            status: status(&r.status)?,
            digest: parse::<Digest>("digest", &r.digest)?,
            version: semver_opt(r.version.as_deref())?,
            prerelease: r.prerelease,
            component_count: u32::try_from(r.component_count).unwrap_or(0),
            created_at: from_micros(r.created_at)?,
            created_by: r.created_by,
            updated_at: from_micros(r.updated_at)?,
        })
    }
}

impl MemberRow {
    /// The rows of a release's members; `position` keeps the order the client gave.
    pub(crate) fn of(release: &Release) -> Vec<Self> {
        let release_id = release.id.to_string();
        let release_created_at = to_micros(release.created_at);
        release
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| Self {
                release_id: release_id.clone(),
                component_id: m.component_id.to_string(),
                position: count(i),
                component_name: m.component_name.clone(),
                image_repository: m.image_repository.clone(),
                tag: m.tag.clone(),
                version: m.version.as_ref().map(ToString::to_string),
                digest: m.digest.to_string(),
                channel: m.channel.as_ref().map(ToString::to_string),
                platforms: platforms_to_json(&m.platforms),
                release_created_at,
                provenance: provenance_to_json(&m.provenance),
            })
            .collect()
    }

    /// The member's position in its release.
    pub(crate) fn position(&self) -> i32 {
        self.position
    }
}

impl TryFrom<MemberRow> for ReleaseMember {
    type Error = StorageError;

    fn try_from(r: MemberRow) -> Result<Self, StorageError> {
        let platforms = platforms_from_json(&r.platforms)?;
        Ok(ReleaseMember {
            component_id: uuid(&r.component_id)?,
            component_name: r.component_name,
            image_repository: r.image_repository,
            tag: r.tag,
            version: semver_opt(r.version.as_deref())?,
            digest: parse::<Digest>("digest", &r.digest)?,
            channel: r
                .channel
                .as_deref()
                .map(|c| parse::<Channel>("channel", c))
                .transpose()?,
            platforms,
            provenance: provenance_from_json(r.provenance.as_deref())?,
        })
    }
}
