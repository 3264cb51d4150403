//! How the service reaches registries: a connector turns an integration into a client (tests
//! substitute a fake that injects faults), and [`RegistryClients`] keeps one client per
//! integration so that its limits, token cache and connection pool hold across every use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use relman_domain::{IntegrationAuth, RegistryIntegration};
use relman_egress::EgressPolicy;
use relman_registry::{
    HttpRegistryClient, RegistryAuth, RegistryClient, RegistryConfig, RegistryError,
    RequestObserver,
};
use uuid::Uuid;

use crate::observer::{IntegrationRequests, NoObserver, ServiceObserver};

/// Builds registry clients for integrations.
pub trait RegistryConnector: Send + Sync {
    /// A new client for this integration, telling `observer` of every request it sends.
    fn connect(
        &self,
        integration: &RegistryIntegration,
        observer: Arc<dyn RequestObserver>,
    ) -> Result<Arc<dyn RegistryClient>, RegistryError>;
}

/// The real connector: an HTTP client configured from the integration, whose requests go
/// through one egress policy. `Default` is the strict policy (public addresses only).
#[derive(Debug, Default)]
pub struct HttpConnector {
    egress: EgressPolicy,
}

impl HttpConnector {
    /// A connector whose clients may reach what `egress` allows.
    pub fn new(egress: EgressPolicy) -> Self {
        Self { egress }
    }
}

impl RegistryConnector for HttpConnector {
    fn connect(
        &self,
        integration: &RegistryIntegration,
        observer: Arc<dyn RequestObserver>,
    ) -> Result<Arc<dyn RegistryClient>, RegistryError> {
        let client = HttpRegistryClient::new(RegistryConfig {
            egress: self.egress.clone(),
            ..registry_config(integration)
        })?;
        Ok(Arc::new(client.with_observer(observer)))
    }
}

/// One shared client per integration, built on first use through a [`RegistryConnector`].
///
/// A client stands for the integration as it was at its `updated_at`: a caller holding a newer
/// version of the integration (changed here or by another replica) gets a fresh client, and the
/// old one lives on only until the syncs that hold it finish. The service also forgets a client
/// when it updates or deletes the integration, so a deleted integration's client is not kept.
///
/// Every client reports its requests to the [`ServiceObserver`] under the name of its
/// integration (a renamed integration has a newer `updated_at`, so a new client, so the new name).
pub struct RegistryClients {
    connector: Arc<dyn RegistryConnector>,
    clients: Mutex<HashMap<Uuid, Cached>>,
    observer: Arc<dyn ServiceObserver>,
}

struct Cached {
    updated_at: DateTime<Utc>,
    client: Arc<dyn RegistryClient>,
}

impl RegistryClients {
    /// An empty set of clients that `connector` builds.
    pub fn new(connector: Arc<dyn RegistryConnector>) -> Self {
        Self {
            connector,
            clients: Mutex::default(),
            observer: Arc::new(NoObserver),
        }
    }

    /// These clients, reporting every registry request to `observer`.
    #[must_use]
    pub fn observed_by(mut self, observer: Arc<dyn ServiceObserver>) -> Self {
        self.observer = observer;
        self
    }

    /// A new client for `integration`, its requests reported under the integration's name.
    fn connect(
        &self,
        integration: &RegistryIntegration,
    ) -> Result<Arc<dyn RegistryClient>, RegistryError> {
        let observer = Arc::new(IntegrationRequests {
            integration: integration.name.to_string(),
            sink: Arc::clone(&self.observer),
        });
        self.connector.connect(integration, observer)
    }

    /// The shared client for `integration`, built now if there is none for this version of it.
    pub fn client(
        &self,
        integration: &RegistryIntegration,
    ) -> Result<Arc<dyn RegistryClient>, RegistryError> {
        // Connecting holds the lock: two first uses must not build two clients, or each would
        // get its own limits. Building a client does no I/O.
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        match clients.get(&integration.id) {
            Some(c) if c.updated_at == integration.updated_at => return Ok(Arc::clone(&c.client)),
            // A caller that read the integration before a change must not evict the client of
            // the newer version: it gets a client of its own, kept by nobody.
            Some(c) if c.updated_at > integration.updated_at => {
                return self.connect(integration);
            }
            _ => {}
        }
        let client = self.connect(integration)?;
        clients.insert(
            integration.id,
            Cached {
                updated_at: integration.updated_at,
                client: Arc::clone(&client),
            },
        );
        Ok(client)
    }

    /// A client of its own for `integration`, shared with nobody: for a connection test, which
    /// must prove the credentials work rather than reuse a token fetched earlier.
    pub fn fresh_client(
        &self,
        integration: &RegistryIntegration,
    ) -> Result<Arc<dyn RegistryClient>, RegistryError> {
        self.connect(integration)
    }

    /// Drops the client of an integration that changed or is gone.
    pub fn forget(&self, integration_id: Uuid) {
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&integration_id);
    }

    /// How many integrations have a client now.
    pub fn len(&self) -> usize {
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no integration has a client.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The client settings an integration stands for, under the strict egress policy (the
/// connector sets its own).
pub fn registry_config(integration: &RegistryIntegration) -> RegistryConfig {
    let auth = match &integration.auth {
        IntegrationAuth::None => RegistryAuth::None,
        IntegrationAuth::Basic { username, password } => RegistryAuth::Basic {
            username: username.clone(),
            password: password.expose().to_owned(),
        },
        IntegrationAuth::Bearer { token } => RegistryAuth::Bearer {
            token: token.expose().to_owned(),
        },
    };
    let defaults = RegistryConfig::new(integration.url.clone());
    RegistryConfig {
        auth,
        max_concurrency: integration
            .max_concurrency
            .map_or(defaults.max_concurrency, |n| n as usize),
        requests_per_second: integration.requests_per_second,
        ..defaults
    }
}
