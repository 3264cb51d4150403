//! `environments`, `promote`, `deployments`, `tokens` and `keys`.

use std::time::{Duration, Instant};

use relman_client::Client;
use relman_client::wire::deployments::DeploymentResponse;
use relman_client::wire::enums::DeploymentStatusName;
use serde_json::json;

use super::body;
use crate::exit::{Failure, Outcome, code};
use crate::given;
use crate::output::{Format, Printer, or_dash};

/// `relman environments …`.
#[derive(Debug, clap::Subcommand)]
pub enum Environments {
    /// List environments in promotion order.
    List,
    /// Show one, with the release deployed there.
    Get { id: String },
    /// Add an environment.
    Create {
        /// Its name (`staging`).
        name: String,
        /// Its place in the promotion order.
        #[arg(long)]
        order: i32,
        /// A release must be deployed in the previous environment first.
        #[arg(long)]
        requires_previous: bool,
    },
    /// Remove an environment.
    Delete { id: String },
}

impl Environments {
    /// Runs it.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        match self {
            Self::List => {
                let list = c.list_environments().await?;
                out.print(&list, &["order", "name", "requires previous"], |l| {
                    l.iter()
                        .map(|e| {
                            vec![
                                e.order.to_string(),
                                e.name.clone(),
                                e.requires_previous.to_string(),
                            ]
                        })
                        .collect()
                });
            }
            Self::Get { id } => {
                let e = c.get_environment(&id).await?;
                let current = match c.get_current_release(&id).await {
                    Ok(r) => Some(r.name),
                    Err(err) if err.status() == Some(404) => None,
                    Err(err) => return Err(err.into()),
                };
                out.record(&e, |e| {
                    vec![
                        ("name", e.name.clone()),
                        ("id", e.id.to_string()),
                        ("order", e.order.to_string()),
                        ("requires previous", e.requires_previous.to_string()),
                        ("current release", or_dash(current.clone())),
                    ]
                });
            }
            Self::Create {
                name,
                order,
                requires_previous,
            } => {
                let b =
                    json!({"name": name, "order": order, "requiresPrevious": requires_previous});
                let e = c.create_environment(&body(b)?).await?;
                out.record(&e, |e| {
                    vec![("created", e.name.clone()), ("id", e.id.to_string())]
                });
            }
            Self::Delete { id } => {
                c.delete_environment(&id).await?;
                out.note(&format!("deleted environment {id}"));
            }
        }
        Ok(())
    }
}

/// `relman promote RELEASE ENV`.
#[derive(Debug, clap::Args)]
pub struct PromoteArgs {
    /// The release.
    release: String,
    /// The environment.
    environment: String,
    /// Wait until the deployment is reported finished; exit 1 when it failed.
    #[arg(long)]
    wait: bool,
    /// Give up waiting after this many seconds (exit 6).
    #[arg(long, default_value_t = 1800)]
    timeout: u64,
}

fn show_deployment(out: Printer, d: &DeploymentResponse) {
    out.record(d, |d| {
        vec![
            ("deployment", d.id.to_string()),
            ("release", d.release_name.clone()),
            ("environment", d.environment_name.clone()),
            ("status", d.status.as_str().to_owned()),
            ("message", or_dash(d.message.clone())),
        ]
    });
}

impl PromoteArgs {
    /// Opens the deployment and, with `--wait`, polls it until the CD tool reports its end.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        let mut d = c
            .promote_release(
                &self.release,
                &body(json!({"environmentId": self.environment}))?,
            )
            .await?;
        if self.wait {
            let deadline = Instant::now() + Duration::from_secs(self.timeout);
            if out.format == Format::Table {
                eprintln!("waiting for deployment {} to finish…", d.id);
            }
            while d.status == DeploymentStatusName::InProgress {
                if Instant::now() > deadline {
                    return Err(Failure {
                        code: code::UNAVAILABLE,
                        message: format!(
                            "error: deployment {} still in progress after {} s",
                            d.id, self.timeout
                        ),
                    });
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                d = c.get_deployment(&d.id.to_string()).await?;
            }
        }
        show_deployment(out, &d);
        if d.status == DeploymentStatusName::Failed {
            return Err(Failure::failed(format!(
                "deployment {} failed: {}",
                d.id,
                d.message.unwrap_or_default()
            )));
        }
        Ok(())
    }
}

