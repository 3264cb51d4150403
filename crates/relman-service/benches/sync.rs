//! Sync benchmark: a local `docker-registry` holding 2,000 tags; times the first sync and an
//! unchanged re-sync, and counts registry requests. Prints figures; asserts nothing about speed.
//!
//! `cargo bench -p relman-service --bench sync` (release build; needs `docker-registry`).

#![expect(
    clippy::expect_used,
    reason = "a benchmark stops loudly when its set-up fails"
)]

use std::time::Instant;

use relman_service::{ComponentInput, IntegrationInput, Service, SyncOptions};
use relman_test_support::db::TestDb;
use relman_test_support::registry::{RegistryMode, TestRegistry};

const TAGS: usize = 2000;

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
    let service = Service::new(db.store().await);
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
    service
        .create_component(
            &actor,
            ComponentInput {
                name: "app".into(),
                image_repository: "bench/app".into(),
                registry_integration_id: Some(integration.id.to_string()),
                ..ComponentInput::default()
            },
        )
        .await
        .expect("component");

    for (label, force) in [
        ("first sync", false),
        ("unchanged re-sync", false),
        ("forced re-sync", true),
    ] {
        let started = Instant::now();
        let report = service
            .sync_versions(
                &actor,
                "app",
                SyncOptions {
                    force_refresh: force,
                },
            )
            .await
            .expect("sync");
        println!(
            "{label:<18} {:>8.2?}  registry requests {:>5}  added {:>5}  updated {:>3}  unchanged {:>5}",
            started.elapsed(),
            report.registry_requests,
            report.added,
            report.updated,
            report.unchanged
        );
    }
}
