//! A release's page: members, content digest, signature, assets, notes, the comparison with the
//! previous release, its state per environment, and the promote, deprecate and ready actions.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::{Markup, html};
use relman_domain::{Comparison, Environment, Release, ReleaseStatus, Scope, compare};
use relman_service::{EnvironmentState, ReleasePatch, Service};
use serde::Deserialize;

use crate::error::UiError;
use crate::layout::{self, badge, csrf_field, encode, short_digest, time};
use crate::markdown;
use crate::pages::environments_in_order;
use crate::signature::{self, SignatureCheck};
use crate::viewer::Viewer;

/// The release page.
#[get("/releases/{key}")]
pub async fn show(
    viewer: Viewer,
    service: web::Data<Service>,
    key: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let release = service.release(&key).await?;
    let id = release.id.to_string();
    let (state, assets, envs, signature, notes) = futures_util::try_join!(
        service.release_state(&id),
        service.assets(&id),
        environments_in_order(&service),
        signature::check(&service, &release),
        service.generate_release_notes(&viewer.actor, &id, None, false),
    )?;
    let previous = notes.previous;
    let comparison = previous
        .as_ref()
        .map(|p| (p, compare(&p.members, &release.members)));
    let body = html! {
        h1 { (release.display_name) }
        p {
            span #release-status data-status=(release.status.as_str()) { (badge(release.status.as_str())) }
            @if release.prerelease { " " span.badge { "prerelease" } }
        }
        @if let Some(reason) = &release.deprecated_reason {
            p.notice { "Deprecated: " (reason) }
        }
        (facts(&release))
        @if viewer.can_write() { (actions(&viewer, &release, &envs)) }
        h2 { "State per environment" }
        (state_table(&state, &envs))
        h2 { "Members" }
        (members(&release))
        h2 { "Signature" }
        (signature_block(&signature))
        h2 { "Assets" }
        @if assets.is_empty() {
            p.muted { "No assets." }
        } @else {
            table #assets {
                thead { tr { th { "File" } th { "Size" } th { "SHA-256" } th { "Downloads" } } }
                tbody {
                    @for a in &assets {
                        tr {
                            td { a.download href={ "/ui/releases/" (release.id) "/assets/" (a.id) "/download" } { (a.name) }
                                 @if let Some(l) = &a.label { br; span.muted { (l) } } }
                            td { (a.size) " bytes" }
                            td { code { (a.sha256) } }
                            td { (a.download_count) }
                        }
                    }
                }
            }
        }
        h2 { "Notes" }
        @match &release.notes {
            Some(text) if !text.trim().is_empty() => div #notes { (markdown::render(text)) },
            _ => p.muted { "No notes." },
        }
        h2 { "Compared with the previous release" }
        @match &comparison {
            Some((p, c)) => (compare_block(p, c)),
            None => p.muted { "This is the first release: nothing to compare with." },
        }
    };
    Ok(layout::ok(layout::page(
        Some(&viewer),
        &release.display_name,
        body,
    )))
}

fn facts(r: &Release) -> Markup {
    html! {
        dl.facts {
            dt { "Name" } dd { code { (r.name) } }
            dt { "Version" } dd { @if let Some(v) = &r.version { (v) } @else { "—" } }
            dt { "Content digest" } dd { code #content-digest { (r.digest) } }
            dt { "Created" } dd { (time(r.created_at)) " by " (r.created_by) }
            dt { "Updated" } dd { (time(r.updated_at)) }
            @if let Some(s) = &r.source_ref {
                dt { "Source" }
                dd {
                    @if let Some(repo) = &s.repository { (repo) " " }
                    @if let Some(b) = &s.branch { "branch " (b) " " }
                    @if let Some(c) = &s.commit_sha { code { (c) } }
                }
            }
            @for (k, v) in &r.metadata {
                dt { (k) } dd { (v) }
            }
        }
    }
}

fn actions(viewer: &Viewer, r: &Release, envs: &[Environment]) -> Markup {
    html! {
        div.actions {
            @match r.status {
                ReleaseStatus::Draft => {
                    form #mark-ready method="post" action={ "/ui/releases/" (r.id) "/ready" }
                        data-confirm="Freeze and sign this release? Its members cannot change afterwards." {
                        (csrf_field(viewer))
                        button type="submit" { "Mark ready (freeze and sign)" }
                    }
                }
                ReleaseStatus::Deprecated => {}
                _ => {
                    @if !envs.is_empty() {
                        form #promote method="get" action={ "/ui/releases/" (r.id) "/promote" } {
                            label for="environment" { "Promote to " }
                            select #environment name="environment" {
                                @for e in envs { option value=(e.name) { (e.display_name) } }
                            }
                            " "
                            button type="submit" { "Promote…" }
                        }
                    }
                    form #deprecate method="post" action={ "/ui/releases/" (r.id) "/deprecate" }
                        data-confirm="Deprecate this release? It will never be promoted again." {
                        (csrf_field(viewer))
                        input type="text" name="reason" placeholder="reason (optional)" maxlength="2000";
                        " "
                        button.danger type="submit" { "Deprecate" }
                    }
                }
            }
        }
    }
}

