//! `releases`, `assets` and `verify`.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use relman_attest::{Envelope, PublicKey, statement_subjects};
use relman_client::wire::releases::ReleaseResponse;
use relman_client::{AssetFile, Client};
use serde_json::{Value, json};

use super::body;
use crate::exit::{Failure, Outcome, code};
use crate::given;
use crate::output::{Format, Printer, or_dash, short_digest};

/// `relman releases …`.
#[derive(Debug, clap::Subcommand)]
pub enum Releases {
    /// List releases, newest first.
    List {
        /// Only this status.
        #[arg(long)]
        status: Option<String>,
        /// Only releases with this component.
        #[arg(long)]
        component: Option<String>,
        /// Page size (1-100).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Show one, with its members.
    Get { id: String },
    /// Bundle exact digests into a draft release.
    Create {
        /// The release's name (`shop-v2.3.1`).
        name: String,
        /// Its semantic version.
        #[arg(long)]
        version: Option<String>,
        /// A member: `api` (latest in its default channel), `api=2.3.1` (a version),
        /// `worker@stable` (latest in a channel) or `web@sha256:…` (a digest). Repeatable.
        #[arg(long = "component", short = 'c', required = true)]
        components: Vec<String>,
        /// Release notes (Markdown).
        #[arg(long)]
        notes: Option<String>,
        /// Never the latest release.
        #[arg(long)]
        prerelease: bool,
    },
    /// A draft with every component (or those given) at its latest version.
    FromLatest {
        /// The release's name.
        name: String,
        /// Its semantic version.
        #[arg(long)]
        version: Option<String>,
        /// The channel to take the latest of (default: each component's default).
        #[arg(long)]
        channel: Option<String>,
        /// Only these components. Repeatable.
        #[arg(long = "component", short = 'c')]
        components: Vec<String>,
    },
    /// Freeze and sign a draft (status `ready`).
    Ready { id: String },
    /// What changed from OTHER to ID.
    Compare { id: String, other: String },
    /// Deprecate a release.
    Deprecate {
        /// The release.
        id: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Release notes: print them, or generate them from the previous release.
    Notes {
        /// The release.
        id: String,
        /// Generate them from the changes since the previous release.
        #[arg(long)]
        generate: bool,
        /// Compare with this release instead of the previous one.
        #[arg(long, requires = "generate")]
        previous: Option<String>,
        /// Write the generated notes into the release.
        #[arg(long, requires = "generate")]
        apply: bool,
    },
    /// Where the release is deployed.
    State { id: String },
    /// Delete a draft.
    Delete { id: String },
}

/// A `--component` value as a member request.
fn member(spec: &str) -> Result<Value, Failure> {
    let (component, pin) = if let Some((c, v)) = spec.split_once('=') {
        (c, Some(("version", v)))
    } else if let Some((c, rest)) = spec.split_once('@') {
        if rest.starts_with("sha256:") || rest.starts_with("sha512:") {
            (c, Some(("digest", rest)))
        } else {
            (c, Some(("channel", rest)))
        }
    } else {
        (spec, None)
    };
    if component.is_empty() || pin.is_some_and(|(_, v)| v.is_empty()) {
        return Err(Failure::usage(format!(
            "error: --component {spec:?}: expected NAME, NAME=VERSION, NAME@CHANNEL or NAME@DIGEST"
        )));
    }
    let mut m = json!({"componentId": component});
    if let Some((key, value)) = pin {
        m[key] = json!(value);
    }
    Ok(m)
}

fn show_release(out: Printer, r: &ReleaseResponse) {
    match out.format {
        Format::Json => out.json(r),
        Format::Table => {
            out.record(r, |r| {
                vec![
                    ("name", r.name.clone()),
                    ("id", r.id.to_string()),
                    ("status", r.status.as_str().to_owned()),
                    ("version", or_dash(r.version.clone())),
                    ("latest", r.is_latest.to_string()),
                    ("digest", r.digest.clone()),
                ]
            });
            println!();
            out.print(
                &r.components,
                &["component", "version", "channel", "tag", "digest"],
                |m| {
                    m.iter()
                        .map(|m| {
                            vec![
                                m.component_name.clone(),
                                or_dash(m.version.clone()),
                                or_dash(m.channel.clone()),
                                m.tag.clone(),
                                short_digest(&m.digest),
                            ]
                        })
                        .collect()
                },
            );
        }
    }
}

impl Releases {
    /// Runs it.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        match self {
            Self::List {
                status,
                component,
                limit,
            } => {
                let params = body(given!(
                    "status" => status,
                    "componentId" => component,
                    "pageSize" => limit,
                ))?;
                let page = c.list_releases(&params).await?;
                out.print(
                    &page,
                    &["name", "status", "version", "latest", "members", "created"],
                    |p| {
                        p.data
                            .iter()
                            .map(|r| {
                                vec![
                                    r.name.clone(),
                                    r.status.as_str().to_owned(),
                                    or_dash(r.version.clone()),
                                    if r.is_latest { "*" } else { "" }.to_owned(),
                                    r.component_count.to_string(),
                                    r.created_at.clone(),
                                ]
                            })
                            .collect()
                    },
                );
            }
            Self::Get { id } => show_release(out, &c.get_release(&id).await?),
            Self::Create {
                name,
                version,
                components,
                notes,
                prerelease,
            } => {
                let members = components
                    .iter()
                    .map(|s| member(s))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut b = given!(
                    "version" => version,
                    "notes" => notes,
                    "prerelease" => prerelease.then_some(true),
                );
                b["name"] = json!(name);
                b["components"] = json!(members);
                show_release(out, &c.create_release(&body(b)?).await?);
            }
            Self::FromLatest {
                name,
                version,
                channel,
                components,
            } => {
                let mut b = given!(
                    "version" => version,
                    "channel" => channel,
                    "componentIds" => (!components.is_empty()).then_some(components),
                );
                b["name"] = json!(name);
                show_release(out, &c.create_release_from_latest(&body(b)?).await?);
            }
            Self::Ready { id } => {
                let r = c
                    .update_release(&id, &body(json!({"status": "ready"}))?)
                    .await?;
                show_release(out, &r);
            }
            Self::Compare { id, other } => {
                let cmp = c.compare_releases(&other, &id).await?;
                out.print(&cmp, &["change", "component", "from", "to"], |x| {
                    let mut rows: Vec<Vec<String>> = Vec::new();
                    for a in &x.added {
                        rows.push(vec![
                            "added".into(),
                            a.component_name.clone(),
                            "-".into(),
                            "-".into(),
                        ]);
                    }
                    for r in &x.removed {
                        rows.push(vec![
                            "removed".into(),
                            r.component_name.clone(),
                            "-".into(),
                            "-".into(),
                        ]);
                    }
                    for ch in &x.changed {
                        rows.push(vec![
                            "changed".into(),
                            ch.component.clone(),
                            ch.from_version
                                .clone()
                                .unwrap_or_else(|| short_digest(&ch.from_digest)),
                            ch.to_version
                                .clone()
                                .unwrap_or_else(|| short_digest(&ch.to_digest)),
                        ]);
                    }
                    rows.push(vec![
                        "unchanged".into(),
                        x.unchanged.to_string(),
                        String::new(),
                        String::new(),
                    ]);
                    rows
                });
            }
            Self::Deprecate { id, reason } => {
                let r = c
                    .deprecate_release(&id, &body(given!("reason" => reason))?)
                    .await?;
                show_release(out, &r);
            }
            Self::Notes {
                id,
                generate,
                previous,
                apply,
            } => {
                if generate {
                    let g = c
                        .generate_release_notes(
                            &id,
                            &body(
                                given!("previous" => previous, "apply" => apply.then_some(true)),
                            )?,
                        )
                        .await?;
                    match out.format {
                        Format::Json => out.json(&g),
                        Format::Table => print!("{}", g.notes),
                    }
                } else {
                    let r = c.get_release(&id).await?;
                    match out.format {
                        Format::Json => out.json(&json!({"notes": r.notes})),
                        Format::Table => println!("{}", r.notes.unwrap_or_default()),
                    }
                }
            }
            Self::State { id } => {
                let s = c.get_release_state(&id).await?;
                out.print(&s, &["environment", "status", "deployed"], |s| {
                    s.environments
                        .iter()
                        .map(|e| {
                            vec![
                                e.environment_name.clone(),
                                format!("{:?}", e.status).to_lowercase(),
                                or_dash(e.deployed_at.clone()),
                            ]
                        })
                        .collect()
                });
            }
            Self::Delete { id } => {
                c.delete_release(&id).await?;
                out.note(&format!("deleted release {id}"));
            }
        }
        Ok(())
    }
}

