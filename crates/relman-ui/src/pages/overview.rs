//! The overview: what runs in each environment and since when, promotions that are running or
//! failed, and the releases × environments matrix, paged (never silently cut).

use actix_web::{HttpResponse, get, web};
use futures_util::future::try_join_all;
use maud::{Markup, html};
use relman_domain::{DeploymentRecord, DeploymentStatus, Environment, Release};
use relman_service::{DeploymentQuery, EnvironmentState, ReleaseQuery, Service, ServiceError};
use serde::Deserialize;

use crate::error::UiError;
use crate::layout::{self, badge, maybe_time, pager, time};
use crate::pages::environments_in_order;
use crate::viewer::Viewer;

/// Releases per page of the matrix.
pub const PAGE_SIZE: u64 = 25;

/// The overview's query.
#[derive(Debug, Deserialize)]
pub struct OverviewQuery {
    /// The matrix page, from 1.
    page: Option<u64>,
}

/// One environment's card.
struct EnvCard {
    env: Environment,
    current: Option<Release>,
    since: Option<chrono::DateTime<chrono::Utc>>,
    latest: Option<DeploymentRecord>,
}

/// The overview page.
#[get("")]
pub async fn show(
    viewer: Viewer,
    service: web::Data<Service>,
    query: web::Query<OverviewQuery>,
) -> Result<HttpResponse, UiError> {
    let page = query.page.unwrap_or(1).max(1);
    let envs = environments_in_order(&service).await?;
    let cards = try_join_all(envs.iter().cloned().map(|env| card(&service, env))).await?;
    let releases = service
        .list_releases(ReleaseQuery {
            page: i64::try_from(page).ok(),
            page_size: Some(PAGE_SIZE as i64),
            ..ReleaseQuery::default()
        })
        .await?;
    let ids: Vec<String> = releases.items.iter().map(|r| r.id.to_string()).collect();
    let states = try_join_all(ids.iter().map(|id| service.release_state(id))).await?;
    let attention: Vec<&DeploymentRecord> = cards
        .iter()
        .filter_map(|c| c.latest.as_ref())
        .filter(|d| d.deployment.status != DeploymentStatus::Succeeded)
        .collect();
    let body = html! {
        h1 { "Overview" }
        h2 { "Environments" }
        @if cards.is_empty() {
            p.muted { "No environments yet: create them with " code { "POST /api/v1/environments" } "." }
        }
        section #environments {
            @for c in &cards {
                (env_card(c))
            }
        }
        section #attention {
            h2 { "Running and failed promotions" }
            @if attention.is_empty() {
                p.muted { "None: every environment's latest promotion succeeded." }
            } @else {
                ul {
                    @for d in &attention {
                        li.deployment data-status=(d.deployment.status.as_str()) {
                            (badge(d.deployment.status.as_str())) " "
                            a href={ "/ui/releases/" (d.deployment.release_id) } { (d.release_name) }
                            " → "
                            a href={ "/ui/environments/" (d.deployment.environment_id) } { (d.environment_name) }
                            " · started " (time(d.deployment.started_at)) " by " (d.deployment.started_by)
                            @if let Some(m) = &d.deployment.message { " · " (m) }
                        }
                    }
                }
            }
        }
        h2 { "Releases" " " span.muted { "(" (releases.total_count) " in all, newest first)" } }
        (matrix(&envs, &releases.items, &states))
        (pager(page, releases.total_pages, |n| format!("/ui?page={n}")))
    };
    Ok(layout::ok(layout::page(Some(&viewer), "Overview", body)))
}

/// An environment with what runs there and its latest promotion.
async fn card(service: &Service, env: Environment) -> Result<EnvCard, ServiceError> {
    let key = env.id.to_string();
    let current = crate::pages::current_release(service, &key).await?;
    let since = match &current {
        Some(r) => service
            .release_state(&r.id.to_string())
            .await?
            .into_iter()
            .find(|s| s.environment_id == env.id)
            .and_then(|s| s.deployed_at),
        None => None,
    };
    let latest = service
        .list_deployments(DeploymentQuery {
            environment_id: Some(key),
            page_size: Some(1),
            ..DeploymentQuery::default()
        })
        .await?
        .items
        .into_iter()
        .next();
    Ok(EnvCard {
        env,
        current,
        since,
        latest,
    })
}

fn env_card(c: &EnvCard) -> Markup {
    html! {
        article.env data-env=(c.env.name) {
            h3 { a href={ "/ui/environments/" (c.env.name) } { (c.env.display_name) } }
            div.current {
                @match &c.current {
                    Some(r) => a href={ "/ui/releases/" (r.id) } { (r.name) },
                    None => span.muted { "nothing deployed" },
                }
            }
            div.since { "since " (maybe_time(c.since)) }
        }
    }
}

/// The releases × environments table.
fn matrix(
    envs: &[Environment],
    releases: &[relman_domain::ReleaseSummary],
    states: &[Vec<EnvironmentState>],
) -> Markup {
    html! {
        // Wider than the window only past a dozen environments: then it scrolls sideways with
        // the release column kept in view.
        div.matrix-wrap {
        table #matrix {
            thead {
                tr {
                    th.release { "Release" }
                    th { "Version" }
                    @for e in envs {
                        th.env data-env=(e.name) title=(e.name) { (e.display_name) }
                    }
                }
            }
            tbody {
                @if releases.is_empty() {
                    tr { td colspan=(2 + envs.len()) class="muted" { "No releases on this page." } }
                }
                @for (r, state) in releases.iter().zip(states) {
                    tr data-release=(r.name) {
                        td.release {
                            a.release href={ "/ui/releases/" (r.id) } { (r.name) }
                            " " span.release-status { (badge(r.status.as_str())) }
                            @if r.display_name != r.name.as_str() { br; span.muted { (r.display_name) } }
                            br; span.created.muted { (time(r.created_at)) }
                        }
                        td { @if let Some(v) = &r.version { (v) } @else { "—" } }
                        @for e in envs {
                            @let s = state.iter().find(|s| s.environment_id == e.id);
                            @let status = s.map_or("not_deployed", |s| s.status.as_str());
                            td.state data-env=(e.name) data-status=(status) {
                                @if status != "not_deployed" { (badge(status)) } @else { span.muted { "·" } }
                            }
                        }
                    }
                }
            }
        }
        }
    }
}
