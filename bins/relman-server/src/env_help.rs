//! The environment variables `relman-server --help` names; a test holds the list to the ones the
//! configuration reads.

/// Shown after the options of `--help`.
pub const ENV_HELP: &str = "\
Environment (each overrides the config file; flags override both):
  RELMAN_CONFIG                    the TOML configuration file
  RELMAN_LISTEN                    address to listen on
  RELMAN_DATA_DIR                  folder for the SQLite database, admin token and secret key
  RELMAN_DATABASE_URL              sqlite://<path> or postgres://…
  RELMAN_DATABASE_MAX_CONNECTIONS  database pool size
  RELMAN_SQLITE_SYNCHRONOUS        SQLite durability: full or normal
  RELMAN_ADMIN_TOKEN               the bootstrap admin token (else generated into the data folder)
  RELMAN_SECRET_KEY                key that encrypts stored registry credentials (shared by replicas)
  RELMAN_MAX_BODY_BYTES            largest JSON request body
  RELMAN_METRICS_PUBLIC            serve /metrics without a token
  RELMAN_FEEDS_PUBLIC              serve /updates/v1 without a token
  RELMAN_PROTECTED_RELEASES        release names that cannot be deleted or deprecated
  RELMAN_EGRESS_ALLOW              also let outgoing requests reach loopback, private or CIDRs
  RELMAN_WEBHOOK_TIMEOUT           one webhook delivery attempt's timeout (default 15s)
  RELMAN_WEBHOOK_RETRY_SCHEDULE    delays between webhook attempts (default 5s,5m,30m,2h,5h,10h,10h)
  RELMAN_SYNC_INTERVAL_SECONDS     scheduled sync of every component (0: off)
  RELMAN_SHUTDOWN_DELAY_SECONDS    serve on after SIGTERM while load balancers notice
  RELMAN_SHUTDOWN_GRACE_SECONDS    time in-flight requests get to finish
  RELMAN_LOG_FORMAT                text or json
  RELMAN_ASSETS_BACKEND            filesystem or s3
  RELMAN_ASSETS_PATH               asset folder (filesystem backend)
  RELMAN_ASSETS_MAX_BYTES          largest asset upload
  RELMAN_ASSETS_*                  the S3 settings (docs/ASSETS.md); AWS_* credentials

Documentation: docs/OPERATIONS.md";

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `RELMAN_*` name the configuration code reads (outside its tests) is listed.
    #[test]
    fn every_variable_read_is_named() {
        for source in [include_str!("config.rs"), include_str!("assets_config.rs")] {
            let code = source.split("#[cfg(test)]").next().unwrap_or(source);
            for piece in code.split('"').skip(1).step_by(2) {
                let is_name = piece.starts_with("RELMAN_")
                    && piece.len() > "RELMAN_".len()
                    && piece.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
                if is_name && !piece.ends_with('_') {
                    let listed = ENV_HELP.contains(&format!("  {piece} "));
                    assert!(listed, "{piece} is read but not in --help");
                }
            }
        }
    }
}
