//! `/api/v1/audit-events`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use relman_service::Service;

use crate::auth::Principal;
use crate::convert::IntoInput;
use crate::error::{ApiError, Problem};
use crate::extract::QueryParams;
use crate::link::add_next_link;
use relman_wire::audit::{AuditEventListResponse, AuditEventParams};

/// Lists audit events, newest first: every change relman recorded, with actor and request id.
#[utoipa::path(
    tag = "audit",
    operation_id = "list_audit_events",
    params(AuditEventParams),
    responses(
        (status = 200, description = "A page of events", body = AuditEventListResponse),
        (status = 400, description = "Invalid filter or paging (a `cursor` of this list, not with `page`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    _who: Principal,
    req: HttpRequest,
    service: web::Data<Service>,
    QueryParams(params): QueryParams<AuditEventParams>,
) -> Result<HttpResponse, ApiError> {
    let page = service.list_audit_events(params.into_input()).await?;
    let mut response = HttpResponse::Ok();
    add_next_link(&mut response, &req, page.next_cursor.as_deref());
    Ok(response.json(AuditEventListResponse {
        meta: crate::convert::page_meta(&page),
        data: page.items.into_iter().map(Into::into).collect(),
    }))
}
