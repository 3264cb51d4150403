//! Components: the list, and each one's versions by channel (yanked and gone marked), aliases,
//! last sync result and a sync button whose job page shows progress.

use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::html;
use relman_domain::{Channel, Scope};
use relman_service::{AuditQuery, Service, SyncOptions, VersionsQuery};
use serde::Deserialize;

use crate::error::UiError;
use crate::layout::{self, badge, csrf_field, encode, maybe_time, short_digest, time};
use crate::viewer::Viewer;

/// Versions per page.
const PAGE_SIZE: u32 = 50;

/// The components list.
#[get("/components")]
pub async fn list(viewer: Viewer, service: web::Data<Service>) -> Result<HttpResponse, UiError> {
    let components = service.list_components().await?;
    let body = html! {
        h1 { "Components" }
        @if components.is_empty() {
            p.muted { "No components yet: add one with " code { "POST /api/v1/components" } "." }
        } @else {
            table #components {
                thead { tr { th { "Component" } th { "Image" } th { "Default channel" } th { "Updated" } } }
                tbody {
                    @for c in &components {
                        tr data-component=(c.name) {
                            td { a.component href={ "/ui/components/" (encode(c.name.as_str())) } { (c.name) }
                                 @if c.display_name != c.name.as_str() { br; span.muted { (c.display_name) } } }
                            td { code { (c.image_repository) } }
                            td { (c.default_channel) }
                            td { (time(c.updated_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::ok(layout::page(Some(&viewer), "Components", body)))
}

/// The component page's filters.
#[derive(Debug, Deserialize)]
pub struct VersionsFilter {
    channel: Option<String>,
    cursor: Option<String>,
}

/// A component's page.
#[get("/components/{key}")]
pub async fn show(
    viewer: Viewer,
    service: web::Data<Service>,
    key: web::Path<String>,
    filter: web::Query<VersionsFilter>,
) -> Result<HttpResponse, UiError> {
    let component = service.component(&key).await?;
    let id = component.id.to_string();
    let channel = filter.channel.clone().filter(|c| !c.is_empty());
    let query = VersionsQuery {
        channel: channel.clone(),
        limit: Some(PAGE_SIZE),
        cursor: filter.cursor.clone().filter(|c| !c.is_empty()),
        include_gone: true,
    };
    let audit = AuditQuery {
        resource_type: Some("component".into()),
        resource_id: Some(id.clone()),
        page_size: Some(50),
        ..AuditQuery::default()
    };
    let (versions, aliases, events) = futures_util::try_join!(
        service.list_component_versions(&id, query),
        service.aliases(&id),
        service.list_audit_events(audit),
    )?;
    let last_sync = events
        .items
        .iter()
        .find(|e| e.action.starts_with("component.sync"));
    let mut channels: BTreeSet<String> = BTreeSet::new();
    channels.insert(component.default_channel.to_string());
    for c in [Channel::stable(), Channel::rc(), Channel::beta()] {
        channels.insert(c.to_string());
    }
    for rule in &component.channel_rules.0 {
        channels.insert(rule.channel().to_string());
    }
    let base = format!("/ui/components/{}", encode(component.name.as_str()));
    let body = html! {
        h1 { (component.display_name) }
        dl.facts {
            dt { "Name" } dd { code { (component.name) } }
            dt { "Image" } dd { code { (component.image_repository) } }
            dt { "Versioning" } dd { (format!("{:?}", component.versioning_strategy).to_lowercase()) }
            dt { "Default channel" } dd { (component.default_channel) }
            dt { "Sync interval" } dd { @match component.sync_interval_seconds { Some(s) => { (s) " s" }, None => "server default" } }
        }
        div #last-sync {
            h2 { "Last sync" }
            @match last_sync {
                Some(e) => p {
                    (badge(if e.action == "component.sync_failed" { "failed" } else { "succeeded" })) " "
                    (time(e.occurred_at)) " by " (e.actor) ": " (e.summary)
                },
                None => p.muted { "Not synced yet." },
            }
            @if viewer.can_write() {
                form #sync method="post" action={ (base) "/sync" } {
                    (csrf_field(&viewer))
                    button type="submit" { "Sync now" }
                }
            }
        }
        h2 { "Versions" }
        nav.channels {
            "Channel: "
            @if channel.is_none() { strong { "all" } } @else { a href=(base) { "all" } }
            @for c in &channels {
                " · "
                @if channel.as_deref() == Some(c.as_str()) { strong { (c) } }
                @else { a href={ (base) "?channel=" (encode(c)) } { (c) } }
            }
        }
        table #versions {
            thead { tr { th { "Tag" } th { "Version" } th { "Channel" } th { "Digest" } th { "Source" } th { "Pushed" } th { "State" } } }
            tbody {
                @if versions.items.is_empty() { tr { td colspan="7" class="muted" { "No versions." } } }
                @for v in &versions.items {
                    @let class = if v.is_yanked() { "yanked" } else if v.gone { "gone" } else { "" };
                    tr class=(class) data-tag=(v.tag) {
                        td.tag { (v.tag) }
                        td { @if let Some(s) = &v.semver { (s) } @else { "—" } }
                        td { @if let Some(c) = &v.channel { (c) } @else { "—" } }
                        td { (short_digest(&v.digest.to_string())) }
                        td { (v.source.as_str()) }
                        td { (maybe_time(v.pushed_at)) }
                        td {
                            @if let Some(y) = &v.yank { (badge("yanked")) @if let Some(r) = &y.reason { " " (r) } }
                            @if v.gone { (badge("gone")) " no longer in the registry" }
                        }
                    }
                }
            }
        }
        @if let Some(next) = &versions.next_cursor {
            nav.pager {
                a rel="next" href={ (base) "?cursor=" (encode(next))
                    @if let Some(c) = &channel { "&channel=" (encode(c)) } } { "More →" }
            }
        }
        h2 { "Aliases" }
        @if aliases.is_empty() {
            p.muted { "No aliases." }
        } @else {
            table #aliases {
                thead { tr { th { "Alias" } th { "Points at tag" } th { "Digest" } } }
                tbody {
                    @for a in &aliases {
                        tr data-alias=(a.alias) { td { (a.alias) } td { (a.tag) } td { (short_digest(&a.digest.to_string())) } }
                    }
                }
            }
        }
    };
    Ok(layout::ok(layout::page(
        Some(&viewer),
        &component.display_name,
        body,
    )))
}

/// The sync form.
#[derive(Debug, Deserialize)]
pub struct SyncForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// Starts (or joins) the component's sync job; on to its progress page.
#[post("/components/{key}/sync")]
pub async fn sync(
    req: HttpRequest,
    viewer: Viewer,
    service: web::Data<Service>,
    key: web::Path<String>,
    form: web::Form<SyncForm>,
) -> Result<HttpResponse, UiError> {
    viewer.authorize(&req, &form.csrf, Scope::Write)?;
    let started = relman_http::handlers::sync_jobs::start_job(
        service,
        viewer.actor.clone(),
        &key,
        SyncOptions::default(),
    )
    .await?;
    Ok(layout::see_other(&format!("/ui/sync-jobs/{}", started.id)))
}

/// A sync job's progress; the page reloads itself every second until the job ends.
#[get("/sync-jobs/{id}")]
pub async fn job(
    viewer: Viewer,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let job = relman_http::handlers::sync_jobs::response(service.sync_job(&id).await?);
    let component = service.component(&job.component_id.to_string()).await?;
    let status = serde_plain(&job.status);
    let running = matches!(status.as_str(), "queued" | "running");
    let body = html! {
        h1 { "Sync of " (component.name) }
        div #sync-job data-status=(status) {
            p { (badge(&status)) " phase " (serde_plain(&job.phase)) }
            progress max=(job.total.max(1)) value=(job.done) { (job.done) " of " (job.total) }
            p { (job.done) " of " (job.total) " tags" }
            @if let Some(result) = &job.result {
                p { "Synced " (result.synced) ": " (result.added) " added, " (result.updated) " updated, "
                    (result.unchanged) " unchanged, " (result.gone) " gone (" (result.registry_requests) " registry requests)." }
            }
            @if let Some(problem) = &job.error {
                p.error { (problem.detail) }
            }
            @if running { p.muted { "This page reloads itself every second until the sync ends." } }
            p { a href={ "/ui/components/" (encode(component.name.as_str())) } { "Back to " (component.name) } }
        }
    };
    let title = format!("Sync of {}", component.name);
    Ok(layout::ok(layout::page_with(
        Some(&viewer),
        &title,
        running.then_some(1),
        body,
    )))
}

/// The wire name of a unit enum (`running`, `listing`, …).
fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
