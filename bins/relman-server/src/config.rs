//! Configuration: defaults, then a TOML file, then `RELMAN_*` environment variables, then flags.
//! An unknown key in the file is an error that names the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use relman_storage::SqliteSync;
use serde::Deserialize;

use crate::assets_config::{self, AssetsConfig, AssetsFile};

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The settings a TOML file may hold; every field optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    database_max_connections: Option<u32>,
    max_body_bytes: Option<usize>,
    log_format: Option<LogFormat>,
    sync_interval_seconds: Option<u64>,
    sqlite_synchronous: Option<String>,
    shutdown_delay_seconds: Option<u64>,
    shutdown_grace_seconds: Option<u64>,
    protected_releases: Option<Vec<String>>,
    metrics_public: Option<bool>,
    feeds_public: Option<bool>,
    egress_allow: Option<String>,
    webhook_timeout: Option<String>,
    webhook_retry_schedule: Option<String>,
    assets: Option<AssetsFile>,
}

/// Overrides given on the command line.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Flags {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Folder for the SQLite database, the admin token and other local state [default: ./relman-data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// `sqlite://<path>` or `postgres://…` [default: sqlite inside the data folder].
    #[arg(long)]
    pub database_url: Option<String>,
    /// A TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Local state folder.
    pub data_dir: PathBuf,
    /// Database URL; `None` means SQLite inside the data folder.
    pub database_url: Option<String>,
    /// Pool size.
    pub database_max_connections: u32,
    /// Largest JSON body accepted.
    pub max_body_bytes: usize,
    /// Log format.
    pub log_format: LogFormat,
    /// The admin token, when given by environment rather than generated.
    pub admin_token: Option<String>,
    /// The key for stored secrets, when given by environment rather than generated.
    pub secret_key: Option<String>,
    /// How often every component with a registry is synced; `0` turns scheduled sync off.
    pub sync_interval_seconds: u64,
    /// SQLite's durability mode: `full` (default, a 2xx survives power loss) or `normal`.
    pub sqlite_synchronous: SqliteSync,
    /// After SIGTERM, how long `/readyz` answers 503 while new requests are still served, so
    /// that load balancers stop sending traffic before the listener closes.
    pub shutdown_delay_seconds: u64,
    /// Then, how long in-flight requests may take to finish before they are cut off.
    pub shutdown_grace_seconds: u64,
    /// Release-name globs whose releases only an admin may deprecate or delete.
    pub protected_releases: Vec<String>,
    /// Whether `/metrics` is served without a token (otherwise it needs the `read` scope).
    pub metrics_public: bool,
    /// Whether the `/updates/v1/` feeds are served without a token (the default; otherwise they
    /// need the `read` scope).
    pub feeds_public: bool,
    /// Where release asset bytes are kept, and how large they may be.
    pub assets: AssetsConfig,
    /// Which addresses outgoing requests (registries, token realms, webhooks) may reach:
    /// public ones only unless `RELMAN_EGRESS_ALLOW` / `egress_allow` adds loopback, private
    /// ranges or CIDRs.
    pub egress: relman_egress::EgressPolicy,
    /// How long one webhook delivery attempt may take.
    pub webhook_timeout: std::time::Duration,
    /// When failed webhook deliveries are tried again.
    pub webhook_retry_schedule: relman_webhooks::RetrySchedule,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("relman-data"),
            database_url: None,
            database_max_connections: 8,
            max_body_bytes: 1024 * 1024,
            log_format: LogFormat::Text,
            admin_token: None,
            sync_interval_seconds: 0,
            secret_key: None,
            sqlite_synchronous: SqliteSync::Full,
            shutdown_delay_seconds: 5,
            shutdown_grace_seconds: 45,
            protected_releases: Vec::new(),
            metrics_public: false,
            feeds_public: true,
            assets: AssetsConfig::default(),
            egress: relman_egress::EgressPolicy::default(),
            webhook_timeout: std::time::Duration::from_secs(15),
            webhook_retry_schedule: relman_webhooks::RetrySchedule::default(),
        }
    }
}

