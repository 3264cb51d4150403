//! How the service reaches registries: a connector turns an integration into a client, so tests
//! can substitute a fake that injects faults.

use std::sync::Arc;

use relman_domain::{IntegrationAuth, RegistryIntegration};
use relman_registry::{
    HttpRegistryClient, RegistryAuth, RegistryClient, RegistryConfig, RegistryError,
};

/// Builds registry clients for integrations.
pub trait RegistryConnector: Send + Sync {
    /// A client for this integration.
    fn connect(
        &self,
        integration: &RegistryIntegration,
    ) -> Result<Arc<dyn RegistryClient>, RegistryError>;
}

/// The real connector: one HTTP client per use, configured from the integration.
#[derive(Debug, Default)]
pub struct HttpConnector;

impl RegistryConnector for HttpConnector {
    fn connect(
        &self,
        integration: &RegistryIntegration,
    ) -> Result<Arc<dyn RegistryClient>, RegistryError> {
        Ok(Arc::new(HttpRegistryClient::new(registry_config(
            integration,
        ))?))
    }
}

/// The client settings an integration stands for.
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
