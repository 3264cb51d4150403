//! Protected releases: name patterns (like protected tags on a forge) whose releases only an
//! admin may deprecate or delete.
//!
//! Patterns are globs over release names: `*` matches any run of characters, `?` one character,
//! everything else itself. Release names have no separators, so a glob crate's path semantics
//! would add nothing; the matcher below is the classic two-pointer one.

use crate::error::ValidationError;

/// The configured patterns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtectedReleases(Vec<String>);

impl ProtectedReleases {
    /// Validates patterns: each 1-128 characters of release-name characters, `*` and `?`.
    pub fn new(patterns: Vec<String>) -> Result<Self, ValidationError> {
        for p in &patterns {
            let ok = (1..=128).contains(&p.len())
                && p.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'*' | b'?')
                });
            if !ok {
                return Err(ValidationError::field(
                    "protected_releases",
                    format!("'{p}' is not a release-name pattern (A-Z a-z 0-9 . _ - * ?)"),
                ));
            }
        }
        Ok(Self(patterns))
    }

    /// The pattern that protects `name`, if any.
    pub fn protecting(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|p| glob_match(p.as_bytes(), name.as_bytes()))
            .map(String::as_str)
    }
}

fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it currently stands for.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_release_names() {
        let cases = [
            ("v*", "v2.3.1", true),
            ("v*", "myapp-v2", false),
            ("*-prod", "api-prod", true),
            ("*-prod", "api-prod-2", false),
            ("myapp-v?.*", "myapp-v2.3.1", true),
            ("myapp-v?.*", "myapp-v10.1", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("*", "anything", true),
        ];
        for (pattern, name, want) in cases {
            let p = ProtectedReleases::new(vec![pattern.into()]).unwrap();
            assert_eq!(p.protecting(name).is_some(), want, "{pattern} ~ {name}");
        }
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(ProtectedReleases::new(vec!["v/*".into()]).is_err());
        assert!(ProtectedReleases::new(vec![String::new()]).is_err());
    }
}
