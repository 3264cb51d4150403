//! Comparing two releases member by member.

use std::collections::HashMap;

use uuid::Uuid;

use crate::digest::Digest;
use crate::release::ReleaseMember;

/// A component present in only one of the two releases (the seed's `{componentId, componentName}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentRef {
    /// The component's id.
    pub component_id: Uuid,
    /// The component's name as the release snapshotted it.
    pub component_name: String,
}

/// A component present in both releases at different digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberChange {
    /// The component's id.
    pub component_id: Uuid,
    /// The component's name, as the `to` release snapshotted it.
    pub component: String,
    /// The version pinned by the `from` release, if it had one.
    pub from_version: Option<semver::Version>,
    /// The version pinned by the `to` release, if it had one.
    pub to_version: Option<semver::Version>,
    /// The digest pinned by the `from` release.
    pub from_digest: Digest,
    /// The digest pinned by the `to` release.
    pub to_digest: Digest,
}

/// What changed from one release to another. Every list is sorted by component name, then id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Components only in `to`.
    pub added: Vec<ComponentRef>,
    /// Components only in `from`.
    pub removed: Vec<ComponentRef>,
    /// Components in both, pinned at different digests.
    pub changed: Vec<MemberChange>,
    /// How many components are in both at the same digest.
    pub unchanged: usize,
}

/// Compares the members of two releases, matched by component id (so a renamed component is
/// "changed" or "unchanged", never removed and added). The digest decides whether a member
/// changed: a re-tag to the same digest is unchanged, a re-push under the same tag is changed.
/// Linear in the number of members; each release has at most one member per component.
pub fn compare(from: &[ReleaseMember], to: &[ReleaseMember]) -> Comparison {
    let before: HashMap<Uuid, &ReleaseMember> = from.iter().map(|m| (m.component_id, m)).collect();
    let after: HashMap<Uuid, &ReleaseMember> = to.iter().map(|m| (m.component_id, m)).collect();
    let mut out = Comparison::default();
    for new in to {
        match before.get(&new.component_id) {
            None => out.added.push(component_ref(new)),
            Some(old) if old.digest == new.digest => out.unchanged += 1,
            Some(old) => out.changed.push(MemberChange {
                component_id: new.component_id,
                component: new.component_name.clone(),
                from_version: old.version.clone(),
                to_version: new.version.clone(),
                from_digest: old.digest.clone(),
                to_digest: new.digest.clone(),
            }),
        }
    }
    out.removed = from
        .iter()
        .filter(|old| !after.contains_key(&old.component_id))
        .map(component_ref)
        .collect();
    let by_name = |a: &ComponentRef, b: &ComponentRef| {
        (&a.component_name, a.component_id).cmp(&(&b.component_name, b.component_id))
    };
    out.added.sort_by(by_name);
    out.removed.sort_by(by_name);
    out.changed
        .sort_by(|a, b| (&a.component, a.component_id).cmp(&(&b.component, b.component_id)));
    out
}

fn component_ref(member: &ReleaseMember) -> ComponentRef {
    ComponentRef {
        component_id: member.component_id,
        component_name: member.component_name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{digest_of, id_of, member};

    /// A compact rendering of a comparison, so the table reads like the API answer.
    fn render(c: &Comparison) -> String {
        let names = |refs: &[ComponentRef]| {
            refs.iter()
                .map(|r| r.component_name.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        let version =
            |v: &Option<semver::Version>| v.as_ref().map_or("-".into(), |v| v.to_string());
        let changed: Vec<String> = c
            .changed
            .iter()
            .map(|ch| {
                format!(
                    "{}:{}->{}",
                    ch.component,
                    version(&ch.from_version),
                    version(&ch.to_version)
                )
            })
            .collect();
        format!(
            "added[{}] removed[{}] changed[{}] unchanged={}",
            names(&c.added),
            names(&c.removed),
            changed.join(","),
            c.unchanged
        )
    }

    #[test]
    fn comparison_table() {
        let m = member;
        let cases: Vec<(&str, Vec<ReleaseMember>, Vec<ReleaseMember>, &str)> = vec![
            (
                "both empty",
                vec![],
                vec![],
                "added[] removed[] changed[] unchanged=0",
            ),
            (
                "identical",
                vec![m("api", "1.0.0"), m("web", "2.0.0")],
                vec![m("web", "2.0.0"), m("api", "1.0.0")],
                "added[] removed[] changed[] unchanged=2",
            ),
            (
                "from empty",
                vec![],
                vec![m("web", "2.0.0"), m("api", "1.0.0")],
                "added[api,web] removed[] changed[] unchanged=0",
            ),
            (
                "to empty",
                vec![m("web", "2.0.0"), m("api", "1.0.0")],
                vec![],
                "added[] removed[api,web] changed[] unchanged=0",
            ),
            (
                "the seed's example",
                vec![
                    m("legacy-service", "0.9.0"),
                    m("api", "2.3.0"),
                    m("db", "15.0.0"),
                ],
                vec![m("worker", "1.0.0"), m("db", "15.0.0"), m("api", "2.3.1")],
                "added[worker] removed[legacy-service] changed[api:2.3.0->2.3.1] unchanged=1",
            ),
            (
                "changes sorted by name; versionless tags",
                vec![m("zeta", "1.0.0"), m("alpha", "latest"), m("mid", "3.0.0")],
                vec![m("mid", "2.0.0"), m("alpha", "main"), m("zeta", "1.0.1")],
                "added[] removed[] changed[alpha:-->-,mid:3.0.0->2.0.0,zeta:1.0.0->1.0.1] unchanged=0",
            ),
        ];
        for (what, from, to, want) in cases {
            assert_eq!(render(&compare(&from, &to)), want, "{what}");
        }
    }

    #[test]
    fn matched_by_id_and_decided_by_digest() {
        // Renamed component, same digest: unchanged, not removed and added.
        let old = member("api", "1.0.0");
        let mut renamed = old.clone();
        renamed.component_name = "gateway".into();
        let c = compare(std::slice::from_ref(&old), &[renamed]);
        assert_eq!(render(&c), "added[] removed[] changed[] unchanged=1");

        // Same tag and version re-pushed: the digest differs, so it changed.
        let mut repushed = old.clone();
        repushed.digest = digest_of("rebuilt");
        let c = compare(std::slice::from_ref(&old), &[repushed]);
        assert_eq!(c.changed.len(), 1);
        let change = &c.changed[0];
        assert_eq!(change.component_id, id_of("api"));
        assert_eq!(change.from_version, change.to_version);
        assert_eq!(change.from_digest, digest_of("1.0.0"));
        assert_eq!(change.to_digest, digest_of("rebuilt"));

        // Same name, different component id: one removed, one added.
        let mut other = old.clone();
        other.component_id = id_of("another");
        let c = compare(&[old], &[other]);
        assert_eq!(render(&c), "added[api] removed[api] changed[] unchanged=0");
        assert_eq!(c.added[0].component_id, id_of("another"));
    }
}
