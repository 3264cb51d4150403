//! What clients send about releases, and its validation into domain values.
//!
//! Validation collects every field error before anything touches the database, so a client sees
//! all its mistakes at once, each named by its path (`components[1].digest`).

use std::collections::BTreeMap;

use relman_domain::{
    Channel, Digest, MemberSelector, ReleaseName, SourceRef, ValidationError, parse_semver,
};
use uuid::Uuid;

use crate::input::{Errors, text};

/// One member as a client names it: a component and at most one selector.
#[derive(Debug, Clone, Default)]
pub struct MemberInput {
    /// Component UUID or name.
    pub component_id: String,
    /// Semantic version (a leading `v` allowed).
    pub version: Option<String>,
    /// Image digest of a known version.
    pub digest: Option<String>,
    /// Channel whose highest semver to take.
    pub channel: Option<String>,
}

/// Where the release was cut from; every field optional and informative.
#[derive(Debug, Clone, Default)]
pub struct SourceRefInput {
    /// The SCM integration.
    pub scm_integration_id: Option<Uuid>,
    /// Repository path.
    pub repository: Option<String>,
    /// Branch.
    pub branch: Option<String>,
    /// Commit.
    pub commit_sha: Option<String>,
}

/// What a client sends to create a release.
#[derive(Debug, Clone, Default)]
pub struct ReleaseInput {
    /// Unique name.
    pub name: String,
    /// Human-readable name; defaults to the name.
    pub display_name: Option<String>,
    /// The members, in the order the client wants them shown.
    pub components: Vec<MemberInput>,
    /// Where the release was cut from.
    pub source_ref: Option<SourceRefInput>,
    /// Free-form string pairs.
    pub metadata: Option<BTreeMap<String, String>>,
    /// Release notes (Markdown).
    pub notes: Option<String>,
    /// Whether it is a prerelease; defaults to false.
    pub prerelease: Option<bool>,
    /// The bundle's own semantic version.
    pub version: Option<String>,
}

/// Where `from-latest` starts from instead of nothing.
#[derive(Debug, Clone, Default)]
pub struct PinFromInput {
    /// The environment whose deployed release provides the starting members.
    pub environment_id: String,
}

/// What a client sends to create a release from the latest versions.
#[derive(Debug, Clone, Default)]
pub struct FromLatestInput {
    /// Unique name.
    pub name: String,
    /// Human-readable name; defaults to the name.
    pub display_name: Option<String>,
    /// The channel to take the latest of; each component's default channel when absent.
    pub channel: Option<String>,
    /// The components (UUIDs or names); every component when absent.
    pub component_ids: Option<Vec<String>>,
    /// Start from the release deployed in an environment.
    pub pin_from: Option<PinFromInput>,
    /// Where the release was cut from.
    pub source_ref: Option<SourceRefInput>,
    /// Free-form string pairs.
    pub metadata: Option<BTreeMap<String, String>>,
    /// Release notes (Markdown).
    pub notes: Option<String>,
    /// Whether it is a prerelease; defaults to false.
    pub prerelease: Option<bool>,
    /// The bundle's own semantic version.
    pub version: Option<String>,
}

/// A partial update. `None` keeps the current value; `Some(None)` clears a nullable field.
#[derive(Debug, Clone, Default)]
pub struct ReleasePatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New metadata, replacing all pairs.
    pub metadata: Option<BTreeMap<String, String>>,
    /// New or cleared notes.
    pub notes: Option<Option<String>>,
    /// New status, along the status machine.
    pub status: Option<String>,
    /// New members (draft only).
    pub components: Option<Vec<MemberInput>>,
    /// New or cleared bundle version (draft only).
    pub version: Option<Option<String>>,
    /// New prerelease flag (draft only).
    pub prerelease: Option<bool>,
    /// New or cleared source reference (draft only).
    pub source_ref: Option<Option<SourceRefInput>>,
}

/// Filters and paging for the release list.
#[derive(Debug, Clone, Default)]
pub struct ReleaseQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only releases with a member of this component (UUID or name).
    pub component_id: Option<String>,
    /// Only prereleases (`true`) or only other releases (`false`).
    pub prerelease: Option<bool>,
    /// 1-based page number; defaults to 1.
    pub page: Option<i64>,
    /// Releases per page, 1-100; defaults to 20.
    pub page_size: Option<i64>,
    /// Start after this cursor (from a previous page's `Link`) instead of at `page`.
    pub cursor: Option<String>,
}

pub(crate) const MAX_DISPLAY_NAME: usize = 200;
const MAX_NOTES: usize = 100_000;
const MAX_METADATA_ENTRIES: usize = 64;
const MAX_METADATA_KEY: usize = 128;
const MAX_METADATA_VALUE: usize = 2048;
const MAX_SOURCE_FIELD: usize = 256;
pub(crate) const MAX_REASON: usize = 2000;

/// Paths that sit beside `/releases/{id}`; a release with one of these names could not be
/// reached by name.
const RESERVED_NAMES: [&str; 2] = ["latest", "from-latest"];

/// A member whose input passed validation: its path, its component key and its selector.
#[derive(Debug, Clone)]
pub(crate) struct MemberSpec {
    /// The member's path in the request, e.g. `components[1]`.
    pub(crate) field: String,
    /// The component's UUID or name as given.
    pub(crate) key: String,
    /// How to choose its version.
    pub(crate) selector: MemberSelector,
}

