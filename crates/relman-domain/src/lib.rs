#![doc = include_str!("../README.md")]

mod asset;
mod audit;
mod channel;
mod component;
mod digest;
mod error;
mod integration;
mod notice;
mod protection;
mod provenance;
mod signing;
mod text;
mod token;
mod version;
mod version_key;
mod webhook;

pub use asset::{
    Asset, AssetName, MAX_ASSET_LABEL_CHARS, validate_asset_label, validate_content_type,
};
pub use audit::{Actor, AuditEvent};
pub use channel::{Channel, ChannelRule, ChannelRules, STABLE, classify_channel};
pub use component::{
    Component, ComponentName, LatestAlias, MAX_SYNC_INTERVAL_SECONDS, MIN_SYNC_INTERVAL_SECONDS,
    TagPattern, VersioningStrategy, validate_image_repository, validate_sync_interval,
};
pub use digest::{Digest, DigestAlgorithm, DigestError};
pub use error::{FieldError, ValidationError};
pub use integration::{
    IntegrationAuth, IntegrationName, IntegrationSummary, MAX_CONCURRENCY_LIMIT,
    RegistryIntegration, Secret,
};
pub use notice::{EventType, Notice, UnknownEventType};
pub use protection::ProtectedReleases;
pub use provenance::{MAX_LABEL_CHARS, Provenance, REVISION_LABEL, SOURCE_LABEL, VERSION_LABEL};
pub use signing::{Attachment, AttachmentStatus, KeyStatus, SigningKeyInfo, StoredAttestation};
pub use text::{TextError, TextKind, check_text};
pub use token::{ApiToken, Scope, TOKEN_PREFIX, strongest};
pub use version::{
    ComponentVersion, MAX_YANK_REASON_CHARS, Platform, RetagRecord, VersionSource, Yank,
    compare_versions_desc, parse_semver, parse_tag_semver,
};
pub use version_key::{NO_SEMVER_KEY, optional_sort_key, version_sort_key};
pub use webhook::{DeliveryStatus, Webhook, WebhookDelivery};

mod aliases;
mod canonical;
mod compare;
mod deletion;
mod feed;
#[cfg(test)]
mod fixtures;
mod latest;
mod notes;
mod release;
mod selector;
mod slug;

pub use aliases::{Alias, compute_aliases};
pub use canonical::{canonical_members_json, content_digest};
pub use compare::{Comparison, ComponentRef, MemberChange, compare};
pub use deletion::{NotDeletable, check_deletable};
pub use feed::{Feed, FeedLatest, FeedList, compute_feed};
pub use latest::latest_release;
pub use notes::{NotesRelease, generate_notes};
pub use release::{
    Release, ReleaseMember, ReleaseName, ReleaseStatus, ReleaseSummary, SourceRef, TransitionError,
    transition,
};
pub use selector::{MemberSelector, Unresolvable, resolve_member};

mod deployment;
mod environment;

pub use deployment::{
    Deployment, DeploymentOutcome, DeploymentRecord, DeploymentStatus, EnvironmentState,
    EnvironmentStatus, PromotionRefusal, check_promotable, release_state, release_status_after,
};
pub use environment::{Environment, EnvironmentName, previous_environment};
pub use release::{ManualStatusError, manual_transition};
