//! `relman-server`: reads configuration, opens the store, and serves the API.

mod assets_config;
mod config;
mod env_help;
mod export;
mod keys;
mod malloc;
mod token;
mod webhook_metrics;

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpServer;
use anyhow::Context;
use clap::{Parser, Subcommand};
use relman_http::{AppState, Authenticator, HttpSettings, Metrics};
use relman_objects::Objects;
use relman_service::{
    AssetStore, HttpConnector, RegistryClients, STALE_UPLOAD, Service, ServiceError, SyncSchedule,
};
use relman_storage::{DatabaseUrl, PoolOptions, Store};

use crate::config::{Config, Flags, LogFormat};
use crate::token::TokenSource;

/// How often a replica checks its cached releases against the database (the bound on how long
/// another replica's change can go unseen; docs/OPERATIONS.md).
const RELEASE_CACHE_REFRESH: Duration = Duration::from_secs(1);

/// How often SQLite's write-ahead log is checkpointed and truncated (docs/OPERATIONS.md).
const WAL_CHECKPOINT_INTERVAL: Duration = Duration::from_secs(5);

/// relman: a release registry for container images.
#[derive(Parser)]
#[command(version, about, after_help = env_help::ENV_HELP)]
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
    Openapi(OpenapiArgs),
    /// List or rotate the release signing keys (on the configured database).
    #[command(subcommand)]
    Keys(keys::KeysAction),
    /// Write the update feeds into a folder as a signed TUF repository, swapped in atomically.
    ExportFeed(export::ExportArgs),
}

#[derive(clap::Args)]
struct OpenapiArgs {
    /// The OpenAPI version to write: 3.1 is the document itself, 3.0 its rendition for
    /// generators that read only 3.0 (openapi/relman-3.0.json).
    #[arg(long, value_enum, default_value_t = SpecVersion::V3_1)]
    spec_version: SpecVersion,
}

/// The OpenAPI versions the document is written in.
#[derive(Clone, Copy, clap::ValueEnum)]
enum SpecVersion {
    #[value(name = "3.1")]
    V3_1,
    #[value(name = "3.0")]
    V3_0,
}

fn main() -> anyhow::Result<()> {
    let arenas_limited = malloc::limit_arenas();
    let cli = Cli::parse();
    let flags = match cli.command {
        Some(Command::Openapi(args)) => {
            let text = match args.spec_version {
                SpecVersion::V3_1 => relman_http::openapi().to_pretty_json()?,
                SpecVersion::V3_0 => relman_http::openapi30::to_pretty_json()?,
            };
            println!("{text}");
            return Ok(());
        }
        Some(Command::Serve(flags)) => flags,
        Some(Command::ExportFeed(args)) => {
            let env: Vec<(String, String)> = std::env::vars().collect();
            let config = Config::load(&args.flags, &env)?;
            return actix_web::rt::System::new().block_on(export::run(args, config));
        }
        Some(Command::Keys(action)) => {
            let env: Vec<(String, String)> = std::env::vars().collect();
            let config = Config::load(action.flags(), &env)?;
            return actix_web::rt::System::new().block_on(keys::run(action, config));
        }
        None => cli.flags,
    };
    let env: Vec<(String, String)> = std::env::vars().collect();
    let config = Config::load(&flags, &env)?;
    init_logging(config.log_format);
    if arenas_limited {
        tracing::debug!("malloc arenas capped at one per core (MALLOC_ARENA_MAX overrides)");
    }
    for key in config::unknown_env_keys(&env) {
        tracing::warn!(key, "ignoring unknown RELMAN_* environment variable");
    }
    actix_web::rt::System::new().block_on(serve(config))
}

