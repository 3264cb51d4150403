//! `relman login` and `relman whoami`.

use std::io::{BufRead, IsTerminal};

use relman_client::Client;

use crate::config::{self, Saved};
use crate::exit::{Failure, Outcome};
use crate::output::Printer;

/// Server and token from flags or the environment, before the saved login fills the gaps.
#[derive(Debug)]
pub struct Connection {
    /// `--server` / `RELMAN_SERVER`.
    pub server: Option<String>,
    /// `--token` / `RELMAN_TOKEN`.
    pub token: Option<String>,
}

impl Connection {
    /// A client for the server and token in effect.
    pub fn client(&self) -> Result<Client, Failure> {
        let saved = config::load()?;
        let server = self.server.clone().or(saved.server).ok_or_else(|| {
            Failure::usage("error: no server: run `relman login --server URL` or set RELMAN_SERVER")
        })?;
        let mut builder =
            Client::builder(server).user_agent(concat!("relman-cli/", env!("CARGO_PKG_VERSION")));
        if let Some(token) = self.token.clone().or(saved.token) {
            builder = builder.token(token);
        }
        Ok(builder.build()?)
    }
}

/// `relman login`.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The token is read from standard input (one line) unless RELMAN_TOKEN or --token gives it.
    #[arg(long)]
    with_token: bool,
}

/// Checks the token against the server, then saves both.
pub async fn login(conn: Connection, args: LoginArgs, out: Printer) -> Outcome {
    let server = conn.server.clone().ok_or_else(|| {
        Failure::usage("error: relman login needs --server URL (or RELMAN_SERVER)")
    })?;
    let token = match conn.token.clone() {
        Some(t) if !args.with_token => t,
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("Paste the token and press Enter:");
            }
            let mut line = String::new();
            stdin.lock().read_line(&mut line)?;
            line.trim().to_owned()
        }
    };
    if token.is_empty() {
        return Err(Failure::usage("error: no token given on standard input"));
    }
    let client = Client::builder(server.clone())
        .token(token.clone())
        .build()?;
    let me = client.whoami().await?;
    let path = config::save(&Saved {
        server: Some(server.clone()),
        token: Some(token),
    })?;
    out.record(&me, |me| {
        vec![
            ("server", server),
            ("actor", me.actor.clone()),
            ("scope", me.scope.as_str().to_owned()),
            ("saved", path.display().to_string()),
        ]
    });
    Ok(())
}

/// `relman whoami`.
pub async fn whoami(client: &Client, out: Printer) -> Outcome {
    let me = client.whoami().await?;
    out.record(&me, |me| {
        vec![
            ("server", client.base_url().to_string()),
            ("actor", me.actor.clone()),
            ("scope", me.scope.as_str().to_owned()),
        ]
    });
    Ok(())
}
