//! Update-discovery feeds (seed 004): a component's `latest` version, the minors of each major
//! and the patches of each minor, computed from the versions that float.

use std::collections::BTreeMap;

use crate::aliases::floating;
use crate::digest::Digest;
use crate::version::ComponentVersion;

/// What `latest/{component}.json` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLatest {
    /// The version in the component's tag style: `v2.3.0`, or `2.3.0` when its tags carry no `v`.
    pub version: String,
    /// The tag it was read from (which may carry build metadata).
    pub tag: String,
    /// That tag's digest.
    pub digest: Digest,
}

/// One list file: `major/v2/…` (its minors) or `minor/v2.3/…` (its patches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedList {
    /// The folder name: `v2` or `v2.3` (without the `v` when the component's tags carry none).
    pub name: String,
    /// The versions, ascending by semver: `["v2.0", "v2.1"]` or `["v2.3.0", "v2.3.1"]`.
    pub versions: Vec<String>,
}

/// Every feed file of one component.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Feed {
    /// The highest floating version, if any version floats.
    pub latest: Option<FeedLatest>,
    /// One list per major, ascending.
    pub majors: Vec<FeedList>,
    /// One list per minor, ascending by (major, minor).
    pub minors: Vec<FeedList>,
}

impl Feed {
    /// The list of a major, given as `v2` or `2`.
    pub fn major(&self, name: &str) -> Option<&FeedList> {
        find(&self.majors, name)
    }

    /// The list of a minor, given as `v2.3` or `2.3`.
    pub fn minor(&self, name: &str) -> Option<&FeedList> {
        find(&self.minors, name)
    }
}

fn find<'a>(lists: &'a [FeedList], name: &str) -> Option<&'a FeedList> {
    fn bare(s: &str) -> &str {
        s.strip_prefix('v').unwrap_or(s)
    }
    lists.iter().find(|l| bare(&l.name) == bare(name))
}

/// Computes a component's feed from its versions.
///
/// The versions are those that float ([`ComponentVersion::floats`]: stable, present, not
/// yanked, no prerelease), so a yanked latest falls back to the next highest at once and a minor
/// whose only version was yanked leaves its major's list. Versions of equal precedence
/// (`v2.3.0`, `2.3.0+build.7`) are listed once; build metadata never appears. The `v` prefix
/// follows the tag of the highest version, for every entry, so that one component's files never
/// mix styles. Pass one component's versions.
pub fn compute_feed(versions: &[ComponentVersion]) -> Feed {
    let floating = floating(versions);
    let Some((top, top_version)) = floating.first() else {
        return Feed::default();
    };
    let v = if top_version.tag.starts_with('v') {
        "v"
    } else {
        ""
    };
    let mut tree: BTreeMap<u64, BTreeMap<u64, std::collections::BTreeSet<u64>>> = BTreeMap::new();
    for (s, _) in &floating {
        tree.entry(s.major)
            .or_default()
            .entry(s.minor)
            .or_default()
            .insert(s.patch);
    }
    let mut feed = Feed {
        latest: Some(FeedLatest {
            version: format!("{v}{}.{}.{}", top.major, top.minor, top.patch),
            tag: top_version.tag.clone(),
            digest: top_version.digest.clone(),
        }),
        majors: Vec::with_capacity(tree.len()),
        minors: Vec::new(),
    };
    for (major, minors) in &tree {
        feed.majors.push(FeedList {
            name: format!("{v}{major}"),
            versions: minors.keys().map(|m| format!("{v}{major}.{m}")).collect(),
        });
        for (minor, patches) in minors {
            feed.minors.push(FeedList {
                name: format!("{v}{major}.{minor}"),
                versions: patches
                    .iter()
                    .map(|p| format!("{v}{major}.{minor}.{p}"))
                    .collect(),
            });
        }
    }
    feed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::version;
    use crate::version::Yank;

    fn stable(tag: &str) -> ComponentVersion {
        version("api", tag, Some("stable"))
    }

    fn yanked(tag: &str) -> ComponentVersion {
        let mut v = stable(tag);
        v.yank = Some(Yank {
            at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            reason: None,
        });
        v
    }

    fn lists(lists: &[FeedList]) -> Vec<String> {
        lists
            .iter()
            .map(|l| format!("{}={}", l.name, l.versions.join(",")))
            .collect()
    }

    #[test]
    fn seed_shapes_in_semver_order() {
        let feed = compute_feed(&[
            stable("v1.9.3"),
            stable("v2.2.0"),
            stable("v2.3.0"),
            stable("v2.10.0"),
            version("api", "v2.3.1-rc.1", Some("stable")),
            version("api", "v9.0.0-beta.1", Some("beta")),
            stable("latest"),
        ]);
        let latest = feed.latest.as_ref().unwrap();
        assert_eq!(latest.version, "v2.10.0");
        assert_eq!(latest.tag, "v2.10.0");
        assert_eq!(lists(&feed.majors), ["v1=v1.9", "v2=v2.2,v2.3,v2.10"]);
        assert_eq!(
            lists(&feed.minors),
            ["v1.9=v1.9.3", "v2.2=v2.2.0", "v2.3=v2.3.0", "v2.10=v2.10.0"]
        );
        assert_eq!(feed.major("2").unwrap().name, "v2");
        assert_eq!(feed.minor("v2.3").unwrap().versions, ["v2.3.0"]);
        assert!(feed.minor("v2.4").is_none());
    }

    #[test]
    fn yanked_and_gone_never_listed() {
        let mut gone = stable("v2.4.0");
        gone.gone = true;
        let feed = compute_feed(&[
            stable("v2.2.0"),
            stable("v2.3.0"),
            yanked("v2.3.1"),
            yanked("v2.5.0"),
            gone,
        ]);
        assert_eq!(feed.latest.unwrap().version, "v2.3.0");
        assert_eq!(lists(&feed.majors), ["v2=v2.2,v2.3"]);
        assert_eq!(lists(&feed.minors), ["v2.2=v2.2.0", "v2.3=v2.3.0"]);
    }

    #[test]
    fn tag_style_and_equal_precedence() {
        let feed = compute_feed(&[stable("2.3.0"), stable("2.3.0+build.7"), stable("1.0.0")]);
        assert_eq!(feed.latest.as_ref().unwrap().version, "2.3.0");
        assert_eq!(lists(&feed.minors), ["1.0=1.0.0", "2.3=2.3.0"]);
        assert_eq!(feed.major("v2").unwrap().versions, ["2.3"]);
        assert_eq!(compute_feed(&[]), Feed::default());
    }
}
