//! Slug names: what components, environments and registry integrations are called.

use uuid::Uuid;

use crate::error::ValidationError;

/// Checks a slug `[a-z0-9][a-z0-9-]{0,62}` that never reads as a UUID: paths accept a name or an
/// id, so a name must never be mistaken for an id.
pub(crate) fn validate_slug(s: &str) -> Result<(), ValidationError> {
    let bytes = s.as_bytes();
    let ok = (1..=63).contains(&bytes.len())
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    if !ok {
        return Err(ValidationError::field(
            "name",
            "must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit",
        ));
    }
    if Uuid::parse_str(s).is_ok() {
        return Err(ValidationError::field("name", "must not be a UUID"));
    }
    Ok(())
}

/// Defines a slug newtype with `as_str`, `FromStr` (validated by [`validate_slug`]) and `Display`.
macro_rules! slug_name {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The name.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::slug::validate_slug(s).map(|()| Self(s.to_owned()))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) use slug_name;
