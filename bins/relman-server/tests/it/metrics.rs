//! The real binary serves `/metrics`: build info, and, with `RELMAN_METRICS_PUBLIC=true`, without
//! a token. When `promtool` (Debian's `prometheus` package) is installed, the scrape must pass
//! `promtool check metrics`; `scripts/check-metrics` installs it and runs the same check.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::server::Server;

#[test]
fn build_info_is_served_and_promtool_accepts_the_scrape() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(
        &dir.path().join("data"),
        &[],
        &[("RELMAN_METRICS_PUBLIC", "true")],
    );
    let client = server.client();
    // A 200, a 404 and a 401, so every label shape is in the scrape.
    for (path, status) in [
        ("/healthz", 200),
        ("/no-such-path", 401),
        ("/api/v1/components", 401),
    ] {
        assert_eq!(
            client.get(server.url(path)).send().unwrap().status(),
            status
        );
    }
    let missing = client
        .get(server.url("/api/v1/components/nope"))
        .bearer_auth(&server.token)
        .send()
        .unwrap();
    assert_eq!(missing.status(), 404);

    let scrape = client.get(server.url("/metrics")).send().unwrap();
    assert_eq!(scrape.status(), 200, "public when configured");
    let text = scrape.text().unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        text.contains(&format!("relman_build_info{{version=\"{version}\"}} 1")),
        "{text}"
    );
    assert!(text.contains("relman_db_pool_max_connections "), "{text}");

    let Ok(mut promtool) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("promtool is not installed; scripts/check-metrics installs it and checks");
        return;
    };
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n--- scrape ---\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
