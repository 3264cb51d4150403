//! What the service tells whoever keeps metrics: registry requests by integration and finished
//! syncs. A trait rather than a metrics library, so the use cases stay free of one; the HTTP
//! layer implements it and renders the numbers.

use std::sync::Arc;
use std::time::Duration;

use relman_registry::{RequestObserver, RequestOutcome};

/// How a sync that ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    /// Its changes (if any) were committed.
    Ok,
    /// It failed and changed nothing.
    Failed,
}

impl SyncOutcome {
    /// `ok` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
        }
    }
}

/// One sync that ran (a sync refused because another of the component is running is not one).
#[derive(Debug, Clone, Copy)]
pub struct SyncRun<'a> {
    /// The component's name.
    pub component: &'a str,
    /// How it ended.
    pub outcome: SyncOutcome,
    /// How long it took, registry and database included.
    pub elapsed: Duration,
    /// Tags seen for the first time (0 when it failed).
    pub added: usize,
}

/// Hears what the service does. Calls are made on request tasks: implementations count, quickly,
/// and never block.
pub trait ServiceObserver: Send + Sync {
    /// A registry request of the integration named `integration` finished.
    fn registry_request(&self, integration: &str, outcome: RequestOutcome);

    /// A sync finished.
    fn sync_finished(&self, run: SyncRun<'_>);
}

/// The observer a service has when none is given: it drops everything.
#[derive(Debug, Default)]
pub struct NoObserver;

impl ServiceObserver for NoObserver {
    fn registry_request(&self, _: &str, _: RequestOutcome) {}

    fn sync_finished(&self, _: SyncRun<'_>) {}
}

/// Passes one client's requests on with the name of the integration it serves.
pub(crate) struct IntegrationRequests {
    pub(crate) integration: String,
    pub(crate) sink: Arc<dyn ServiceObserver>,
}

impl RequestObserver for IntegrationRequests {
    fn request_finished(&self, outcome: RequestOutcome) {
        self.sink.registry_request(&self.integration, outcome);
    }
}
