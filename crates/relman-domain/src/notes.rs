//! Release notes written from what relman knows: which image each component moved from and to,
//! and, from the images' provenance labels, which source revisions they were built from.
//!
//! The text is a pure function of the two releases' snapshots, so the same pair always gives
//! the same notes.

use std::fmt::Write as _;

use crate::compare::compare;
use crate::release::ReleaseMember;

/// One side of the notes: a release's name and its member snapshots.
#[derive(Debug, Clone, Copy)]
pub struct NotesRelease<'a> {
    /// The release's name.
    pub name: &'a str,
    /// Its members, as snapshotted when it was created.
    pub members: &'a [ReleaseMember],
}

/// Markdown notes for `current`, compared with `previous` (a first release lists its members).
/// Sections: changed (from→to version and digest, and a link to the source revision range where
/// both images name one), added, removed, and how many components are unchanged.
pub fn generate_notes(current: NotesRelease<'_>, previous: Option<NotesRelease<'_>>) -> String {
    let mut out = String::new();
    let Some(previous) = previous else {
        let _ = writeln!(out, "## Components\n");
        let _ = writeln!(
            out,
            "First release: there is no earlier release to compare with.\n"
        );
        let mut members: Vec<&ReleaseMember> = current.members.iter().collect();
        members.sort_by(|a, b| {
            (&a.component_name, a.component_id).cmp(&(&b.component_name, b.component_id))
        });
        for m in members {
            let _ = writeln!(out, "- {}", one_image(m));
            if let Some(line) = source_line(m) {
                let _ = writeln!(out, "  - {line}");
            }
        }
        return out;
    };
    let diff = compare(previous.members, current.members);
    let by_id =
        |members: &'_ [ReleaseMember], id| members.iter().find(|m| m.component_id == id).cloned();
    let _ = writeln!(out, "## Changes since {}\n", code(previous.name));
    if diff.changed.is_empty() && diff.added.is_empty() && diff.removed.is_empty() {
        let _ = writeln!(out, "No component changed.\n");
    }
    if !diff.changed.is_empty() {
        let _ = writeln!(out, "### Changed\n");
        for change in &diff.changed {
            let (Some(old), Some(new)) = (
                by_id(previous.members, change.component_id),
                by_id(current.members, change.component_id),
            ) else {
                continue;
            };
            let _ = writeln!(
                out,
                "- **{}** {} → {} ({} → {})",
                escape(&new.component_name),
                shown_version(&old),
                shown_version(&new),
                code(&old.digest.to_string()),
                code(&new.digest.to_string()),
            );
            let _ = writeln!(out, "  - {}", revision_range(&old, &new));
        }
        out.push('\n');
    }
    for (title, refs, members) in [
        ("Added", &diff.added, current.members),
        ("Removed", &diff.removed, previous.members),
    ] {
        if refs.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title}\n");
        for r in refs {
            if let Some(m) = by_id(members, r.component_id) {
                let _ = writeln!(out, "- {}", one_image(&m));
                if let Some(line) = source_line(&m) {
                    let _ = writeln!(out, "  - {line}");
                }
            }
        }
        out.push('\n');
    }
    let unchanged = diff.unchanged;
    let noun = if unchanged == 1 {
        "component"
    } else {
        "components"
    };
    let _ = writeln!(out, "Unchanged: {unchanged} {noun}.");
    out
}

fn one_image(m: &ReleaseMember) -> String {
    format!(
        "**{}** {} ({})",
        escape(&m.component_name),
        shown_version(m),
        code(&m.digest.to_string())
    )
}

/// The version, or the tag for a member without one.
fn shown_version(m: &ReleaseMember) -> String {
    match &m.version {
        Some(v) => escape(&v.to_string()),
        None => code(&m.tag),
    }
}

fn source_line(m: &ReleaseMember) -> Option<String> {
    let source = m.provenance.source.as_deref()?;
    Some(match &m.provenance.revision {
        Some(rev) => format!("Source: {} at {}", shown_source(source), code(rev)),
        None => format!("Source: {}", shown_source(source)),
    })
}

