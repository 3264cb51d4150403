//! Version-map use cases: manual tag → semver/channel/digest assignments, and version listings.

use relman_domain::{
    Actor, AuditEvent, Channel, ComponentVersion, Digest, Provenance, VersionSource,
    classify_channel, parse_semver,
};
use relman_storage::{StorageError, VersionFilter};
use uuid::Uuid;

use crate::Service;
use crate::error::{Resource, ServiceError};
use crate::input::Errors;
use crate::version_pages::{VersionList, VersionPageRequest};

/// What a client sends to create a version map.
#[derive(Debug, Clone, Default)]
pub struct VersionMapInput {
    /// Component UUID or name.
    pub component_id: String,
    /// The tag being mapped.
    pub tag: String,
    /// Semantic version to assign; parsed from the tag when absent.
    pub semver: Option<String>,
    /// Channel to assign; classified by the component's rules when absent.
    pub channel: Option<String>,
    /// The digest the tag points at.
    pub digest: Option<String>,
}

/// Filters for a component's versions.
#[derive(Debug, Clone, Default)]
pub struct VersionsQuery {
    /// Only this channel.
    pub channel: Option<String>,
    /// At most this many, newest first ([`DEFAULT_VERSIONS_LIMIT`](crate::DEFAULT_VERSIONS_LIMIT) when absent).
    pub limit: Option<u32>,
    /// Continue after the page that handed out this cursor.
    pub cursor: Option<String>,
    /// Also list the versions whose tags vanished from the registry.
    pub include_gone: bool,
}

/// Filters for the version-map listing.
#[derive(Debug, Clone, Default)]
pub struct VersionMapQuery {
    /// Only this component (UUID or name).
    pub component_id: Option<String>,
    /// Only this channel.
    pub channel: Option<String>,
    /// Only this source (`sync` or `manual`).
    pub source: Option<String>,
    /// At most this many ([`DEFAULT_VERSIONS_LIMIT`](crate::DEFAULT_VERSIONS_LIMIT) when absent).
    pub limit: Option<u32>,
    /// Continue after the page that handed out this cursor.
    pub cursor: Option<String>,
}

/// Checks a tag against the OCI distribution spec: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    (1..=128).contains(&b.len())
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn channel_filter(errors: &mut Errors, channel: Option<&str>) -> Option<Channel> {
    channel.and_then(|c| errors.parse::<Channel>("channel", c))
}

