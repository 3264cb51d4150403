//! Where an image came from, as its builder labelled it: the OCI pre-defined annotations
//! `org.opencontainers.image.source`, `.revision` and `.version`, read from the manifest's
//! annotations or the image config's labels.

/// The annotation or label naming the image's source repository (a URL).
pub const SOURCE_LABEL: &str = "org.opencontainers.image.source";
/// The annotation or label naming the source revision (usually a commit SHA).
pub const REVISION_LABEL: &str = "org.opencontainers.image.revision";
/// The annotation or label naming the packaged software's version.
pub const VERSION_LABEL: &str = "org.opencontainers.image.version";

/// Values longer than this are not a repository URL, revision or version; they are dropped
/// rather than stored, so a hostile image cannot bloat every row and release that pins it.
pub const MAX_LABEL_CHARS: usize = 512;

/// An image's provenance labels. Each is informative only: relman never contacts the source
/// repository, and a label is whatever the image's builder wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// `org.opencontainers.image.source`: the repository the image was built from.
    pub source: Option<String>,
    /// `org.opencontainers.image.revision`: the revision it was built from.
    pub revision: Option<String>,
    /// `org.opencontainers.image.version`: the version of the packaged software.
    pub version: Option<String>,
}

impl Provenance {
    /// Reads the three labels through `lookup` (a map of annotations or config labels). Values
    /// are trimmed; empty, overlong or control-character values count as absent.
    pub fn from_labels<'a>(lookup: impl Fn(&str) -> Option<&'a str>) -> Self {
        let read = |key: &str| lookup(key).and_then(clean);
        Self {
            source: read(SOURCE_LABEL),
            revision: read(REVISION_LABEL),
            version: read(VERSION_LABEL),
        }
    }

    /// Whether no label is known.
    pub fn is_empty(&self) -> bool {
        self.source.is_none() && self.revision.is_none() && self.version.is_none()
    }

    /// Each label from `self`, or from `fallback` where `self` has none: manifest annotations
    /// win over config labels, as the OCI image spec's annotation rules suggest.
    pub fn or(self, fallback: Provenance) -> Self {
        Self {
            source: self.source.or(fallback.source),
            revision: self.revision.or(fallback.revision),
            version: self.version.or(fallback.version),
        }
    }
}

fn clean(value: &str) -> Option<String> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.chars().count() <= MAX_LABEL_CHARS
        && !value.chars().any(char::is_control);
    ok.then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn labels_are_read_trimmed_and_bounded() {
        let long = "x".repeat(MAX_LABEL_CHARS + 1);
        let labels: HashMap<&str, &str> = [
            (SOURCE_LABEL, " https://github.com/acme/api "),
            (REVISION_LABEL, long.as_str()),
            (VERSION_LABEL, "1.2.3\n"),
        ]
        .into();
        let p = Provenance::from_labels(|k| labels.get(k).copied());
        assert_eq!(p.source.as_deref(), Some("https://github.com/acme/api"));
        assert_eq!(p.revision, None, "overlong values are dropped");
        assert_eq!(p.version.as_deref(), Some("1.2.3"));
        assert!(!p.is_empty());
        assert!(Provenance::from_labels(|_| Some("  ")).is_empty());
    }

    #[test]
    fn annotations_win_over_config_labels() {
        let annotations = Provenance {
            revision: Some("abc".into()),
            ..Provenance::default()
        };
        let config = Provenance {
            source: Some("https://gitlab.com/g/p".into()),
            revision: Some("def".into()),
            version: None,
        };
        let merged = annotations.or(config);
        assert_eq!(merged.source.as_deref(), Some("https://gitlab.com/g/p"));
        assert_eq!(merged.revision.as_deref(), Some("abc"));
        assert_eq!(merged.version, None);
    }
}
