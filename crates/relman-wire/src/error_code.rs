//! The closed catalogue of error codes: every `code` a problem body can carry, with its HTTP
//! status and a one-line meaning. The server builds its errors from a variant only, so no other
//! string can reach a client; `docs/ERRORS.md` is checked against this table by a test, and
//! the `Problem` schema's `code` is this enum, so SDKs know every value.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])+ $variant:ident = ($status:literal, $code:literal), )+) => {
        /// A stable, machine-readable error code (docs/ERRORS.md).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl ErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant),+];

            /// The code as it appears in `code` and in the problem `type`.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code,)+ }
            }

            /// The HTTP status every answer with this code has.
            pub fn status(self) -> u16 {
                match self { $(Self::$variant => $status,)+ }
            }

            /// What it means, in one line.
            pub fn meaning(self) -> &'static str {
                match self { $(Self::$variant => concat!($($doc),+).trim_ascii(),)+ }
            }
        }
    };
}

error_codes! {
    /// The body is not JSON (syntax error, truncated, trailing data).
    InvalidJson = (400, "invalid_json"),
    /// Well-formed but wrong: a wrong type, a missing or unknown field, a broken rule, a control character.
    ValidationFailed = (400, "validation_failed"),
    /// The body could not be read.
    InvalidBody = (400, "invalid_body"),
    /// An asset upload that is not a well-formed multipart body with one file part, or that broke off.
    InvalidUpload = (400, "invalid_upload"),
    /// Release members name one component twice.
    DuplicateComponent = (400, "duplicate_component"),
    /// A release with no members.
    EmptyRelease = (400, "empty_release"),
    /// Two members are the same image repository on the same registry.
    MemberCollision = (400, "member_collision"),
    /// No bearer token, or not a valid one (unknown, revoked, expired).
    Unauthenticated = (401, "unauthenticated"),
    /// The token lacks the scope, or the release is protected.
    Forbidden = (403, "forbidden"),
    /// Unknown resource or path.
    NotFound = (404, "not_found"),
    /// The release is a draft: it has no attestation yet.
    NotSigned = (404, "not_signed"),
    /// The path exists, with other methods (`Allow` lists them).
    MethodNotAllowed = (405, "method_not_allowed"),
    /// The name is taken (for releases, by different content).
    NameExists = (409, "name_exists"),
    /// Another environment has this `order`.
    OrderExists = (409, "order_exists"),
    /// Still referenced: cannot be removed.
    InUse = (409, "in_use"),
    /// The release's status cannot move that way.
    InvalidTransition = (409, "invalid_transition"),
    /// The release left draft: members and frozen fields cannot change.
    ReleaseImmutable = (409, "release_immutable"),
    /// Promoting a draft release.
    ReleaseNotReady = (409, "release_not_ready"),
    /// Promoting a deprecated release.
    ReleaseDeprecated = (409, "release_deprecated"),
    /// The environment requires the release in the previous one first.
    PreviousEnvironmentRequired = (409, "previous_environment_required"),
    /// Another deployment to the environment is open.
    DeploymentInProgress = (409, "deployment_in_progress"),
    /// The deployment is already completed.
    DeploymentCompleted = (409, "deployment_completed"),
    /// A concurrent writer won the race for what this request changes; retry.
    ConcurrentUpdate = (409, "concurrent_update"),
    /// A sync of the component is already running (here or on another replica).
    SyncInProgress = (409, "sync_in_progress"),
    /// The body exceeds the size limit.
    PayloadTooLarge = (413, "payload_too_large"),
    /// A `Range` that asks for no byte of the asset; `Content-Range` gives its size.
    RangeNotSatisfiable = (416, "range_not_satisfiable"),
    /// The body's media type is not the one the operation takes (JSON; multipart/form-data for asset uploads).
    UnsupportedMediaType = (415, "unsupported_media_type"),
    /// A member, or a tag the registry does not have, cannot be resolved.
    UnresolvableVersion = (422, "unresolvable_version"),
    /// Nothing is deployed in the environment a release was to start from.
    NothingDeployed = (422, "nothing_deployed"),
    /// A sync of a component that has no registry integration.
    NoRegistryIntegration = (422, "no_registry_integration"),
    /// The token's request rate is exceeded; see `Retry-After`.
    RateLimited = (429, "rate_limited"),
    /// A fault of relman's; the log has the cause under the request id.
    InternalError = (500, "internal_error"),
    /// The registry failed; its status and message are in `detail`.
    RegistryError = (502, "registry_error"),
    /// The registry refused the credentials.
    RegistryAuthFailed = (502, "registry_auth_failed"),
    /// The release changed as asked, but pushing its attestation to a registry failed; retry.
    AttachmentFailed = (502, "attachment_failed"),
    /// The registry refused or failed to take an alias tag; `detail` names the alias.
    AliasPushFailed = (502, "alias_push_failed"),
    /// The database is unreachable or not migrated, or the server is shutting down.
    NotReady = (503, "not_ready"),
    /// The asset store (folder or S3 bucket) failed or is not configured; nothing was changed.
    AssetStorageUnavailable = (503, "asset_storage_unavailable"),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_are_the_codes() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap_or_default();
            assert_eq!(json, code.as_str(), "{code:?}");
            assert!(!code.meaning().is_empty());
        }
    }
}
