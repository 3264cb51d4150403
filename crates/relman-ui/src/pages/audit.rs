//! The audit log, with filters; admin only, as in the API.

use actix_web::{HttpResponse, get, web};
use maud::html;
use relman_domain::Scope;
use relman_service::{AuditQuery, Service};
use serde::Deserialize;

use crate::error::UiError;
use crate::layout::{self, encode, pager, time};
use crate::viewer::Viewer;

/// Events per page.
const PAGE_SIZE: i64 = 50;

/// The filters, as the form sends them; empty fields mean "any".
#[derive(Debug, Default, Deserialize)]
pub struct AuditFilters {
    #[serde(default)]
    resource_type: String,
    #[serde(default)]
    resource_id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    page: Option<u64>,
}

fn some(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The audit page.
#[get("/audit")]
pub async fn show(
    viewer: Viewer,
    service: web::Data<Service>,
    filters: web::Query<AuditFilters>,
) -> Result<HttpResponse, UiError> {
    viewer.require(Scope::Admin)?;
    let f = filters.into_inner();
    let page = f.page.unwrap_or(1).max(1);
    let events = service
        .list_audit_events(AuditQuery {
            resource_type: some(&f.resource_type),
            resource_id: some(&f.resource_id),
            action: some(&f.action),
            since: some(&f.since),
            until: some(&f.until),
            page: i64::try_from(page).ok(),
            page_size: Some(PAGE_SIZE),
            cursor: None,
        })
        .await?;
    let filter_query = [
        ("resource_type", &f.resource_type),
        ("resource_id", &f.resource_id),
        ("action", &f.action),
        ("since", &f.since),
        ("until", &f.until),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("&{k}={}", encode(v)))
    .collect::<String>();
    let body = html! {
        h1 { "Audit log" }
        form #audit-filters.actions method="get" action="/ui/audit" {
            input type="text" name="resource_type" placeholder="resource type (release, component…)" value=(f.resource_type);
            input type="text" name="resource_id" placeholder="resource id" value=(f.resource_id);
            input type="text" name="action" placeholder="action (release.promote…)" value=(f.action);
            input type="text" name="since" placeholder="since (RFC 3339)" value=(f.since);
            input type="text" name="until" placeholder="until (RFC 3339)" value=(f.until);
            button type="submit" { "Filter" }
            a href="/ui/audit" { "Clear" }
        }
        p.muted { (events.total_count) " events" }
        table #audit {
            thead { tr { th { "When" } th { "Who" } th { "Action" } th { "Resource" } th { "What" } th { "Request" } } }
            tbody {
                @if events.items.is_empty() { tr { td colspan="6" class="muted" { "No events match." } } }
                @for e in &events.items {
                    tr data-action=(e.action) {
                        td { (time(e.occurred_at)) }
                        td { (e.actor) }
                        td { code { (e.action) } }
                        td { (e.resource_type) " " code { (e.resource_id) } }
                        td { (e.summary) }
                        td { @if let Some(r) = &e.request_id { code { (r) } } }
                    }
                }
            }
        }
        (pager(page, events.total_pages, |n| format!("/ui/audit?page={n}{filter_query}")))
    };
    Ok(layout::ok(layout::page(Some(&viewer), "Audit log", body)))
}
