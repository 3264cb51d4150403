//! relman's persistence layer.
//!
//! One diesel codebase serves two backends: SQLite (bundled, the embedded default) and PostgreSQL
//! (for several replicas sharing one database). The backend is chosen from the database URL; an
//! unknown scheme is refused rather than silently creating a SQLite file. Diesel is synchronous, so
//! every query runs on tokio's blocking pool, never on an async worker thread.

mod codec;
mod components;
mod connection;
mod error;
mod migrations;
mod schema;
mod store;
mod url;
mod versions;

pub use connection::DbConnection;
pub use error::StorageError;
pub use store::{PoolOptions, Store};
pub use url::{Backend, DatabaseUrl};
pub use versions::VersionFilter;
