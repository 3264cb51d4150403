//! The service's errors: what went wrong in terms a client can act on, free of HTTP.

use std::fmt;

use relman_domain::{ReleaseStatus, TransitionError, Unresolvable, ValidationError};
use relman_storage::StorageError;

/// The kinds of resource errors can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A component.
    Component,
    /// A version of a component.
    Version,
    /// A registry integration.
    Integration,
    /// A release bundle.
    Release,
    /// An environment.
    Environment,
    /// A deployment.
    Deployment,
    /// An API token.
    Token,
    /// A release signing key.
    SigningKey,
    /// A file attached to a release.
    Asset,
    /// A sync started in the background.
    SyncJob,
    /// An outgoing webhook.
    Webhook,
    /// One event on its way to a webhook.
    WebhookDelivery,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Component => "component",
            Self::Version => "version",
            Self::Integration => "registry integration",
            Self::Release => "release",
            Self::Environment => "environment",
            Self::Deployment => "deployment",
            Self::Token => "API token",
            Self::SigningKey => "signing key",
            Self::Asset => "asset",
            Self::SyncJob => "sync job",
            Self::Webhook => "webhook",
            Self::WebhookDelivery => "webhook delivery",
        })
    }
}

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks the rules; every failing field is listed.
    #[error("invalid input: {0}")]
    Invalid(ValidationError),
    /// No such resource.
    #[error("{resource} '{key}' not found")]
    NotFound {
        /// What was looked for.
        resource: Resource,
        /// The id or name given.
        key: String,
    },
    /// The name is taken.
    #[error("a {resource} named '{name}' already exists")]
    NameExists {
        /// What kind of resource.
        resource: Resource,
        /// The taken name.
        name: String,
    },
    /// The resource is still referenced and cannot be removed.
    #[error("{resource} '{key}' is in use: {detail}")]
    InUse {
        /// What kind of resource.
        resource: Resource,
        /// Its id or name.
        key: String,
        /// What uses it.
        detail: String,
    },
    /// A release was given no members.
    #[error("a release needs at least one member ({field} is empty)")]
    EmptyRelease {
        /// The request field that held the members.
        field: String,
    },
    /// Two members name the same component (perhaps once by name and once by id).
    #[error(
        "{field} names component '{component}' again (first at {first}); a release pins one version per component"
    )]
    DuplicateComponent {
        /// The repeated member's path, e.g. `components[2]`.
        field: String,
        /// The component's name.
        component: String,
        /// The path of the member that named it first.
        first: String,
    },
    /// Members whose selector matched no version; every failing member is listed.
    #[error("{}", unresolved_summary(.members))]
    Unresolvable {
        /// The failing members, in request order.
        members: Vec<UnresolvedMember>,
    },
    /// The release name is taken by a release with other members.
    #[error(
        "a release named '{name}' already exists with different content \
         (its digest is {existing_digest}, this request's is {requested_digest})"
    )]
    NameExistsDifferentContent {
        /// The name.
        name: String,
        /// The existing release's content digest.
        existing_digest: String,
        /// The content digest the request would have had.
        requested_digest: String,
    },
    /// The status machine refuses the change.
    #[error("{0}")]
    InvalidTransition(TransitionError),
    /// The release has left draft: its members and other frozen fields cannot change.
    #[error(
        "release '{key}' is {status}: {fields} can change only while it is a draft; \
         create a new release instead"
    )]
    ReleaseImmutable {
        /// The release's id or name as given.
        key: String,
        /// Its current status.
        status: ReleaseStatus,
        /// The frozen fields the request tried to change, comma-separated.
        fields: String,
    },
    /// `pinFrom` names an environment where no release is deployed.
    #[error("nothing is deployed in environment '{environment}' to start from")]
    NothingDeployed {
        /// The environment as given.
        environment: String,
    },
    /// Another environment has this `order`.
    #[error("environment '{taken_by}' already has order {order}; orders are unique")]
    OrderExists {
        /// The order asked for.
        order: i32,
        /// The environment holding it.
        taken_by: String,
    },
    /// A client asked for a status only deployments set.
    #[error(
        "cannot change a release from {from} to {to}: promoting and deployed follow deployments; \
         promote with POST /api/v1/releases/{{id}}/promote and finish with \
         POST /api/v1/deployments/{{id}}/complete"
    )]
    StatusByDeploymentOnly {
        /// The current status.
        from: ReleaseStatus,
        /// The status asked for.
        to: ReleaseStatus,
    },
    /// A draft cannot be promoted.
    #[error("release '{key}' cannot be promoted: it is a draft; mark it ready first")]
    ReleaseNotReady {
        /// The release as given.
        key: String,
    },
    /// A deprecated release cannot be promoted.
    #[error(
        "release '{key}' cannot be promoted: it is deprecated; promote another release \
         (an older one rolls back)"
    )]
    ReleaseDeprecated {
        /// The release as given.
        key: String,
    },
    /// The target environment requires the release to have been deployed in the one before it.
    #[error(
        "environment '{environment}' requires the release to be deployed in '{previous}' first, \
         and release '{release}' never was"
    )]
    PreviousEnvironmentRequired {
        /// The release's name.
        release: String,
        /// The target environment's name.
        environment: String,
        /// The previous environment's name.
        previous: String,
    },
    /// Another deployment to the environment is open.
    #[error(
        "a deployment to environment '{environment}' is in progress; complete it first \
         (POST /api/v1/deployments/{{id}}/complete)"
    )]
    DeploymentInProgress {
        /// The environment's name.
        environment: String,
    },
    /// The deployment was completed already.
    #[error("deployment '{id}' is already completed ({status}); a deployment finishes once")]
    DeploymentCompleted {
        /// The deployment.
        id: String,
        /// How it finished.
        status: relman_domain::DeploymentStatus,
    },
    /// Nothing runs in the environment.
    #[error("nothing is deployed in environment '{environment}'")]
    NothingRunning {
        /// The environment as given.
        environment: String,
    },
    /// The release is protected: only an admin may deprecate or delete it.
    #[error(
        "release '{release}' is protected (pattern '{pattern}'): only an admin token may deprecate or delete it"
    )]
    Protected {
        /// The release's name.
        release: String,
        /// The pattern that protects it.
        pattern: String,
    },
    /// Another request changed or removed what this one relied on while it ran; retrying helps.
    #[error("another request changed the data this one relied on; retry the request")]
    ConcurrentChange(#[source] StorageError),
    /// Other writers kept changing the resource while this request tried to; retrying helps.
    #[error("{resource} '{key}' changed concurrently too often; retry the request")]
    Contended {
        /// What kind of resource.
        resource: Resource,
        /// Its id or name.
        key: String,
    },
    /// The component has no registry to sync from.
    #[error("component '{component}' has no registry integration to sync from")]
    NoRegistryIntegration {
        /// The component's name.
        component: String,
    },
    /// The tag is not in the registry.
    #[error("the registry has no tag '{tag}' for component '{component}'")]
    TagNotInRegistry {
        /// The component's name.
        component: String,
        /// The tag.
        tag: String,
    },
    /// A push notification did not prove it knows the integration's event secret (or the
    /// integration has none yet).
    #[error("the push notification for registry integration '{integration}' is not authenticated")]
    PushUnauthenticated {
        /// The integration, as the path named it.
        integration: String,
    },
    /// A sync of this component is already running (on this server or another replica).
    #[error("component '{component}' is being synced right now; retry shortly")]
    SyncInProgress {
        /// The component's name.
        component: String,
    },
    /// Two members are the same image repository on the same registry (seed 002: a bundle
    /// must not hold two digests for one path).
    #[error(
        "{field} is image '{image}', as {first} is; a release holds one digest per image repository"
    )]
    MemberCollision {
        /// The colliding member's path, e.g. `components[2]`.
        field: String,
        /// The image repository both name.
        image: String,
        /// The path of the member that named it first.
        first: String,
    },
    /// A draft release has no attestation: it is signed when it leaves draft.
    #[error("release '{key}' is a draft and not signed yet")]
    NotSigned {
        /// The release's id or name.
        key: String,
    },
    /// The release change was written, but pushing its attestation to a registry failed.
    #[error("the attestation of release '{release}' could not be pushed to {image}: {message}")]
    AttachmentFailed {
        /// The release's name.
        release: String,
        /// The image the push was for.
        image: String,
        /// The registry's answer.
        message: String,
    },
    /// The registry refused or failed to take an alias tag; the aliases before it were pushed.
    #[error("alias '{alias}' of component '{component}' could not be pushed: {message}")]
    AliasPushFailed {
        /// The component's name.
        component: String,
        /// The alias tag, e.g. `v2.3`.
        alias: String,
        /// The registry's answer.
        message: String,
    },
    /// An upload grew past the configured asset size limit; nothing was kept.
    #[error("the asset is larger than the limit of {limit} bytes")]
    AssetTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The upload itself was malformed or broke off; nothing was kept.
    #[error("the upload failed: {message}")]
    BadUpload {
        /// What was wrong with it.
        message: String,
    },
    /// The asset store (folder or bucket) failed or is not configured; nothing was changed.
    #[error("asset storage failed: {message}")]
    AssetStorage {
        /// What happened.
        message: String,
    },
    /// The registry failed; nothing was changed.
    #[error("the registry failed")]
    Registry(#[source] relman_registry::RegistryError),
    /// The database is unreachable or not migrated.
    #[error("not ready")]
    NotReady(#[source] StorageError),
    /// A storage failure the client cannot fix.
    #[error("internal storage error")]
    Storage(#[source] StorageError),
}

/// A release member whose selector did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedMember {
    /// The member's path in the request, e.g. `components[1]`.
    pub field: String,
    /// The component's name.
    pub component: String,
    /// Why no version was chosen.
    pub reason: Unresolvable,
}

fn unresolved_summary(members: &[UnresolvedMember]) -> String {
    let parts: Vec<String> = members
        .iter()
        .map(|m| format!("{}: {}", m.field, m.reason))
        .collect();
    format!("cannot resolve {}", parts.join("; "))
}

impl From<ValidationError> for ServiceError {
    fn from(e: ValidationError) -> Self {
        Self::Invalid(e)
    }
}

impl From<StorageError> for ServiceError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Unavailable(_) => Self::NotReady(e),
            // A constraint that no use case expected to meet: another request changed or removed
            // what this one relied on between its read and its write. Retrying decides anew.
            StorageError::Conflict { .. } | StorageError::ForeignKey => Self::ConcurrentChange(e),
            other => Self::Storage(other),
        }
    }
}

impl ServiceError {
    /// The registry refused the credentials.
    pub fn is_registry_auth_failure(&self) -> bool {
        matches!(
            self,
            Self::Registry(relman_registry::RegistryError::AuthFailed { .. })
        )
    }

    /// The HTTP status the registry answered, for registry failures that had one.
    pub fn registry_status(&self) -> Option<u16> {
        match self {
            Self::Registry(e) => e.status(),
            _ => None,
        }
    }
}
