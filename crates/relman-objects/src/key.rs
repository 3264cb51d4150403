//! Object keys: clean relative paths, so that no key escapes the store's folder or prefix.

use object_store::path::Path;

use crate::ObjectsError;

/// A key: `/`-separated segments of `A-Z a-z 0-9 . _ -`, none empty, `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    text: String,
    path: Path,
}

impl ObjectKey {
    /// Checks and wraps a key.
    pub fn new(key: &str) -> Result<Self, ObjectsError> {
        let clean = !key.is_empty()
            && key.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            });
        if !clean {
            return Err(ObjectsError::InvalidKey {
                key: key.to_owned(),
            });
        }
        let path = Path::parse(key).map_err(|_| ObjectsError::InvalidKey {
            key: key.to_owned(),
        })?;
        Ok(Self {
            text: key.to_owned(),
            path,
        })
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}
