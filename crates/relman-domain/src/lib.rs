//! relman's pure domain model.
//!
//! Everything here is plain data and pure functions: no I/O, no async, no serialization framework,
//! no database or HTTP types. The outer crates translate to and from these types at their edges,
//! through `Display` / `FromStr` for identity types.

mod channel;
mod component;
mod digest;
mod error;
mod version;

pub use channel::{Channel, ChannelRule, ChannelRules, classify_channel};
pub use component::{
    Component, ComponentName, TagPattern, VersioningStrategy, validate_image_repository,
};
pub use digest::{Digest, DigestAlgorithm};
pub use error::{FieldError, ValidationError};
pub use version::{
    ComponentVersion, Platform, VersionSource, compare_versions_desc, parse_semver,
    parse_tag_semver,
};
