//! A fake registry behind the `RegistryConnector` seam: every repository lists the same tags,
//! each resolving to a digest derived from repository and tag. It records what was asked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use relman_domain::{Digest, RegistryIntegration};
use relman_registry::{
    OCI_MANIFEST, RegistryClient, RegistryError, RequestObserver, ResolveOptions, ResolvedManifest,
};
use relman_service::RegistryConnector;

/// Builds [`FakeClient`]s and counts how many it built.
#[derive(Default)]
pub struct FakeConnector {
    pub connects: AtomicUsize,
    /// Repositories whose tags were listed, in order, across every client.
    pub listed: Arc<Mutex<Vec<String>>>,
}

impl FakeConnector {
    pub fn connects(&self) -> usize {
        self.connects.load(Ordering::SeqCst)
    }

    pub fn listed(&self) -> Vec<String> {
        self.listed.lock().unwrap().clone()
    }
}

impl RegistryConnector for FakeConnector {
    fn connect(
        &self,
        _integration: &RegistryIntegration,
        _observer: Arc<dyn RequestObserver>,
    ) -> Result<Arc<dyn RegistryClient>, RegistryError> {
        self.connects.fetch_add(1, Ordering::SeqCst);
        Ok(Arc::new(FakeClient {
            listed: Arc::clone(&self.listed),
        }))
    }
}

pub struct FakeClient {
    listed: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl RegistryClient for FakeClient {
    async fn ping(&self) -> Result<(), RegistryError> {
        Ok(())
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<String>, RegistryError> {
        self.listed.lock().unwrap().push(repository.to_owned());
        Ok(vec!["v1.0.0".into()])
    }

    async fn resolve_with(
        &self,
        repository: &str,
        reference: &str,
        _options: ResolveOptions<'_>,
    ) -> Result<ResolvedManifest, RegistryError> {
        Ok(ResolvedManifest {
            provenance: Default::default(),
            digest: Digest::sha256_of(format!("{repository}:{reference}").as_bytes()),
            media_type: OCI_MANIFEST.into(),
            platforms: Vec::new(),
            created: None,
        })
    }

    fn request_count(&self) -> u64 {
        0
    }
}