/// The line under a changed component: a compare link when the forge is known, both
/// revisions otherwise, or what is missing.
fn revision_range(old: &ReleaseMember, new: &ReleaseMember) -> String {
    let (old_p, new_p) = (&old.provenance, &new.provenance);
    let (Some(old_src), Some(new_src)) = (old_p.source.as_deref(), new_p.source.as_deref()) else {
        return "Source: not labelled on both images".to_owned();
    };
    let (Some(from), Some(to)) = (old_p.revision.as_deref(), new_p.revision.as_deref()) else {
        return format!(
            "Source: {} (revision not labelled on both images)",
            shown_source(new_src)
        );
    };
    let new_repo = SourceRepo::parse(new_src);
    let same_repo = match (SourceRepo::parse(old_src), &new_repo) {
        (Some(a), Some(b)) => a.base == b.base,
        _ => old_src.trim() == new_src.trim(),
    };
    if !same_repo {
        return format!(
            "Source moved: {} at {} → {} at {}",
            shown_source(old_src),
            code(from),
            shown_source(new_src),
            code(to)
        );
    }
    if from == to {
        return format!(
            "Source: {} at {} (same revision, image rebuilt)",
            shown_source(new_src),
            code(to)
        );
    }
    match new_repo.and_then(|r| r.compare_url(from, to)) {
        Some(url) => format!("Source: [{}...{}]({url})", short(from), short(to)),
        None => format!(
            "Source: {} from {} to {}",
            shown_source(new_src),
            code(from),
            code(to)
        ),
    }
}

/// Which compare view a forge offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forge {
    GitHub,
    GitLab,
    Gitea,
    Unknown,
}

/// A source repository URL, normalised: `https://host/path` without `.git` or a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceRepo {
    base: String,
    forge: Forge,
}

impl SourceRepo {
    fn parse(source: &str) -> Option<Self> {
        let s = source.trim();
        let s = s.strip_prefix("git+").unwrap_or(s);
        let rest = if let Some(rest) = s.strip_prefix("https://") {
            rest.to_owned()
        } else if let Some(rest) = s.strip_prefix("git@") {
            // scp-like `git@host:owner/repo`
            rest.replacen(':', "/", 1)
        } else {
            return None;
        };
        let rest = rest.trim_end_matches('/');
        let rest = rest.strip_suffix(".git").unwrap_or(rest);
        let (host, path) = rest.split_once('/')?;
        let host = host.to_ascii_lowercase();
        let url_safe = |c: char| c.is_ascii_alphanumeric() || "-._~/".contains(c);
        if host.is_empty()
            || path.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c))
            || !path.chars().all(url_safe)
            || path.split('/').any(|seg| seg.is_empty() || seg == "..")
        {
            return None;
        }
        let forge = match host.as_str() {
            "github.com" => Forge::GitHub,
            "gitlab.com" => Forge::GitLab,
            "codeberg.org" | "gitea.com" => Forge::Gitea,
            h if h.starts_with("gitlab.") => Forge::GitLab,
            h if h.starts_with("gitea.") || h.starts_with("forgejo.") => Forge::Gitea,
            _ => Forge::Unknown,
        };
        Some(Self {
            base: format!("https://{host}/{path}"),
            forge,
        })
    }

    fn compare_url(&self, from: &str, to: &str) -> Option<String> {
        let rev_safe = |r: &str| {
            !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._/".contains(c))
        };
        if !rev_safe(from) || !rev_safe(to) {
            return None;
        }
        match self.forge {
            Forge::GitHub | Forge::Gitea => Some(format!("{}/compare/{from}...{to}", self.base)),
            Forge::GitLab => Some(format!("{}/-/compare/{from}...{to}", self.base)),
            Forge::Unknown => None,
        }
    }
}

/// A source shown as a link when it is a plain https URL, as code otherwise.
fn shown_source(source: &str) -> String {
    match SourceRepo::parse(source) {
        Some(repo) => format!("<{}>", repo.base),
        None => code(source),
    }
}

/// Commit SHAs shortened to 12 characters, as forges show them.
fn short(rev: &str) -> String {
    let is_sha = (rev.len() == 40 || rev.len() == 64) && rev.chars().all(|c| c.is_ascii_hexdigit());
    let shown = if is_sha { &rev[..12] } else { rev };
    escape(shown)
}

/// Inline code; backticks inside cannot end the span early.
fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'"))
}

