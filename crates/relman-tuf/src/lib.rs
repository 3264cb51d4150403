//! relman's exported update feeds as a signed TUF repository, published atomically.
//!
//! [`publish`] writes the feed files twice in one new generation: at their plain paths, for a
//! static server or CDN (`latest/api.json`), and under `targets/` with consistent-snapshot names
//! for TUF clients, with `metadata/` holding every root, the targets, snapshot and timestamp
//! roles, all signed with relman's Ed25519 signing key (canonical JSON, TUF 1.0). The output path
//! is a symlink swapped in one `rename(2)`, so readers never see a mix of two exports, and an
//! export of an unchanged tree writes nothing. [`refresh_timestamp`] re-signs `timestamp.json`
//! before it expires. A rotated signing key makes a new root signed by the old key too, so that
//! clients pinned to the first `root.json` follow the rotation.

mod error;
mod layout;
mod metadata;
mod publish;

pub use error::TufError;
pub use metadata::SPEC_VERSION;
pub use publish::{Expiry, Published, Signers, TreeFile, publish, refresh_timestamp};
