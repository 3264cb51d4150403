//! Registry integration use cases.

use relman_domain::{
    Actor, AuditEvent, IntegrationAuth, IntegrationName, IntegrationSummary, RegistryIntegration,
    Secret, ValidationError,
};
use relman_storage::StorageError;
use uuid::Uuid;

use crate::Service;
use crate::error::{Resource, ServiceError};
use crate::input::{Errors, Key};

/// Credentials as a client sends them.
#[derive(Debug, Clone, Default)]
pub enum AuthInput {
    /// Anonymous.
    #[default]
    None,
    /// User name and password or access token.
    Basic {
        /// User name.
        username: String,
        /// Password or token.
        password: Secret,
    },
    /// A bearer token.
    Bearer {
        /// The token.
        token: Secret,
    },
}

impl From<AuthInput> for IntegrationAuth {
    fn from(a: AuthInput) -> Self {
        match a {
            AuthInput::None => Self::None,
            AuthInput::Basic { username, password } => Self::Basic { username, password },
            AuthInput::Bearer { token } => Self::Bearer { token },
        }
    }
}

/// What a client sends to create an integration.
#[derive(Debug, Clone, Default)]
pub struct IntegrationInput {
    /// Unique slug.
    pub name: String,
    /// Base URL.
    pub url: String,
    /// Allows `http://`.
    pub insecure: bool,
    /// Credentials.
    pub auth: AuthInput,
    /// Most requests in flight.
    pub max_concurrency: Option<u32>,
    /// Pacing.
    pub requests_per_second: Option<f64>,
    /// Push signed releases next to this registry's images.
    pub push_attestations: bool,
}

/// A partial update; `Some(None)` clears an optional limit. Credentials are replaced whole.
#[derive(Debug, Clone, Default)]
pub struct IntegrationPatch {
    /// New name.
    pub name: Option<String>,
    /// New URL.
    pub url: Option<String>,
    /// New insecure flag.
    pub insecure: Option<bool>,
    /// New credentials.
    pub auth: Option<AuthInput>,
    /// New or cleared concurrency limit.
    pub max_concurrency: Option<Option<u32>>,
    /// New or cleared pacing.
    pub requests_per_second: Option<Option<f64>>,
    /// New push-attestations flag.
    pub push_attestations: Option<bool>,
}

/// The id or name a path key names; a name that cannot be valid is not found without a query.
fn lookup(key: &str) -> Result<(Option<Uuid>, Option<&str>), ServiceError> {
    match Key::parse(key) {
        Key::Id(id) => Ok((Some(id), None)),
        Key::Name(name) if name.parse::<IntegrationName>().is_err() => Err(not_found(key)),
        Key::Name(name) => Ok((None, Some(name))),
    }
}

fn found_or(e: StorageError, key: &str) -> ServiceError {
    match e {
        StorageError::NotFound => not_found(key),
        other => other.into(),
    }
}

fn not_found(key: &str) -> ServiceError {
    ServiceError::NotFound {
        resource: Resource::Integration,
        key: key.to_owned(),
    }
}

fn name_taken(e: StorageError, name: &IntegrationName) -> ServiceError {
    match e {
        StorageError::Conflict { .. } => ServiceError::NameExists {
            resource: Resource::Integration,
            name: name.to_string(),
        },
        other => other.into(),
    }
}

impl Service {
    /// Registers a registry integration.
    pub async fn create_integration(
        &self,
        actor: &Actor,
        input: IntegrationInput,
    ) -> Result<RegistryIntegration, ServiceError> {
        let mut errors = Errors::default();
        let name = errors.parse::<IntegrationName>("name", &input.name);
        errors.finish()?;
        let Some(name) = name else {
            return Err(ValidationError::field("name", "invalid").into());
        };
        let now = crate::now();
        let integration = RegistryIntegration {
            id: Uuid::now_v7(),
            name,
            url: input.url.trim_end_matches('/').to_owned(),
            insecure: input.insecure,
            auth: input.auth.into(),
            max_concurrency: input.max_concurrency,
            requests_per_second: input.requests_per_second,
            push_attestations: input.push_attestations,
            created_at: now,
            updated_at: now,
        };
        integration.validate()?;
        let summary = format!(
            "created registry integration {} ({}, {} auth)",
            integration.name,
            integration.url,
            integration.auth.kind()
        );
        let event = AuditEvent::new(
            actor,
            now,
            "registry_integration",
            "create",
            integration.id,
            summary,
        );
        self.store
            .insert_integration(&integration, &event)
            .await
            .map_err(|e| name_taken(e, &integration.name))?;
        Ok(integration)
    }

    /// An integration by UUID or name.
    pub async fn integration(&self, key: &str) -> Result<RegistryIntegration, ServiceError> {
        let (id, name) = lookup(key)?;
        self.store
            .integration(id, name)
            .await
            .map_err(|e| found_or(e, key))
    }

    /// An integration by UUID or name, without its secret: reading it never decrypts.
    pub async fn integration_summary(&self, key: &str) -> Result<IntegrationSummary, ServiceError> {
        let (id, name) = lookup(key)?;
        self.store
            .integration_summary(id, name)
            .await
            .map_err(|e| found_or(e, key))
    }

