//! `relman-server keys list|rotate`: the release signing keys, from the command line (for
//! operators who rotate without a token, e.g. after a suspected leak).

use clap::Subcommand;
use relman_domain::{Actor, KeyStatus};
use relman_service::Service;

use crate::config::{Config, Flags};

/// A signing-key operation, with the server's configuration flags (data folder, database).
#[derive(Subcommand)]
pub enum KeysAction {
    /// Print each key: keyid, status, created.
    List(Flags),
    /// Make a new active key; the current one is retired and stays published.
    Rotate(Flags),
}

impl KeysAction {
    /// The configuration flags given with the operation.
    pub fn flags(&self) -> &Flags {
        match self {
            Self::List(flags) | Self::Rotate(flags) => flags,
        }
    }
}

/// Runs `action` on the configured database; the first key is made if there is none.
pub async fn run(action: KeysAction, config: Config) -> anyhow::Result<()> {
    let store = crate::open_store(&config).await?;
    let service = Service::new(store);
    let failed = |e: relman_service::ServiceError| anyhow::anyhow!("signing keys: {e}");
    match action {
        KeysAction::List(_) => {
            service.ensure_signing_key().await.map_err(failed)?;
            for key in service.signing_keys().await.map_err(failed)? {
                let status = match key.status {
                    KeyStatus::Active => "active",
                    KeyStatus::Retired => "retired",
                };
                println!(
                    "{} {status} {}",
                    key.keyid,
                    key.created_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
            }
        }
        KeysAction::Rotate(_) => {
            let actor = Actor {
                name: "relman-server keys rotate".into(),
                request_id: None,
            };
            let key = service.rotate_signing_key(&actor).await.map_err(failed)?;
            println!("{}", key.keyid);
        }
    }
    Ok(())
}
