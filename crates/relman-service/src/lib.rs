//! relman's use cases: what the API can do, independent of HTTP.
//!
//! Handlers parse requests into the plain input structs here, call one method of [`Service`], and
//! translate the [`ServiceError`] they may get back. Rules live in `relman-domain`; persistence in
//! `relman-storage`; this crate sequences them.

mod aliases;
mod assets;
mod attachments;
mod audit;
pub mod bounded;
mod components;
pub mod cursor;
mod dashboard_sessions;
mod deployments;
mod environments;
mod error;
mod feeds;
mod input;
mod integrations;
mod notes;
mod notices;
mod observer;
mod paging;
mod push_hints;
mod pushes;
mod read_cache;
mod registry;
mod release_cache;
mod release_changes;
mod release_input;
mod releases;
mod resolution;
mod schedule;
mod signing;
mod sync;
mod sync_jobs;
mod token_cache;
mod tokens;
mod version_maps;
mod version_pages;
mod webhooks;
mod yank;

pub use aliases::{AliasChange, AppliedAlias};
pub use assets::{AssetPatch, AssetStore, AssetUpload, DEFAULT_MAX_ASSET_BYTES, STALE_UPLOAD};
pub use audit::AuditQuery;
pub use components::{ChannelRuleInput, ComponentInput, ComponentPatch};
pub use deployments::{CompleteInput, DeploymentQuery};
pub use environments::{EnvironmentInput, EnvironmentPatch};
pub use error::{Resource, ServiceError, UnresolvedMember};
pub use feeds::{FeedDocument, FeedFile};
pub use integrations::{AuthInput, IntegrationCheck, IntegrationInput, IntegrationPatch};
pub use notes::GeneratedNotes;
pub use observer::{NoObserver, ServiceObserver, SyncOutcome, SyncRun};
pub use paging::{DEFAULT_SLICE_LIMIT, MAX_SLICE_LIMIT, Slice, SliceQuery};
pub use push_hints::{ParsedPush, PushAuth, PushHint, parse_push};
pub use pushes::{EVENT_SECRET_PREFIX, EventSecret, PushReceipt};
pub use registry::{HttpConnector, RegistryClients, RegistryConnector, registry_config};
pub use release_cache::RELEASE_CACHE_CAPACITY;
pub use release_input::{
    FromLatestInput, MemberInput, PinFromInput, ReleaseInput, ReleasePatch, ReleaseQuery,
    SourceRefInput,
};
pub use releases::{DEFAULT_PAGE_SIZE, EnvironmentState, MAX_PAGE_SIZE, Page};
pub use relman_objects::{ObjectRead, ObjectsError};
pub use relman_registry::RequestOutcome;
pub use relman_storage::PoolState;
pub use relman_storage::{SyncJob, sync_job_status};
pub use schedule::SyncSchedule;
pub use sync::{SyncOptions, SyncPhase, SyncProgress, SyncReport, SyncStep};
pub use sync_jobs::{JOB_ALIVE, JOB_HEARTBEAT, JOB_RETENTION};
pub use token_cache::TOKEN_CACHE_TTL;
pub use tokens::{IssuedToken, MAX_TOKEN_NAME, Refusal, TokenInput, token_hash};
pub use version_maps::{VersionMapInput, VersionMapQuery, VersionsQuery};
pub use version_pages::{DEFAULT_VERSIONS_LIMIT, MAX_VERSIONS_LIMIT, VersionList};
pub use webhooks::{CreatedWebhook, MAX_WEBHOOK_URL, SECRET_PREFIX, WebhookInput, WebhookPatch};

use std::sync::Arc;

use chrono::{DateTime, Utc};
use relman_storage::Store;

