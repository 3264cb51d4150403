//! Promotion: a confirmation page showing the exact digests that will run and what they
//! replace, then the promotion itself. Roll-backs are promotions of an older release.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::html;
use relman_domain::{Scope, compare};
use relman_service::Service;
use serde::Deserialize;

use crate::error::UiError;
use crate::layout::{self, csrf_field, short_digest};
use crate::viewer::Viewer;

/// Which environment to promote to.
#[derive(Debug, Deserialize)]
pub struct PromoteQuery {
    #[serde(default)]
    environment: String,
}

/// The confirmation page.
#[get("/releases/{key}/promote")]
pub async fn confirm(
    viewer: Viewer,
    service: web::Data<Service>,
    key: web::Path<String>,
    query: web::Query<PromoteQuery>,
) -> Result<HttpResponse, UiError> {
    viewer.require(Scope::Write)?;
    if query.environment.is_empty() {
        return Err(UiError::bad_request("choose an environment to promote to"));
    }
    let release = service.release(&key).await?;
    let env = service.environment(&query.environment).await?;
    let current = crate::pages::current_release(&service, &env.id.to_string()).await?;
    let changes = current
        .as_ref()
        .map(|c| compare(&c.members, &release.members));
    let title = format!("Promote {} to {}", release.name, env.display_name);
    let body = html! {
        h1 { (title) }
        div #confirm {
            @match &current {
                Some(c) if c.id == release.id => p.notice { (release.name) " already runs in " (env.display_name) "; promoting starts a new deployment of the same digests." },
                Some(c) => p { "Replaces " a href={ "/ui/releases/" (c.id) } { (c.name) } ", which runs there now"
                    @if let Some(ch) = &changes { " (" (ch.changed.len()) " changed, " (ch.added.len()) " added, " (ch.removed.len()) " removed, " (ch.unchanged) " unchanged)" } "." },
                None => p { "Nothing runs in " (env.display_name) " yet." },
            }
            p { "These exact images will be deployed (content digest " code { (release.digest) } "):" }
            ul #digests {
                @for m in &release.members {
                    li data-component=(m.component_name) {
                        strong { (m.component_name) } " " (m.tag) " "
                        code { (m.image_repository) "@" (m.digest) }
                        @if let Some(c) = &current {
                            @if let Some(old) = c.members.iter().find(|o| o.component_id == m.component_id) {
                                @if old.digest != m.digest {
                                    " " span.muted { "(was " (old.tag) " " (short_digest(&old.digest.to_string())) ")" }
                                }
                            } @else {
                                " " span.muted { "(new)" }
                            }
                        }
                    }
                }
            }
            form #confirm-promote method="post" action={ "/ui/releases/" (release.id) "/promote" } {
                (csrf_field(&viewer))
                input type="hidden" name="environment" value=(env.name);
                button type="submit" { "Promote to " (env.display_name) }
                " "
                a href={ "/ui/releases/" (release.id) } { "Cancel" }
            }
        }
    };
    Ok(layout::ok(layout::page(Some(&viewer), &title, body)))
}

/// The promotion form.
#[derive(Debug, Deserialize)]
pub struct PromoteForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    environment: String,
}

/// Starts the deployment; on to the environment's timeline.
#[post("/releases/{key}/promote")]
pub async fn promote(
    req: HttpRequest,
    viewer: Viewer,
    service: web::Data<Service>,
    key: web::Path<String>,
    form: web::Form<PromoteForm>,
) -> Result<HttpResponse, UiError> {
    viewer.authorize(&req, &form.csrf, Scope::Write)?;
    if form.environment.is_empty() {
        return Err(UiError::bad_request("choose an environment to promote to"));
    }
    let record = service
        .promote_release(&viewer.actor, &key, &form.environment)
        .await?;
    Ok(crate::pages::to_environment(&service, record.deployment.environment_id).await?)
}
