//! The webhook outbox: deliveries queued with the change, leased claims, outcomes.

use std::time::Duration;

use relman_domain::{DeliveryStatus, EventType, Notice};
use relman_storage::{DeliveryOutcome, NewWebhook, SecretKey, Store, WebhookChange};
use relman_test_support::backend_tests;
use uuid::Uuid;

use crate::fixtures::{event, now};

backend_tests!(
    a_change_queues_one_delivery_per_subscribed_active_webhook,
    a_claim_leases_and_a_second_claim_skips_the_leased,
    outcomes_are_recorded_and_gone_deactivates_the_webhook,
    redelivery_keeps_the_event_id_and_listing_pages,
    a_failed_change_queues_nothing_and_a_delete_takes_the_deliveries
);

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn webhook(events: &[EventType]) -> NewWebhook {
    NewWebhook {
        id: Uuid::now_v7(),
        url: "http://127.0.0.1:9/hook".into(),
        description: "test".into(),
        secret: SECRET.into(),
        events: events.to_vec(),
        active: true,
        created_at: now(),
    }
}

fn notice(t: EventType, subject: &str) -> Notice {
    Notice {
        event_type: t,
        subject: subject.into(),
        data: format!(r#"{{"subject":"{subject}"}}"#),
    }
}

async fn a_change_queues_one_delivery_per_subscribed_active_webhook(store: Store) {
    let store = store.with_secret_key(SecretKey::from_bytes([3; 32]));
    let releases = store
        .create_webhook(webhook(&[EventType::ReleaseCreated]), &event())
        .await
        .unwrap();
    let both = store
        .create_webhook(
            webhook(&[EventType::ReleaseCreated, EventType::VersionAdded]),
            &event(),
        )
        .await
        .unwrap();
    let off = store
        .create_webhook(
            NewWebhook {
                active: false,
                ..webhook(&[EventType::ReleaseCreated])
            },
            &event(),
        )
        .await
        .unwrap();
    assert_eq!(
        both.events,
        vec![EventType::ReleaseCreated, EventType::VersionAdded]
    );
    let change = event()
        .notify(notice(EventType::ReleaseCreated, "r1"))
        .notify(notice(EventType::VersionAdded, "v1"));
    store.record_event(&change).await.unwrap();

    let claimed = store
        .claim_deliveries(now(), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3, "{claimed:?}");
    assert!(claimed.iter().all(|d| d.webhook_id != off.id));
    assert_eq!(
        claimed
            .iter()
            .filter(|d| d.webhook_id == releases.id)
            .count(),
        1
    );
    // The secret is opened for the sender, and the body is the Standard Webhooks envelope.
    assert!(claimed.iter().all(|d| d.secret == SECRET));
    let created: Vec<_> = claimed
        .iter()
        .filter(|d| d.event_type == "release.created")
        .collect();
    assert_eq!(created.len(), 2);
    assert_eq!(
        created[0].event_id, created[1].event_id,
        "one event id per notice"
    );
    let body: serde_json::Value = serde_json::from_str(&created[0].payload).unwrap();
    assert_eq!(body["type"], "release.created");
    assert_eq!(body["data"]["subject"], "r1");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
}

async fn a_claim_leases_and_a_second_claim_skips_the_leased(store: Store) {
    store
        .create_webhook(webhook(&[EventType::SyncFailed]), &event())
        .await
        .unwrap();
    for i in 0..5 {
        store
            .record_event(&event().notify(notice(EventType::SyncFailed, &i.to_string())))
            .await
            .unwrap();
    }
    let t = now();
    let first = store
        .claim_deliveries(t, Duration::from_secs(30), 3)
        .await
        .unwrap();
    let second = store
        .claim_deliveries(t, Duration::from_secs(30), 10)
        .await
        .unwrap();
    assert_eq!((first.len(), second.len()), (3, 2));
    assert!(first.iter().all(|a| second.iter().all(|b| a.id != b.id)));
    assert!(
        store
            .claim_deliveries(t, Duration::from_secs(30), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A lease that expired (its worker died) is claimed again.
    let later = t + chrono::Duration::seconds(31);
    let again = store
        .claim_deliveries(later, Duration::from_secs(30), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 5);
}

async fn outcomes_are_recorded_and_gone_deactivates_the_webhook(store: Store) {
    let w = store
        .create_webhook(webhook(&[EventType::ReleaseReady]), &event())
        .await
        .unwrap();
    for i in 0..3 {
        store
            .record_event(&event().notify(notice(EventType::ReleaseReady, &i.to_string())))
            .await
            .unwrap();
    }
    let t = now();
    let claimed = store
        .claim_deliveries(t, Duration::from_secs(30), 10)
        .await
        .unwrap();
    let retry_at = t + chrono::Duration::seconds(5);
    store
        .finish_delivery(claimed[0].id, t, DeliveryOutcome::Delivered { status: 204 })
        .await
        .unwrap();
    store
        .finish_delivery(
            claimed[1].id,
            t,
            DeliveryOutcome::Retry {
                status: Some(503),
                error: "HTTP 503".into(),
                at: retry_at,
            },
        )
        .await
        .unwrap();
    let (list, _) = store.list_deliveries(w.id, None, None, 10).await.unwrap();
    let by_id = |id| list.iter().find(|d| d.id == id).unwrap();
    assert_eq!(by_id(claimed[0].id).status, DeliveryStatus::Succeeded);
    assert_eq!(by_id(claimed[0].id).last_status, Some(204));
    assert_eq!(by_id(claimed[0].id).next_attempt_at, None);
    let retried = by_id(claimed[1].id);
    assert_eq!(
        (retried.status, retried.attempts, retried.last_status),
        (DeliveryStatus::Pending, 1, Some(503))
    );
    assert_eq!(retried.next_attempt_at, Some(retry_at));
    // Not due before its time, due after.
    let due_now = store
        .claim_deliveries(
            t + chrono::Duration::seconds(31),
            Duration::from_secs(1),
            10,
        )
        .await
        .unwrap();
    assert!(
        due_now
            .iter()
            .any(|d| d.id == claimed[1].id && d.attempts == 1)
    );

    store
        .finish_delivery(
            claimed[2].id,
            t,
            DeliveryOutcome::Gone {
                status: 410,
                reason: "the endpoint answered 410 Gone".into(),
            },
        )
        .await
        .unwrap();
    let after = store.webhook(w.id).await.unwrap();
    assert!(!after.active);
    assert_eq!(
        after.disabled_reason.as_deref(),
        Some("the endpoint answered 410 Gone")
    );
    // An inactive webhook's pending deliveries wait; turning it on clears the reason.
    assert!(
        store
            .claim_deliveries(t + chrono::Duration::hours(1), Duration::from_secs(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let on = store
        .update_webhook(
            w.id,
            WebhookChange {
                active: Some(true),
                ..Default::default()
            },
            now(),
            &event(),
        )
        .await
        .unwrap();
    assert!(on.active && on.disabled_reason.is_none());
}

async fn redelivery_keeps_the_event_id_and_listing_pages(store: Store) {
    let w = store
        .create_webhook(webhook(&[EventType::AliasMoved]), &event())
        .await
        .unwrap();
    for i in 0..5 {
        store
            .record_event(&event().notify(notice(EventType::AliasMoved, &i.to_string())))
            .await
            .unwrap();
    }
    let (first, next) = store.list_deliveries(w.id, None, None, 2).await.unwrap();
    assert_eq!(first.len(), 2);
    let (second, _) = store.list_deliveries(w.id, None, next, 10).await.unwrap();
    assert_eq!(second.len(), 3);
    assert!(first[0].created_at >= second[0].created_at);

    let t = now();
    let claimed = store
        .claim_deliveries(t, Duration::from_secs(30), 10)
        .await
        .unwrap();
    let target = &claimed[0];
    store
        .finish_delivery(
            target.id,
            t,
            DeliveryOutcome::Failed {
                status: None,
                error: "refused".into(),
            },
        )
        .await
        .unwrap();
    let failed = store
        .list_deliveries(w.id, Some(DeliveryStatus::Failed), None, 10)
        .await
        .unwrap()
        .0;
    assert_eq!(failed.len(), 1);
    let again = store
        .redeliver(w.id, target.id, now(), &event())
        .await
        .unwrap();
    assert_eq!(again.status, DeliveryStatus::Pending);
    assert_eq!(again.event_id, target.event_id);
    let wrong = store
        .redeliver(Uuid::now_v7(), target.id, now(), &event())
        .await;
    assert!(matches!(wrong, Err(relman_storage::StorageError::NotFound)));
    let reclaimed = store
        .claim_deliveries(now(), Duration::from_secs(30), 10)
        .await
        .unwrap();
    assert_eq!(reclaimed.len(), 1);
    assert_eq!(reclaimed[0].event_id, target.event_id);
    assert_eq!(reclaimed[0].attempts, 1);
}

async fn a_failed_change_queues_nothing_and_a_delete_takes_the_deliveries(store: Store) {
    let w = store
        .create_webhook(webhook(&[EventType::VersionYanked]), &event())
        .await
        .unwrap();
    // A yank of a tag that does not exist fails inside its transaction: no delivery is left.
    let component = Uuid::now_v7();
    let failed = store
        .set_yank(component, "v1".into(), None, &event(), |_| {
            vec![notice(EventType::VersionYanked, "v1")]
        })
        .await;
    assert!(failed.is_err());
    let (list, _) = store.list_deliveries(w.id, None, None, 10).await.unwrap();
    assert!(list.is_empty());
    store
        .record_event(&event().notify(notice(EventType::VersionYanked, "v2")))
        .await
        .unwrap();
    assert_eq!(
        store
            .list_deliveries(w.id, None, None, 10)
            .await
            .unwrap()
            .0
            .len(),
        1
    );
    store.delete_webhook(w.id, &event()).await.unwrap();
    assert!(matches!(
        store.webhook(w.id).await,
        Err(relman_storage::StorageError::NotFound)
    ));
    assert!(
        store
            .list_deliveries(w.id, None, None, 10)
            .await
            .unwrap()
            .0
            .is_empty()
    );
    assert!(
        store
            .claim_deliveries(now(), Duration::from_secs(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
}
