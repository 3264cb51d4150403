//! `relman-server`: reads configuration, opens the store, and serves the API.

mod config;
mod token;

use std::time::Duration;

use actix_web::HttpServer;
use anyhow::Context;
use clap::{Parser, Subcommand};
use relman_http::{AppState, Authenticator, HttpSettings};
use relman_service::{Service, ServiceError};
use relman_storage::{DatabaseUrl, PoolOptions, Store};

use crate::config::{Config, Flags, LogFormat};
use crate::token::TokenSource;

/// relman: a release registry for container images.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    flags: Flags,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve(Flags),
    /// Print the OpenAPI document.
    Openapi,
}

/// How long in-flight requests may take to finish after SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let flags = match cli.command {
        Some(Command::Openapi) => {
            println!("{}", relman_http::openapi().to_pretty_json()?);
            return Ok(());
        }
        Some(Command::Serve(flags)) => flags,
        None => cli.flags,
    };
    let env: Vec<(String, String)> = std::env::vars().collect();
    let config = Config::load(&flags, &env)?;
    init_logging(config.log_format);
    for key in config::unknown_env_keys(&env) {
        tracing::warn!(key, "ignoring unknown RELMAN_* environment variable");
    }
    actix_web::rt::System::new().block_on(serve(config))
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data folder {}", config.data_dir.display()))?;
    let url: DatabaseUrl = config.effective_database_url().parse()?;
    tracing::info!(database = %url.redacted(), "opening database");
    let options = PoolOptions {
        max_connections: config.database_max_connections,
        ..PoolOptions::default()
    };
    let (secret_key, key_source) =
        token::secret_key(config.secret_key.as_deref(), &config.data_dir)?;
    match key_source {
        TokenSource::Environment => tracing::info!("secret key taken from RELMAN_SECRET_KEY"),
        TokenSource::File(path) => {
            tracing::info!(path = %path.display(), "secret key read from file")
        }
        TokenSource::Generated(path) => tracing::info!(
            path = %path.display(),
            "generated the key that encrypts stored secrets; back it up with the database"
        ),
    }
    let store = Store::open(url, options)
        .await
        .context("opening the database")?
        .with_secret_key(secret_key);

    let (token, source) = token::admin_token(config.admin_token.as_deref(), &config.data_dir)?;
    match source {
        TokenSource::Environment => tracing::info!("admin token taken from RELMAN_ADMIN_TOKEN"),
        TokenSource::File(path) => {
            tracing::info!(path = %path.display(), "admin token read from file")
        }
        TokenSource::Generated(path) => {
            tracing::info!(path = %path.display(), "generated an admin token; read it from this file");
        }
    }

    let settings = HttpSettings {
        max_body_bytes: config.max_body_bytes,
    };
    let service = Service::new(store);
    if config.sync_interval_seconds > 0 {
        let interval = Duration::from_secs(config.sync_interval_seconds);
        actix_web::rt::spawn(scheduled_sync(service.clone(), interval));
    }
    let state = AppState::new(service, Authenticator::with_admin_token(&token), &settings);
    let server = HttpServer::new(move || relman_http::app(state.clone()))
        .bind(config.listen)
        .with_context(|| format!("binding {}", config.listen))?
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs());
    tracing::info!(listen = %config.listen, "relman is serving");
    // actix-web stops accepting on SIGTERM/SIGINT and drains in-flight requests before returning.
    server.run().await.context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

/// Syncs every component with a registry, every `interval`. One failing registry is logged and
/// does not stop the others; a sync of a component never overlaps another of the same component.
async fn scheduled_sync(service: Service, interval: Duration) {
    tracing::info!(interval_s = interval.as_secs(), "scheduled sync enabled");
    loop {
        for (component, outcome) in service.sync_all().await {
            match outcome {
                Ok(r) => tracing::info!(
                    component,
                    added = r.added,
                    updated = r.updated,
                    gone = r.gone,
                    requests = r.registry_requests,
                    "scheduled sync done"
                ),
                Err(ServiceError::SyncInProgress { .. }) => {
                    tracing::info!(
                        component,
                        "scheduled sync skipped: another replica is syncing it"
                    );
                }
                Err(e) => {
                    tracing::warn!(component, error = %e, chain = ?e, "scheduled sync failed")
                }
            }
        }
        actix_web::rt::time::sleep(interval).await;
    }
}