/// One duration written like a retry delay (`15s`, `500ms`, `2m`).
fn duration(key: &str, v: &str) -> anyhow::Result<std::time::Duration> {
    match relman_webhooks::RetrySchedule::parse(v)
        .map_err(|e| anyhow::anyhow!("{key}: {e}"))?
        .delays()
    {
        [one] if !one.is_zero() => Ok(*one),
        _ => bail!("{key}: '{v}' is not one duration above zero, such as 15s"),
    }
}

fn schedule(key: &str, v: &str) -> anyhow::Result<relman_webhooks::RetrySchedule> {
    v.parse::<relman_webhooks::RetrySchedule>()
        .map_err(|e| anyhow::anyhow!("{key}: {e}"))
}

/// Environment variables the server reads.
const ENV_KEYS: &[&str] = &[
    "RELMAN_LISTEN",
    "RELMAN_DATA_DIR",
    "RELMAN_DATABASE_URL",
    "RELMAN_DATABASE_MAX_CONNECTIONS",
    "RELMAN_MAX_BODY_BYTES",
    "RELMAN_LOG_FORMAT",
    "RELMAN_ADMIN_TOKEN",
    "RELMAN_CONFIG",
    "RELMAN_SYNC_INTERVAL_SECONDS",
    "RELMAN_SECRET_KEY",
    "RELMAN_SQLITE_SYNCHRONOUS",
    "RELMAN_SHUTDOWN_DELAY_SECONDS",
    "RELMAN_SHUTDOWN_GRACE_SECONDS",
    "RELMAN_PROTECTED_RELEASES",
    "RELMAN_METRICS_PUBLIC",
    "RELMAN_FEEDS_PUBLIC",
    "RELMAN_EGRESS_ALLOW",
    "RELMAN_WEBHOOK_TIMEOUT",
    "RELMAN_WEBHOOK_RETRY_SCHEDULE",
];

