//! Which release is "the latest".

use crate::release::{Release, ReleaseStatus};

/// The latest release: the highest `version` by semver precedence among releases that are not
/// drafts, not prereleases, not deprecated and have a version.
///
/// Semver decides, not time: a backport (`2.4.9` created after `3.1.0`) never becomes the latest.
/// Releases of equal precedence (`3.1.0` and `3.1.0+rebuild`) are told apart by the later
/// `created_at`, then the larger id, so the answer never depends on input order.
pub fn latest_release<'a>(releases: impl IntoIterator<Item = &'a Release>) -> Option<&'a Release> {
    releases
        .into_iter()
        .filter(|r| {
            !r.prerelease && !matches!(r.status, ReleaseStatus::Draft | ReleaseStatus::Deprecated)
        })
        .filter_map(|r| r.version.as_ref().map(|v| (v, r)))
        .max_by(|(va, a), (vb, b)| {
            va.cmp_precedence(vb)
                .then_with(|| a.created_at.cmp(&b.created_at))
                .then_with(|| a.id.cmp(&b.id))
        })
        .map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{DateTime, TimeDelta, Utc};

    use super::*;
    use crate::canonical::content_digest;
    use crate::fixtures::id_of;

    /// A release created `minute` minutes after the epoch.
    fn release(name: &str, version: Option<&str>, status: ReleaseStatus, minute: i64) -> Release {
        let at = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::minutes(minute);
        Release {
            id: id_of(name),
            name: name.parse().unwrap(),
            display_name: name.to_owned(),
            status,
            members: vec![],
            digest: content_digest(&[]),
            version: version.map(|v| v.parse().unwrap()),
            notes: None,
            prerelease: false,
            metadata: BTreeMap::new(),
            source_ref: None,
            created_at: at,
            created_by: "tester".into(),
            updated_at: at,
            deprecated_reason: None,
        }
    }

    #[test]
    fn latest_table() {
        use ReleaseStatus::{Deployed, Deprecated, Draft, Promoting, Ready};
        let mut pre = release("r-4.0.0-rc.1", Some("4.0.0-rc.1"), Ready, 9);
        pre.prerelease = true;
        let mut flagged = release("r-5.0.0", Some("5.0.0"), Deployed, 10);
        flagged.prerelease = true;
        let cases: Vec<(&str, Vec<Release>, Option<&str>)> = vec![
            ("nothing", vec![], None),
            (
                "backport created later never wins",
                vec![
                    release("r-3.1.0", Some("3.1.0"), Deployed, 1),
                    release("r-2.4.9", Some("2.4.9"), Deployed, 2),
                ],
                Some("r-3.1.0"),
            ),
            (
                "semver precedence, not string order",
                vec![
                    release("r-10.0.0", Some("10.0.0"), Ready, 1),
                    release("r-9.0.0", Some("9.0.0"), Ready, 2),
                ],
                Some("r-10.0.0"),
            ),
            (
                "drafts, deprecated, prereleases and versionless releases are skipped",
                vec![
                    release("r-1.0.0", Some("1.0.0"), Promoting, 1),
                    release("r-6.0.0", Some("6.0.0"), Draft, 2),
                    release("r-7.0.0", Some("7.0.0"), Deprecated, 3),
                    release("nightly", None, Deployed, 4),
                    pre,
                    flagged,
                ],
                Some("r-1.0.0"),
            ),
            (
                "only ineligible releases",
                vec![
                    release("r-6.0.0", Some("6.0.0"), Draft, 2),
                    release("nightly", None, Deployed, 4),
                ],
                None,
            ),
            (
                "equal precedence: created later wins",
                vec![
                    release("r-3.1.0-b", Some("3.1.0+rebuild"), Ready, 5),
                    release("r-3.1.0", Some("3.1.0"), Deployed, 1),
                ],
                Some("r-3.1.0-b"),
            ),
        ];
        for (what, releases, want) in cases {
            let got = latest_release(&releases).map(|r| r.name.as_str());
            assert_eq!(got, want, "{what}");
            let reversed: Vec<&Release> = releases.iter().rev().collect();
            let got = latest_release(reversed).map(|r| r.name.as_str());
            assert_eq!(got, want, "{what} (reversed input)");
        }
    }
}