/// The release fields other than members, validated.
#[derive(Debug, Clone, Default)]
pub(crate) struct Header {
    pub(crate) display_name: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) notes: Option<String>,
    pub(crate) prerelease: bool,
    pub(crate) version: Option<semver::Version>,
    pub(crate) source_ref: Option<SourceRef>,
}

pub(crate) fn release_name(errors: &mut Errors, name: &str) -> Option<ReleaseName> {
    let parsed = errors.parse::<ReleaseName>("name", name)?;
    if Uuid::parse_str(name).is_ok() {
        // Paths accept a name or an id, so a name must never read as an id.
        errors.push("name", "must not be a UUID");
        return None;
    }
    if RESERVED_NAMES.contains(&name) {
        errors.push("name", format!("'{name}' is reserved by the API"));
        return None;
    }
    Some(parsed)
}

pub(crate) fn display_name(errors: &mut Errors, value: Option<&str>) -> Option<String> {
    value.and_then(|d| text(errors, "displayName", d, MAX_DISPLAY_NAME))
}

pub(crate) fn notes(errors: &mut Errors, value: Option<&str>) -> Option<String> {
    let notes = value?;
    if let Err(e) = relman_domain::check_text(notes, relman_domain::TextKind::Multiline) {
        errors.push("notes", e.to_string());
        return None;
    }
    if notes.chars().count() > MAX_NOTES {
        errors.push("notes", format!("must be at most {MAX_NOTES} characters"));
        return None;
    }
    Some(notes.to_owned())
}

pub(crate) fn bundle_version(errors: &mut Errors, value: Option<&str>) -> Option<semver::Version> {
    let v = value?;
    match parse_semver(v) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push("version", format!("not a semantic version: {e}"));
            None
        }
    }
}

/// Metadata is a flat string map: keys 1-128 printable characters, values up to 2048.
pub(crate) fn metadata(
    errors: &mut Errors,
    value: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let Some(map) = value else {
        return BTreeMap::new();
    };
    if map.len() > MAX_METADATA_ENTRIES {
        errors.push(
            "metadata",
            format!("must have at most {MAX_METADATA_ENTRIES} entries"),
        );
    }
    for (key, value) in map {
        let field = format!("metadata.{key}");
        let key_len = key.chars().count();
        if key_len == 0 || key_len > MAX_METADATA_KEY || key.chars().any(char::is_control) {
            errors.push(
                &field,
                format!("keys must be 1-{MAX_METADATA_KEY} characters without control characters"),
            );
        }
        if value.chars().count() > MAX_METADATA_VALUE {
            errors.push(
                &field,
                format!("must be at most {MAX_METADATA_VALUE} characters"),
            );
        }
    }
    map.clone()
}

pub(crate) fn source_ref(errors: &mut Errors, value: Option<&SourceRefInput>) -> Option<SourceRef> {
    let s = value?;
    let mut field = |name: &str, v: &Option<String>| {
        v.as_deref()
            .and_then(|v| text(errors, &format!("sourceRef.{name}"), v, MAX_SOURCE_FIELD))
    };
    Some(SourceRef {
        scm_integration_id: s.scm_integration_id,
        repository: field("repository", &s.repository),
        branch: field("branch", &s.branch),
        commit_sha: field("commitSha", &s.commit_sha),
    })
}

/// Validates the fields every create shares.
pub(crate) fn header(
    errors: &mut Errors,
    display: Option<&str>,
    meta: Option<&BTreeMap<String, String>>,
    release_notes: Option<&str>,
    prerelease: Option<bool>,
    version: Option<&str>,
    source: Option<&SourceRefInput>,
) -> Header {
    Header {
        display_name: display_name(errors, display),
        metadata: metadata(errors, meta),
        notes: notes(errors, release_notes),
        prerelease: prerelease.unwrap_or(false),
        version: bundle_version(errors, version),
        source_ref: source_ref(errors, source),
    }
}

/// Validates members: a component key and at most one well-formed selector each.
pub(crate) fn members(
    errors: &mut Errors,
    prefix: &str,
    inputs: &[MemberInput],
) -> Vec<MemberSpec> {
    let mut specs = Vec::with_capacity(inputs.len());
    for (i, m) in inputs.iter().enumerate() {
        let field = format!("{prefix}[{i}]");
        if m.component_id.trim().is_empty() {
            errors.push(&format!("{field}.componentId"), "must not be empty");
        }
        let given = [&m.version, &m.digest, &m.channel]
            .iter()
            .filter(|s| s.is_some())
            .count();
        if given > 1 {
            errors.push(&field, "give at most one of version, digest and channel");
            continue;
        }
        let selector = if let Some(v) = &m.version {
            parse_semver(v).map(MemberSelector::Version).map_err(|e| {
                ValidationError::field("version", format!("not a semantic version: {e}"))
            })
        } else if let Some(d) = &m.digest {
            d.parse::<Digest>()
                .map(MemberSelector::Digest)
                .map_err(|e| ValidationError::field("digest", e.to_string()))
        } else if let Some(c) = &m.channel {
            c.parse::<Channel>().map(MemberSelector::Channel)
        } else {
            Ok(MemberSelector::Default)
        };
        if let Some(selector) = errors.take_nested(&field, selector) {
            specs.push(MemberSpec {
                field,
                key: m.component_id.clone(),
                selector,
            });
        }
    }
    specs
}
