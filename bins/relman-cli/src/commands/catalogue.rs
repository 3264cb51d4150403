//! `components`, `versions`, `integrations` and `sync`.

use std::io::BufRead;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use relman_client::Client;
use relman_client::wire::sync_jobs::{SyncJobResponse, SyncJobStatusName, SyncPhaseName};
use relman_client::wire::versions::VersionResponse;
use serde_json::json;

use super::body;
use crate::exit::{Failure, Outcome, code};
use crate::given;
use crate::output::{Format, Printer, or_dash, short_digest};

/// `relman components …`.
#[derive(Debug, clap::Subcommand)]
pub enum Components {
    /// List components.
    List,
    /// Show one (id or name).
    Get { id: String },
    /// Track an image repository.
    Create {
        /// The component's name (`api`).
        name: String,
        /// The repository in the registry (`myorg/api`).
        #[arg(long)]
        image: String,
        /// The registry integration (id or name) to sync from.
        #[arg(long)]
        integration: Option<String>,
        /// A display name.
        #[arg(long)]
        display_name: Option<String>,
        /// Only tags matching this regular expression are versions.
        #[arg(long)]
        tag_pattern: Option<String>,
    },
    /// Delete one that no release uses.
    Delete { id: String },
}

impl Components {
    /// Runs it.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        match self {
            Self::List => {
                let list = c.list_components().await?;
                out.print(&list, &["name", "image", "integration", "channel"], |l| {
                    l.iter()
                        .map(|x| {
                            vec![
                                x.name.clone(),
                                x.image_repository.clone(),
                                or_dash(x.registry_integration_id),
                                x.default_channel.clone(),
                            ]
                        })
                        .collect()
                });
            }
            Self::Get { id } => {
                let x = c.get_component(&id).await?;
                out.record(&x, |x| {
                    vec![
                        ("id", x.id.to_string()),
                        ("name", x.name.clone()),
                        ("display name", x.display_name.clone()),
                        ("image", x.image_repository.clone()),
                        ("integration", or_dash(x.registry_integration_id)),
                        ("default channel", x.default_channel.clone()),
                        ("tag pattern", or_dash(x.tag_pattern.clone())),
                    ]
                });
            }
            Self::Create {
                name,
                image,
                integration,
                display_name,
                tag_pattern,
            } => {
                let mut b = given!(
                    "registryIntegrationId" => integration,
                    "displayName" => display_name,
                    "tagPattern" => tag_pattern,
                );
                b["name"] = json!(name);
                b["imageRepository"] = json!(image);
                let x = c.create_component(&body(b)?).await?;
                out.record(&x, |x| {
                    vec![("created", x.name.clone()), ("id", x.id.to_string())]
                });
            }
            Self::Delete { id } => {
                c.delete_component(&id).await?;
                out.note(&format!("deleted component {id}"));
            }
        }
        Ok(())
    }
}

/// `relman versions …`.
#[derive(Debug, clap::Subcommand)]
pub enum Versions {
    /// A component's versions, newest first.
    List {
        /// The component (id or name).
        component: String,
        /// Only this channel.
        #[arg(long)]
        channel: Option<String>,
        /// At most this many (default 100; with --all, per page).
        #[arg(long)]
        limit: Option<u32>,
        /// Follow every page.
        #[arg(long)]
        all: bool,
    },
    /// Withdraw a version from channels, latest and feeds (it stays pinnable).
    Yank {
        /// The component.
        component: String,
        /// The tag.
        tag: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Undo a yank.
    Unyank {
        /// The component.
        component: String,
        /// The tag.
        tag: String,
    },
}

/// A component's versions, newest first: one page, or with `all` every page.
pub async fn versions(
    c: &Client,
    component: &str,
    channel: Option<String>,
    limit: Option<u32>,
    all: bool,
) -> Result<Vec<VersionResponse>, Failure> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let params = body(given!(
            "channel" => channel.clone(),
            "limit" => limit,
            "cursor" => cursor.take(),
        ))?;
        let page = c.list_component_versions(component, &params).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) if all => cursor = Some(next),
            _ => return Ok(items),
        }
    }
}

fn version_rows(list: &[VersionResponse]) -> Vec<Vec<String>> {
    list.iter()
        .map(|v| {
            vec![
                v.tag.clone(),
                or_dash(v.semver.clone()),
                or_dash(v.channel.clone()),
                short_digest(&v.digest),
                if v.yanked {
                    "yanked"
                } else if v.gone {
                    "gone"
                } else {
                    ""
                }
                .to_owned(),
            ]
        })
        .collect()
}

impl Versions {
    /// Runs it.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        match self {
            Self::List {
                component,
                channel,
                limit,
                all,
            } => {
                let items = versions(c, &component, channel, limit, all).await?;
                out.print(&items, &["tag", "semver", "channel", "digest", ""], |l| {
                    version_rows(l)
                });
            }
            Self::Yank {
                component,
                tag,
                reason,
            } => {
                let v = c
                    .yank_version(&component, &tag, &body(given!("reason" => reason))?)
                    .await?;
                out.print(&v, &["tag", "semver", "channel", "digest", ""], |v| {
                    version_rows(std::slice::from_ref(v))
                });
            }
            Self::Unyank { component, tag } => {
                let v = c.unyank_version(&component, &tag).await?;
                out.print(&v, &["tag", "semver", "channel", "digest", ""], |v| {
                    version_rows(std::slice::from_ref(v))
                });
            }
        }
        Ok(())
    }
}

