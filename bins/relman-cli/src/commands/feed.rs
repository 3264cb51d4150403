//! `relman feed export DIR`: the update feeds written into a folder, laid out as the server
//! serves them under `/updates/v1/`, for CI jobs that publish them to a CDN or a bucket.
//!
//! These are the plain JSON feeds. The signed TUF repository is written by the server's own
//! `relman-server export-feed`, which holds the TUF keys; a client cannot sign.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use relman_client::Client;
use serde::Serialize;
use serde_json::json;

use crate::exit::{Failure, Outcome};
use crate::output::Printer;

/// `relman feed …`.
#[derive(Debug, clap::Subcommand)]
pub enum Feed {
    /// Write every component's feeds into DIR (`latest/`, `major/`, `minor/`).
    Export {
        /// The folder.
        dir: PathBuf,
        /// Only these components. Repeatable.
        #[arg(long = "component", short = 'c')]
        components: Vec<String>,
    },
}

async fn write(dir: &Path, rel: &[&str], value: &impl Serialize) -> Result<(), Failure> {
    let mut path = dir.to_path_buf();
    for part in rel {
        path.push(part);
    }
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let bytes = serde_json::to_vec(value).map_err(|e| Failure::failed(format!("error: {e}")))?;
    // A reader never sees half a file: write aside, then rename.
    let tmp = path.with_extension("json.tmp");
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, &path).await?;
    Ok(())
}

/// `1.2` of `v1.2.3-rc.1`.
fn minor_of(version: &str) -> Option<String> {
    let mut parts = version.trim_start_matches('v').split(['.', '-', '+']);
    Some(format!("{}.{}", parts.next()?, parts.next()?))
}

impl Feed {
    /// Runs it.
    pub async fn run(self, c: &Client, out: Printer) -> Outcome {
        let Self::Export { dir, components } = self;
        let names: Vec<String> = if components.is_empty() {
            c.list_components()
                .await?
                .into_iter()
                .map(|x| x.name)
                .collect()
        } else {
            components
        };
        let mut files = 0;
        for name in &names {
            let latest = match c.latest_feed(name).await {
                Ok(l) => l,
                // A component with no stable version has no feed.
                Err(e) if e.status() == Some(404) => continue,
                Err(e) => return Err(e.into()),
            };
            let file = format!("{name}.json");
            write(&dir, &["latest", &file], &latest).await?;
            files += 1;
            let majors: BTreeSet<String> =
                super::catalogue::versions(c, name, None, Some(1000), true)
                    .await?
                    .iter()
                    .filter_map(|v| {
                        v.semver
                            .as_deref()?
                            .split('.')
                            .next()
                            .map(|m| format!("v{m}"))
                    })
                    .collect();
            for major in &majors {
                let Ok(minors) = c.major_feed(major, name).await else {
                    continue;
                };
                write(&dir, &["major", major, &file], &minors).await?;
                files += 1;
                for minor in minors.versions.iter().filter_map(|v| minor_of(v)) {
                    if let Ok(patches) = c.minor_feed(&minor, name).await {
                        write(&dir, &["minor", &minor, &file], &patches).await?;
                        files += 1;
                    }
                }
            }
        }
        out.record(&json!({"dir": dir, "files": files}), |_| {
            vec![
                ("exported", dir.display().to_string()),
                ("files", files.to_string()),
            ]
        });
        Ok(())
    }
}
