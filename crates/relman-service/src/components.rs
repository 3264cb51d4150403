//! Component use cases.

use relman_domain::{
    Actor, AuditEvent, Channel, ChannelRule, ChannelRules, Component, ComponentName, LatestAlias,
    TagPattern, ValidationError, VersioningStrategy, validate_image_repository,
    validate_sync_interval,
};
use relman_storage::StorageError;
use uuid::Uuid;

use crate::Service;
use crate::error::{Resource, ServiceError};
use crate::input::{Errors, Key, text};

/// One channel rule as a client writes it.
#[derive(Debug, Clone)]
pub struct ChannelRuleInput {
    /// Regular expression over the tag.
    pub pattern: String,
    /// Channel assigned to matching tags.
    pub channel: String,
}

/// What a client sends to create a component.
#[derive(Debug, Clone, Default)]
pub struct ComponentInput {
    /// Unique slug.
    pub name: String,
    /// Human-readable name; defaults to the name.
    pub display_name: Option<String>,
    /// Repository path inside the registry.
    pub image_repository: String,
    /// The registry integration serving the repository (UUID or name).
    pub registry_integration_id: Option<String>,
    /// Defaults to `semver`.
    pub versioning_strategy: Option<String>,
    /// Defaults to `stable`.
    pub default_channel: Option<String>,
    /// Only tags matching this are tracked.
    pub tag_pattern: Option<String>,
    /// Ordered channel overrides.
    pub channel_rules: Vec<ChannelRuleInput>,
    /// Own scheduled-sync interval in seconds: `None` follows the global one, `0` never;
    /// otherwise 60..=604800.
    pub sync_interval_seconds: Option<i64>,
    /// Whether sync records `pushedAt`; defaults to `true`.
    pub record_pushed_at: Option<bool>,
    /// What the `latest` alias floats to: `highest` (default) or `unmanaged`.
    pub latest_alias: Option<String>,
}

/// A partial update: `None` keeps the current value; `Some(None)` clears a nullable field.
#[derive(Debug, Clone, Default)]
pub struct ComponentPatch {
    /// New name.
    pub name: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// New repository path.
    pub image_repository: Option<String>,
    /// New or cleared integration.
    pub registry_integration_id: Option<Option<String>>,
    /// New strategy.
    pub versioning_strategy: Option<String>,
    /// New default channel.
    pub default_channel: Option<String>,
    /// New or cleared tag pattern.
    pub tag_pattern: Option<Option<String>>,
    /// New rules (replacing all).
    pub channel_rules: Option<Vec<ChannelRuleInput>>,
    /// New own sync interval; `Some(None)` goes back to the global one.
    pub sync_interval_seconds: Option<Option<i64>>,
    /// Whether sync records `pushedAt` from now on.
    pub record_pushed_at: Option<bool>,
    /// New `latest` alias policy.
    pub latest_alias: Option<String>,
}

const MAX_DISPLAY_NAME: usize = 200;

impl ComponentPatch {
    /// The client's names of the fields this patch sets, for the audit trail.
    fn changed_fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("displayName", self.display_name.is_some()),
            ("imageRepository", self.image_repository.is_some()),
            (
                "registryIntegrationId",
                self.registry_integration_id.is_some(),
            ),
            ("versioningStrategy", self.versioning_strategy.is_some()),
            ("defaultChannel", self.default_channel.is_some()),
            ("tagPattern", self.tag_pattern.is_some()),
            ("channelRules", self.channel_rules.is_some()),
            ("syncIntervalSeconds", self.sync_interval_seconds.is_some()),
            ("recordPushedAt", self.record_pushed_at.is_some()),
            ("latestAlias", self.latest_alias.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }
}

fn channel_rules(errors: &mut Errors, rules: &[ChannelRuleInput]) -> ChannelRules {
    let parsed = rules.iter().enumerate().filter_map(|(i, r)| {
        errors.take_nested(
            &format!("channelRules[{i}]"),
            ChannelRule::new(&r.pattern, &r.channel),
        )
    });
    ChannelRules(parsed.collect())
}

