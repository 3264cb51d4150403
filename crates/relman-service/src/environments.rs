//! Environment use cases: CRUD, and what runs in one.

use relman_domain::{Actor, AuditEvent, Environment, EnvironmentName, Release, ValidationError};
use relman_storage::StorageError;
use uuid::Uuid;

use crate::Service;
use crate::error::{Resource, ServiceError};
use crate::input::{Errors, Key, text};
use crate::release_input::MAX_DISPLAY_NAME;

/// What a client sends to create an environment.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentInput {
    /// Unique slug.
    pub name: String,
    /// Human-readable name; defaults to the name.
    pub display_name: Option<String>,
    /// Position in the promotion path; unique.
    pub order: i32,
    /// Whether a release must be deployed in the previous environment first; defaults to false.
    pub requires_previous: Option<bool>,
}

/// A partial update; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentPatch {
    /// New name.
    pub name: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// New order.
    pub order: Option<i32>,
    /// New rule.
    pub requires_previous: Option<bool>,
}

impl EnvironmentPatch {
    /// The client's names of the fields this patch sets, for the audit trail.
    fn changed_fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("displayName", self.display_name.is_some()),
            ("order", self.order.is_some()),
            ("requiresPrevious", self.requires_previous.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }
}

/// A unique constraint refused an environment write: the name or the order is taken.
fn taken(e: StorageError, env: &Environment) -> ServiceError {
    match e {
        StorageError::Conflict { constraint }
            if constraint.as_deref().is_some_and(|c| c.contains("order")) =>
        {
            ServiceError::OrderExists {
                order: env.order,
                taken_by: "another environment".into(),
            }
        }
        StorageError::Conflict { .. } => ServiceError::NameExists {
            resource: Resource::Environment,
            name: env.name.to_string(),
        },
        other => other.into(),
    }
}

impl Service {
    /// Creates an environment.
    pub async fn create_environment(
        &self,
        actor: &Actor,
        input: EnvironmentInput,
    ) -> Result<Environment, ServiceError> {
        let mut errors = Errors::default();
        let name = errors.parse::<EnvironmentName>("name", &input.name);
        let display_name = match &input.display_name {
            Some(d) => text(&mut errors, "displayName", d, MAX_DISPLAY_NAME),
            None => Some(input.name.clone()),
        };
        errors.finish()?;
        let (Some(name), Some(display_name)) = (name, display_name) else {
            // Unreachable: every `None` above recorded an error that `finish` returned.
            return Err(ValidationError::field("name", "invalid").into());
        };
        let now = crate::now();
        let env = Environment {
            id: Uuid::now_v7(),
            name,
            display_name,
            order: input.order,
            requires_previous: input.requires_previous.unwrap_or(false),
            created_at: now,
            updated_at: now,
        };
        let event = AuditEvent::new(
            actor,
            now,
            "environment",
            "create",
            env.id,
            format!("created environment {} (order {})", env.name, env.order),
        );
        match self.store.insert_environment(&env, &event).await {
            Ok(()) => Ok(env),
            Err(e) => Err(self.explain_taken(e, &env).await),
        }
    }

    /// An environment by UUID or name.
    pub async fn environment(&self, key: &str) -> Result<Environment, ServiceError> {
        let found = match Key::parse(key) {
            Key::Id(id) => self.store.environment_by_id(id).await,
            // A key that cannot be a name matches nothing and never reaches the database.
            Key::Name(name) if name.parse::<EnvironmentName>().is_err() => {
                Err(StorageError::NotFound)
            }
            Key::Name(name) => self.store.environment_by_name(name).await,
        };
        found.map_err(|e| match e {
            StorageError::NotFound => ServiceError::NotFound {
                resource: Resource::Environment,
                key: key.to_owned(),
            },
            other => other.into(),
        })
    }

    /// Every environment, in promotion order.
    pub async fn list_environments(&self) -> Result<Vec<Environment>, ServiceError> {
        Ok(self.store.list_environments().await?)
    }

    /// Applies a partial update.
    pub async fn update_environment(
        &self,
        actor: &Actor,
        key: &str,
        patch: EnvironmentPatch,
    ) -> Result<Environment, ServiceError> {
        let current = self.environment(key).await?;
        let mut env = current.clone();
        let mut errors = Errors::default();
        if let Some(name) = &patch.name
            && let Some(n) = errors.parse::<EnvironmentName>("name", name)
        {
            env.name = n;
        }
        if let Some(d) = &patch.display_name
            && let Some(d) = text(&mut errors, "displayName", d, MAX_DISPLAY_NAME)
        {
            env.display_name = d;
        }
        if let Some(order) = patch.order {
            env.order = order;
        }
        if let Some(r) = patch.requires_previous {
            env.requires_previous = r;
        }
        errors.finish()?;
        if env == current {
            // Nothing changes, so nothing is written or recorded.
            return Ok(current);
        }
        env.updated_at = crate::now().max(current.updated_at);
        let event = AuditEvent::new(
            actor,
            env.updated_at,
            "environment",
            "update",
            env.id,
            format!(
                "updated environment {}: {}",
                env.name,
                patch.changed_fields().join(", ")
            ),
        );
        match self.store.update_environment(&env, &event).await {
            Ok(()) => Ok(env),
            Err(StorageError::NotFound) => Err(ServiceError::NotFound {
                resource: Resource::Environment,
                key: key.to_owned(),
            }),
            Err(e) => Err(self.explain_taken(e, &env).await),
        }
    }

    /// Deletes an environment; refused while deployments (of any outcome) reference it, so
    /// history keeps its meaning.
    pub async fn delete_environment(&self, actor: &Actor, key: &str) -> Result<(), ServiceError> {
        let env = self.environment(key).await?;
        let event = AuditEvent::new(
            actor,
            crate::now(),
            "environment",
            "delete",
            env.id,
            format!("deleted environment {}", env.name),
        );
        self.store
            .delete_environment(env.id, &event)
            .await
            .map_err(|e| match e {
                StorageError::NotFound => ServiceError::NotFound {
                    resource: Resource::Environment,
                    key: key.to_owned(),
                },
                // The foreign key from deployments refuses the delete.
                StorageError::ForeignKey => ServiceError::InUse {
                    resource: Resource::Environment,
                    key: key.to_owned(),
                    detail: "it has deployment history, which must keep its meaning".into(),
                },
                other => other.into(),
            })
    }

    /// The release running in an environment now.
    pub async fn current_release(&self, key: &str) -> Result<Release, ServiceError> {
        let env = self.environment(key).await?;
        let Some(release_id) = self.store.current_releases().await?.remove(&env.id) else {
            return Err(ServiceError::NothingRunning {
                environment: key.to_owned(),
            });
        };
        self.release(&release_id.to_string()).await
    }

    /// Turns a unique violation into the error naming what is taken, with the environment that
    /// holds a taken order when it can still be found.
    async fn explain_taken(&self, e: StorageError, env: &Environment) -> ServiceError {
        match taken(e, env) {
            ServiceError::OrderExists { order, .. } => {
                let holder =
                    self.store.list_environments().await.ok().and_then(|all| {
                        all.into_iter().find(|e| e.order == order && e.id != env.id)
                    });
                ServiceError::OrderExists {
                    order,
                    taken_by: holder
                        .map_or_else(|| "another environment".into(), |e| e.name.to_string()),
                }
            }
            other => other,
        }
    }
}