fn state_table(state: &[EnvironmentState], envs: &[Environment]) -> Markup {
    html! {
        @if state.is_empty() {
            p.muted { "No environments yet." }
        } @else {
            table #state {
                thead { tr { th { "Environment" } th { "State" } th { "Deployed" } } }
                tbody {
                    @for s in state {
                        @let name = envs.iter().find(|e| e.id == s.environment_id).map(|e| e.name.to_string());
                        tr data-env=[name] data-status=(s.status.as_str()) {
                            td { a href={ "/ui/environments/" (s.environment_id) } { (s.environment_name) } }
                            td { (badge(s.status.as_str())) }
                            td { (layout::maybe_time(s.deployed_at)) }
                        }
                    }
                }
            }
        }
    }
}

fn members(r: &Release) -> Markup {
    html! {
        table #members {
            thead { tr { th { "Component" } th { "Image" } th { "Tag" } th { "Version" } th { "Channel" } th { "Digest" } th { "Platforms" } } }
            tbody {
                @for m in &r.members {
                    tr data-component=(m.component_name) {
                        td { a href={ "/ui/components/" (encode(&m.component_name)) } { (m.component_name) } }
                        td { code { (m.image_repository) } }
                        td.tag { (m.tag) }
                        td.version { @if let Some(v) = &m.version { (v) } @else { "—" } }
                        td { @if let Some(c) = &m.channel { (c) } @else { "—" } }
                        td.digest { code { (m.digest) } }
                        td.platforms {
                            @if m.platforms.is_empty() { span.muted { "single image" } }
                            @for p in &m.platforms {
                                span title=(p.digest) { (p.os) "/" (p.architecture)
                                    @if let Some(v) = &p.variant { "/" (v) } } " "
                            }
                        }
                    }
                }
            }
        }
    }
}

fn signature_block(check: &SignatureCheck) -> Markup {
    match check {
        SignatureCheck::Unsigned => html! {
            p #signature data-verified="false" { "Not signed yet: a release is signed when it leaves draft." }
        },
        SignatureCheck::Verified {
            keyid,
            retired,
            signed_at,
        } => html! {
            p #signature data-verified="true" {
                (badge("verified")) " Signed " (time(*signed_at)) " by key " code { (keyid) }
                @if *retired { " (retired, still published)" }
                "; the server checked the signature against its published keys and every member digest against the signed statement."
            }
        },
        SignatureCheck::Failed(why) => html! {
            p #signature data-verified="false" { (badge("failed")) " Signature check failed: " (why) }
        },
    }
}

fn compare_block(previous: &Release, c: &Comparison) -> Markup {
    html! {
        div #compare {
            p { "Against " a href={ "/ui/releases/" (previous.id) } { (previous.name) } ": "
                (c.changed.len()) " changed, " (c.added.len()) " added, " (c.removed.len()) " removed, "
                (c.unchanged) " unchanged." }
            @if !(c.changed.is_empty() && c.added.is_empty() && c.removed.is_empty()) {
                table {
                    thead { tr { th { "Component" } th { "Change" } th { "From" } th { "To" } } }
                    tbody {
                        @for m in &c.changed {
                            tr {
                                td { (m.component) } td { "changed" }
                                td { @if let Some(v) = &m.from_version { (v) " " } (short_digest(&m.from_digest.to_string())) }
                                td { @if let Some(v) = &m.to_version { (v) " " } (short_digest(&m.to_digest.to_string())) }
                            }
                        }
                        @for a in &c.added { tr { td { (a.component_name) } td { "added" } td { "—" } td { "" } } }
                        @for r in &c.removed { tr { td { (r.component_name) } td { "removed" } td { "" } td { "—" } } }
                    }
                }
            }
        }
    }
}

/// The fields of a form that only needs its CSRF token.
#[derive(Debug, Deserialize)]
pub struct PlainForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// The deprecate form.
#[derive(Debug, Deserialize)]
pub struct DeprecateForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Deprecates the release; back to its page.
#[post("/releases/{key}/deprecate")]
pub async fn deprecate(
    req: HttpRequest,
    viewer: Viewer,
    service: web::Data<Service>,
    key: web::Path<String>,
    form: web::Form<DeprecateForm>,
) -> Result<HttpResponse, UiError> {
    viewer.authorize(&req, &form.csrf, Scope::Write)?;
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let release = service
        .deprecate_release(&viewer.actor, &key, reason)
        .await?;
    Ok(layout::see_other(&format!("/ui/releases/{}", release.id)))
}

/// Moves a draft to ready (frozen and signed); back to its page.
#[post("/releases/{key}/ready")]
pub async fn mark_ready(
    req: HttpRequest,
    viewer: Viewer,
    service: web::Data<Service>,
    key: web::Path<String>,
    form: web::Form<PlainForm>,
) -> Result<HttpResponse, UiError> {
    viewer.authorize(&req, &form.csrf, Scope::Write)?;
    let patch = ReleasePatch {
        status: Some("ready".to_owned()),
        ..ReleasePatch::default()
    };
    let release = service.update_release(&viewer.actor, &key, patch).await?;
    Ok(layout::see_other(&format!("/ui/releases/{}", release.id)))
}

/// An asset's bytes, for the download links (resumable, counted, as the API's download).
#[get("/releases/{key}/assets/{asset}/download")]
pub async fn download(
    _viewer: Viewer,
    service: web::Data<Service>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, UiError> {
    let (key, asset) = path.into_inner();
    let asset = service.asset(&key, &asset).await?;
    Ok(relman_http::handlers::assets::send_bytes(&service, asset, &req).await?)
}
