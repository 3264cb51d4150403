//! Push notifications from registries: the event secret and what a notification was taken as.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `POST /registry-integrations/{id}/event-secret`: the new secret, shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventSecretResponse {
    /// The secret registries prove: as a bearer token, as the key of `X-Hub-Signature-256`, or
    /// in `?secret=`. Replaces any earlier one at once.
    pub secret: String,
    /// Where registries send their notifications (this server's path).
    pub endpoint: String,
}

/// `POST /registry-integrations/{id}/events`: how the notification was taken.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushReceiptResponse {
    /// Pushed tags of tracked components, re-resolved in the background.
    #[schema(minimum = 0)]
    pub accepted: u64,
    /// Events and tags not acted on: pulls, pushes by digest, untracked repositories, tags a
    /// component's pattern leaves out.
    #[schema(minimum = 0)]
    pub ignored: u64,
}

/// Query of `POST /registry-integrations/{id}/events`.
#[derive(Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PushEventParams {
    /// The event secret, for senders that sign nothing (Docker Hub). Prefer the
    /// `Authorization: Bearer` header where the sender can set one.
    #[param(max_length = 200)]
    pub secret: Option<String>,
}
