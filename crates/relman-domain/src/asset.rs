//! Release assets: files attached to a release (binaries, checksums, SBOMs), frozen with it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::ValidationError;
use crate::text::{TextKind, check_text};

/// An asset's file name, unique within its release: 1-255 characters of `A-Z`, `a-z`, `0-9`,
/// `.`, `_`, `-` and `+`, not starting with `.` (`relman-linux-amd64.tar.gz`). Safe in a URL
/// path, a `Content-Disposition` header and a file system.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetName(String);

impl AssetName {
    /// The longest name accepted.
    pub const MAX_LEN: usize = 255;

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AssetName {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = (1..=Self::MAX_LEN).contains(&s.len())
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::field(
                "name",
                "must be 1-255 characters of A-Z, a-z, 0-9, '.', '_', '-' and '+', not starting \
                 with '.'",
            ))
        }
    }
}

impl fmt::Display for AssetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest asset label accepted, in characters.
pub const MAX_ASSET_LABEL_CHARS: usize = 500;

/// Checks an asset label: one line of at most [`MAX_ASSET_LABEL_CHARS`] characters.
pub fn validate_asset_label(label: &str) -> Result<(), ValidationError> {
    if label.chars().count() > MAX_ASSET_LABEL_CHARS {
        return Err(ValidationError::field(
            "label",
            format!("must be at most {MAX_ASSET_LABEL_CHARS} characters"),
        ));
    }
    check_text(label, TextKind::Line).map_err(|e| ValidationError::field("label", e.to_string()))
}

/// Checks a media type as uploads declare it: `type/subtype` with optional parameters, visible
/// ASCII only, at most 255 characters.
pub fn validate_content_type(value: &str) -> Result<(), ValidationError> {
    let essence = value.split(';').next().unwrap_or_default().trim();
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let ok = value.len() <= 255
        && value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && essence
            .split_once('/')
            .is_some_and(|(t, s)| token(t) && token(s));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::field(
            "contentType",
            "must be a media type such as application/gzip",
        ))
    }
}

/// A file attached to a release. Its bytes live in object storage under a key derived from the
/// release and asset ids; this record is committed only once they are durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Identity (UUID v7).
    pub id: Uuid,
    /// The release it belongs to.
    pub release_id: Uuid,
    /// File name, unique within the release.
    pub name: AssetName,
    /// Optional display label.
    pub label: Option<String>,
    /// Media type as uploaded.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// Completed downloads.
    pub download_count: u64,
    /// When the upload began.
    pub created_at: DateTime<Utc>,
    /// Who uploaded it.
    pub created_by: String,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_table() {
        let long = "a".repeat(255);
        for (name, ok) in [
            ("relman-linux-amd64.tar.gz", true),
            ("SHA256SUMS", true),
            ("c++.zip", true),
            (long.as_str(), true),
            ("", false),
            (".hidden", false),
            ("a/b", false),
            ("a b", false),
            ("..", false),
            ("naïve", false),
        ] {
            assert_eq!(name.parse::<AssetName>().is_ok(), ok, "{name:?}");
        }
        assert!("a".repeat(256).parse::<AssetName>().is_err());
    }

    #[test]
    fn labels_and_content_types() {
        assert!(validate_asset_label("Linux (x86-64)").is_ok());
        assert!(validate_asset_label("two\nlines").is_err());
        assert!(validate_asset_label(&"x".repeat(501)).is_err());
        for (value, ok) in [
            ("application/gzip", true),
            ("text/plain; charset=utf-8", true),
            ("application/vnd.oci.image.manifest.v1+json", true),
            ("gzip", false),
            ("text/", false),
            ("text/plain\r\nX: y", false),
            ("", false),
        ] {
            assert_eq!(validate_content_type(value).is_ok(), ok, "{value:?}");
        }
    }
}