impl Config {
    /// Resolves the configuration from every source; `env` is the process environment as pairs.
    pub fn load(flags: &Flags, env: &[(String, String)]) -> anyhow::Result<Self> {
        let var = |k: &str| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let mut c = Self::default();
        let file = flags
            .config
            .clone()
            .or_else(|| var("RELMAN_CONFIG").map(PathBuf::from));
        if let Some(path) = &file {
            c.apply_file(&read_file(path)?)
                .with_context(|| format!("in {}", path.display()))?;
        }
        if let Some(v) = var("RELMAN_LISTEN") {
            c.listen = v
                .parse()
                .with_context(|| format!("RELMAN_LISTEN: '{v}' is not host:port"))?;
        }
        if let Some(v) = var("RELMAN_DATA_DIR") {
            c.data_dir = PathBuf::from(v);
        }
        if let Some(v) = var("RELMAN_DATABASE_URL") {
            c.database_url = Some(v);
        }
        if let Some(v) = var("RELMAN_DATABASE_MAX_CONNECTIONS") {
            c.database_max_connections = v.parse().with_context(|| {
                format!("RELMAN_DATABASE_MAX_CONNECTIONS: '{v}' is not a number")
            })?;
        }
        if let Some(v) = var("RELMAN_MAX_BODY_BYTES") {
            c.max_body_bytes = v
                .parse()
                .with_context(|| format!("RELMAN_MAX_BODY_BYTES: '{v}' is not a number"))?;
        }
        if let Some(v) = var("RELMAN_LOG_FORMAT") {
            c.log_format = match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => bail!("RELMAN_LOG_FORMAT: '{v}' is neither 'text' nor 'json'"),
            };
        }
        if let Some(v) = var("RELMAN_SYNC_INTERVAL_SECONDS") {
            c.sync_interval_seconds = v
                .parse()
                .with_context(|| format!("RELMAN_SYNC_INTERVAL_SECONDS: '{v}' is not a number"))?;
        }
        if let Some(v) = var("RELMAN_SQLITE_SYNCHRONOUS") {
            c.sqlite_synchronous = v
                .parse()
                .map_err(|e| anyhow::anyhow!("RELMAN_SQLITE_SYNCHRONOUS: {e}"))?;
        }
        if let Some(v) = var("RELMAN_SHUTDOWN_DELAY_SECONDS") {
            c.shutdown_delay_seconds = v
                .parse()
                .with_context(|| format!("RELMAN_SHUTDOWN_DELAY_SECONDS: '{v}' is not a number"))?;
        }
        if let Some(v) = var("RELMAN_SHUTDOWN_GRACE_SECONDS") {
            c.shutdown_grace_seconds = v
                .parse()
                .with_context(|| format!("RELMAN_SHUTDOWN_GRACE_SECONDS: '{v}' is not a number"))?;
        }
        if let Some(v) = var("RELMAN_PROTECTED_RELEASES") {
            c.protected_releases = v
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
        }
        for (key, field) in [
            ("RELMAN_METRICS_PUBLIC", &mut c.metrics_public),
            ("RELMAN_FEEDS_PUBLIC", &mut c.feeds_public),
        ] {
            if let Some(v) = var(key) {
                *field = match v.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => bail!("{key}: '{v}' is neither 'true' nor 'false'"),
                };
            }
        }
        if let Some(v) = var("RELMAN_EGRESS_ALLOW") {
            c.egress = relman_egress::EgressPolicy::parse(&v)
                .map_err(|e| anyhow::anyhow!("RELMAN_EGRESS_ALLOW: {e}"))?;
        }
        if let Some(v) = var("RELMAN_WEBHOOK_TIMEOUT") {
            c.webhook_timeout = duration("RELMAN_WEBHOOK_TIMEOUT", &v)?;
        }
        if let Some(v) = var("RELMAN_WEBHOOK_RETRY_SCHEDULE") {
            c.webhook_retry_schedule = schedule("RELMAN_WEBHOOK_RETRY_SCHEDULE", &v)?;
        }
        c.assets.apply_env(var)?;
        c.secret_key = var("RELMAN_SECRET_KEY").filter(|k| !k.is_empty());
        c.admin_token = var("RELMAN_ADMIN_TOKEN").filter(|t| !t.is_empty());
        if let Some(v) = flags.listen {
            c.listen = v;
        }
        if let Some(v) = &flags.data_dir {
            c.data_dir.clone_from(v);
        }
        if let Some(v) = &flags.database_url {
            c.database_url = Some(v.clone());
        }
        if c.database_max_connections == 0 {
            bail!("database_max_connections must be at least 1");
        }
        Ok(c)
    }

    fn apply_file(&mut self, f: &FileConfig) -> anyhow::Result<()> {
        if let Some(v) = f.listen {
            self.listen = v;
        }
        if let Some(v) = &f.data_dir {
            self.data_dir.clone_from(v);
        }
        if let Some(v) = &f.database_url {
            self.database_url = Some(v.clone());
        }
        if let Some(v) = f.database_max_connections {
            self.database_max_connections = v;
        }
        if let Some(v) = f.max_body_bytes {
            self.max_body_bytes = v;
        }
        if let Some(v) = f.log_format {
            self.log_format = v;
        }
        if let Some(v) = f.sync_interval_seconds {
            self.sync_interval_seconds = v;
        }
        if let Some(v) = &f.sqlite_synchronous {
            self.sqlite_synchronous = v
                .parse()
                .map_err(|e| anyhow::anyhow!("sqlite_synchronous: {e}"))?;
        }
        if let Some(v) = f.shutdown_delay_seconds {
            self.shutdown_delay_seconds = v;
        }
        if let Some(v) = f.shutdown_grace_seconds {
            self.shutdown_grace_seconds = v;
        }
        if let Some(v) = &f.protected_releases {
            self.protected_releases.clone_from(v);
        }
        if let Some(v) = f.metrics_public {
            self.metrics_public = v;
        }
        if let Some(v) = f.feeds_public {
            self.feeds_public = v;
        }
        if let Some(v) = &f.egress_allow {
            self.egress = relman_egress::EgressPolicy::parse(v)
                .map_err(|e| anyhow::anyhow!("egress_allow: {e}"))?;
        }
        if let Some(v) = &f.webhook_timeout {
            self.webhook_timeout = duration("webhook_timeout", v)?;
        }
        if let Some(v) = &f.webhook_retry_schedule {
            self.webhook_retry_schedule = schedule("webhook_retry_schedule", v)?;
        }
        if let Some(v) = &f.assets {
            self.assets.apply_file(v);
        }
        Ok(())
    }

    /// The database URL in effect.
    pub fn effective_database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("relman.db").display()))
    }
}

