//! Floating tags (seed 001): `vX.Y.Z`, `vX.Y`, `vX` and `latest` computed from the versions that
//! float, and pushed to the registry on request.

use relman_domain::{
    Actor, Alias, AuditEvent, Component, ComponentVersion, Digest, LatestAlias, compute_aliases,
};
use relman_registry::RegistryError;
use relman_storage::VersionFilter;

use crate::error::ServiceError;
use crate::{Service, now};

/// What applying an alias did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasChange {
    /// The registry had no such tag.
    Created,
    /// The tag pointed at another digest.
    Moved,
    /// The tag already serves the alias's digest.
    Unchanged,
}

impl AliasChange {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Moved => "moved",
            Self::Unchanged => "unchanged",
        }
    }
}

/// One alias after an apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedAlias {
    /// The alias, its tag and digest.
    pub alias: Alias,
    /// What the registry's tag pointed at before, if it existed.
    pub previous: Option<Digest>,
    /// What changed.
    pub change: AliasChange,
}

/// The aliases relman manages for `component`: all of them, less `latest` when something else
/// owns it.
fn managed(component: &Component, versions: &[ComponentVersion]) -> Vec<Alias> {
    compute_aliases(versions)
        .into_iter()
        .filter(|a| component.latest_alias == LatestAlias::Highest || a.alias != "latest")
        .collect()
}

impl Service {
    /// The component's present, unyanked `stable` versions: what aliases and feeds float from
    /// (the domain then leaves out prereleases and versions without a semver).
    pub(crate) async fn floating_versions(
        &self,
        component: &Component,
    ) -> Result<Vec<ComponentVersion>, ServiceError> {
        Ok(self
            .store
            .list_versions(VersionFilter {
                component_id: Some(component.id),
                channel: Some(relman_domain::Channel::stable()),
                exclude_yanked: true,
                ..Default::default()
            })
            .await?)
    }

    /// A component's aliases, in tree order (`latest`, `v2`, `v2.3`, `v2.3.1`, …).
    pub async fn aliases(&self, key: &str) -> Result<Vec<Alias>, ServiceError> {
        let component = self.component(key).await?;
        let versions = self.floating_versions(&component).await?;
        Ok(managed(&component, &versions))
    }

    /// Pushes every alias to the component's registry repository: a tag whose digest differs is
    /// re-put with the target manifest's exact bytes. With `dry_run`, only reads. Every created
    /// or moved tag is audited. The first registry refusal stops the apply and names the alias;
    /// the aliases already pushed stay pushed (applying again continues).
    pub async fn apply_aliases(
        &self,
        actor: &Actor,
        key: &str,
        dry_run: bool,
    ) -> Result<Vec<AppliedAlias>, ServiceError> {
        let component = self.component(key).await?;
        let client = self.client_for(&component).await?;
        let versions = self.floating_versions(&component).await?;
        let repository = component.image_repository.as_str();
        let mut out = Vec::new();
        for alias in managed(&component, &versions) {
            let failed = |e: RegistryError| ServiceError::AliasPushFailed {
                component: component.name.to_string(),
                alias: alias.alias.clone(),
                message: e.to_string(),
            };
            let previous = match client.resolve(repository, &alias.alias).await {
                Ok(m) => Some(m.digest),
                Err(RegistryError::NotFound { .. }) => None,
                Err(e) => return Err(failed(e)),
            };
            let change = match &previous {
                Some(d) if *d == alias.digest => AliasChange::Unchanged,
                Some(_) => AliasChange::Moved,
                None => AliasChange::Created,
            };
            if change != AliasChange::Unchanged && !dry_run {
                client
                    .put_tag(repository, &alias.alias, &alias.digest)
                    .await
                    .map_err(failed)?;
                let summary = format!(
                    "{} {}:{} to {} ({})",
                    change.as_str(),
                    component.name,
                    alias.alias,
                    alias.tag,
                    alias.digest
                );
                let resource = format!("{}:{}", component.id, alias.alias);
                let event = AuditEvent::new(actor, now(), "alias", "apply", resource, summary)
                    .notify(crate::notices::alias_moved(
                        &component,
                        &alias.alias,
                        &alias.digest,
                        previous.as_ref(),
                    ));
                self.store.record_event(&event).await?;
            }
            out.push(AppliedAlias {
                alias,
                previous,
                change,
            });
        }
        Ok(out)
    }
}
