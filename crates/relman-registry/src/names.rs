//! Checks on repository names and references before they go into a request path.

use relman_domain::Digest;

use crate::error::RegistryError;

/// Whether `tag` names something pushed next to an image rather than a version of it: the OCI
/// referrers fallback tag `sha256-<64 hex>`, and cosign's `sha256-<hex>.sig`/`.att`/`.sbom` and
/// any other `*.sig`, `*.att` or `*.sbom` tag.
pub fn is_attachment_tag(tag: &str) -> bool {
    const SUFFIXES: [&str; 3] = [".sig", ".att", ".sbom"];
    if SUFFIXES.iter().any(|s| tag.ends_with(s)) {
        return true;
    }
    tag.strip_prefix("sha256-").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Accepts an OCI repository name: `/`-separated components of `[a-z0-9]` joined by `.`, `_`,
/// `__` or runs of `-` (distribution spec). Anything else could escape the intended path.
pub(crate) fn check_repository(repository: &str) -> Result<(), RegistryError> {
    let component_ok = |c: &str| {
        let bytes = c.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        !bytes.is_empty()
            && bytes.first().is_some_and(alnum)
            && bytes.last().is_some_and(alnum)
            && bytes
                .iter()
                .all(|b| alnum(b) || matches!(b, b'.' | b'_' | b'-'))
            && !c.contains("..")
            && !c.contains("___")
            && !c.contains("._")
            && !c.contains("_.")
    };
    if repository.len() <= 255 && repository.split('/').all(component_ok) {
        Ok(())
    } else {
        Err(RegistryError::InvalidInput {
            what: "repository",
            value: repository.to_owned(),
        })
    }
}

/// A reference is a tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`) or a digest.
pub(crate) fn parse_reference(reference: &str) -> Result<Option<Digest>, RegistryError> {
    if reference.contains(':') {
        return reference
            .parse::<Digest>()
            .map(Some)
            .map_err(|_| RegistryError::InvalidInput {
                what: "reference",
                value: reference.to_owned(),
            });
    }
    let bytes = reference.as_bytes();
    let ok = (1..=128).contains(&bytes.len())
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(None)
    } else {
        Err(RegistryError::InvalidInput {
            what: "reference",
            value: reference.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_table() {
        let cases = [
            ("api", true),
            ("myorg/api", true),
            ("a/b/c-d/e__f/g.h", true),
            ("a--b", true),
            ("", false),
            ("/api", false),
            ("api/", false),
            ("a//b", false),
            ("../etc", false),
            ("Api", false),
            ("a?b", false),
            ("a%2fb", false),
            ("-a", false),
        ];
        for (repo, ok) in cases {
            assert_eq!(check_repository(repo).is_ok(), ok, "repo {repo:?}");
        }
    }

    #[test]
    fn references_table() {
        let hex = "a".repeat(64);
        let digest = format!("sha256:{hex}");
        let long = "t".repeat(129);
        assert_eq!(
            parse_reference(&digest).unwrap().map(|d| d.to_string()),
            Some(digest.clone())
        );
        for tag in ["v1.2.3", "latest", "_x", "V1", "1.0.0-rc.1"] {
            assert_eq!(parse_reference(tag).unwrap(), None, "{tag}");
        }
        for bad in ["", ".x", "-x", "a/b", "a?b", "sha256:xyz", long.as_str()] {
            assert!(parse_reference(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod attachment_tag_tests {
    use super::is_attachment_tag;

    #[test]
    fn attachment_tags_are_not_versions() {
        let hex = "a".repeat(64);
        for tag in [
            format!("sha256-{hex}"),
            format!("sha256-{hex}.sig"),
            format!("sha256-{hex}.att"),
            "v1.2.3.sbom".to_owned(),
        ] {
            assert!(is_attachment_tag(&tag), "{tag}");
        }
        for tag in [
            "v1.2.3",
            "latest",
            "sha256-abc",
            "sha256",
            &format!("sha256-{}", "A".repeat(64)),
            "signature",
        ] {
            assert!(!is_attachment_tag(tag), "{tag}");
        }
    }
}