/// Text with Markdown's inline punctuation escaped, so a label cannot inject links or HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_{}[]()<>#+!|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::member;
    use crate::provenance::Provenance;

    fn labelled(name: &str, seed: &str, version: &str, source: &str, rev: &str) -> ReleaseMember {
        let mut m = member(name, seed);
        m.version = Some(version.parse().unwrap());
        m.provenance = Provenance {
            source: Some(source.into()),
            revision: Some(rev.into()),
            version: None,
        };
        m
    }

    #[test]
    fn changed_members_link_the_forges_compare_view() {
        let a = "1111111111111111111111111111111111111111";
        let b = "2222222222222222222222222222222222222222";
        let cases = [
            (
                "https://github.com/acme/api.git",
                "https://github.com/acme/api/compare/",
            ),
            (
                "git@gitlab.com:acme/api",
                "https://gitlab.com/acme/api/-/compare/",
            ),
            (
                "https://codeberg.org/acme/api/",
                "https://codeberg.org/acme/api/compare/",
            ),
            (
                "https://gitlab.example.org/acme/api",
                "https://gitlab.example.org/acme/api/-/compare/",
            ),
        ];
        for (source, prefix) in cases {
            let old = labelled("api", "a", "1.0.0", source, a);
            let mut new = labelled("api", "b", "1.1.0", source, b);
            new.component_id = old.component_id;
            let notes = generate_notes(
                NotesRelease {
                    name: "r2",
                    members: std::slice::from_ref(&new),
                },
                Some(NotesRelease {
                    name: "r1",
                    members: std::slice::from_ref(&old),
                }),
            );
            assert!(
                notes.contains(&format!("({prefix}{a}...{b})")),
                "{source}: {notes}"
            );
            assert!(notes.contains("**api** 1.0.0 → 1.1.0"), "{notes}");
            assert!(
                notes.contains(&format!("`{}` → `{}`", old.digest, new.digest)),
                "{notes}"
            );
        }
    }

    #[test]
    fn unknown_forges_show_both_revisions_and_moves_say_so() {
        let old = labelled(
            "api",
            "a",
            "1.0.0",
            "https://git.example.com/acme/api",
            "abc",
        );
        let mut new = labelled(
            "api",
            "b",
            "1.1.0",
            "https://git.example.com/acme/api",
            "def",
        );
        new.component_id = old.component_id;
        let notes = generate_notes(
            NotesRelease {
                name: "r2",
                members: std::slice::from_ref(&new),
            },
            Some(NotesRelease {
                name: "r1",
                members: std::slice::from_ref(&old),
            }),
        );
        assert!(
            notes.contains("Source: <https://git.example.com/acme/api> from `abc` to `def`"),
            "{notes}"
        );

        new.provenance.source = Some("https://github.com/other/api".into());
        let notes = generate_notes(
            NotesRelease {
                name: "r2",
                members: std::slice::from_ref(&new),
            },
            Some(NotesRelease {
                name: "r1",
                members: std::slice::from_ref(&old),
            }),
        );
        assert!(notes.contains("Source moved:"), "{notes}");
    }

    #[test]
    fn added_removed_unchanged_and_first_release() {
        let kept = member("db", "same");
        let gone = member("legacy", "old");
        let added = member("billing", "new");
        let notes = generate_notes(
            NotesRelease {
                name: "r2",
                members: &[kept.clone(), added.clone()],
            },
            Some(NotesRelease {
                name: "r1",
                members: &[kept.clone(), gone],
            }),
        );
        assert!(notes.starts_with("## Changes since `r1`"), "{notes}");
        assert!(notes.contains("### Added\n\n- **billing**"), "{notes}");
        assert!(notes.contains("### Removed\n\n- **legacy**"), "{notes}");
        assert!(notes.ends_with("Unchanged: 1 component.\n"), "{notes}");
        assert!(!notes.contains("### Changed"));

        let first = generate_notes(
            NotesRelease {
                name: "r1",
                members: &[added, kept],
            },
            None,
        );
        let billing = first.find("**billing**").unwrap();
        let db = first.find("**db**").unwrap();
        assert!(billing < db, "members are listed by name: {first}");
    }

    #[test]
    fn the_same_inputs_give_the_same_text_and_labels_cannot_inject() {
        let old = labelled(
            "api",
            "a",
            "1.0.0",
            "javascript:alert(1)",
            "x`](http://evil)",
        );
        let mut new = labelled("api", "b", "1.1.0", "javascript:alert(1)", "y<script>");
        new.component_id = old.component_id;
        let run = || {
            generate_notes(
                NotesRelease {
                    name: "r2",
                    members: std::slice::from_ref(&new),
                },
                Some(NotesRelease {
                    name: "r1",
                    members: std::slice::from_ref(&old),
                }),
            )
        };
        let notes = run();
        assert_eq!(notes, run());
        assert!(
            notes.contains("`x'](http://evil)`"),
            "a backtick cannot end the span: {notes}"
        );
        assert!(!notes.contains("(javascript:"), "{notes}");
        assert!(
            notes.contains("`y<script>`"),
            "inside code spans HTML is text: {notes}"
        );
    }
}
