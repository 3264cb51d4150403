//! The notices a change attaches to its audit event, serialized from relman-wire's payload
//! types so that a webhook's `data` has exactly the documented shape.

use relman_domain::{
    Component, ComponentVersion, Deployment, Digest, Environment, EventType, Notice, Release,
};
use relman_wire::webhook_events::{
    AliasEventData, ComponentRef, DeploymentEventData, ReleaseEventData, ReleaseRef,
    SyncFailedEventData, VersionEventData,
};
use serde::Serialize;

fn notice(event_type: EventType, subject: impl Into<String>, data: &impl Serialize) -> Notice {
    Notice {
        event_type,
        subject: subject.into(),
        // Serializing plain structs of strings cannot fail; an empty object is the fallback.
        data: serde_json::to_string(data).unwrap_or_else(|_| "{}".into()),
    }
}

/// `release.created`, `release.ready`, `release.deprecated` or `release.deleted` for `r` as it
/// is after the change.
pub(crate) fn release(event_type: EventType, r: &Release) -> Notice {
    let data = ReleaseEventData {
        release: ReleaseRef::from(r),
        reason: match event_type {
            EventType::ReleaseDeprecated => r.deprecated_reason.clone(),
            _ => None,
        },
    };
    notice(event_type, r.id.to_string(), &data)
}

/// The `deployment.*` notice matching `d`'s status.
pub(crate) fn deployment(d: &Deployment, environment: &Environment, release: &Release) -> Notice {
    use relman_domain::DeploymentStatus as S;
    let event_type = match d.status {
        S::InProgress => EventType::DeploymentStarted,
        S::Succeeded => EventType::DeploymentSucceeded,
        S::Failed => EventType::DeploymentFailed,
    };
    let data = DeploymentEventData::of(d, environment, release);
    notice(event_type, d.id.to_string(), &data)
}

/// `version.added`: a sync or a push event found tag `v.tag`. The subject is the tag, so that
/// storage can drop the notice when a manual map took the tag meanwhile.
pub(crate) fn version_added(c: &Component, v: &ComponentVersion) -> Notice {
    notice(
        EventType::VersionAdded,
        v.tag.clone(),
        &VersionEventData::of(c, v),
    )
}

/// `version.retagged`: `tag` moved from `old` to `new`.
pub(crate) fn version_retagged(c: &Component, tag: &str, old: &Digest, new: &Digest) -> Notice {
    notice(
        EventType::VersionRetagged,
        tag.to_owned(),
        &VersionEventData::retag(c, tag, old, new),
    )
}

/// `version.yanked`.
pub(crate) fn version_yanked(c: &Component, v: &ComponentVersion, reason: Option<&str>) -> Notice {
    let data = VersionEventData {
        reason: reason.map(str::to_owned),
        ..VersionEventData::of(c, v)
    };
    notice(EventType::VersionYanked, v.tag.clone(), &data)
}

/// `alias.moved`: `alias` now points at `digest`.
pub(crate) fn alias_moved(
    c: &Component,
    alias: &str,
    digest: &Digest,
    previous: Option<&Digest>,
) -> Notice {
    let data = AliasEventData {
        component: ComponentRef::from(c),
        alias: alias.to_owned(),
        digest: digest.to_string(),
        previous_digest: previous.map(ToString::to_string),
    };
    notice(EventType::AliasMoved, alias.to_owned(), &data)
}

/// `sync.failed`.
pub(crate) fn sync_failed(c: &Component, error: &str) -> Notice {
    let data = SyncFailedEventData {
        component: ComponentRef::from(c),
        error: error.to_owned(),
    };
    notice(EventType::SyncFailed, c.id.to_string(), &data)
}
