//! Choosing the exact version a release member pins.

use std::cmp::Ordering;

use crate::channel::Channel;
use crate::component::Component;
use crate::digest::Digest;
use crate::release::ReleaseMember;
use crate::version::{ComponentVersion, VersionSource};

/// How a release member names the version it wants; at most one per member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberSelector {
    /// The version whose semver has equal precedence (build metadata is ignored).
    Version(semver::Version),
    /// The version whose digest this is.
    Digest(Digest),
    /// The highest semver (by precedence) in this channel.
    Channel(Channel),
    /// The highest semver in the component's `default_channel`.
    Default,
}

/// Why a member selector did not resolve to a version, in words a client can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unresolvable {
    /// No version of the component has this semver.
    #[error(
        "component '{component}' has no version {version}; \
         sync its versions or map a tag to that version"
    )]
    NoSuchVersion {
        /// The component's name.
        component: String,
        /// The version asked for.
        version: semver::Version,
    },
    /// Versions with this semver exist, but all their tags are gone from the registry.
    #[error(
        "every tag of component '{component}' with version {version} is gone from the registry"
    )]
    VersionGone {
        /// The component's name.
        component: String,
        /// The version asked for.
        version: semver::Version,
    },
    /// The digest is not the digest of any version of the component.
    #[error("digest {digest} is not a known version of component '{component}'")]
    UnknownDigest {
        /// The component's name.
        component: String,
        /// The digest asked for.
        digest: Digest,
    },
    /// The digest belonged to a tag that is gone from the registry.
    #[error(
        "digest {digest} of component '{component}' was tag '{tag}', which is gone from the registry"
    )]
    DigestGone {
        /// The component's name.
        component: String,
        /// The digest asked for.
        digest: Digest,
        /// A tag that pointed at it.
        tag: String,
    },
    /// The digest is one platform's image inside a multi-arch index; releases pin the index.
    /// (The digest asked for is not repeated here; the client sent it.)
    #[error(
        "the digest given for component '{component}' is the {platform} image of tag '{tag}'; \
         pin the image index digest {index_digest} instead"
    )]
    PlatformDigest {
        /// The component's name.
        component: String,
        /// The tag whose index holds it.
        tag: String,
        /// The platform, as `os/architecture[/variant]`.
        platform: String,
        /// The index digest to pin instead.
        index_digest: Digest,
    },
    /// No present version with a semver is in the channel.
    #[error(
        "channel '{channel}'{} of component '{component}' has no versions to choose from \
         (a version needs a semantic version and a tag still in the registry)",
        default_note(*.default_channel)
    )]
    EmptyChannel {
        /// The component's name.
        component: String,
        /// The channel asked for.
        channel: Channel,
        /// The channel was the component's default because the member named none.
        default_channel: bool,
    },
}

/// Resolves a member selector against a component's versions and snapshots the chosen version.
///
/// - `Version`: semver precedence equality. Several tags may share it (`v1.2.3`, `1.2.3`,
///   `1.2.3+build.5`): a manual version map wins over a synced tag, then the smallest tag.
/// - `Digest`: a version whose digest this is. Several tags may share a digest (`v1.2.3`,
///   `latest`): a tag with a semver wins, then the highest precedence, then manual, then the
///   smallest tag.
/// - `Channel`: the highest semver precedence among the channel's versions, ties as for `Version`.
///   Versions without a semver are never chosen by channel.
/// - `Default`: `Channel` with the component's `default_channel`.
///
/// Versions marked `gone` are never chosen, yanked versions are chosen only when pinned (by
/// version or digest), never by a channel, and versions of other components are ignored. One
/// linear pass over `versions`, without allocation until the snapshot.
pub fn resolve_member(
    component: &Component,
    versions: &[ComponentVersion],
    selector: &MemberSelector,
) -> Result<ReleaseMember, Unresolvable> {
    let ours = || versions.iter().filter(|v| v.component_id == component.id);
    let live = || ours().filter(|v| !v.gone);
    let name = || component.name.as_str().to_owned();
    let chosen = match selector {
        MemberSelector::Version(want) => {
            let same = |v: &&ComponentVersion| {
                v.semver
                    .as_ref()
                    .is_some_and(|s| s.cmp_precedence(want) == Ordering::Equal)
            };
            best(live().filter(same)).ok_or_else(|| {
                if ours().any(|v| same(&v)) {
                    Unresolvable::VersionGone {
                        component: name(),
                        version: want.clone(),
                    }
                } else {
                    Unresolvable::NoSuchVersion {
                        component: name(),
                        version: want.clone(),
                    }
                }
            })?
        }
        MemberSelector::Digest(want) => best(live().filter(|v| v.digest == *want))
            .ok_or_else(|| digest_failure(component, versions, want))?,
        MemberSelector::Channel(want) => in_channel(component, versions, want, false)?,
        MemberSelector::Default => {
            in_channel(component, versions, &component.default_channel, true)?
        }
    };
    Ok(snapshot(component, chosen))
}

