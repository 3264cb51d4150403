//! relman's persistence layer.
//!
//! One diesel codebase serves two backends: SQLite (bundled, the embedded default) and PostgreSQL
//! (for several replicas sharing one database). The backend is chosen from the database URL; an
//! unknown scheme is refused rather than silently creating a SQLite file. Diesel is synchronous, so
//! every query runs on tokio's blocking pool, never on an async worker thread.

mod assets;
mod attestations;
mod audit;
mod backfill;
mod batch;
mod candidates;
mod codec;
mod components;
mod connection;
mod dashboard_sessions;
mod error;
mod event_secrets;
mod housekeeping;
mod integrations;
mod keyset;
mod migrations;
mod outbox;
mod prepared;
mod release_insert_pg;
mod release_list;
mod release_rows;
mod release_session;
mod release_stamps;
mod releases;
mod retag_list;
mod schema;
mod secrets;
mod signing_keys;
mod store;
mod sync;
mod sync_jobs;
mod tokens;
mod url;
mod versions;
mod webhooks;

pub use assets::DraftStamp;
pub use attestations::Signing;
pub use audit::AuditFilter;
pub use candidates::Candidates;
pub use connection::{DbConnection, SqliteSync};
pub use error::StorageError;
pub use housekeeping::{CHECKPOINT_BUSY_MS, Checkpoint};
pub use keyset::{SortKey, Window};
pub use release_list::{ReleaseFilter, ReleasePage};
pub use release_session::{ComponentKey, MemberQuery, MemberRead, ReleaseSession};
pub use secrets::SecretKey;
pub use signing_keys::NewSigningKey;
pub use store::{PoolOptions, PoolState, Store};
pub use sync::{Retag, SyncChanges, SyncLock};
pub use sync_jobs::SyncJob;
/// The statuses of a [`SyncJob`].
pub mod sync_job_status {
    pub use crate::sync_jobs::{FAILED, QUEUED, RUNNING, SUCCEEDED};
}
pub use outbox::{DeliveryOutcome, DueDelivery};
pub use url::{Backend, DatabaseUrl};
pub use versions::{VersionFilter, VersionKey, VersionPage};
pub use webhooks::{NewWebhook, WebhookChange};

mod deployments;
mod environments;

pub use deployments::{Completion, DeploymentFilter, DeploymentPage};
