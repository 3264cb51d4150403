//! `relman`: the command line for relman servers. Nouns and verbs mirror the REST API
//! (`relman releases create`, `relman promote`), `--output json` prints the API's bodies for
//! scripts, and the exit code says what kind of failure happened (docs/CLI.md).

mod commands;
mod config;
mod exit;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::commands::{catalogue, feed, releases, rollout, session, webhooks};
use crate::exit::Failure;
use crate::output::{Format, Printer};

/// Release registry command line: components, versions, releases, promotions, signatures.
#[derive(Debug, Parser)]
#[command(name = "relman", version)]
struct Cli {
    /// The server (default: the one `relman login` saved).
    #[arg(long, global = true, env = "RELMAN_SERVER")]
    server: Option<String>,
    /// The bearer token (default: the one `relman login` saved).
    #[arg(long, global = true, env = "RELMAN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// How results are printed.
    #[arg(long, short, global = true, value_enum, default_value_t = Format::Table)]
    output: Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Save a server and token (the token from stdin, or RELMAN_TOKEN).
    Login(session::LoginArgs),
    /// Who the token belongs to.
    Whoami,
    /// Components: the images relman tracks.
    #[command(subcommand)]
    Components(catalogue::Components),
    /// A component's versions.
    #[command(subcommand)]
    Versions(catalogue::Versions),
    /// Registry integrations.
    #[command(subcommand)]
    Integrations(catalogue::Integrations),
    /// Sync a component's versions from its registry, with progress.
    Sync(catalogue::SyncArgs),
    /// Releases: immutable, signed bundles of exact digests.
    #[command(subcommand)]
    Releases(releases::Releases),
    /// Files attached to releases.
    #[command(subcommand)]
    Assets(releases::Assets),
    /// Check a release's signature locally (and whether an image is in it).
    Verify(releases::VerifyArgs),
    /// Environments.
    #[command(subcommand)]
    Environments(rollout::Environments),
    /// Deploy a release to an environment.
    Promote(rollout::PromoteArgs),
    /// Deployments.
    #[command(subcommand)]
    Deployments(rollout::Deployments),
    /// API tokens.
    #[command(subcommand)]
    Tokens(rollout::Tokens),
    /// Release signing keys.
    #[command(subcommand)]
    Keys(rollout::Keys),
    /// Update feeds.
    #[command(subcommand)]
    Feed(feed::Feed),
    /// Outgoing webhooks and their deliveries.
    #[command(subcommand)]
    Webhooks(webhooks::Webhooks),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Failure::failed(format!("error: {e}")).exit(),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

async fn run(cli: Cli) -> exit::Outcome {
    let out = Printer { format: cli.output };
    let conn = session::Connection {
        server: cli.server,
        token: cli.token,
    };
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "relman", &mut std::io::stdout());
            Ok(())
        }
        Command::Login(args) => session::login(conn, args, out).await,
        Command::Whoami => session::whoami(&conn.client()?, out).await,
        Command::Components(c) => c.run(&conn.client()?, out).await,
        Command::Versions(c) => c.run(&conn.client()?, out).await,
        Command::Integrations(c) => c.run(&conn.client()?, out).await,
        Command::Sync(a) => a.run(&conn.client()?, out).await,
        Command::Releases(c) => c.run(&conn.client()?, out).await,
        Command::Assets(c) => c.run(&conn.client()?, out).await,
        Command::Verify(a) => a.run(&conn.client()?, out).await,
        Command::Environments(c) => c.run(&conn.client()?, out).await,
        Command::Promote(a) => a.run(&conn.client()?, out).await,
        Command::Deployments(c) => c.run(&conn.client()?, out).await,
        Command::Tokens(c) => c.run(&conn.client()?, out).await,
        Command::Keys(c) => c.run(&conn.client()?, out).await,
        Command::Feed(c) => c.run(&conn.client()?, out).await,
        Command::Webhooks(c) => c.run(&conn.client()?, out).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