/// Orders versions best first for selection: a semver before none, higher precedence first, a
/// manual version map before a synced tag, then the smaller tag. Total for one component's
/// versions, whose tags are unique.
pub(crate) fn best_first(a: &ComponentVersion, b: &ComponentVersion) -> Ordering {
    let precedence = match (&a.semver, &b.semver) {
        (Some(x), Some(y)) => y.cmp_precedence(x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    let manual = |v: &ComponentVersion| v.source == VersionSource::Manual;
    precedence
        .then_with(|| manual(b).cmp(&manual(a)))
        .then_with(|| a.tag.cmp(&b.tag))
}

fn best<'a>(
    candidates: impl Iterator<Item = &'a ComponentVersion>,
) -> Option<&'a ComponentVersion> {
    candidates.min_by(|a, b| best_first(a, b))
}

fn in_channel<'a>(
    component: &Component,
    versions: &'a [ComponentVersion],
    channel: &Channel,
    default_channel: bool,
) -> Result<&'a ComponentVersion, Unresolvable> {
    let candidates = versions.iter().filter(|v| {
        v.component_id == component.id
            && !v.gone
            && !v.is_yanked()
            && v.semver.is_some()
            && v.channel.as_ref() == Some(channel)
    });
    best(candidates).ok_or_else(|| Unresolvable::EmptyChannel {
        component: component.name.as_str().to_owned(),
        channel: channel.clone(),
        default_channel,
    })
}

/// Explains a digest that matched no present version: a gone tag, a platform image, or unknown.
/// Only runs on failure, so the successful pass stays a plain comparison of digests.
fn digest_failure(
    component: &Component,
    versions: &[ComponentVersion],
    want: &Digest,
) -> Unresolvable {
    let component_name = component.name.as_str().to_owned();
    let ours = versions.iter().filter(|v| v.component_id == component.id);
    let mut gone = None;
    let mut platform = None;
    for v in ours {
        if v.digest == *want {
            gone.get_or_insert(v);
        } else if !v.gone
            && let Some(p) = v.platforms.iter().find(|p| p.digest == *want)
        {
            platform.get_or_insert((v, p));
        }
    }
    match (gone, platform) {
        (_, Some((v, p))) => Unresolvable::PlatformDigest {
            component: component_name,
            tag: v.tag.clone(),
            platform: match &p.variant {
                Some(variant) => format!("{}/{}/{variant}", p.os, p.architecture),
                None => format!("{}/{}", p.os, p.architecture),
            },
            index_digest: v.digest.clone(),
        },
        (Some(v), None) => Unresolvable::DigestGone {
            component: component_name,
            digest: want.clone(),
            tag: v.tag.clone(),
        },
        (None, None) => Unresolvable::UnknownDigest {
            component: component_name,
            digest: want.clone(),
        },
    }
}

fn snapshot(component: &Component, version: &ComponentVersion) -> ReleaseMember {
    ReleaseMember {
        component_id: component.id,
        component_name: component.name.as_str().to_owned(),
        image_repository: component.image_repository.clone(),
        tag: version.tag.clone(),
        version: version.semver.clone(),
        digest: version.digest.clone(),
        channel: version.channel.clone(),
        platforms: version.platforms.clone(),
        provenance: version.provenance.clone(),
    }
}