/// A checked own sync interval; an invalid one is recorded in `errors` (and `None` returned,
/// which `finish` never lets through).
fn sync_interval(errors: &mut Errors, seconds: Option<i64>) -> Option<u32> {
    seconds.and_then(|s| errors.take("syncIntervalSeconds", validate_sync_interval(s)))
}

fn name_taken(e: StorageError, name: &ComponentName) -> ServiceError {
    match e {
        StorageError::Conflict { .. } => ServiceError::NameExists {
            resource: Resource::Component,
            name: name.to_string(),
        },
        other => other.into(),
    }
}

impl Service {
    /// Registers a component.
    pub async fn create_component(
        &self,
        actor: &Actor,
        input: ComponentInput,
    ) -> Result<Component, ServiceError> {
        let mut errors = Errors::default();
        let name = errors.parse::<ComponentName>("name", &input.name);
        let display_name = match &input.display_name {
            Some(d) => text(&mut errors, "displayName", d, MAX_DISPLAY_NAME),
            None => Some(input.name.clone()),
        };
        errors.take(
            "imageRepository",
            validate_image_repository(&input.image_repository),
        );
        let strategy = errors.parse::<VersioningStrategy>(
            "versioningStrategy",
            input.versioning_strategy.as_deref().unwrap_or("semver"),
        );
        let default_channel = errors.parse::<Channel>(
            "defaultChannel",
            input.default_channel.as_deref().unwrap_or("stable"),
        );
        let tag_pattern = input
            .tag_pattern
            .as_deref()
            .and_then(|p| errors.take("tagPattern", TagPattern::new(p)));
        let rules = channel_rules(&mut errors, &input.channel_rules);
        let sync_interval = sync_interval(&mut errors, input.sync_interval_seconds);
        let latest_alias = match input.latest_alias.as_deref() {
            Some(p) => errors.parse::<LatestAlias>("latestAlias", p),
            None => Some(LatestAlias::default()),
        };
        let integration_id = self
            .integration_ref(&mut errors, input.registry_integration_id.as_deref())
            .await?;
        errors.finish()?;
        let (Some(name), Some(display_name), Some(versioning_strategy), Some(default_channel)) =
            (name, display_name, strategy, default_channel)
        else {
            // Unreachable: every `None` above recorded an error that `finish` returned.
            return Err(ValidationError::field("name", "invalid").into());
        };
        let now = crate::now();
        let component = Component {
            id: Uuid::now_v7(),
            name,
            display_name,
            image_repository: input.image_repository,
            registry_integration_id: integration_id,
            versioning_strategy,
            default_channel,
            tag_pattern,
            channel_rules: rules,
            sync_interval_seconds: sync_interval,
            record_pushed_at: input.record_pushed_at.unwrap_or(true),
            latest_alias: latest_alias.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        let event = AuditEvent::new(
            actor,
            now,
            "component",
            "create",
            component.id,
            format!(
                "created component {} ({})",
                component.name, component.image_repository
            ),
        );
        self.store
            .insert_component(&component, &event)
            .await
            .map_err(|e| name_taken(e, &component.name))?;
        Ok(component)
    }

    /// A component by UUID or name.
    pub async fn component(&self, key: &str) -> Result<Component, ServiceError> {
        let found = match Key::parse(key) {
            Key::Id(id) => self.store.component_by_id(id).await,
            // A key that cannot be a name matches nothing; it never reaches the database (which
            // may refuse bytes such as NUL outright).
            Key::Name(name) if name.parse::<ComponentName>().is_err() => {
                Err(StorageError::NotFound)
            }
            Key::Name(name) => self.store.component_by_name(name).await,
        };
        found.map_err(|e| match e {
            StorageError::NotFound => ServiceError::NotFound {
                resource: Resource::Component,
                key: key.to_owned(),
            },
            other => other.into(),
        })
    }

    /// Every component, by name.
    pub async fn list_components(&self) -> Result<Vec<Component>, ServiceError> {
        Ok(self.store.list_components().await?)
    }

    /// Applies a partial update.
    pub async fn update_component(
        &self,
        actor: &Actor,
        key: &str,
        patch: ComponentPatch,
    ) -> Result<Component, ServiceError> {
        let mut c = self.component(key).await?;
        let changed = patch.changed_fields();
        let mut errors = Errors::default();
        if let Some(name) = &patch.name
            && let Some(n) = errors.parse::<ComponentName>("name", name)
        {
            c.name = n;
        }
        if let Some(d) = &patch.display_name
            && let Some(d) = text(&mut errors, "displayName", d, MAX_DISPLAY_NAME)
        {
            c.display_name = d;
        }
        if let Some(repo) = patch.image_repository
            && errors
                .take("imageRepository", validate_image_repository(&repo))
                .is_some()
        {
            c.image_repository = repo;
        }
        if let Some(key) = patch.registry_integration_id {
            c.registry_integration_id = self.integration_ref(&mut errors, key.as_deref()).await?;
        }
        if let Some(s) = &patch.versioning_strategy
            && let Some(s) = errors.parse("versioningStrategy", s)
        {
            c.versioning_strategy = s;
        }
        if let Some(ch) = &patch.default_channel
            && let Some(ch) = errors.parse("defaultChannel", ch)
        {
            c.default_channel = ch;
        }
        match patch.tag_pattern {
            Some(Some(p)) => {
                if let Some(p) = errors.take("tagPattern", TagPattern::new(&p)) {
                    c.tag_pattern = Some(p);
                }
            }
            Some(None) => c.tag_pattern = None,
            None => {}
        }
        if let Some(rules) = &patch.channel_rules {
            c.channel_rules = channel_rules(&mut errors, rules);
        }
        if let Some(seconds) = patch.sync_interval_seconds {
            c.sync_interval_seconds = sync_interval(&mut errors, seconds);
        }
        if let Some(record) = patch.record_pushed_at {
            c.record_pushed_at = record;
        }
        if let Some(p) = &patch.latest_alias
            && let Some(p) = errors.parse("latestAlias", p)
        {
            c.latest_alias = p;
        }
        errors.finish()?;
        c.updated_at = crate::now();
        let summary = format!("updated component {}: {}", c.name, changed.join(", "));
        let event = AuditEvent::new(actor, c.updated_at, "component", "update", c.id, summary);
        let updated = self.store.update_component(&c, &event).await;
        // A rename or new channel rules change what a version-list key answers.
        self.forget_version_reads();
        updated.map_err(|e| match e {
            StorageError::NotFound => ServiceError::NotFound {
                resource: Resource::Component,
                key: key.to_owned(),
            },
            other => name_taken(other, &c.name),
        })?;
        Ok(c)
    }

    /// Deletes a component and its versions.
    pub async fn delete_component(&self, actor: &Actor, key: &str) -> Result<(), ServiceError> {
        let c = self.component(key).await?;
        let summary = format!("deleted component {}", c.name);
        let event = AuditEvent::new(actor, crate::now(), "component", "delete", c.id, summary);
        let deleted = self.store.delete_component(c.id, &event).await;
        self.forget_version_reads();
        deleted.map_err(|e| match e {
            StorageError::NotFound => ServiceError::NotFound {
                resource: Resource::Component,
                key: key.to_owned(),
            },
            // A foreign key from a release member refuses the delete.
            StorageError::ForeignKey => ServiceError::InUse {
                resource: Resource::Component,
                key: key.to_owned(),
                detail: "releases reference it".into(),
            },
            other => other.into(),
        })
    }
}
