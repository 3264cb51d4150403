//! `relman webhooks …` against a real server: the secret printed once, deliveries queued by a
//! release, paged, filtered and sent again, and the exit codes of failures.

use std::process::Output;

use assert_cmd::cargo::CommandCargoExt;
use relman_test_server::TestServer;
use relman_test_support::db::TestDb;
use relman_test_support::registry::{RegistryMode, TestRegistry};
use serde_json::Value;

/// A test server and a config file that is never written: server and token come from the
/// environment, as in CI.
struct Setup {
    server: TestServer,
    home: tempfile::TempDir,
}

/// `relman ARGS` against the server with its admin token.
fn run(s: &Setup, args: &[&str]) -> Output {
    std::process::Command::cargo_bin("relman")
        .unwrap()
        .args(args)
        .env("RELMAN_CONFIG", s.home.path().join("config.toml"))
        .env("RELMAN_SERVER", s.server.url())
        .env("RELMAN_TOKEN", s.server.token())
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs, expects exit 0 and JSON on stdout.
fn json(s: &Setup, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let out = run(s, &all);
    assert!(
        out.status.success(),
        "relman {args:?}: {}\n{}",
        out.status,
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("relman {args:?}: {e}: {}", stdout(&out)))
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

#[tokio::test]
async fn webhooks_are_managed_and_their_deliveries_listed_and_sent_again() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    registry
        .pusher()
        .push_many_tags("myorg/api", &["v1.0.0".to_owned()])
        .await;
    let server = Setup {
        server: TestServer::start(TestDb::sqlite()),
        home: tempfile::tempdir().unwrap(),
    };

    // Created with a generated secret: printed once, with a warning on stderr.
    let out = run(
        &server,
        &[
            "webhooks",
            "create",
            "--url",
            "http://127.0.0.1:9/hook",
            "--event",
            "release.created",
            "--event",
            "release.deleted",
            "--description",
            "ci",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let secret = text
        .lines()
        .find_map(|l| l.strip_prefix("secret"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("a secret line: {text}"))
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{text}");
    assert!(stderr(&out).contains("shown this once"), "{}", stderr(&out));
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("id"))
        .map(str::trim)
        .unwrap()
        .to_owned();

    // With a secret of one's own (from stdin with `-` is the other way), nothing is echoed.
    let given = format!("whsec_{}", "B".repeat(32));
    let other = json(
        &server,
        &[
            "webhooks",
            "create",
            "--url",
            "http://127.0.0.1:9/other",
            "--event",
            "deployment.failed",
            "--secret",
            &given,
            "--inactive",
        ],
    );
    assert!(other.get("secret").is_none(), "{other}");
    assert_eq!(other["active"], false);
    let other_id = other["id"].as_str().unwrap().to_owned();

    // Never shown again: not in the list, not in show, in either format.
    let list = json(&server, &["webhooks", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["id"], id.as_str(), "oldest first");
    let table = stdout(&run(&server, &["webhooks", "list"]));
    assert!(
        table.contains("URL") && table.contains("release.created,release.deleted"),
        "{table}"
    );
    let shown = json(&server, &["webhooks", "show", &id]);
    assert_eq!(shown["description"], "ci");
    for out in [
        table,
        shown.to_string(),
        list.to_string(),
        stdout(&run(&server, &["webhooks", "show", &id])),
    ] {
        assert!(
            !out.contains(&secret) && !out.contains(&given) && !out.contains("whsec_"),
            "{out}"
        );
    }

    let updated = json(
        &server,
        &[
            "webhooks",
            "update",
            &id,
            "--description",
            "ops",
            "--disable",
        ],
    );
    assert_eq!(
        (updated["description"].as_str(), updated["active"].as_bool()),
        (Some("ops"), Some(false))
    );
    assert_eq!(
        updated["events"].as_array().unwrap().len(),
        2,
        "events stay"
    );
    let updated = json(&server, &["webhooks", "update", &id, "--enable"]);
    assert_eq!(updated["active"], true);

    // A release created and deleted queues two deliveries (the test server sends none, so they
    // stay pending).
    json(
        &server,
        &[
            "integrations",
            "create",
            "reg",
            "--url",
            &registry.url(),
            "--insecure",
        ],
    );
    json(
        &server,
        &[
            "components",
            "create",
            "api",
            "--image",
            "myorg/api",
            "--integration",
            "reg",
        ],
    );
    assert_eq!(json(&server, &["sync", "api"])["status"], "succeeded");
    json(
        &server,
        &["releases", "create", "hooked", "-c", "api=1.0.0"],
    );
    let out = run(&server, &["releases", "delete", "hooked"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let all = json(
        &server,
        &["webhooks", "deliveries", &id, "--limit", "1", "--all"],
    );
    let all = all.as_array().unwrap();
    assert_eq!(
        all.iter()
            .map(|d| d["eventType"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["release.deleted", "release.created"],
        "newest first, every page"
    );
    let one = json(&server, &["webhooks", "deliveries", &id, "--limit", "1"]);
    assert_eq!(one.as_array().unwrap().len(), 1, "one page without --all");
    let pending = json(
        &server,
        &["webhooks", "deliveries", &id, "--status", "pending"],
    );
    assert_eq!(pending.as_array().unwrap().len(), 2);
    let failed = json(
        &server,
        &["webhooks", "deliveries", &id, "--status", "failed"],
    );
    assert!(failed.as_array().unwrap().is_empty());
    let table = stdout(&run(&server, &["webhooks", "deliveries", &id]));
    assert!(
        table.contains("EVENT") && table.contains("release.created") && table.contains("pending"),
        "{table}"
    );
    assert!(
        json(&server, &["webhooks", "deliveries", &other_id])
            .as_array()
            .unwrap()
            .is_empty(),
        "the other webhook hears of no release"
    );

    let delivery = all[1]["id"].as_str().unwrap();
    let again = json(&server, &["webhooks", "redeliver", &id, delivery]);
    assert_eq!(again["id"], delivery);
    assert_eq!(again["eventId"], all[1]["eventId"], "the same webhook-id");
    assert_eq!(again["status"], "pending");

    // Failures exit with their kind.
    let bad_event = run(
        &server,
        &[
            "webhooks",
            "create",
            "--url",
            "http://127.0.0.1:9/x",
            "--event",
            "nope",
        ],
    );
    assert_eq!(code(&bad_event), 2, "{}", stderr(&bad_event));
    assert!(
        stderr(&bad_event).contains("release.created"),
        "{}",
        stderr(&bad_event)
    );
    let bad_status = run(
        &server,
        &["webhooks", "deliveries", &id, "--status", "lost"],
    );
    assert_eq!(code(&bad_status), 2, "{}", stderr(&bad_status));
    let refused = run(
        &server,
        &[
            "webhooks",
            "create",
            "--url",
            "ftp://127.0.0.1/x",
            "--event",
            "release.created",
        ],
    );
    assert_eq!(code(&refused), 5, "{}", stderr(&refused));
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        code(&run(&server, &["webhooks", "redeliver", &id, unknown])),
        3
    );

    let out = run(&server, &["webhooks", "delete", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("deleted webhook"));
    assert_eq!(code(&run(&server, &["webhooks", "show", &id])), 3);
    assert!(
        run(&server, &["webhooks", "delete", &other_id])
            .status
            .success()
    );
    assert!(
        json(&server, &["webhooks", "list"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}