/// Blocking threads per HTTP worker: one per pooled connection, and a few for file work (assets,
/// signing) that holds none. More would only wait for a connection on a thread of their own, each
/// with its stack: under database-bound load 96 blocking threads held a third of the server's
/// memory (docs/BENCHMARKS.md).
fn blocking_threads(max_connections: u32) -> usize {
    usize::try_from(max_connections)
        .unwrap_or(usize::MAX)
        .saturating_add(4)
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

/// Opens (and migrates) the configured database with the secret key that seals stored secrets,
/// and refuses to go on when stored secrets do not decrypt with it.
async fn open_store(config: &Config) -> anyhow::Result<Store> {
    create_data_dir(&config.data_dir)?;
    let url: DatabaseUrl = config.effective_database_url().parse()?;
    tracing::info!(database = %url.redacted(), "opening database");
    let options = PoolOptions {
        max_connections: config.database_max_connections,
        sqlite_sync: config.sqlite_synchronous,
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
    let undecryptable = store
        .undecryptable_integrations()
        .await
        .context("checking stored secrets")?;
    if !undecryptable.is_empty() {
        anyhow::bail!(
            "the stored credentials of registry integration(s) {} do not decrypt with the \
             configured secret key: start relman with the key they were written with \
             (RELMAN_SECRET_KEY, or the secret-key file in the data folder); every replica \
             sharing a database needs the same key",
            undecryptable.join(", ")
        );
    }
    Ok(store)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let store = open_store(&config).await?;

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
        metrics_public: config.metrics_public,
        feeds_public: config.feeds_public,
    };
    // One set of metrics for the process: the registry clients and the service report to it,
    // `/metrics` renders it.
    let metrics = Arc::new(Metrics::new(env!("CARGO_PKG_VERSION")));
    // Every outgoing request goes through one policy: registries, token realms, webhooks.
    tracing::info!(allow = %config.egress.describe(), "egress policy for outgoing requests");
    // Owned once here: every sync of an integration shares its one client, limits and tokens.
    let connector = HttpConnector::new(config.egress.clone());
    let registries =
        Arc::new(RegistryClients::new(Arc::new(connector)).observed_by(Arc::clone(&metrics) as _));
    let protected = relman_domain::ProtectedReleases::new(config.protected_releases.clone())
        .map_err(|e| anyhow::anyhow!("protected_releases: {e}"))?;
    // Keeps SQLite's write-ahead log bounded under constant reads (a no-op on PostgreSQL).
    actix_web::rt::spawn(store.clone().checkpoint_every(WAL_CHECKPOINT_INTERVAL));
    let objects = Objects::open(&config.assets.objects(&config.data_dir)?)
        .map_err(|e| anyhow::anyhow!("asset storage: {e}"))?;
    // Told now rather than at the first upload: a bucket that does not answer is a setup error.
    if let Err(e) = objects.check().await {
        tracing::warn!(backend = objects.backend(), error = %e, "asset storage does not answer yet");
    }
    tracing::info!(
        backend = objects.backend(),
        max_bytes = config.assets.max_bytes,
        "release assets"
    );
    // Webhook deliveries from the outbox; it stops claiming once shutdown begins, and a delivery
    // cut off by the exit is sent again when its lease expires (docs/WEBHOOKS.md).
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let worker = relman_webhooks::DeliveryWorker::new(
        store.clone(),
        config.egress.clone(),
        relman_webhooks::WorkerOptions {
            request_timeout: config.webhook_timeout,
            schedule: config.webhook_retry_schedule.clone(),
            ..Default::default()
        },
    )
    .context("the webhook delivery client")?
    .observed_by(Arc::new(webhook_metrics::WebhookMetrics(Arc::clone(
        &metrics,
    ))));
    actix_web::rt::spawn(worker.run(async move {
        let mut stop = stop;
        let _ = stop.wait_for(|s| *s).await;
    }));
    let service = Service::with_registry_clients(store, registries)
        .with_egress(config.egress.clone())
        .observed_by(Arc::clone(&metrics) as _)
        .with_protected_releases(protected)
        .with_assets(AssetStore {
            objects,
            max_bytes: config.assets.max_bytes,
        });
    // Uploads a crash cut off, and bytes whose record is gone, are removed in the background.
    actix_web::rt::spawn(housekeeping(service.clone()));
    let key = service
        .ensure_signing_key()
        .await
        .map_err(|e| anyhow::anyhow!("the release signing key: {e}"))?;
    tracing::info!(keyid = %key.keyid, "releases are signed with this key");
    // Other replicas' changes to released releases reach this one's cache within a second.
    actix_web::rt::spawn(
        service
            .clone()
            .refresh_release_cache_every(RELEASE_CACHE_REFRESH),
    );
    // Always running: components may carry their own interval even when the global one is off.
    actix_web::rt::spawn(scheduled_sync(
        service.clone(),
        SyncSchedule::new(config.sync_interval_seconds),
    ));
    let state = AppState::new(service, Authenticator::with_admin_token(&token), &settings)
        .with_metrics(metrics);
    let draining = state.draining();
    // The dashboard's sessions are sealed with a key derived from the secret key, so that every
    // replica sharing the secret accepts them.
    let (secret_key, _) = token::secret_key(config.secret_key.as_deref(), &config.data_dir)?;
    let ui_keys = relman_ui::UiKeys::derive(secret_key.to_hex().as_bytes());
    let server = HttpServer::new(move || {
        relman_http::app(state.clone())
            .service(relman_ui::scope(ui_keys.clone()))
            .service(relman_ui::favicon)
    })
    .worker_max_blocking_threads(blocking_threads(config.database_max_connections))
    .bind(config.listen)
    .with_context(|| format!("binding {}", config.listen))?
    // Signals are handled below, so that readiness turns 503 before the listener closes.
    .disable_signals()
    .shutdown_timeout(config.shutdown_grace_seconds)
    .run();
    tracing::info!(listen = %config.listen, "relman is serving");
    let handle = server.handle();
    let delay = Duration::from_secs(config.shutdown_delay_seconds);
    actix_web::rt::spawn(async move {
        let signal = shutdown_signal().await;
        draining.start();
        let _ = stopping.send(true);
        // SIGTERM comes from an orchestrator: keep serving while load balancers notice the 503
        // from /readyz. Ctrl-C comes from a person, who wants the server gone now.
        if signal == Signal::Terminate && !delay.is_zero() {
            tracing::info!(
                delay_s = delay.as_secs(),
                "SIGTERM: readiness is now 503; serving on while load balancers catch up"
            );
            actix_web::rt::time::sleep(delay).await;
        }
        tracing::info!("no longer accepting connections; draining in-flight requests");
        handle.stop(true).await;
    });
    server.await.context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

/// Creates the data folder readable by its owner only: it holds the database, the admin token and
/// the secret key.
fn create_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating data folder {}", dir.display()))
}

/// Which signal asked the server to stop.
#[derive(Debug, PartialEq, Eq)]
enum Signal {
    /// SIGTERM: an orchestrator or service manager.
    Terminate,
    /// SIGINT: Ctrl-C.
    Interrupt,
}

/// Waits for SIGTERM or SIGINT.
async fn shutdown_signal() -> Signal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => Signal::Terminate,
                _ = tokio::signal::ctrl_c() => Signal::Interrupt,
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = tokio::signal::ctrl_c().await;
                Signal::Interrupt
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}

