//! Outgoing webhooks and their deliveries; registry push notifications (the integration's event
//! secret, and the notification a registry sends).

use relman_wire::push_events::{EventSecretResponse, PushReceiptResponse};
use relman_wire::webhooks::{
    CreateWebhookRequest, CreatedWebhookResponse, DeliveryParams, DeliveryResponse,
    UpdateWebhookRequest, WebhookResponse,
};
use reqwest::Method;

use crate::transport::api as path;
use crate::{Client, Error, Listed};

/// How a push notification proves the integration's event secret (the answer of
/// [`Client::rotate_registry_event_secret`]).
#[derive(Clone, Copy)]
pub enum PushProof<'a> {
    /// `Authorization: Bearer <secret>` (CNCF distribution, Harbor).
    Bearer(&'a str),
    /// `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the exact body keyed with the
    /// secret, computed by the caller (GitHub).
    HubSignature(&'a str),
    /// `?secret=<secret>` (Docker Hub, which can set no header).
    Query(&'a str),
}

impl std::fmt::Debug for PushProof<'_> {
    /// Names the kind of proof, never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Bearer(_) => "Bearer(…)",
            Self::HubSignature(_) => "HubSignature(…)",
            Self::Query(_) => "Query(…)",
        })
    }
}

impl Client {
    /// `POST /api/v1/webhooks`: without a `secret` in `body` the server generates one, and the
    /// answer's `secret` is the only place it ever appears.
    pub async fn create_webhook(
        &self,
        body: &CreateWebhookRequest,
    ) -> Result<CreatedWebhookResponse, Error> {
        self.call(Method::POST, &path(&["webhooks"]))
            .json(body)?
            .fetch()
            .await
    }

    /// `GET /api/v1/webhooks`: every webhook, oldest first, without secrets.
    pub async fn list_webhooks(&self) -> Result<Vec<WebhookResponse>, Error> {
        self.call(Method::GET, &path(&["webhooks"])).fetch().await
    }

    /// `GET /api/v1/webhooks/{id}`.
    pub async fn get_webhook(&self, id: &str) -> Result<WebhookResponse, Error> {
        self.call(Method::GET, &path(&["webhooks", id]))
            .fetch()
            .await
    }

    /// `PATCH /api/v1/webhooks/{id}`: what `body` gives changes, the rest stays. `active: true`
    /// turns a webhook relman turned off back on; a `secret` rotates the signing secret.
    pub async fn update_webhook(
        &self,
        id: &str,
        body: &UpdateWebhookRequest,
    ) -> Result<WebhookResponse, Error> {
        self.call(Method::PATCH, &path(&["webhooks", id]))
            .json(body)?
            .fetch()
            .await
    }

    /// `DELETE /api/v1/webhooks/{id}`: with its deliveries; pending ones are not sent.
    pub async fn delete_webhook(&self, id: &str) -> Result<(), Error> {
        self.call(Method::DELETE, &path(&["webhooks", id]))
            .empty()
            .await
    }

    /// `GET /api/v1/webhooks/{id}/deliveries`: one page, newest first; pass `next_cursor` back
    /// as `params.cursor` for older ones.
    pub async fn list_webhook_deliveries(
        &self,
        id: &str,
        params: &DeliveryParams,
    ) -> Result<Listed<DeliveryResponse>, Error> {
        self.call(Method::GET, &path(&["webhooks", id, "deliveries"]))
            .query(params)?
            .listed()
            .await
    }

    /// `POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver`: pending again and due now,
    /// with the same event id (`webhook-id`), so receivers can de-duplicate. Not retried after a
    /// failure that may have reached the server.
    pub async fn redeliver_webhook_delivery(
        &self,
        id: &str,
        delivery: &str,
    ) -> Result<DeliveryResponse, Error> {
        self.call(
            Method::POST,
            &path(&["webhooks", id, "deliveries", delivery, "redeliver"]),
        )
        .fetch()
        .await
    }

    /// `POST /api/v1/registry-integrations/{id}/event-secret`: a new push-event secret, replacing
    /// any earlier one at once, and the path registries send notifications to. The answer is the
    /// only place the secret appears.
    pub async fn rotate_registry_event_secret(
        &self,
        id: &str,
    ) -> Result<EventSecretResponse, Error> {
        self.call(
            Method::POST,
            &path(&["registry-integrations", id, "event-secret"]),
        )
        .fetch()
        .await
    }

    /// `POST /api/v1/registry-integrations/{id}/events`: a registry's push notification, `body`
    /// sent byte for byte as `content_type` (`application/json`, or
    /// `application/vnd.docker.distribution.events.v1+json` from a CNCF distribution registry),
    /// proven with `proof` instead of the client's API token, which is left out. Answered at
    /// once (`202`); the pushed tags are re-resolved in the background.
    pub async fn receive_registry_events(
        &self,
        id: &str,
        body: impl Into<Vec<u8>>,
        content_type: &str,
        proof: PushProof<'_>,
    ) -> Result<PushReceiptResponse, Error> {
        let call = self
            .call(
                Method::POST,
                &path(&["registry-integrations", id, "events"]),
            )
            .without_token();
        let call = match proof {
            PushProof::Bearer(secret) => {
                call.secret_header("authorization", &format!("Bearer {secret}"))?
            }
            PushProof::HubSignature(signature) => {
                call.secret_header("x-hub-signature-256", signature)?
            }
            PushProof::Query(secret) => call.query(&[("secret", secret)])?,
        };
        call.raw(body.into(), content_type)?.fetch().await
    }
}
