//! `relman-server export-feed --out DIR`: the `/updates/v1/` feeds written byte for byte into a
//! folder a static server or CDN serves, signed as a TUF repository and swapped in atomically.

use std::path::PathBuf;

use chrono::TimeDelta;
use relman_service::Service;
use relman_tuf::{Expiry, Signers, TreeFile};

use crate::config::{Config, Flags};

/// Options of an export, with the server's configuration flags (data folder, database).
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The folder to publish: it becomes a symlink to the newest complete export.
    #[arg(long)]
    pub out: PathBuf,
    /// Only re-sign `timestamp.json` of the current export (run it well before it expires).
    #[arg(long)]
    pub refresh_timestamp: bool,
    /// Days until `timestamp.json` expires.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub timestamp_expiry_days: u32,
    /// Days until `targets.json` and `snapshot.json` expire.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub metadata_expiry_days: u32,
    /// Days until a new `root.json` expires.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub root_expiry_days: u32,
    /// Server configuration.
    #[command(flatten)]
    pub flags: Flags,
}

impl ExportArgs {
    fn expiry(&self) -> Expiry {
        let days = |d: u32| TimeDelta::days(i64::from(d));
        Expiry {
            root: days(self.root_expiry_days),
            targets: days(self.metadata_expiry_days),
            snapshot: days(self.metadata_expiry_days),
            timestamp: days(self.timestamp_expiry_days),
        }
    }
}

/// Runs the export (or the timestamp refresh) and prints what was published.
pub async fn run(args: ExportArgs, config: Config) -> anyhow::Result<()> {
    let store = crate::open_store(&config).await?;
    let service = Service::new(store);
    let failed = |e: relman_service::ServiceError| anyhow::anyhow!("export-feed: {e}");
    let (active, retired) = service.signing_key_pairs().await.map_err(failed)?;
    let signers = Signers { active, retired };
    let expiry = args.expiry();
    let out = args.out.clone();
    let published = if args.refresh_timestamp {
        tokio::task::spawn_blocking(move || {
            relman_tuf::refresh_timestamp(&out, &signers, &expiry, chrono::Utc::now())
        })
        .await??
    } else {
        let files: Vec<TreeFile> = service
            .feed_tree()
            .await
            .map_err(failed)?
            .into_iter()
            .map(|d| TreeFile {
                path: d.path,
                bytes: d.bytes,
            })
            .collect();
        tokio::task::spawn_blocking(move || {
            relman_tuf::publish(&out, &files, &signers, &expiry, chrono::Utc::now())
        })
        .await??
    };
    println!(
        "{} {}: root v{}, targets v{}, snapshot v{}, timestamp v{} (expires {})",
        if published.changed {
            "published"
        } else {
            "unchanged"
        },
        args.out.display(),
        published.root_version,
        published.targets_version,
        published.snapshot_version,
        published.timestamp_version,
        published
            .timestamp_expires
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    Ok(())
}
