//! Promotions and deployments, and the audit events every release, environment and deployment
//! change leaves behind.

use relman_domain::{AuditEvent, DeploymentStatus, EnvironmentStatus, ReleaseStatus};
use relman_service::{
    CompleteInput, EnvironmentInput, EnvironmentPatch, ReleasePatch, Service, ServiceError,
};
use relman_storage::{AuditFilter, Store};
use relman_test_support::backend_tests;

use crate::releases::{actor, input, service_with_components};

backend_tests!(
    release_mutations_record_events,
    environment_mutations_record_events,
    promotion_lifecycle,
    failed_promotions_restore_the_status,
    concurrent_promotions_one_wins,
    concurrent_completions_one_wins
);

/// Every event about one resource, oldest first.
async fn events_of(store: &Store, resource_id: impl ToString) -> Vec<AuditEvent> {
    let (mut events, _, _) = store
        .list_audit_events(
            AuditFilter {
                resource_id: Some(resource_id.to_string()),
                ..Default::default()
            },
            relman_storage::Window::Offset(0),
            100,
        )
        .await
        .unwrap();
    events.reverse();
    events
}

fn actions(events: &[AuditEvent]) -> Vec<&str> {
    events.iter().map(|e| e.action.as_str()).collect()
}

/// A release named `name`, created and moved to `ready`.
pub async fn ready_release(service: &Service, name: &str, api_version: &str) -> uuid::Uuid {
    let (r, _) = service
        .create_release(&actor("me"), input(name, api_version))
        .await
        .unwrap();
    service
        .update_release(
            &actor("me"),
            name,
            ReleasePatch {
                status: Some("ready".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    r.id
}

async fn environments(service: &Service, requires_previous: bool) {
    for (name, display, order) in [("dev", "Development", 10), ("staging", "Staging", 20)] {
        service
            .create_environment(
                &actor("ops"),
                EnvironmentInput {
                    name: name.into(),
                    display_name: Some(display.into()),
                    order,
                    requires_previous: Some(requires_previous && order > 10),
                },
            )
            .await
            .unwrap();
    }
}

fn outcome(outcome: &str) -> CompleteInput {
    CompleteInput {
        outcome: outcome.into(),
        message: Some(format!("cd says {outcome}")),
    }
}

async fn release_mutations_record_events(store: Store) {
    let service = service_with_components(store.clone()).await;
    let (r, created) = service
        .create_release(&actor("alice"), input("r1", "1.0.0"))
        .await
        .unwrap();
    assert!(created);
    let events = events_of(&store, r.id).await;
    assert_eq!(actions(&events), ["release.create"]);
    assert_eq!(events[0].actor, "alice");
    assert_eq!(events[0].request_id.as_deref(), Some("req-alice"));
    assert_eq!(events[0].resource_type, "release");
    assert!(events[0].summary.contains("r1"), "{}", events[0].summary);

    // A retry answered with the existing release changes nothing and records nothing; so does
    // a create refused for other content.
    service
        .create_release(&actor("bob"), input("r1", "1.0.0"))
        .await
        .unwrap();
    assert!(matches!(
        service
            .create_release(&actor("bob"), input("r1", "1.1.0"))
            .await,
        Err(ServiceError::NameExistsDifferentContent { .. })
    ));
    assert_eq!(events_of(&store, r.id).await.len(), 1);

    let ready = ReleasePatch {
        status: Some("ready".into()),
        ..Default::default()
    };
    service
        .update_release(&actor("carol"), "r1", ready.clone())
        .await
        .unwrap();
    // Repeating it is a no-op: no event.
    service
        .update_release(&actor("carol"), "r1", ready)
        .await
        .unwrap();
    // Refused updates leave no event.
    let refused = service
        .update_release(
            &actor("carol"),
            "r1",
            ReleasePatch {
                status: Some("deployed".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ServiceError::InvalidTransition(_)),
        "{refused:?}"
    );
    let refused = service
        .update_release(
            &actor("carol"),
            "r1",
            ReleasePatch {
                status: Some("promoting".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ServiceError::StatusByDeploymentOnly { .. }),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("/promote"), "{refused}");
    service
        .deprecate_release(&actor("dave"), "r1", Some("CVE".into()))
        .await
        .unwrap();
    service.delete_release(&actor("erin"), "r1").await.unwrap();
    let events = events_of(&store, r.id).await;
    assert_eq!(
        actions(&events),
        [
            "release.create",
            "release.update",
            "release.deprecate",
            "release.delete"
        ]
    );
    let who: Vec<&str> = events.iter().map(|e| e.actor.as_str()).collect();
    assert_eq!(who, ["alice", "carol", "dave", "erin"]);
    assert!(
        events[1].summary.contains("draft -> ready"),
        "{}",
        events[1].summary
    );
    assert!(events[2].summary.contains("CVE"), "{}", events[2].summary);
    // Deleting what is gone fails and records nothing.
    assert!(matches!(
        service.delete_release(&actor("erin"), "r1").await,
        Err(ServiceError::NotFound { .. })
    ));
    assert_eq!(events_of(&store, r.id).await.len(), 4);
}

async fn environment_mutations_record_events(store: Store) {
    let service = Service::new(store.clone());
    environments(&service, false).await;
    let dev = service.environment("dev").await.unwrap();
    assert_eq!(dev.display_name, "Development");
    let refused = service
        .create_environment(
            &actor("ops"),
            EnvironmentInput {
                name: "dev".into(),
                order: 99,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ServiceError::NameExists { .. }),
        "{refused:?}"
    );
    let refused = service
        .create_environment(
            &actor("ops"),
            EnvironmentInput {
                name: "qa".into(),
                order: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    match refused {
        ServiceError::OrderExists { order, taken_by } => {
            assert_eq!((order, taken_by.as_str()), (20, "staging"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let updated = service
        .update_environment(
            &actor("ops2"),
            &dev.id.to_string(),
            EnvironmentPatch {
                display_name: Some("Dev".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.display_name, "Dev");
    assert!(matches!(
        service
            .update_environment(
                &actor("ops2"),
                "dev",
                EnvironmentPatch {
                    order: Some(20),
                    ..Default::default()
                },
            )
            .await,
        Err(ServiceError::OrderExists { .. })
    ));
    service
        .delete_environment(&actor("ops3"), "dev")
        .await
        .unwrap();
    let events = events_of(&store, dev.id).await;
    assert_eq!(
        actions(&events),
        [
            "environment.create",
            "environment.update",
            "environment.delete"
        ]
    );
    let who: Vec<&str> = events.iter().map(|e| e.actor.as_str()).collect();
    assert_eq!(who, ["ops", "ops2", "ops3"]);
    assert!(
        events[1].summary.contains("displayName"),
        "{}",
        events[1].summary
    );
    let (all, total, _) = store
        .list_audit_events(
            AuditFilter {
                resource_type: Some("environment".into()),
                ..Default::default()
            },
            relman_storage::Window::Offset(0),
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        total, 4,
        "two creates, an update and a delete; refusals left none: {all:?}"
    );
}

async fn promotion_lifecycle(store: Store) {
    let service = service_with_components(store.clone()).await;
    environments(&service, true).await;
    let draft = service
        .create_release(&actor("me"), input("draft", "1.0.0"))
        .await
        .unwrap()
        .0;
    assert!(matches!(
        service.promote_release(&actor("me"), "draft", "dev").await,
        Err(ServiceError::ReleaseNotReady { .. })
    ));
    let r1 = ready_release(&service, "r1", "1.0.0").await;
    let refused = service
        .promote_release(&actor("me"), "r1", "staging")
        .await
        .unwrap_err();
    match &refused {
        ServiceError::PreviousEnvironmentRequired { previous, .. } => assert_eq!(previous, "dev"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        service.promote_release(&actor("me"), "r1", "ghost").await,
        Err(ServiceError::NotFound { .. })
    ));
    let d1 = service
        .promote_release(&actor("promoter"), "r1", "dev")
        .await
        .unwrap();
    assert_eq!(d1.deployment.status, DeploymentStatus::InProgress);
    assert_eq!(d1.environment_name, "Development");
    assert_eq!(
        service.release("r1").await.unwrap().status,
        ReleaseStatus::Promoting
    );
    let r2 = ready_release(&service, "r2", "1.1.0").await;
    assert!(matches!(
        service.promote_release(&actor("me"), "r2", "dev").await,
        Err(ServiceError::DeploymentInProgress { .. })
    ));
    // A release with an open deployment cannot be deleted.
    assert!(matches!(
        service.delete_release(&actor("me"), "r1").await,
        Err(ServiceError::InUse { .. })
    ));
    let id = d1.deployment.id.to_string();
    let done = service
        .complete_deployment(&actor("cd"), &id, outcome("succeeded"))
        .await
        .unwrap();
    assert_eq!(done.deployment.status, DeploymentStatus::Succeeded);
    assert_eq!(done.deployment.completed_by.as_deref(), Some("cd"));
    assert_eq!(
        service.release("r1").await.unwrap().status,
        ReleaseStatus::Deployed
    );
    assert!(matches!(
        service
            .complete_deployment(&actor("cd"), &id, outcome("failed"))
            .await,
        Err(ServiceError::DeploymentCompleted {
            status: DeploymentStatus::Succeeded,
            ..
        })
    ));
    assert!(matches!(
        service
            .complete_deployment(&actor("cd"), &id, outcome("maybe"))
            .await,
        Err(ServiceError::Invalid(_))
    ));
    assert_eq!(service.current_release("dev").await.unwrap().id, r1);

    // r2 supersedes r1 in dev.
    let d2 = service
        .promote_release(&actor("me"), "r2", "dev")
        .await
        .unwrap();
    service
        .complete_deployment(
            &actor("cd"),
            &d2.deployment.id.to_string(),
            outcome("succeeded"),
        )
        .await
        .unwrap();
    assert_eq!(service.current_release("dev").await.unwrap().id, r2);
    let state = service.release_state("r1").await.unwrap();
    let statuses: Vec<_> = state
        .iter()
        .map(|s| (s.environment_name.as_str(), s.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("Development", EnvironmentStatus::Superseded),
            ("Staging", EnvironmentStatus::NotDeployed)
        ]
    );
    // Deployed once: never deletable again.
    assert!(matches!(
        service.delete_release(&actor("me"), "r1").await,
        Err(ServiceError::InUse { .. })
    ));
    // Deprecated: never promoted again, still readable.
    service
        .deprecate_release(&actor("me"), "r1", None)
        .await
        .unwrap();
    assert!(matches!(
        service.promote_release(&actor("me"), "r1", "staging").await,
        Err(ServiceError::ReleaseDeprecated { .. })
    ));
    assert_eq!(
        service.release("r1").await.unwrap().status,
        ReleaseStatus::Deprecated
    );
    // The environment has history now.
    assert!(matches!(
        service.delete_environment(&actor("ops"), "dev").await,
        Err(ServiceError::InUse { .. })
    ));

    let events = events_of(&store, r1).await;
    assert_eq!(
        actions(&events),
        [
            "release.create",
            "release.update",
            "release.promote",
            "release.promotion_complete",
            "release.supersede",
            "release.deprecate"
        ]
    );
    assert_eq!(events[2].actor, "promoter");
    assert_eq!(events[2].request_id.as_deref(), Some("req-promoter"));
    let events = events_of(&store, d1.deployment.id).await;
    assert_eq!(
        actions(&events),
        ["deployment.start", "deployment.complete"]
    );
    assert_eq!(events[1].actor, "cd");
    assert!(
        events_of(&store, draft.id).await.len() == 1,
        "refusals record nothing"
    );
    let history = service.list_deployments(Default::default()).await.unwrap();
    assert_eq!(history.total_count, 2);
    assert_eq!(
        history.items[0].deployment.id, d2.deployment.id,
        "newest first"
    );
}

async fn failed_promotions_restore_the_status(store: Store) {
    let service = service_with_components(store.clone()).await;
    environments(&service, false).await;
    ready_release(&service, "r1", "1.0.0").await;
    let d = service
        .promote_release(&actor("me"), "r1", "dev")
        .await
        .unwrap();
    service
        .complete_deployment(
            &actor("cd"),
            &d.deployment.id.to_string(),
            outcome("failed"),
        )
        .await
        .unwrap();
    assert_eq!(
        service.release("r1").await.unwrap().status,
        ReleaseStatus::Ready,
        "a failed first deployment: deployed nowhere"
    );
    assert!(matches!(
        service.current_release("dev").await,
        Err(ServiceError::NothingRunning { .. })
    ));
    let d = service
        .promote_release(&actor("me"), "r1", "dev")
        .await
        .unwrap();
    service
        .complete_deployment(
            &actor("cd"),
            &d.deployment.id.to_string(),
            outcome("succeeded"),
        )
        .await
        .unwrap();
    let d = service
        .promote_release(&actor("me"), "r1", "staging")
        .await
        .unwrap();
    service
        .complete_deployment(
            &actor("cd"),
            &d.deployment.id.to_string(),
            outcome("failed"),
        )
        .await
        .unwrap();
    assert_eq!(
        service.release("r1").await.unwrap().status,
        ReleaseStatus::Deployed,
        "it still runs in dev"
    );
    let state = service.release_state("r1").await.unwrap();
    assert_eq!(state[0].status, EnvironmentStatus::Deployed);
    assert!(state[0].deployed_at.is_some());
    assert_eq!(state[1].status, EnvironmentStatus::Failed);
    assert_eq!(state[1].deployed_at, None);
}

/// Eight releases race to one environment: exactly one deployment opens, the others are told
/// one is in progress, and each loser's release is left as it was, with no event.
async fn concurrent_promotions_one_wins(store: Store) {
    let service = service_with_components(store.clone()).await;
    environments(&service, false).await;
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(ready_release(&service, &format!("r{i}"), "1.0.0").await);
    }
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let service = service.clone();
            tokio::spawn(async move {
                service
                    .promote_release(&actor("me"), &format!("r{i}"), "staging")
                    .await
            })
        })
        .collect();
    let mut won = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(_) => won.push(i),
            Err(ServiceError::DeploymentInProgress { environment }) => {
                assert_eq!(environment, "staging");
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one promotion wins");
    for (i, id) in ids.iter().enumerate() {
        let status = service.release(&id.to_string()).await.unwrap().status;
        let promotes = events_of(&store, id)
            .await
            .iter()
            .filter(|e| e.action == "release.promote")
            .count();
        if won.contains(&i) {
            assert_eq!((status, promotes), (ReleaseStatus::Promoting, 1));
        } else {
            assert_eq!((status, promotes), (ReleaseStatus::Ready, 0), "r{i}");
        }
    }
    let history = service.list_deployments(Default::default()).await.unwrap();
    assert_eq!(history.total_count, 1);
}

/// The same deployment completed by eight callers at once finishes exactly once.
async fn concurrent_completions_one_wins(store: Store) {
    let service = service_with_components(store.clone()).await;
    environments(&service, false).await;
    ready_release(&service, "r1", "1.0.0").await;
    let d = service
        .promote_release(&actor("me"), "r1", "dev")
        .await
        .unwrap();
    let id = d.deployment.id.to_string();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let service = service.clone();
            let id = id.clone();
            let how = if i % 2 == 0 { "succeeded" } else { "failed" };
            tokio::spawn(async move {
                service
                    .complete_deployment(&actor("cd"), &id, outcome(how))
                    .await
            })
        })
        .collect();
    let mut finished = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(done) => finished.push(done.deployment.status),
            Err(ServiceError::DeploymentCompleted { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(finished.len(), 1);
    let stored = service.deployment(&id).await.unwrap().deployment;
    assert_eq!(stored.status, finished[0]);
    let completes = events_of(&store, d.deployment.id)
        .await
        .iter()
        .filter(|e| e.action == "deployment.complete")
        .count();
    assert_eq!(completes, 1);
    let want = if stored.status == DeploymentStatus::Succeeded {
        ReleaseStatus::Deployed
    } else {
        ReleaseStatus::Ready
    };
    assert_eq!(service.release("r1").await.unwrap().status, want);
}