/// `relman assets …`.
#[derive(Debug, clap::Subcommand)]
pub enum Assets {
    /// A release's assets.
    List { release: String },
    /// Upload a file to a draft release (streamed, with a progress bar).
    Upload {
        /// The release.
        release: String,
        /// The file.
        file: PathBuf,
        /// The asset's name (default: the file's name).
        #[arg(long)]
        name: Option<String>,
        /// A display label.
        #[arg(long)]
        label: Option<String>,
        /// Its media type (default `application/octet-stream`).
        #[arg(long)]
        content_type: Option<String>,
    },
    /// Download an asset (by id or name); resumes a partial file with `--continue`.
    Download {
        /// The release.
        release: String,
        /// The asset, by id or name.
        asset: String,
        /// Where to write it (default: its name, in the current folder).
        #[arg(long, short = 'O')]
        output_file: Option<PathBuf>,
        /// Continue a partial download.
        #[arg(long = "continue")]
        resume: bool,
    },
    /// Delete an asset of a draft.
    Delete { release: String, asset: String },
}

fn bar(out: Printer, total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    if out.format == Format::Json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

impl Assets {
    /// Runs it.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        match self {
            Self::List { release } => {
                let list = c.list_release_assets(&release).await?;
                out.print(
                    &list,
                    &["name", "size", "type", "downloads", "sha256"],
                    |l| {
                        l.iter()
                            .map(|a| {
                                vec![
                                    a.name.clone(),
                                    a.size.to_string(),
                                    a.content_type.clone(),
                                    a.download_count.to_string(),
                                    a.sha256.chars().take(12).collect(),
                                ]
                            })
                            .collect()
                    },
                );
            }
            Self::Upload {
                release,
                file,
                name,
                label,
                content_type,
            } => {
                let size = tokio::fs::metadata(&file).await?.len();
                let progress = bar(out, size);
                let shown = progress.clone();
                let asset = AssetFile::open(&file, content_type.as_deref(), move |n| {
                    shown.set_position(n)
                })
                .await?;
                let params = body(given!("name" => name, "label" => label))?;
                let result = c.upload_release_asset(&release, asset, &params).await;
                progress.finish_and_clear();
                let a = result?;
                out.record(&a, |a| {
                    vec![
                        ("uploaded", a.name.clone()),
                        ("id", a.id.to_string()),
                        ("size", a.size.to_string()),
                        ("sha256", a.sha256.clone()),
                    ]
                });
            }
            Self::Download {
                release,
                asset,
                output_file,
                resume,
            } => {
                let record = match c.get_release_asset(&release, &asset).await {
                    Ok(a) => a,
                    Err(e) if e.status() == Some(404) => c
                        .list_release_assets(&release)
                        .await?
                        .into_iter()
                        .find(|a| a.name == asset)
                        .ok_or(e)?,
                    Err(e) => return Err(e.into()),
                };
                let path = output_file.unwrap_or_else(|| PathBuf::from(&record.name));
                let offset = if resume {
                    tokio::fs::metadata(&path)
                        .await
                        .map(|m| m.len())
                        .unwrap_or(0)
                } else {
                    0
                };
                if resume && offset == record.size {
                    out.note(&format!("{} is complete", path.display()));
                    return Ok(());
                }
                let progress = bar(out, record.size);
                progress.set_position(offset);
                let download = c
                    .download_release_asset(&release, &record.id.to_string(), offset)
                    .await?;
                let shown = progress.clone();
                let written = download.save(&path, move |n| shown.set_position(n)).await;
                progress.finish_and_clear();
                let written = written?;
                out.record(&record, |a| {
                    vec![
                        ("downloaded", path.display().to_string()),
                        ("bytes", written.to_string()),
                        ("sha256", a.sha256.clone()),
                    ]
                });
            }
            Self::Delete { release, asset } => {
                c.delete_release_asset(&release, &asset).await?;
                out.note(&format!("deleted asset {asset}"));
            }
        }
        Ok(())
    }
}

