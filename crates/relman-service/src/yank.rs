//! Yanking versions: withdrawn from every channel resolution, alias and feed, still readable and
//! still pinned by the releases that pinned them.

use relman_domain::{Actor, AuditEvent, ComponentVersion, MAX_YANK_REASON_CHARS, Yank};
use relman_storage::StorageError;

use crate::error::{Resource, ServiceError};
use crate::input::{Errors, text};
use crate::{Service, now};

impl Service {
    /// Yanks a component's tag with an optional reason; yanking it again replaces the reason.
    pub async fn yank_version(
        &self,
        actor: &Actor,
        component_key: &str,
        tag: &str,
        reason: Option<String>,
    ) -> Result<ComponentVersion, ServiceError> {
        let mut errors = Errors::default();
        let reason = reason.and_then(|r| text(&mut errors, "reason", &r, MAX_YANK_REASON_CHARS));
        errors.finish()?;
        let at = now();
        let summary = match &reason {
            Some(r) => format!("yanked {component_key}:{tag}: {r}"),
            None => format!("yanked {component_key}:{tag}"),
        };
        self.set_yank(
            actor,
            component_key,
            tag,
            Some(Yank { at, reason }),
            summary,
        )
        .await
    }

    /// Takes a yank back: the version floats and resolves again.
    pub async fn unyank_version(
        &self,
        actor: &Actor,
        component_key: &str,
        tag: &str,
    ) -> Result<ComponentVersion, ServiceError> {
        let summary = format!("unyanked {component_key}:{tag}");
        self.set_yank(actor, component_key, tag, None, summary)
            .await
    }

    async fn set_yank(
        &self,
        actor: &Actor,
        component_key: &str,
        tag: &str,
        yank: Option<Yank>,
        summary: String,
    ) -> Result<ComponentVersion, ServiceError> {
        let component = self.component(component_key).await?;
        let action = if yank.is_some() { "yank" } else { "unyank" };
        let resource = format!("{}:{tag}", component.id);
        let event = AuditEvent::new(actor, now(), "version", action, resource, summary);
        let reason = yank.as_ref().and_then(|y| y.reason.clone());
        let yanking = yank.is_some();
        let subject = component.clone();
        let notices = move |v: &ComponentVersion| {
            if yanking {
                vec![crate::notices::version_yanked(
                    &subject,
                    v,
                    reason.as_deref(),
                )]
            } else {
                Vec::new()
            }
        };
        let written = self
            .store
            .set_yank(component.id, tag.to_owned(), yank, &event, notices)
            .await;
        self.forget_version_reads();
        written.map_err(|e| match e {
            StorageError::NotFound => ServiceError::NotFound {
                resource: Resource::Version,
                key: format!("{}:{tag}", component.name),
            },
            other => other.into(),
        })
    }
}