/// The current time at the precision the database keeps (microseconds), so that what a create
/// returns equals what a later read returns.
pub(crate) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// The entry point to every use case; cheap to clone.
#[derive(Clone)]
pub struct Service {
    store: Store,
    /// One registry client per integration, shared by every clone of the service.
    registries: Arc<RegistryClients>,
    sync_locks: Arc<sync::SyncLocks>,
    sync_concurrency: usize,
    protected: Arc<relman_domain::ProtectedReleases>,
    observer: Arc<dyn ServiceObserver>,
    /// Released releases recently read, shared by every clone.
    release_cache: Arc<release_cache::ReleaseCache>,
    /// Live tokens recently presented, shared by every clone.
    token_cache: Arc<token_cache::TokenCache>,
    /// Release-list totals by (status, component), forgotten on every release write.
    release_counts: Arc<read_cache::ReadCache<releases::CountKey, u64>>,
    /// Version-list pages by request, forgotten on every version or component write.
    version_lists: Arc<read_cache::ReadCache<version_pages::VersionListKey, VersionList>>,
    /// Update feeds by component key, forgotten with the version lists.
    feeds: Arc<read_cache::ReadCache<String, Arc<relman_domain::Feed>>>,
    /// Where release asset bytes go; `None` refuses asset operations with 503.
    assets: Option<Arc<AssetStore>>,
    /// The latest release's id, forgotten with the release counts.
    latest_ids: Arc<read_cache::ReadCache<(), Option<uuid::Uuid>>>,
    /// Which addresses a webhook URL may point at.
    egress: relman_egress::EgressPolicy,
}

impl Service {
    /// A service over an opened (migrated) store.
    pub fn new(store: Store) -> Self {
        Self::with_registry_connector(store, Arc::new(HttpConnector::default()))
    }

    /// A service that builds its registry clients with `connector` (tests inject fakes this way).
    pub fn with_registry_connector(store: Store, connector: Arc<dyn RegistryConnector>) -> Self {
        Self::with_registry_clients(store, Arc::new(RegistryClients::new(connector)))
    }

    /// A service over clients the composition root owns: every use of an integration goes
    /// through its one client, so its limits and token cache mean what they say.
    pub fn with_registry_clients(store: Store, registries: Arc<RegistryClients>) -> Self {
        Self {
            store,
            registries,
            sync_locks: Arc::default(),
            sync_concurrency: 8,
            observer: Arc::new(NoObserver),
            protected: Arc::default(),
            release_cache: Arc::default(),
            token_cache: Arc::default(),
            release_counts: Arc::default(),
            version_lists: Arc::default(),
            feeds: Arc::default(),
            latest_ids: Arc::default(),
            assets: None,
            egress: relman_egress::EgressPolicy::default(),
        }
    }

    /// Checks webhook URLs against `egress` (the same policy their deliveries are sent under).
    #[must_use]
    pub fn with_egress(mut self, egress: relman_egress::EgressPolicy) -> Self {
        self.egress = egress;
        self
    }

    /// A release was written: cached list counts and the latest release are read again.
    pub(crate) fn forget_release_reads(&self) {
        self.release_counts.invalidate();
        self.latest_ids.invalidate();
    }

    /// A version or component was written: cached version pages and feeds are read again.
    pub(crate) fn forget_version_reads(&self) {
        self.version_lists.invalidate();
        self.feeds.invalidate();
    }

    /// Keeps release asset bytes in `assets`.
    #[must_use]
    pub fn with_assets(mut self, assets: AssetStore) -> Self {
        self.assets = Some(Arc::new(assets));
        self
    }

    /// Releases whose names match these patterns may be deprecated or deleted by admins only.
    #[must_use]
    pub fn with_protected_releases(mut self, protected: relman_domain::ProtectedReleases) -> Self {
        self.protected = Arc::new(protected);
        self
    }

    /// Refuses to let a caller who is not an admin deprecate or delete a protected release.
    pub async fn check_release_protection(
        &self,
        key: &str,
        caller_is_admin: bool,
    ) -> Result<(), ServiceError> {
        if caller_is_admin {
            return Ok(());
        }
        let release = self.release(key).await?;
        match self.protected.protecting(release.name.as_str()) {
            None => Ok(()),
            Some(pattern) => Err(ServiceError::Protected {
                release: release.name.to_string(),
                pattern: pattern.to_owned(),
            }),
        }
    }

    /// This service, telling `observer` of every sync that runs. Registry requests are
    /// reported by the clients (see [`RegistryClients::observed_by`]).
    #[must_use]
    pub fn observed_by(mut self, observer: Arc<dyn ServiceObserver>) -> Self {
        self.observer = observer;
        self
    }

    /// How the database connection pool is used right now; no I/O.
    pub fn pool_state(&self) -> PoolState {
        self.store.pool_state()
    }

    /// Whether the service can take traffic: the database answers and is migrated.
    pub async fn ready(&self) -> Result<(), ServiceError> {
        self.store
            .check_ready()
            .await
            .map_err(ServiceError::NotReady)
    }
}
