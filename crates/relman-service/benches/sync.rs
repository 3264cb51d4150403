//! Sync benchmark: a local `docker-registry` holding 2,000 tags (one shared image config). Times,
//! in interleaved rounds, the request floors (the tag list plus one `HEAD` per tag; the tag list
//! plus a manifest `GET` and a config `GET` per tag) sent by a bare HTTP client, a first sync with
//! and without `pushedAt`, unchanged re-syncs (full and `changes_only` reports) and a forced
//! re-sync, and counts registry requests. Prints figures; asserts nothing about speed.
//!
//! `cargo bench -p relman-service --bench sync` (release build; needs `docker-registry`).

#![expect(
    clippy::expect_used,
    reason = "a benchmark stops loudly when its set-up fails"
)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use relman_service::{ComponentInput, IntegrationInput, Service, SyncOptions};
use relman_test_support::db::TestDb;
use relman_test_support::registry::{RegistryMode, TestRegistry, loopback_egress};

const TAGS: usize = 2000;
const ROUNDS: usize = 3;
/// Requests in flight, as a sync sends them by default.
const IN_FLIGHT: usize = 8;
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// The floor of a first sync: what a bare client must send to learn the same, no bookkeeping.
/// `full` adds the manifest and config bodies (what `pushedAt` needs) to the tag list + `HEAD`s.
async fn floor(http: &reqwest::Client, base: &str, tags: &[String], full: bool) -> u64 {
    let list = http
        .get(format!("{base}/v2/bench/app/tags/list"))
        .send()
        .await
        .expect("tag list");
    list.bytes().await.expect("tag list body");
    stream::iter(tags)
        .map(|tag| async move {
            let url = format!("{base}/v2/bench/app/manifests/{tag}");
            if !full {
                http.head(&url)
                    .header("accept", ACCEPT)
                    .send()
                    .await
                    .expect("HEAD");
                return 1;
            }
            let manifest: serde_json::Value = http
                .get(&url)
                .header("accept", ACCEPT)
                .send()
                .await
                .expect("GET manifest")
                .json()
                .await
                .expect("manifest JSON");
            let config = manifest["config"]["digest"]
                .as_str()
                .expect("config digest");
            http.get(format!("{base}/v2/bench/app/blobs/{config}"))
                .send()
                .await
                .expect("GET config")
                .bytes()
                .await
                .expect("config body");
            2
        })
        .buffer_unordered(IN_FLIGHT)
        .fold(1, |n, k| async move { n + k })
        .await
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let tags: Vec<String> = (0..TAGS)
        .map(|i| format!("v{}.{}.{}", i / 400, (i / 20) % 20, i % 20))
        .collect();
    let started = Instant::now();
    registry.pusher().push_many_tags("bench/app", &tags).await;
    println!("pushed {TAGS} tags in {:.2?}", started.elapsed());

    let db = TestDb::sqlite();
    let service = Service::with_registry_connector(
        db.store().await,
        std::sync::Arc::new(relman_service::HttpConnector::new(loopback_egress())),
    );
    let actor = relman_domain::Actor::system();
    let integration = service
        .create_integration(
            &actor,
            IntegrationInput {
                name: "local".into(),
                url: registry.url(),
                insecure: true,
                ..IntegrationInput::default()
            },
        )
        .await
        .expect("integration");
    let http = reqwest::Client::new();
    let base = registry.url();
    let base = base.trim_end_matches('/');

    // label -> (wall times, registry requests of the last run)
    let mut figures: BTreeMap<&str, (Vec<Duration>, u64)> = BTreeMap::new();
    let mut note = |label: &'static str, elapsed: Duration, requests: u64| {
        let entry = figures.entry(label).or_default();
        entry.0.push(elapsed);
        entry.1 = requests;
    };
    for round in 0..ROUNDS {
        let started = Instant::now();
        let requests = floor(&http, base, &tags, false).await;
        note("a floor: list + HEAD", started.elapsed(), requests);

        let lean = format!("lean-{round}");
        let full = format!("full-{round}");
        for (name, record_pushed_at) in [(&lean, false), (&full, true)] {
            service
                .create_component(
                    &actor,
                    ComponentInput {
                        name: name.clone(),
                        image_repository: "bench/app".into(),
                        registry_integration_id: Some(integration.id.to_string()),
                        record_pushed_at: Some(record_pushed_at),
                        ..ComponentInput::default()
                    },
                )
                .await
                .expect("component");
        }
        let runs: [(&'static str, &str, SyncOptions); 6] = [
            ("b first sync, no pushedAt", &lean, SyncOptions::default()),
            ("c floor: list + GET + GET", "", SyncOptions::default()),
            ("d first sync, pushedAt", &full, SyncOptions::default()),
            ("e unchanged re-sync", &full, SyncOptions::default()),
            (
                "f unchanged, changes only",
                &full,
                SyncOptions {
                    changes_only: true,
                    ..SyncOptions::default()
                },
            ),
            (
                "g forced re-sync",
                &full,
                SyncOptions {
                    force_refresh: true,
                    ..SyncOptions::default()
                },
            ),
        ];
        for (label, component, options) in runs {
            let started = Instant::now();
            if component.is_empty() {
                let requests = floor(&http, base, &tags, true).await;
                note(label, started.elapsed(), requests);
                continue;
            }
            let report = service
                .sync_versions(&actor, component, options)
                .await
                .expect("sync");
            note(label, started.elapsed(), report.registry_requests);
            if round == 0 {
                println!(
                    "{label:<27} added {:>5}  updated {:>3}  unchanged {:>5}  versions reported {:>5}",
                    report.added,
                    report.updated,
                    report.unchanged,
                    report.versions.len()
                );
            }
        }
    }
    println!("\n{ROUNDS} interleaved rounds, {TAGS} tags:");
    for (label, (mut times, requests)) in figures {
        times.sort();
        println!(
            "{:<27} min {:>9.2?}  median {:>9.2?}  registry requests {:>5}",
            &label[2..],
            times[0],
            times[times.len() / 2],
            requests
        );
    }
}
