//! An environment's page: what runs there, and its history as a timeline with the outcome of
//! each promotion, completion buttons for the one in progress and roll-back links.

use std::collections::HashSet;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::html;
use relman_domain::{DeploymentStatus, Scope};
use relman_service::{CompleteInput, DeploymentQuery, Service};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::UiError;
use crate::layout::{self, badge, csrf_field, encode, maybe_time, pager, time};
use crate::viewer::Viewer;

/// Deployments per page of the timeline.
const PAGE_SIZE: u64 = 25;

/// The timeline's page.
#[derive(Debug, Deserialize)]
pub struct TimelineQuery {
    page: Option<u64>,
}

/// The environment page.
#[get("/environments/{key}")]
pub async fn show(
    viewer: Viewer,
    service: web::Data<Service>,
    key: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse, UiError> {
    let env = service.environment(&key).await?;
    let id = env.id.to_string();
    let page = query.page.unwrap_or(1).max(1);
    let current = crate::pages::current_release(&service, &id).await?;
    let history = service
        .list_deployments(DeploymentQuery {
            environment_id: Some(id),
            page: i64::try_from(page).ok(),
            page_size: Some(PAGE_SIZE as i64),
            ..DeploymentQuery::default()
        })
        .await?;
    let current_id = current.as_ref().map(|r| r.id);
    // One roll-back link per older release: on its newest successful deployment.
    let mut offered: HashSet<Uuid> = HashSet::new();
    let link = |n: u64| format!("/ui/environments/{}?page={n}", encode(env.name.as_str()));
    let body = html! {
        h1 { (env.display_name) }
        p.muted { "Environment " code { (env.name) } ", promotion order " (env.order)
            @if env.requires_previous { "; a release must have succeeded in the previous environment first" } "." }
        div #current {
            @match &current {
                Some(r) => { "Runs " a href={ "/ui/releases/" (r.id) } { (r.name) } " " code { (r.digest) } }
                None => span.muted { "Nothing deployed." }
            }
        }
        h2 { "History" }
        @if history.items.is_empty() {
            p.muted { "No promotions yet." }
        }
        ol #timeline {
            @for d in &history.items {
                @let dep = &d.deployment;
                li.deployment data-status=(dep.status.as_str()) data-release=(d.release_name) {
                    (badge(dep.status.as_str())) " "
                    a href={ "/ui/releases/" (dep.release_id) } { strong { (d.release_name) } }
                    @if Some(dep.release_id) == current_id && dep.status == DeploymentStatus::Succeeded { " " span.badge.status-deployed { "current" } }
                    div.muted {
                        "started " (time(dep.started_at)) " by " (dep.started_by)
                        " · finished " (maybe_time(dep.completed_at))
                        @if let Some(by) = &dep.completed_by { " by " (by) }
                    }
                    @if let Some(m) = &dep.message { div { "“" (m) "”" } }
                    @if viewer.can_write() {
                        @if dep.status == DeploymentStatus::InProgress {
                            form.complete.actions method="post" action={ "/ui/deployments/" (dep.id) "/complete" } {
                                (csrf_field(&viewer))
                                input type="text" name="message" placeholder="message (optional)" maxlength="2000";
                                button type="submit" name="outcome" value="succeeded" { "Mark succeeded" }
                                button.danger type="submit" name="outcome" value="failed" { "Mark failed" }
                            }
                        } @else if dep.status == DeploymentStatus::Succeeded
                            && Some(dep.release_id) != current_id
                            && offered.insert(dep.release_id) {
                            a.rollback href={ "/ui/releases/" (dep.release_id) "/promote?environment=" (encode(env.name.as_str())) } {
                                "Roll back to " (d.release_name) "…"
                            }
                        }
                    }
                }
            }
        }
        (pager(page, history.total_pages, link))
    };
    Ok(layout::ok(layout::page(
        Some(&viewer),
        &env.display_name,
        body,
    )))
}

/// The completion form.
#[derive(Debug, Deserialize)]
pub struct CompleteForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    message: String,
}

/// Records a deployment's outcome (for CD tools that do not report it, or a person who saw it);
/// back to the environment.
#[post("/deployments/{id}/complete")]
pub async fn complete(
    req: HttpRequest,
    viewer: Viewer,
    service: web::Data<Service>,
    id: web::Path<String>,
    form: web::Form<CompleteForm>,
) -> Result<HttpResponse, UiError> {
    viewer.authorize(&req, &form.csrf, Scope::Write)?;
    let form = form.into_inner();
    let input = CompleteInput {
        outcome: form.outcome,
        message: Some(form.message.trim().to_owned()).filter(|m| !m.is_empty()),
    };
    let record = service
        .complete_deployment(&viewer.actor, &id, input)
        .await?;
    Ok(crate::pages::to_environment(&service, record.deployment.environment_id).await?)
}