/// `relman deployments …`.
#[derive(Debug, clap::Subcommand)]
pub enum Deployments {
    /// Recent deployments.
    List {
        /// Only to this environment.
        #[arg(long)]
        environment: Option<String>,
    },
    /// Show one.
    Get { id: String },
    /// Report how a deployment ended (what a CD tool calls).
    Complete {
        /// The deployment.
        id: String,
        /// `succeeded` or `failed`.
        #[arg(long)]
        outcome: String,
        /// A message.
        #[arg(long)]
        message: Option<String>,
    },
}

impl Deployments {
    /// Runs it.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        match self {
            Self::List { environment } => {
                let page = c
                    .list_deployments(&body(given!("environmentId" => environment))?)
                    .await?;
                out.print(
                    &page,
                    &["id", "release", "environment", "status", "started"],
                    |p| {
                        p.data
                            .iter()
                            .map(|d| {
                                vec![
                                    d.id.to_string(),
                                    d.release_name.clone(),
                                    d.environment_name.clone(),
                                    d.status.as_str().to_owned(),
                                    d.started_at.clone(),
                                ]
                            })
                            .collect()
                    },
                );
            }
            Self::Get { id } => show_deployment(out, &c.get_deployment(&id).await?),
            Self::Complete {
                id,
                outcome,
                message,
            } => {
                let mut b = given!("message" => message);
                b["outcome"] = json!(outcome);
                show_deployment(out, &c.complete_deployment(&id, &body(b)?).await?);
            }
        }
        Ok(())
    }
}

/// `relman tokens …`.
#[derive(Debug, clap::Subcommand)]
pub enum Tokens {
    /// List API tokens.
    List,
    /// Make a token; its secret is printed once.
    Create {
        /// Its name.
        name: String,
        /// A scope (`read`, `write`, `admin`). Repeatable.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// When it expires (RFC 3339).
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// Revoke a token.
    Delete { id: String },
}

impl Tokens {
    /// Runs it.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        match self {
            Self::List => {
                let list = c.list_tokens().await?;
                out.print(
                    &list,
                    &["name", "scopes", "expires", "last used", "id"],
                    |l| {
                        l.iter()
                            .map(|t| {
                                vec![
                                    t.name.clone(),
                                    t.scopes
                                        .iter()
                                        .map(|s| s.as_str())
                                        .collect::<Vec<_>>()
                                        .join(","),
                                    or_dash(t.expires_at.clone()),
                                    or_dash(t.last_used_at.clone()),
                                    t.id.to_string(),
                                ]
                            })
                            .collect()
                    },
                );
            }
            Self::Create {
                name,
                scopes,
                expires_at,
            } => {
                let mut b = given!("expiresAt" => expires_at);
                b["name"] = json!(name);
                b["scopes"] = json!(scopes);
                let t = c.create_token(&body(b)?).await?;
                out.record(&t, |t| {
                    vec![
                        ("created", t.token.name.clone()),
                        ("id", t.token.id.to_string()),
                        ("secret", t.secret.clone()),
                    ]
                });
            }
            Self::Delete { id } => {
                c.delete_token(&id).await?;
                out.note(&format!("revoked token {id}"));
            }
        }
        Ok(())
    }
}

/// `relman keys …`.
#[derive(Debug, clap::Subcommand)]
pub enum Keys {
    /// The release signing keys.
    List,
    /// Retire the active key and make a new one.
    Rotate,
}

impl Keys {
    /// Runs it.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        let keys = match self {
            Self::List => c.list_signing_keys().await?,
            Self::Rotate => vec![c.rotate_signing_key().await?],
        };
        out.print(&keys, &["keyid", "status", "created", "retired"], |l| {
            l.iter()
                .map(|k| {
                    vec![
                        k.keyid.clone(),
                        format!("{:?}", k.status).to_lowercase(),
                        k.created_at.clone(),
                        or_dash(k.retired_at.clone()),
                    ]
                })
                .collect()
        });
        Ok(())
    }
}
