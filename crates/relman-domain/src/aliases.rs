//! Floating tags: `vX.Y.Z`, `vX.Y`, `vX` and `latest`, computed from the stable channel.

use crate::digest::Digest;
use crate::selector::best_first;
use crate::version::ComponentVersion;

/// The versions that float, each with its semver, best first (highest precedence, then a manual
/// map, then the smaller tag). Shared by aliases and update feeds so that both always agree.
pub(crate) fn floating(
    versions: &[ComponentVersion],
) -> Vec<(&semver::Version, &ComponentVersion)> {
    let mut floating: Vec<(&semver::Version, &ComponentVersion)> = versions
        .iter()
        .filter(|v| v.floats())
        .filter_map(|v| v.semver.as_ref().map(|s| (s, v)))
        .collect();
    floating.sort_by(|(_, a), (_, b)| best_first(a, b));
    floating
}

/// A floating tag and the version it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The floating tag: `latest`, `v2`, `v2.1` or `v2.1.3`.
    pub alias: String,
    /// The tag it floats to.
    pub tag: String,
    /// That tag's digest, which is what a registry alias is pushed as.
    pub digest: Digest,
}

/// Computes a component's floating tags from its versions.
///
/// Only versions in the `stable` channel with a semver, no prerelease, a tag still in the
/// registry (not `gone`) and not yanked float ([`ComponentVersion::floats`]): a prerelease never moves `v2` or `latest`, even when a channel
/// rule put it in `stable`. Each alias points at the highest precedence among the versions it
/// covers (`v2.1` at the highest `2.1.*`, `latest` at the highest of all); ties of equal
/// precedence (`v2.1.3`, `2.1.3+build.7`) resolve as release member selection does: a manual
/// version map first, then the smallest tag. Build metadata never appears in an alias.
///
/// The result is in tree order, newest first: `latest`, `v2`, `v2.1`, `v2.1.3`, `v2.1.2`,
/// `v2.0`, `v2.0.0`, `v1`, … Pass one component's versions.
pub fn compute_aliases(versions: &[ComponentVersion]) -> Vec<Alias> {
    let floating = floating(versions);

    let mut out = Vec::new();
    let mut previous: Option<&semver::Version> = None;
    for (s, v) in floating {
        let alias = |name: String| Alias {
            alias: name,
            tag: v.tag.clone(),
            digest: v.digest.clone(),
        };
        let same_major = previous.is_some_and(|p| p.major == s.major);
        let same_minor = same_major && previous.is_some_and(|p| p.minor == s.minor);
        let same_patch = same_minor && previous.is_some_and(|p| p.patch == s.patch);
        if previous.is_none() {
            out.push(alias("latest".to_owned()));
        }
        if !same_major {
            out.push(alias(format!("v{}", s.major)));
        }
        if !same_minor {
            out.push(alias(format!("v{}.{}", s.major, s.minor)));
        }
        if !same_patch {
            out.push(alias(format!("v{}.{}.{}", s.major, s.minor, s.patch)));
        }
        previous = Some(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::version;
    use crate::version::VersionSource;

    fn render(aliases: &[Alias]) -> Vec<String> {
        aliases
            .iter()
            .map(|a| format!("{}={}", a.alias, a.tag))
            .collect()
    }

    fn stable(tag: &str) -> ComponentVersion {
        version("api", tag, Some("stable"))
    }

    #[test]
    fn aliases_table() {
        let mut gone = stable("v2.0.1");
        gone.gone = true;
        let mut manual = stable("2.0.0");
        manual.source = VersionSource::Manual;
        let mut yanked = stable("v4.0.0");
        yanked.yank = Some(crate::version::Yank {
            at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            reason: Some("broken".into()),
        });
        let cases: Vec<(&str, Vec<ComponentVersion>, Vec<&str>)> = vec![
            ("no versions", vec![], vec![]),
            (
                "one version",
                vec![stable("1.2.3")],
                vec!["latest=1.2.3", "v1=1.2.3", "v1.2=1.2.3", "v1.2.3=1.2.3"],
            ),
            (
                "tree order, highest of each prefix",
                vec![
                    stable("v1.0.0"),
                    stable("v1.1.0"),
                    stable("v1.0.1+build2"),
                    stable("v1.0.1"),
                    gone,
                    yanked,
                    stable("v2.0.0"),
                    manual,
                    version("api", "v2.1.0-rc.1", Some("rc")),
                    version("api", "v9.0.0", Some("beta")),
                    stable("v3.0.0-hotfix.1"),
                    version("api", "latest", None),
                    stable("release-candidate"),
                ],
                vec![
                    "latest=2.0.0",
                    "v2=2.0.0",
                    "v2.0=2.0.0",
                    "v2.0.0=2.0.0",
                    "v1=v1.1.0",
                    "v1.1=v1.1.0",
                    "v1.1.0=v1.1.0",
                    "v1.0=v1.0.1",
                    "v1.0.1=v1.0.1",
                    "v1.0.0=v1.0.0",
                ],
            ),
            (
                "numeric, not string, order",
                vec![stable("v1.9.0"), stable("v1.10.0"), stable("v1.10.2")],
                vec![
                    "latest=v1.10.2",
                    "v1=v1.10.2",
                    "v1.10=v1.10.2",
                    "v1.10.2=v1.10.2",
                    "v1.10.0=v1.10.0",
                    "v1.9=v1.9.0",
                    "v1.9.0=v1.9.0",
                ],
            ),
            (
                "only prereleases",
                vec![
                    stable("v1.0.0-rc.1"),
                    version("api", "v1.0.0-beta.1", Some("beta")),
                ],
                vec![],
            ),
        ];
        for (what, versions, want) in cases {
            assert_eq!(render(&compute_aliases(&versions)), want, "{what}");
        }
    }

    #[test]
    fn aliases_carry_the_tags_digest() {
        let versions = [stable("v1.0.0"), stable("v1.0.1")];
        for alias in compute_aliases(&versions) {
            let v = versions.iter().find(|v| v.tag == alias.tag).unwrap();
            assert_eq!(alias.digest, v.digest, "{}", alias.alias);
        }
    }
}
