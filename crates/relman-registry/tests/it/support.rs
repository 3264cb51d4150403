//! Shared helpers.

use std::sync::Arc;

use relman_registry::{HttpRegistryClient, RegistryAuth, RegistryClient, RegistryConfig};
use relman_test_support::registry::{PASSWORD, USERNAME, loopback_egress};

/// Default settings for `url`, with the egress policy the loopback test registry needs.
pub fn config(url: impl Into<String>) -> RegistryConfig {
    RegistryConfig {
        egress: loopback_egress(),
        ..RegistryConfig::new(url)
    }
}

/// A client for `url` with default settings.
pub fn client(url: &str, auth: RegistryAuth) -> Arc<dyn RegistryClient> {
    client_with(RegistryConfig {
        auth,
        ..config(url)
    })
}

/// A client from a full configuration.
pub fn client_with(config: RegistryConfig) -> Arc<dyn RegistryClient> {
    match HttpRegistryClient::new(config) {
        Ok(client) => Arc::new(client),
        Err(e) => panic!("test client configuration: {e}"),
    }
}

/// The test registry's good credentials.
pub fn basic() -> RegistryAuth {
    RegistryAuth::Basic {
        username: USERNAME.into(),
        password: PASSWORD.into(),
    }
}

/// Credentials with a wrong password.
pub fn wrong_basic() -> RegistryAuth {
    RegistryAuth::Basic {
        username: USERNAME.into(),
        password: "wrong-secret-value".into(),
    }
}

/// Asserts that neither the error's `Display` nor its `Debug` shows a secret.
pub fn assert_no_secrets(error: &relman_registry::RegistryError) {
    for text in [error.to_string(), format!("{error:?}")] {
        for secret in [PASSWORD, "wrong-secret-value"] {
            assert!(!text.contains(secret), "secret leaked in {text}");
        }
    }
}
