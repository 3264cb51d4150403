//! Scheduled sync: each component when its own interval, or the global one, has passed; never
//! one whose interval is `0`. The clock is passed in: no sleeping, no timing.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use relman_domain::Actor;
use relman_service::{
    ComponentInput, ComponentPatch, IntegrationInput, Service, ServiceError, SyncSchedule,
};
use relman_storage::Store;
use relman_test_support::backend_tests;

use crate::fakes::FakeConnector;

backend_tests!(
    due_components_follow_their_own_interval,
    sync_intervals_are_validated
);

/// Components and their own intervals (`None`: the global one).
const COMPONENTS: [(&str, Option<i64>); 4] = [
    ("global", None),
    ("hourly", Some(3600)),
    ("minutely", Some(60)),
    ("never", Some(0)),
];

async fn service(store: Store, connector: &Arc<FakeConnector>) -> Service {
    let service = Service::with_registry_connector(store, connector.clone());
    let actor = Actor::system();
    service
        .create_integration(
            &actor,
            IntegrationInput {
                name: "reg".into(),
                url: "https://registry.example".into(),
                ..IntegrationInput::default()
            },
        )
        .await
        .unwrap();
    for (name, interval) in COMPONENTS {
        service
            .create_component(
                &actor,
                ComponentInput {
                    name: name.into(),
                    image_repository: format!("myorg/{name}"),
                    registry_integration_id: Some("reg".into()),
                    sync_interval_seconds: interval,
                    ..ComponentInput::default()
                },
            )
            .await
            .unwrap();
    }
    // Not scheduled whatever its interval: nothing to sync it from.
    service
        .create_component(
            &actor,
            ComponentInput {
                name: "local".into(),
                image_repository: "myorg/local".into(),
                sync_interval_seconds: Some(60),
                ..ComponentInput::default()
            },
        )
        .await
        .unwrap();
    service
}

/// Runs the scheduler once at `start + seconds` and returns the components it synced, by name.
async fn tick(
    service: &Service,
    schedule: &mut SyncSchedule,
    start: DateTime<Utc>,
    seconds: i64,
) -> Vec<String> {
    let outcomes = service
        .sync_due(schedule, start + TimeDelta::seconds(seconds))
        .await;
    let mut names = Vec::new();
    for (name, outcome) in outcomes {
        outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
        names.push(name);
    }
    names
}

async fn due_components_follow_their_own_interval(store: Store) {
    let connector = Arc::new(FakeConnector::default());
    let service = service(store, &connector).await;
    let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    // Global interval 600 s.
    let mut schedule = SyncSchedule::new(600);
    assert_eq!(
        tick(&service, &mut schedule, start, 0).await,
        ["global", "hourly", "minutely"],
        "all but `never` (and `local`) on the first look"
    );
    assert!(tick(&service, &mut schedule, start, 59).await.is_empty());
    assert_eq!(tick(&service, &mut schedule, start, 60).await, ["minutely"]);
    assert_eq!(
        tick(&service, &mut schedule, start, 600).await,
        ["global", "minutely"]
    );
    assert_eq!(
        tick(&service, &mut schedule, start, 3600).await,
        ["global", "hourly", "minutely"]
    );
    // `never` was never asked of the registry.
    let listed = connector.listed();
    assert!(!listed.iter().any(|r| r == "myorg/never"), "{listed:?}");
    assert_eq!(listed.iter().filter(|r| *r == "myorg/minutely").count(), 4);

    // The global interval off: only components with their own interval are scheduled.
    let mut own_only = SyncSchedule::new(0);
    assert_eq!(
        tick(&service, &mut own_only, start, 0).await,
        ["hourly", "minutely"]
    );

    // Back to the global interval after `null`; `0` stops a component.
    let actor = Actor::system();
    for (name, interval) in [("never", None), ("minutely", Some(0))] {
        service
            .update_component(
                &actor,
                name,
                ComponentPatch {
                    sync_interval_seconds: Some(interval),
                    ..ComponentPatch::default()
                },
            )
            .await
            .unwrap();
    }
    assert_eq!(
        tick(&service, &mut schedule, start, 4200).await,
        ["global", "never"]
    );
}

async fn sync_intervals_are_validated(store: Store) {
    let connector = Arc::new(FakeConnector::default());
    let service = service(store, &connector).await;
    let actor = Actor::system();
    for bad in [1, 59, 604_801, -1] {
        let err = service
            .update_component(
                &actor,
                "global",
                ComponentPatch {
                    sync_interval_seconds: Some(Some(bad)),
                    ..ComponentPatch::default()
                },
            )
            .await
            .unwrap_err();
        let ServiceError::Invalid(v) = err else {
            panic!("{bad}: {err:?}");
        };
        assert_eq!(v.errors[0].field, "syncIntervalSeconds", "{bad}");
    }
    let kept = service.component("hourly").await.unwrap();
    assert_eq!(kept.sync_interval_seconds, Some(3600));
    assert_eq!(
        service
            .component("global")
            .await
            .unwrap()
            .sync_interval_seconds,
        None
    );
}
