//! Member resolution: the components a release's members name and the versions their selectors
//! can choose from, read on one connection (`relman_storage::ReleaseSession`), then chosen by the
//! domain.
//!
//! The domain's `resolve_member` decides, with its rules and messages unchanged; it is only
//! handed the rows that can matter instead of every version of the component: the rows of equal
//! precedence for a `version`, the rows of the digest for a `digest`, and the present rows of the
//! channel's highest precedence for a `channel` (ties included, so a manual map still wins).

use std::collections::HashMap;

use relman_domain::{
    ComponentName, MemberSelector, ReleaseMember, resolve_member, version_sort_key,
};
use relman_storage::{Candidates, ComponentKey, MemberQuery, ReleaseSession};
use uuid::Uuid;

use crate::error::{Resource, ServiceError, UnresolvedMember};
use crate::input::Key;
use crate::release_input::MemberSpec;

/// Which versions can answer `selector`.
fn candidates(selector: &MemberSelector) -> Candidates {
    match selector {
        MemberSelector::Version(v) => Candidates::SortKey(version_sort_key(v)),
        MemberSelector::Digest(d) => Candidates::Digest(d.to_string()),
        MemberSelector::Channel(c) => Candidates::TopOfChannel(c.to_string()),
        MemberSelector::Default => Candidates::TopOfDefaultChannel,
    }
}

/// Resolves validated member specs on one session: reads each member's component and candidate
/// versions (one statement on PostgreSQL), refuses a missing component, a component named twice
/// and two members of one image, and lets the domain choose each version. Every member that
/// cannot be resolved is reported, not only the first. A digest that matched no present version
/// is explained from all the component's versions (it may be one platform of an index, which
/// only the index's row knows); that read happens on failure only.
pub(crate) fn resolve_members_on(
    session: &mut ReleaseSession<'_>,
    specs: &[MemberSpec],
) -> Result<Vec<ReleaseMember>, ServiceError> {
    // A key that is no valid name cannot exist; it is not sent to the database (PostgreSQL
    // refuses text with NUL bytes outright).
    let mut asked = Vec::with_capacity(specs.len());
    let mut queries = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let key = match Key::parse(&spec.key) {
            Key::Id(id) => ComponentKey::Id(id),
            Key::Name(name) if name.parse::<ComponentName>().is_ok() => {
                ComponentKey::Name(name.to_owned())
            }
            Key::Name(_) => continue,
        };
        asked.push(i);
        queries.push(MemberQuery {
            key,
            candidates: candidates(&spec.selector),
        });
    }
    let mut read: Vec<Option<_>> = (0..specs.len()).map(|_| None).collect();
    for (i, found) in asked.into_iter().zip(session.members(&queries)?) {
        read[i] = found;
    }
    let mut chosen = Vec::with_capacity(specs.len());
    let mut first_field: HashMap<Uuid, &str> = HashMap::new();
    let mut first_image: HashMap<(Option<Uuid>, String), &str> = HashMap::new();
    for (spec, found) in specs.iter().zip(read) {
        let Some((component, versions)) = found else {
            return Err(ServiceError::NotFound {
                resource: Resource::Component,
                key: spec.key.clone(),
            });
        };
        if let Some(first) = first_field.insert(component.id, &spec.field) {
            return Err(ServiceError::DuplicateComponent {
                field: spec.field.clone(),
                component: component.name.to_string(),
                first: first.to_owned(),
            });
        }
        // Seed 002: one digest per image path, even under two component names.
        let image = (
            component.registry_integration_id,
            component.image_repository.clone(),
        );
        if let Some(first) = first_image.insert(image, &spec.field) {
            return Err(ServiceError::MemberCollision {
                field: spec.field.clone(),
                image: component.image_repository.clone(),
                first: first.to_owned(),
            });
        }
        chosen.push((spec, component, versions));
    }
    let mut members = Vec::with_capacity(chosen.len());
    let mut failures = Vec::new();
    for (spec, component, versions) in chosen {
        let mut resolved = resolve_member(&component, &versions, &spec.selector);
        if resolved.is_err() && matches!(spec.selector, MemberSelector::Digest(_)) {
            let all = session.all_versions(component.id)?;
            resolved = resolve_member(&component, &all, &spec.selector);
        }
        match resolved {
            Ok(member) => members.push(member),
            Err(reason) => failures.push(UnresolvedMember {
                field: spec.field.clone(),
                component: component.name.to_string(),
                reason,
            }),
        }
    }
    if failures.is_empty() {
        Ok(members)
    } else {
        Err(ServiceError::Unresolvable { members: failures })
    }
}
