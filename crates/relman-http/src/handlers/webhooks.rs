//! `/api/v1/webhooks`: outgoing webhooks, their deliveries and redelivery (admin only: a
//! webhook sees every change, and its secret signs for relman).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use relman_service::{Service, SliceQuery, WebhookInput, WebhookPatch};
use relman_wire::webhooks::{
    CreateWebhookRequest, CreatedWebhookResponse, DeliveryParams, DeliveryResponse,
    UpdateWebhookRequest, WebhookResponse,
};

use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::link::add_next_link;

fn input(r: CreateWebhookRequest) -> WebhookInput {
    WebhookInput {
        url: r.url,
        events: r.events.into_iter().map(Into::into).collect(),
        secret: r.secret,
        description: r.description,
        active: r.active,
    }
}

fn patch_of(r: UpdateWebhookRequest) -> WebhookPatch {
    WebhookPatch {
        url: r.url,
        events: r.events.map(|e| e.into_iter().map(Into::into).collect()),
        secret: r.secret,
        description: r.description,
        active: r.active,
    }
}

/// Registers a webhook. Without a `secret`, relman generates one and shows it this once.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "create_webhook",
    request_body = CreateWebhookRequest,
    responses(
        (status = 201, description = "Created; a generated `secret` is shown this once", body = CreatedWebhookResponse),
        (status = 400, description = "Invalid input, or a URL the egress policy refuses", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    who: Principal,
    service: web::Data<Service>,
    JsonBody(body): JsonBody<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = service.create_webhook(&who.as_actor(), input(body)).await?;
    let location = format!("/api/v1/webhooks/{}", created.webhook.id);
    Ok(crate::handlers::created(
        location,
        &CreatedWebhookResponse {
            webhook: WebhookResponse::from(&created.webhook),
            secret: created.generated_secret,
        },
    ))
}

/// Lists every webhook, oldest first. Never shows a secret.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_webhooks",
    responses((status = 200, description = "The webhooks", body = Vec<WebhookResponse>))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    _who: Principal,
    service: web::Data<Service>,
) -> Result<HttpResponse, ApiError> {
    let list: Vec<WebhookResponse> = service
        .list_webhooks()
        .await?
        .iter()
        .map(WebhookResponse::from)
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// One webhook.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "get_webhook",
    params(("id" = uuid::Uuid, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "The webhook", body = WebhookResponse),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(WebhookResponse::from(&service.webhook(&id).await?)))
}

/// Changes a webhook: what is given changes. `active: true` turns a webhook relman turned off
/// (after a `410 Gone`) back on; a new `secret` signs every delivery from now on.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "update_webhook",
    params(("id" = uuid::Uuid, Path, description = "Webhook id")),
    request_body = UpdateWebhookRequest,
    responses(
        (status = 200, description = "The webhook as changed", body = WebhookResponse),
        (status = 400, description = "Invalid input, or a URL the egress policy refuses", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<UpdateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let webhook = service
        .update_webhook(&who.as_actor(), &id, patch_of(body))
        .await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::from(&webhook)))
}

/// Deletes a webhook with its deliveries; pending ones are not sent.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "delete_webhook",
    params(("id" = uuid::Uuid, Path, description = "Webhook id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    service.delete_webhook(&who.as_actor(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A webhook's deliveries, newest first, `limit` at a time; `Link: rel="next"` leads to older
/// ones.
#[utoipa::path(
    tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    params(("id" = uuid::Uuid, Path, description = "Webhook id"), DeliveryParams),
    responses(
        (status = 200, description = "Deliveries, newest first", body = Vec<DeliveryResponse>),
        (status = 400, description = "Invalid `limit`, `cursor` or `status`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such webhook", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    _who: Principal,
    req: HttpRequest,
    service: web::Data<Service>,
    id: web::Path<String>,
    QueryParams(params): QueryParams<DeliveryParams>,
) -> Result<HttpResponse, ApiError> {
    let query = SliceQuery {
        limit: params.limit,
        cursor: params.cursor,
    };
    let slice = service
        .list_deliveries(&id, params.status.map(Into::into), query)
        .await?;
    let list: Vec<DeliveryResponse> = slice.items.iter().map(DeliveryResponse::from).collect();
    let mut response = HttpResponse::Ok();
    add_next_link(&mut response, &req, slice.next_cursor.as_deref());
    Ok(response.json(list))
}

/// Sends a delivery again, now, with the same `webhook-id` (receivers de-duplicate on it).
#[utoipa::path(
    tag = "webhooks",
    operation_id = "redeliver_webhook_delivery",
    params(
        ("id" = uuid::Uuid, Path, description = "Webhook id"),
        ("deliveryId" = uuid::Uuid, Path, description = "Delivery id"),
    ),
    responses(
        (status = 202, description = "Pending again, due now", body = DeliveryResponse),
        (status = 404, description = "No such webhook or delivery", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/{id}/deliveries/{deliveryId}/redeliver")]
pub async fn redeliver_webhook_delivery(
    who: Principal,
    service: web::Data<Service>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = path.into_inner();
    let d = service.redeliver(&who.as_actor(), &id, &delivery).await?;
    Ok(HttpResponse::Accepted().json(DeliveryResponse::from(&d)))
}