/// Syncs each component with a registry when its own interval (or the global one) has passed
/// since its last scheduled sync, looking every few seconds. One failing registry is logged and
/// does not stop the others; a sync of a component never overlaps another of the same component.
async fn scheduled_sync(service: Service, mut schedule: SyncSchedule) {
    tracing::info!(
        tick_s = schedule.tick().as_secs_f64(),
        "sync scheduler started"
    );
    loop {
        for (component, outcome) in service.sync_due(&mut schedule, chrono::Utc::now()).await {
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
                        "scheduled sync skipped: a sync of it is already running"
                    );
                }
                Err(e) => {
                    tracing::warn!(component, error = %e, chain = ?e, "scheduled sync failed")
                }
            }
        }
        actix_web::rt::time::sleep(schedule.tick()).await;
    }
}

/// How often the asset sweep runs (at start, then this often).
const ASSET_SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

/// Hourly housekeeping: removes uploads a crash cut off (older than [`STALE_UPLOAD`]) and bytes
/// whose record is gone, and prunes finished sync jobs and expired dashboard sessions.
async fn housekeeping(service: Service) {
    loop {
        match service.sweep_assets(STALE_UPLOAD).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "swept unfinished or orphaned asset uploads"),
            Err(e) => tracing::warn!(error = %e, "sweeping asset storage failed; retrying later"),
        }
        // Sync jobs finished a day ago are no longer polled.
        match service.prune_sync_jobs().await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "pruned finished sync jobs"),
            Err(e) => tracing::warn!(error = %e, "pruning sync jobs failed; retrying later"),
        }
        match service.prune_dashboard_sessions().await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "pruned expired dashboard sessions"),
            Err(e) => {
                tracing::warn!(error = %e, "pruning dashboard sessions failed; retrying later")
            }
        }
        actix_web::rt::time::sleep(ASSET_SWEEP_INTERVAL).await;
    }
}
