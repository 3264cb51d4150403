//! A new user's whole flow through the CLI.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use relman_test_server::TestServer;
use relman_test_support::db::TestDb;
use relman_test_support::registry::{RegistryMode, TestRegistry};
use serde_json::Value;

/// `relman ARGS` with the test's config file and no server or token in the environment.
fn relman(config: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::cargo_bin("relman").unwrap();
    cmd.args(args)
        .env("RELMAN_CONFIG", config)
        .env_remove("RELMAN_SERVER")
        .env_remove("RELMAN_TOKEN");
    cmd
}

fn run(config: &Path, args: &[&str]) -> Output {
    relman(config, args).output().unwrap()
}

/// Runs, expects exit 0 and JSON on stdout.
fn json(config: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let out = run(config, &all);
    assert!(
        out.status.success(),
        "relman {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "relman {args:?}: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

#[tokio::test]
async fn a_new_user_runs_the_whole_flow() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let tags: Vec<String> = (0..40).map(|i| format!("v1.{}.0", i)).collect();
    let pushed = registry.pusher().push_many_tags("myorg/api", &tags).await;
    let server = TestServer::start(TestDb::sqlite());
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("relman").join("config.toml");

    // Not logged in: a usage error.
    let out = run(&config, &["components", "list"]);
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("relman login"));

    // A wrong token is refused and nothing is saved.
    let mut login = relman(
        &config,
        &["login", "--server", server.url(), "--with-token"],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    use std::io::Write;
    login.stdin.take().unwrap().write_all(b"wrong\n").unwrap();
    let out = login.wait_with_output().unwrap();
    assert_eq!(code(&out), 5, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unauthenticated"));
    assert!(!config.exists());

    let mut login = relman(
        &config,
        &["login", "--server", server.url(), "--with-token"],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    writeln!(login.stdin.take().unwrap(), "{}", server.token()).unwrap();
    let out = login.wait_with_output().unwrap();
    assert!(out.status.success());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(json(&config, &["whoami"])["actor"], "admin");

    // Integration, component, sync with a job.
    json(
        &config,
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
        &config,
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
    let sync = json(&config, &["sync", "api"]);
    assert_eq!(sync["status"], "succeeded", "{sync}");
    assert_eq!(sync["result"]["added"], 40);
    let table = run(&config, &["components", "list"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("NAME") && text.contains("myorg/api"),
        "{text}"
    );
    let versions = json(
        &config,
        &["versions", "list", "api", "--limit", "15", "--all"],
    );
    assert_eq!(versions.as_array().unwrap().len(), 40);

    // Release from latest, signed, promoted with --wait, verified.
    let release = json(
        &config,
        &[
            "releases",
            "from-latest",
            "shop-v1.0.0",
            "--version",
            "1.0.0",
        ],
    );
    assert_eq!(release["status"], "draft");
    let member = release["components"][0]["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        member,
        pushed.last().unwrap().1.to_string(),
        "the highest tag is the latest"
    );
    json(&config, &["releases", "ready", "shop-v1.0.0"]);
    json(
        &config,
        &["environments", "create", "staging", "--order", "10"],
    );
    let promote = relman(
        &config,
        &["promote", "shop-v1.0.0", "staging", "--wait", "-o", "json"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deployment = loop {
        let list = json(&config, &["deployments", "list"]);
        if let Some(d) = list["data"].as_array().unwrap().first() {
            break d["id"].as_str().unwrap().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    json(
        &config,
        &[
            "deployments",
            "complete",
            &deployment,
            "--outcome",
            "succeeded",
        ],
    );
    let out = promote.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(done["status"], "succeeded");

    let verified = json(&config, &["verify", "shop-v1.0.0", "--image", &member]);
    assert_eq!(verified["verified"], true);
    let other = format!("sha256:{}", "0".repeat(64));
    let out = run(&config, &["verify", "shop-v1.0.0", "--image", &other]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not verified"));

    // Feeds for CI.
    let feeds = home.path().join("feeds");
    let exported = json(&config, &["feed", "export", feeds.to_str().unwrap()]);
    assert!(exported["files"].as_u64().unwrap() >= 3, "{exported}");
    let latest: Value =
        serde_json::from_slice(&std::fs::read(feeds.join("latest/api.json")).unwrap()).unwrap();
    assert_eq!(latest["tag"], "v1.39.0");

    // Assets on a draft: streamed up, down, and resumed.
    json(
        &config,
        &[
            "releases",
            "create",
            "shop-v1.1.0",
            "--version",
            "1.1.0",
            "-c",
            "api=1.38.0",
        ],
    );
    let file = home.path().join("app.tar.gz");
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    let asset = json(
        &config,
        &[
            "assets",
            "upload",
            "shop-v1.1.0",
            file.to_str().unwrap(),
            "--label",
            "Linux",
        ],
    );
    assert_eq!(asset["size"], 300_000);
    let listed = run(&config, &["assets", "list", "shop-v1.1.0"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("app.tar.gz"));
    let copy = home.path().join("copy.tar.gz");
    json(
        &config,
        &[
            "assets",
            "download",
            "shop-v1.1.0",
            "app.tar.gz",
            "-O",
            copy.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read(&copy).unwrap(), bytes);
    std::fs::write(&copy, &bytes[..123_456]).unwrap();
    json(
        &config,
        &[
            "assets",
            "download",
            "shop-v1.1.0",
            "app.tar.gz",
            "-O",
            copy.to_str().unwrap(),
            "--continue",
        ],
    );
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        bytes,
        "the resumed file is whole"
    );
    let notes = run(&config, &["releases", "notes", "shop-v1.1.0", "--generate"]);
    assert!(String::from_utf8_lossy(&notes.stdout).contains("shop-v1.0.0"));
    let cmp = json(
        &config,
        &["releases", "compare", "shop-v1.1.0", "shop-v1.0.0"],
    );
    assert_eq!(cmp["changed"].as_array().unwrap().len(), 1);

    // Tokens and keys.
    let token = json(&config, &["tokens", "create", "ci", "--scope", "read"]);
    let secret = token["secret"].as_str().unwrap().to_owned();
    let as_reader = relman(&config, &["--token", &secret, "whoami", "-o", "json"])
        .output()
        .unwrap();
    let me: Value = serde_json::from_slice(&as_reader.stdout).unwrap();
    assert_eq!(me["scope"], "read");
    let refused = relman(&config, &["--token", &secret, "keys", "rotate"])
        .output()
        .unwrap();
    assert_eq!(code(&refused), 5, "a read token cannot rotate keys");
    assert_eq!(
        json(&config, &["keys", "list"]).as_array().unwrap().len(),
        1
    );

    // Failures exit with their kind.
    assert_eq!(code(&run(&config, &["releases", "get", "nope"])), 3);
    assert_eq!(
        code(&run(
            &config,
            &["components", "create", "api", "--image", "x/y"]
        )),
        4
    );
    let out = run(&config, &["releases", "create", "bad", "-c", "api=9.9.9"]);
    assert_eq!(code(&out), 5);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unresolvable_version"));
    assert_eq!(
        code(&run(&config, &["releases", "create", "bad", "-c", "=1"])),
        2
    );
    let down = relman(
        &config,
        &["--server", "http://127.0.0.1:9", "components", "list"],
    )
    .output()
    .unwrap();
    assert_eq!(code(&down), 6);
    let completion = run(&config, &["completions", "bash"]);
    assert!(String::from_utf8_lossy(&completion.stdout).contains("relman"));
}
