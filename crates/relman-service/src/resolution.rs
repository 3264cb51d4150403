//! The versions a release member's selector can choose from, found by indexed queries.
//!
//! The domain's `resolve_member` decides, with its rules and messages unchanged; it is only
//! handed the rows that can matter instead of every version of the component: the rows of equal
//! precedence for a `version`, the rows of the digest for a `digest`, and the present rows of the
//! channel's highest precedence for a `channel` (ties included, so a manual map still wins).

use relman_domain::{
    Component, ComponentVersion, MemberSelector, ReleaseMember, Unresolvable, resolve_member,
    version_sort_key,
};
use relman_storage::{Candidates, VersionFilter};

use crate::Service;
use crate::error::ServiceError;
use crate::release_input::MemberSpec;

impl Service {
    /// Each chosen member's candidate versions, in the order of `chosen`.
    pub(crate) async fn candidates(
        &self,
        chosen: &[(&MemberSpec, &Component)],
    ) -> Result<Vec<Vec<ComponentVersion>>, ServiceError> {
        let wanted = chosen
            .iter()
            .map(|(spec, component)| {
                let which = match &spec.selector {
                    MemberSelector::Version(v) => Candidates::SortKey(version_sort_key(v)),
                    MemberSelector::Digest(d) => Candidates::Digest(d.to_string()),
                    MemberSelector::Channel(c) => Candidates::TopOfChannel(c.to_string()),
                    MemberSelector::Default => {
                        Candidates::TopOfChannel(component.default_channel.to_string())
                    }
                };
                (component.id, which)
            })
            .collect();
        Ok(self.store.version_candidates(wanted).await?)
    }

    /// Lets the domain resolve `selector` among `candidates`. A digest that matched no present
    /// version is explained from all the component's versions (it may be one platform of an
    /// index, which only the index's row knows); that read happens on failure only.
    pub(crate) async fn resolve_among(
        &self,
        component: &Component,
        candidates: &[ComponentVersion],
        selector: &MemberSelector,
    ) -> Result<Result<ReleaseMember, Unresolvable>, ServiceError> {
        let resolved = resolve_member(component, candidates, selector);
        if resolved.is_ok() || !matches!(selector, MemberSelector::Digest(_)) {
            return Ok(resolved);
        }
        let all = self
            .store
            .list_versions(VersionFilter {
                component_id: Some(component.id),
                include_gone: true,
                ..Default::default()
            })
            .await?;
        Ok(resolve_member(component, &all, selector))
    }
}