/// `relman verify RELEASE [--image DIGEST]`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The release.
    release: String,
    /// Also require this image digest to be one of the signed subjects.
    #[arg(long)]
    image: Option<String>,
}

impl VerifyArgs {
    /// Fetches the envelope and the public keys, and checks the signature here: exit 0 only when
    /// it verifies (and, with `--image`, the digest is a subject).
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        let release = c.get_release(&self.release).await?;
        let envelope = c.get_release_attestation(&self.release).await?;
        let keys: Vec<PublicKey> = c
            .list_signing_keys()
            .await?
            .iter()
            .filter_map(|k| PublicKey::from_pem(&k.public_key).ok())
            .collect();
        let bad = |why: String| Failure {
            code: code::FAILED,
            message: format!("not verified: {why}"),
        };
        let bytes = serde_json::to_vec(&envelope).map_err(|e| bad(e.to_string()))?;
        let envelope = Envelope::from_json(&bytes).map_err(|e| bad(e.to_string()))?;
        let keyid = envelope.verify(&keys).map_err(|e| bad(e.to_string()))?;
        let payload = envelope.payload_bytes().map_err(|e| bad(e.to_string()))?;
        let statement: Value = serde_json::from_slice(&payload).map_err(|e| bad(e.to_string()))?;
        let predicate = &statement["predicate"];
        if predicate["name"] != json!(release.name) || predicate["digest"] != json!(release.digest)
        {
            return Err(bad(format!(
                "the signed statement is for {} ({}), not {} ({})",
                predicate["name"], predicate["digest"], release.name, release.digest
            )));
        }
        let subjects = statement_subjects(&payload).map_err(|e| bad(e.to_string()))?;
        let image = match &self.image {
            Some(digest) => {
                let found = subjects.iter().find(|(_, d)| d == digest);
                match found {
                    Some((name, _)) => Some(name.clone()),
                    None => {
                        return Err(bad(format!(
                            "{digest} is not an image of release {}",
                            release.name
                        )));
                    }
                }
            }
            None => None,
        };
        let report = json!({
            "verified": true,
            "release": release.name,
            "digest": release.digest,
            "keyid": keyid,
            "subjects": subjects.len(),
            "image": image,
        });
        out.record(&report, |r| {
            let mut lines = vec![
                ("verified", format!("release {} is signed", release.name)),
                ("keyid", keyid.clone()),
                ("subjects", r["subjects"].to_string()),
            ];
            if let Some(name) = &image {
                lines.push((
                    "image",
                    format!("{} is {name}", self.image.clone().unwrap_or_default()),
                ));
            }
            lines
        });
        Ok(())
    }
}