    /// Every integration, by name, without secrets.
    pub async fn list_integrations(&self) -> Result<Vec<IntegrationSummary>, ServiceError> {
        Ok(self.store.list_integration_summaries().await?)
    }

    /// Applies a partial update.
    pub async fn update_integration(
        &self,
        actor: &Actor,
        key: &str,
        patch: IntegrationPatch,
    ) -> Result<RegistryIntegration, ServiceError> {
        let mut i = self.integration(key).await?;
        let mut errors = Errors::default();
        if let Some(name) = &patch.name
            && let Some(n) = errors.parse::<IntegrationName>("name", name)
        {
            i.name = n;
        }
        errors.finish()?;
        if let Some(url) = patch.url {
            i.url = url.trim_end_matches('/').to_owned();
        }
        if let Some(insecure) = patch.insecure {
            i.insecure = insecure;
        }
        if let Some(auth) = patch.auth {
            i.auth = auth.into();
        }
        if let Some(n) = patch.max_concurrency {
            i.max_concurrency = n;
        }
        if let Some(rps) = patch.requests_per_second {
            i.requests_per_second = rps;
        }
        if let Some(push) = patch.push_attestations {
            i.push_attestations = push;
        }
        i.validate()?;
        i.updated_at = crate::now();
        // Secrets never reach the audit trail: only whether credentials changed.
        let summary = format!(
            "updated registry integration {} ({}, {} auth)",
            i.name,
            i.url,
            i.auth.kind()
        );
        let event = AuditEvent::new(
            actor,
            i.updated_at,
            "registry_integration",
            "update",
            i.id,
            summary,
        );
        self.store
            .update_integration(&i, &event)
            .await
            .map_err(|e| match e {
                StorageError::NotFound => not_found(key),
                other => name_taken(other, &i.name),
            })?;
        // Its client stands for the old settings; the next use builds one for the new.
        self.registries.forget(i.id);
        Ok(i)
    }

    /// Deletes an integration; refused while a component uses it.
    pub async fn delete_integration(&self, actor: &Actor, key: &str) -> Result<(), ServiceError> {
        let i = self.integration(key).await?;
        let summary = format!("deleted registry integration {}", i.name);
        let event = AuditEvent::new(
            actor,
            crate::now(),
            "registry_integration",
            "delete",
            i.id,
            summary,
        );
        match self.store.delete_integration(i.id, &event).await {
            Ok(()) => {
                self.registries.forget(i.id);
                Ok(())
            }
            Err(StorageError::ForeignKey) => Err(ServiceError::InUse {
                resource: Resource::Integration,
                key: key.to_owned(),
                detail: "components use it".into(),
            }),
            Err(StorageError::NotFound) => Err(not_found(key)),
            Err(e) => Err(e.into()),
        }
    }

    /// Resolves a component's integration reference (UUID or name) to an id; an unknown one is a
    /// field error.
    pub(crate) async fn integration_ref(
        &self,
        errors: &mut Errors,
        key: Option<&str>,
    ) -> Result<Option<Uuid>, ServiceError> {
        let Some(key) = key else { return Ok(None) };
        match self.integration(key).await {
            Ok(i) => Ok(Some(i.id)),
            Err(ServiceError::NotFound { .. }) => {
                errors.push("registryIntegrationId", "no such registry integration");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// The outcome of checking an integration: reachability and credentials.
#[derive(Debug, Clone)]
pub struct IntegrationCheck {
    /// The registry answered `/v2/` with the configured credentials.
    pub ok: bool,
    /// Where it failed: `connection`, `registry`, `token_endpoint` or `configuration`.
    pub stage: Option<&'static str>,
    /// The HTTP status that failed it, if any.
    pub status: Option<u16>,
    /// What happened, in words.
    pub message: String,
    /// HTTP requests made.
    pub registry_requests: u64,
}

fn failure_stage(e: &relman_registry::RegistryError) -> &'static str {
    use relman_registry::{AuthStage, RegistryError as R};
    match e {
        R::InvalidConfig(_) | R::InvalidInput { .. } => "configuration",
        R::Unreachable { .. } | R::Timeout { .. } => "connection",
        R::AuthFailed {
            stage: AuthStage::TokenEndpoint,
            ..
        } => "token_endpoint",
        _ => "registry",
    }
}

impl Service {
    /// Pings the registry (`GET /v2/` with the token dance) and reports what failed, if anything.
    pub async fn test_integration(&self, key: &str) -> Result<IntegrationCheck, ServiceError> {
        let integration = self.integration(key).await?;
        let failed = |e: relman_registry::RegistryError, requests| IntegrationCheck {
            ok: false,
            stage: Some(failure_stage(&e)),
            status: e.status(),
            message: e.to_string(),
            registry_requests: requests,
        };
        // A client of its own: a cached token or learned auth scheme must not hide that the
        // configured credentials no longer work.
        let client = match self.registries.fresh_client(&integration) {
            Ok(c) => c,
            Err(e) => return Ok(failed(e, 0)),
        };
        Ok(match client.ping().await {
            Ok(()) => IntegrationCheck {
                ok: true,
                stage: None,
                status: None,
                message: "the registry answered with the configured credentials".into(),
                registry_requests: client.request_count(),
            },
            Err(e) => failed(e, client.request_count()),
        })
    }
}
