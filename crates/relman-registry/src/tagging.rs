//! Floating tags: an existing manifest pushed again under another tag.
//!
//! The manifest's exact bytes are re-PUT under the tag, so the registry computes the same
//! digest and needs no blob traffic: the tag then serves exactly what the target serves.

use bytes::Bytes;
use relman_domain::Digest;

use crate::attach::header;
use crate::client::{HttpRegistryClient, Scope};
use crate::error::RegistryError;
use crate::names::{check_repository, parse_reference};

impl HttpRegistryClient {
    pub(crate) async fn put_tag_impl(
        &self,
        repository: &str,
        tag: &str,
        target: &Digest,
    ) -> Result<(), RegistryError> {
        check_repository(repository)?;
        if parse_reference(tag)?.is_some() {
            return Err(RegistryError::InvalidInput {
                what: "tag",
                value: tag.to_owned(),
            });
        }
        let scope = Scope::Push(repository.to_owned());
        let (bytes, media_type) = self.manifest(repository, target, &scope).await?;
        let put = self
            .put_manifest(
                repository,
                tag,
                &scope,
                &media_type,
                Bytes::from(bytes.clone()),
            )
            .await?;
        // The registry names the digest it stored: the same bytes must give the same digest.
        if let Some(stored) = header(&put.headers, "Docker-Content-Digest")
            && stored != target.to_string()
        {
            return Err(RegistryError::DigestMismatch {
                registry: self.registry.clone(),
                expected: target.clone(),
                actual: stored.parse().unwrap_or_else(|_| Digest::sha256_of(&bytes)),
            });
        }
        Ok(())
    }
}