/// `relman integrations …`.
#[derive(Debug, clap::Subcommand)]
pub enum Integrations {
    /// List registry integrations.
    List,
    /// Show one.
    Get { id: String },
    /// Add a registry.
    Create {
        /// Its name.
        name: String,
        /// The registry's base URL.
        #[arg(long)]
        url: String,
        /// Allow plain HTTP (a registry on a private network).
        #[arg(long)]
        insecure: bool,
        /// Basic auth user; the password is read from standard input.
        #[arg(long, conflicts_with = "bearer")]
        username: Option<String>,
        /// Bearer auth; the token is read from standard input.
        #[arg(long)]
        bearer: bool,
    },
    /// Check that the registry answers and takes the credentials.
    Test { id: String },
    /// Remove one no component uses.
    Delete { id: String },
}

fn secret_from_stdin(what: &str) -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let secret = line.trim_end_matches(['\r', '\n']).to_owned();
    if secret.is_empty() {
        return Err(Failure::usage(format!(
            "error: no {what} on standard input"
        )));
    }
    Ok(secret)
}

impl Integrations {
    /// Runs it.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        let rows = |l: &Vec<relman_client::wire::integrations::IntegrationResponse>| {
            l.iter()
                .map(|i| {
                    vec![
                        i.name.clone(),
                        i.url.clone(),
                        format!("{:?}", i.auth_type).to_lowercase(),
                        i.id.to_string(),
                    ]
                })
                .collect()
        };
        match self {
            Self::List => {
                let list = c.list_integrations().await?;
                out.print(&list, &["name", "url", "auth", "id"], rows);
            }
            Self::Get { id } => {
                let i = vec![c.get_integration(&id).await?];
                match out.format {
                    Format::Json => out.json(&i[0]),
                    Format::Table => out.print(&i, &["name", "url", "auth", "id"], rows),
                }
            }
            Self::Create {
                name,
                url,
                insecure,
                username,
                bearer,
            } => {
                let auth = match (username, bearer) {
                    (Some(u), _) => {
                        json!({"type": "basic", "username": u, "password": secret_from_stdin("password")?})
                    }
                    (None, true) => json!({"type": "bearer", "token": secret_from_stdin("token")?}),
                    (None, false) => json!({"type": "none"}),
                };
                let b = json!({"name": name, "url": url, "insecure": insecure, "auth": auth});
                let i = c.create_integration(&body(b)?).await?;
                out.record(&i, |i| {
                    vec![("created", i.name.clone()), ("id", i.id.to_string())]
                });
            }
            Self::Test { id } => {
                let t = c.test_integration(&id).await?;
                out.record(&t, |t| {
                    vec![
                        ("ok", t.ok.to_string()),
                        ("message", t.message.clone()),
                        ("requests", t.registry_requests.to_string()),
                    ]
                });
                if !t.ok {
                    return Err(Failure {
                        code: code::UNAVAILABLE,
                        message: format!("error: the registry check failed: {}", t.message),
                    });
                }
            }
            Self::Delete { id } => {
                c.delete_integration(&id).await?;
                out.note(&format!("deleted integration {id}"));
            }
        }
        Ok(())
    }
}

/// `relman sync COMPONENT`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// The component (id or name).
    component: String,
    /// Re-resolve every tag, not only new and mutable ones.
    #[arg(long)]
    force: bool,
}

impl SyncArgs {
    /// Starts the sync as a job and follows it with a progress bar (on stderr) to its end.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        let job = c
            .start_sync_job(&self.component, &body(json!({"forceRefresh": self.force}))?)
            .await?;
        let id = job.id.to_string();
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg:<10} [{bar:40}] {pos}/{len} tags {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        if out.format == Format::Json {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let last = loop {
            let now = c.get_sync_job(&id).await?;
            show(&bar, &now);
            if now.finished_at.is_some() || now.status == SyncJobStatusName::Failed {
                break now;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        bar.finish_and_clear();
        if let Some(problem) = &last.error {
            if out.format == Format::Json {
                out.json(&last);
            }
            return Err(Failure::from(problem));
        }
        out.record(&last, |j| {
            let r = j.result.clone();
            vec![
                ("component", self.component.clone()),
                ("synced", or_dash(r.as_ref().map(|r| r.synced))),
                ("added", or_dash(r.as_ref().map(|r| r.added))),
                ("updated", or_dash(r.as_ref().map(|r| r.updated))),
                ("unchanged", or_dash(r.as_ref().map(|r| r.unchanged))),
                ("gone", or_dash(r.as_ref().map(|r| r.gone))),
                ("requests", or_dash(r.as_ref().map(|r| r.registry_requests))),
            ]
        });
        Ok(())
    }
}

fn show(bar: &ProgressBar, job: &SyncJobResponse) {
    let phase = match job.phase {
        SyncPhaseName::Queued => "queued",
        SyncPhaseName::Listing => "listing",
        SyncPhaseName::Resolving => "resolving",
        SyncPhaseName::Saving => "saving",
        SyncPhaseName::Done => "done",
    };
    bar.set_message(phase);
    bar.set_length(job.total);
    bar.set_position(job.done);
}