/// `RELMAN_*` variables the server does not know (test settings excepted): likely typos.
pub fn unknown_env_keys(env: &[(String, String)]) -> Vec<String> {
    env.iter()
        .map(|(k, _)| k)
        .filter(|k| {
            k.starts_with("RELMAN_")
                && !k.starts_with("RELMAN_TEST_")
                && !k.starts_with("RELMAN_REQUIRE_")
        })
        .filter(|k| {
            !ENV_KEYS.contains(&k.as_str()) && !assets_config::ENV_KEYS.contains(&k.as_str())
        })
        .cloned()
        .collect()
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("config file {}: {}", path.display(), e.message()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relman.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn defaults() {
        let c = Config::load(&Flags::default(), &[]).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.effective_database_url(), "sqlite://relman-data/relman.db");
    }

    #[test]
    fn precedence_file_env_flags() {
        let (_dir, path) =
            file("listen = \"127.0.0.1:1\"\ndata_dir = \"/from-file\"\nmax_body_bytes = 10\n");
        let flags = Flags {
            config: Some(path),
            listen: Some("127.0.0.1:3".parse().unwrap()),
            ..Default::default()
        };
        let c = Config::load(
            &flags,
            &env(&[
                ("RELMAN_LISTEN", "127.0.0.1:2"),
                ("RELMAN_DATA_DIR", "/from-env"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen.port(), 3, "flags win");
        assert_eq!(c.data_dir, PathBuf::from("/from-env"), "env beats the file");
        assert_eq!(c.max_body_bytes, 10, "the file beats defaults");
    }

    #[test]
    fn metrics_public_from_file_and_env() {
        assert!(!Config::default().metrics_public);
        let (_dir, path) = file("metrics_public = true\n");
        let flags = Flags {
            config: Some(path),
            ..Default::default()
        };
        assert!(Config::load(&flags, &[]).unwrap().metrics_public);
        let off = env(&[("RELMAN_METRICS_PUBLIC", "false")]);
        assert!(!Config::load(&flags, &off).unwrap().metrics_public);
        let (_dir, path) = file("feeds_public = false\n");
        let private = Flags {
            config: Some(path),
            ..Default::default()
        };
        assert!(Config::default().feeds_public);
        assert!(!Config::load(&private, &[]).unwrap().feeds_public);
        let on = env(&[("RELMAN_FEEDS_PUBLIC", "true")]);
        assert!(Config::load(&private, &on).unwrap().feeds_public);
        let bad = env(&[("RELMAN_METRICS_PUBLIC", "yes")]);
        let err = Config::load(&Flags::default(), &bad).unwrap_err();
        assert!(err.to_string().contains("RELMAN_METRICS_PUBLIC"), "{err}");
    }

    #[test]
    fn webhook_settings_from_file_and_env() {
        let (_dir, path) = file("webhook_timeout = \"3s\"\nwebhook_retry_schedule = \"1s,2s\"\n");
        let flags = Flags {
            config: Some(path),
            ..Flags::default()
        };
        let c = Config::load(&flags, &[]).unwrap();
        assert_eq!(c.webhook_timeout, std::time::Duration::from_secs(3));
        assert_eq!(
            c.webhook_retry_schedule.delays(),
            [
                std::time::Duration::from_secs(1),
                std::time::Duration::from_secs(2)
            ]
        );
        let env = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
        let c = Config::load(&flags, &env("RELMAN_WEBHOOK_TIMEOUT", "250ms")).unwrap();
        assert_eq!(c.webhook_timeout, std::time::Duration::from_millis(250));
        for (k, v) in [
            ("RELMAN_WEBHOOK_TIMEOUT", "1s,2s"),
            ("RELMAN_WEBHOOK_TIMEOUT", "0s"),
            ("RELMAN_WEBHOOK_RETRY_SCHEDULE", "soon"),
        ] {
            let err = Config::load(&flags, &env(k, v)).unwrap_err().to_string();
            assert!(err.contains(k), "{err}");
        }
        assert_eq!(
            Config::default().webhook_retry_schedule,
            relman_webhooks::RetrySchedule::default()
        );
    }

    #[test]
    fn egress_from_file_and_env() {
        use relman_egress::EgressPolicy;
        assert_eq!(Config::default().egress, EgressPolicy::default());
        let (_dir, path) = file("egress_allow = \"private, 10.9.0.0/16\"\n");
        let flags = Flags {
            config: Some(path),
            ..Default::default()
        };
        let from_file = Config::load(&flags, &[]).unwrap().egress;
        assert_eq!(from_file.describe(), "private, 10.9.0.0/16");
        let loopback = env(&[("RELMAN_EGRESS_ALLOW", "loopback")]);
        let from_env = Config::load(&flags, &loopback).unwrap().egress;
        assert_eq!(
            from_env,
            EgressPolicy::default().allowing_loopback(),
            "env beats the file"
        );
        let strict = env(&[("RELMAN_EGRESS_ALLOW", "")]);
        assert_eq!(
            Config::load(&flags, &strict).unwrap().egress,
            EgressPolicy::default()
        );
        for (bad, says) in [("loopbak", "'loopbak'"), ("169.254.169.254", "never")] {
            let err = Config::load(&Flags::default(), &env(&[("RELMAN_EGRESS_ALLOW", bad)]))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("RELMAN_EGRESS_ALLOW: "), "{err}");
            assert!(err.contains(says), "{err}");
        }
        let (_dir, path) = file("egress_allow = \"10.0.0.1/8\"\n");
        let bad_file = Flags {
            config: Some(path),
            ..Default::default()
        };
        let err = format!("{:#}", Config::load(&bad_file, &[]).unwrap_err());
        assert!(
            err.contains("egress_allow: '10.0.0.1/8' has host bits set"),
            "{err}"
        );
    }

    #[test]
    fn unknown_file_key_is_named() {
        let (_dir, path) = file("listen = \"127.0.0.1:1\"\ndatabase_ulr = \"x\"\n");
        let err = Config::load(
            &Flags {
                config: Some(path),
                ..Default::default()
            },
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("database_ulr"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let err = Config::load(&Flags::default(), &env(&[("RELMAN_LISTEN", "nope")])).unwrap_err();
        assert!(err.to_string().contains("RELMAN_LISTEN"), "{err}");
        let (_dir, path) = file("log_format = \"xml\"\n");
        let err = Config::load(
            &Flags {
                config: Some(path),
                ..Default::default()
            },
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("xml"), "{err}");
    }

    #[test]
    fn unknown_env_keys_are_reported() {
        let unknown = unknown_env_keys(&env(&[
            ("RELMAN_LISTN", "x"),
            ("RELMAN_LISTEN", "x"),
            ("RELMAN_TEST_POSTGRES_URL", "x"),
            ("HOME", "/"),
        ]));
        assert_eq!(unknown, ["RELMAN_LISTN"]);
    }
}