fn default_note(default_channel: bool) -> &'static str {
    if default_channel {
        " (the component's default channel)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{component, digest_of, version};
    use crate::version::Platform;

    fn versions() -> Vec<ComponentVersion> {
        let mut v100 = version("api", "v1.0.0", Some("stable"));
        v100.platforms = vec![Platform {
            os: "linux".into(),
            architecture: "arm64".into(),
            variant: Some("v8".into()),
            digest: digest_of("v1.0.0 linux/arm64"),
        }];
        let mut manual = version("api", "1.0.0", Some("stable"));
        manual.source = VersionSource::Manual;
        let mut gone_stable = version("api", "v1.1.0", Some("stable"));
        gone_stable.gone = true;
        let mut gone_beta = version("api", "v2.0.0-beta.1", Some("beta"));
        gone_beta.gone = true;
        let mut latest = version("api", "latest", None);
        latest.digest = digest_of("v1.0.1+a");
        vec![
            latest,
            version("api", "v1.0.1+b", Some("stable")),
            v100,
            gone_stable,
            version("api", "v2.0.0-rc.9", Some("rc")),
            manual,
            version("api", "v1.0.1+a", Some("stable")),
            version("api", "v2.0.0-rc.10", Some("rc")),
            gone_beta,
            version("api", "edge", Some("beta")),
            version("api", "nightly-2026", Some("nightly")),
            // Another component's version: never considered for `api`.
            version("web", "v9.9.9", Some("stable")),
        ]
    }

    fn sel_version(v: &str) -> MemberSelector {
        MemberSelector::Version(v.parse().unwrap())
    }

    fn sel_channel(c: &str) -> MemberSelector {
        MemberSelector::Channel(c.parse().unwrap())
    }

    #[test]
    fn resolution_table() {
        let api = component("api", "stable");
        let vs = versions();
        let name = || "api".to_owned();
        let empty = |channel: &str, default_channel| Unresolvable::EmptyChannel {
            component: name(),
            channel: channel.parse().unwrap(),
            default_channel,
        };
        let cases: Vec<(MemberSelector, Result<&str, Unresolvable>)> = vec![
            // Manual beats a synced tag of equal precedence.
            (sel_version("1.0.0"), Ok("1.0.0")),
            // Build metadata does not decide; the smaller tag breaks the tie.
            (sel_version("1.0.1"), Ok("v1.0.1+a")),
            (sel_version("1.0.1+zzz"), Ok("v1.0.1+a")),
            (sel_version("2.0.0-rc.10"), Ok("v2.0.0-rc.10")),
            (
                sel_version("1.1.0"),
                Err(Unresolvable::VersionGone {
                    component: name(),
                    version: "1.1.0".parse().unwrap(),
                }),
            ),
            (
                sel_version("9.9.9"),
                Err(Unresolvable::NoSuchVersion {
                    component: name(),
                    version: "9.9.9".parse().unwrap(),
                }),
            ),
            (MemberSelector::Digest(digest_of("v1.0.0")), Ok("v1.0.0")),
            // `latest` shares the digest; the tag with a semver is the better snapshot.
            (
                MemberSelector::Digest(digest_of("v1.0.1+a")),
                Ok("v1.0.1+a"),
            ),
            (
                MemberSelector::Digest(digest_of("v1.1.0")),
                Err(Unresolvable::DigestGone {
                    component: name(),
                    digest: digest_of("v1.1.0"),
                    tag: "v1.1.0".into(),
                }),
            ),
            (
                MemberSelector::Digest(digest_of("v1.0.0 linux/arm64")),
                Err(Unresolvable::PlatformDigest {
                    component: name(),
                    tag: "v1.0.0".into(),
                    platform: "linux/arm64/v8".into(),
                    index_digest: digest_of("v1.0.0"),
                }),
            ),
            (
                MemberSelector::Digest(digest_of("v9.9.9")),
                Err(Unresolvable::UnknownDigest {
                    component: name(),
                    digest: digest_of("v9.9.9"),
                }),
            ),
            // v1.1.0 is higher but gone; web's v9.9.9 belongs to another component.
            (sel_channel("stable"), Ok("v1.0.1+a")),
            // rc.10 > rc.9: numeric identifiers compare numerically.
            (sel_channel("rc"), Ok("v2.0.0-rc.10")),
            // beta holds a gone version and a tag without a semver: nothing to choose.
            (sel_channel("beta"), Err(empty("beta", false))),
            (sel_channel("nightly"), Err(empty("nightly", false))),
            (sel_channel("lts"), Err(empty("lts", false))),
            (MemberSelector::Default, Ok("v1.0.1+a")),
        ];
        for (selector, want) in cases {
            let got = resolve_member(&api, &vs, &selector);
            let got = got.as_ref().map(|m| m.tag.as_str()).map_err(Clone::clone);
            assert_eq!(got, want, "selector {selector:?}");
        }
        let rc_default = component("api", "rc");
        let got = resolve_member(&rc_default, &vs, &MemberSelector::Default).unwrap();
        assert_eq!(got.tag, "v2.0.0-rc.10");
        let beta_default = component("api", "beta");
        let got = resolve_member(&beta_default, &vs, &MemberSelector::Default);
        assert_eq!(got, Err(empty("beta", true)));
    }

    #[test]
    fn member_is_a_snapshot_of_component_and_version() {
        let api = component("api", "stable");
        let vs = versions();
        let m = resolve_member(&api, &vs, &sel_version("1.0.0+x")).unwrap();
        assert_eq!(m.component_id, api.id);
        assert_eq!(m.component_name, "api");
        assert_eq!(m.image_repository, "myorg/api");
        assert_eq!(m.tag, "1.0.0");
        assert_eq!(m.version, Some("1.0.0".parse().unwrap()));
        assert_eq!(m.digest, digest_of("1.0.0"));
        assert_eq!(m.channel.as_ref().map(Channel::as_str), Some("stable"));
        let m = resolve_member(&api, &vs, &MemberSelector::Digest(digest_of("v1.0.0"))).unwrap();
        assert_eq!(m.platforms.len(), 1);
    }

    #[test]
    fn messages_say_what_to_do() {
        let api = component("api", "beta");
        let vs = versions();
        let cases = [
            (
                sel_version("3.0.0"),
                "component 'api' has no version 3.0.0; sync",
            ),
            (sel_version("1.1.0"), "gone from the registry"),
            (
                MemberSelector::Digest(digest_of("nope")),
                "is not a known version of component 'api'",
            ),
            (
                MemberSelector::Digest(digest_of("v1.0.0 linux/arm64")),
                "pin the image index digest sha256:",
            ),
            (
                sel_channel("lts"),
                "channel 'lts' of component 'api' has no versions",
            ),
            (
                MemberSelector::Default,
                "channel 'beta' (the component's default channel) of component 'api'",
            ),
        ];
        for (selector, words) in cases {
            let text = resolve_member(&api, &vs, &selector)
                .unwrap_err()
                .to_string();
            assert!(text.contains(words), "{selector:?}: {text}");
        }
    }
}