impl Service {
    /// Creates or replaces the manual mapping for a tag. Returns the version and whether it is new.
    pub async fn create_version_map(
        &self,
        actor: &Actor,
        input: VersionMapInput,
    ) -> Result<(ComponentVersion, bool), ServiceError> {
        let component = self.component(&input.component_id).await?;
        let mut errors = Errors::default();
        if !valid_tag(&input.tag) {
            errors.push(
                "tag",
                "must be an OCI tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -",
            );
        }
        let semver = match &input.semver {
            Some(s) => match parse_semver(s) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.push("semver", format!("not a semantic version: {e}"));
                    None
                }
            },
            None => relman_domain::parse_tag_semver(&input.tag),
        };
        let channel = match &input.channel {
            Some(c) => errors.parse::<Channel>("channel", c),
            None => classify_channel(&input.tag, semver.as_ref(), &component.channel_rules),
        };
        let digest = match &input.digest {
            Some(d) => match d.parse::<Digest>() {
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push("digest", e.to_string());
                    None
                }
            },
            None if component.registry_integration_id.is_none() => {
                errors.push(
                    "digest",
                    "is required: the component has no registry integration to resolve the tag",
                );
                None
            }
            None => None,
        };
        errors.finish()?;
        let (digest, platforms, pushed_at, provenance) = match digest {
            Some(d) => (d, vec![], None, Provenance::default()),
            None => match self.resolve_tag(&component, &input.tag).await? {
                Some(m) => (m.digest, m.platforms, m.created, m.provenance),
                None => {
                    return Err(ServiceError::TagNotInRegistry {
                        component: component.name.to_string(),
                        tag: input.tag,
                    });
                }
            },
        };
        let now = crate::now();
        let version = ComponentVersion {
            provenance,
            id: Uuid::now_v7(),
            component_id: component.id,
            tag: input.tag,
            digest,
            semver,
            channel,
            source: VersionSource::Manual,
            platforms,
            pushed_at,
            first_seen_at: now,
            updated_at: now,
            gone: false,
            yank: None,
        };
        let summary = format!(
            "mapped {}:{} to {}{}{}",
            component.name,
            version.tag,
            version.digest,
            version
                .semver
                .as_ref()
                .map(|s| format!(", semver {s}"))
                .unwrap_or_default(),
            version
                .channel
                .as_ref()
                .map(|c| format!(", channel {c}"))
                .unwrap_or_default(),
        );
        // A version map is known by its component and tag: a replace keeps the record.
        let resource = format!("{}:{}", component.id, version.tag);
        let event = AuditEvent::new(actor, now, "version_map", "set", resource, summary);
        let name = component.name.to_string();
        let written = self.store.upsert_manual_version(version, &event).await;
        self.forget_version_reads();
        written.map_err(|e| match e {
            // The component was deleted between the lookup and the write.
            StorageError::ForeignKey => ServiceError::NotFound {
                resource: Resource::Component,
                key: name,
            },
            other => other.into(),
        })
    }

    /// One page of a component's versions (synced and manual), newest semver first.
    pub async fn list_component_versions(
        &self,
        key: &str,
        query: VersionsQuery,
    ) -> Result<VersionList, ServiceError> {
        // Pages are held briefly and forgotten on every version write (crate::read_cache).
        let cache_key = (
            key.to_owned(),
            query.channel.clone(),
            query.limit,
            query.cursor.clone(),
            query.include_gone,
        );
        if let Some(hit) = self.version_lists.get(&cache_key) {
            return Ok(hit);
        }
        let seen = self.version_lists.generation();
        let component = self.component(key).await?;
        let mut errors = Errors::default();
        let channel = channel_filter(&mut errors, query.channel.as_deref());
        let page = VersionPageRequest::parse(&mut errors, 'v', query.limit, query.cursor);
        errors.finish()?;
        let filter = VersionFilter {
            component_id: Some(component.id),
            channel,
            include_gone: query.include_gone,
            ..Default::default()
        };
        let list = page.load(&self.store, filter).await?;
        self.version_lists.insert(cache_key, list.clone(), seen);
        Ok(list)
    }

    /// One page of version maps across components, filtered, newest semver first.
    pub async fn list_version_maps(
        &self,
        query: VersionMapQuery,
    ) -> Result<VersionList, ServiceError> {
        let mut errors = Errors::default();
        let channel = channel_filter(&mut errors, query.channel.as_deref());
        let source = query.source.as_deref().and_then(|s| {
            let parsed = VersionSource::parse(s);
            if parsed.is_none() {
                errors.push("source", "must be 'sync' or 'manual'");
            }
            parsed
        });
        let page = VersionPageRequest::parse(&mut errors, 'm', query.limit, query.cursor);
        errors.finish()?;
        let component_id = match &query.component_id {
            Some(key) => Some(self.component(key).await?.id),
            None => None,
        };
        let filter = VersionFilter {
            component_id,
            channel,
            source,
            ..Default::default()
        };
        page.load(&self.store, filter).await
    }
}

#[cfg(test)]
mod tests {
    use super::valid_tag;

    #[test]
    fn tag_table() {
        let long = "a".repeat(128);
        let too_long = "a".repeat(129);
        for (tag, ok) in [
            ("v1.2.3", true),
            ("latest", true),
            ("_x", true),
            (long.as_str(), true),
            ("", false),
            (".v1", false),
            ("-v1", false),
            ("v1/2", false),
            ("v1:2", false),
            (too_long.as_str(), false),
        ] {
            assert_eq!(valid_tag(tag), ok, "{tag:?}");
        }
    }
}
