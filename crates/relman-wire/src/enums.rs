//! The API's closed sets of words, as Rust enums: serde refuses any other value (400
//! `validation_failed` naming the field) and the OpenAPI document lists them as `enum`.
//!
//! Each enum mirrors a domain enum one to one; the `From` conversions are exhaustive matches, so
//! a new domain variant does not compile until the wire learns its name.

use relman_domain::{
    DeploymentOutcome, DeploymentStatus, EnvironmentStatus, LatestAlias, ReleaseStatus,
    VersionSource, VersioningStrategy,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a wire enum with its wire names, `as_str`, and (with `from`) the conversion from its
/// domain enum.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident from $domain:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }
    ) => {
        wire_enum! { $(#[$meta])* $name { $($(#[$vmeta])* $variant = $wire),+ } }

        impl From<$domain> for $name {
            fn from(v: $domain) -> Self {
                match v {
                    $($domain::$variant => Self::$variant),+
                }
            }
        }
    };
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        // The derives read `rename_all` (utoipa cannot read a `rename` built from a macro
        // fragment); the `wire_names_match` test holds `as_str` and serde to the same names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }
        }
    };
}

wire_enum! {
    /// A release's life-cycle status: `draft → ready → promoting → deployed`, any → `deprecated`.
    ReleaseStatusName from ReleaseStatus {
        /// Members may change.
        Draft = "draft",
        /// Frozen and signed; may be promoted.
        Ready = "ready",
        /// A deployment is open.
        Promoting = "promoting",
        /// Ran successfully somewhere.
        Deployed = "deployed",
        /// Never promoted again; final.
        Deprecated = "deprecated",
    }
}

wire_enum! {
    /// Where a deployment stands.
    DeploymentStatusName from DeploymentStatus {
        /// Open: the CD tool has not reported yet.
        InProgress = "in_progress",
        /// Completed successfully.
        Succeeded = "succeeded",
        /// Completed with a failure.
        Failed = "failed",
    }
}

wire_enum! {
    /// How a deployment finished.
    OutcomeName from DeploymentOutcome {
        /// The release runs in the environment.
        Succeeded = "succeeded",
        /// It did not roll out.
        Failed = "failed",
    }
}

wire_enum! {
    /// A release's state in one environment.
    EnvironmentStatusName from EnvironmentStatus {
        /// It runs there now.
        Deployed = "deployed",
        /// It never ran there.
        NotDeployed = "not_deployed",
        /// A deployment of it there is open.
        Promoting = "promoting",
        /// Its last deployment there failed.
        Failed = "failed",
        /// It ran there and was replaced by another release.
        Superseded = "superseded",
    }
}

wire_enum! {
    /// Where a version record comes from.
    VersionSourceName from VersionSource {
        /// A registry sync.
        Sync = "sync",
        /// A version map; sync never overwrites it.
        Manual = "manual",
    }
}

wire_enum! {
    /// How a component's tags are ordered.
    VersioningStrategyName from VersioningStrategy {
        /// Semantic versioning (a leading `v` allowed).
        Semver = "semver",
    }
}

wire_enum! {
    /// What a component's `latest` alias floats to.
    LatestAliasName from LatestAlias {
        /// The highest stable version, like every other alias.
        Highest = "highest",
        /// Left alone: CI or a person owns `latest`; relman neither lists nor moves it.
        Unmanaged = "unmanaged",
    }
}

wire_enum! {
    /// What applying an alias did, or would do in a dry run.
    AliasChangeName {
        /// The registry had no such tag.
        Created = "created",
        /// The tag pointed at another digest.
        Moved = "moved",
        /// The tag already served the alias's digest.
        Unchanged = "unchanged",
    }
}

/// The kind of credentials an integration holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthType {
    /// Anonymous.
    None,
    /// User name and password.
    Basic,
    /// A bearer token.
    Bearer,
}

impl From<&relman_domain::IntegrationAuth> for AuthType {
    fn from(a: &relman_domain::IntegrationAuth) -> Self {
        use relman_domain::IntegrationAuth as A;
        match a {
            A::None => Self::None,
            A::Basic { .. } => Self::Basic,
            A::Bearer { .. } => Self::Bearer,
        }
    }
}

impl AuthType {
    /// From [`relman_domain::IntegrationAuth::kind`]'s names.
    pub fn of_kind(kind: &str) -> Self {
        match kind {
            "basic" => Self::Basic,
            "bearer" => Self::Bearer,
            _ => Self::None,
        }
    }
}

/// Where an integration check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStage {
    /// The registry could not be reached (DNS, TCP, TLS, timeout).
    Connection,
    /// The registry answered with an error.
    Registry,
    /// The token endpoint refused the credentials.
    TokenEndpoint,
    /// The integration's settings cannot work.
    Configuration,
}

impl CheckStage {
    /// The stage the service names, if it is one of these.
    pub fn parse(stage: &str) -> Option<Self> {
        Some(match stage {
            "connection" => Self::Connection,
            "registry" => Self::Registry,
            "token_endpoint" => Self::TokenEndpoint,
            "configuration" => Self::Configuration,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: Serialize + Copy>(all: &[T], as_str: impl Fn(T) -> &'static str) {
        for v in all {
            assert_eq!(serde_json::to_value(v).ok(), Some(as_str(*v).into()));
        }
    }

    #[test]
    fn wire_names_match() {
        check(ReleaseStatusName::ALL, ReleaseStatusName::as_str);
        check(DeploymentStatusName::ALL, DeploymentStatusName::as_str);
        check(OutcomeName::ALL, OutcomeName::as_str);
        check(EnvironmentStatusName::ALL, EnvironmentStatusName::as_str);
        check(VersionSourceName::ALL, VersionSourceName::as_str);
        check(VersioningStrategyName::ALL, VersioningStrategyName::as_str);
        check(LatestAliasName::ALL, LatestAliasName::as_str);
        check(AliasChangeName::ALL, AliasChangeName::as_str);
    }
}
