//! Signed releases: the attestation written when a release leaves draft, verified with the
//! published keys; rotation; replicas on one database; attachments pushed to a real registry.

use relman_attest::{Envelope, PublicKey, statement_subjects};
use relman_domain::{Actor, AttachmentStatus, KeyStatus};
use relman_service::{
    AuthInput, ComponentInput, IntegrationInput, IntegrationPatch, MemberInput, ReleaseInput,
    ReleasePatch, Service, ServiceError, SyncOptions,
};
use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_test_support::db::TestDb;
use relman_test_support::registry::{
    ImageSpec, PASSWORD, RegistryMode, TestRegistry, USERNAME, loopback_egress,
};

use crate::releases::{actor, input, service_with_components};

backend_tests!(
    leaving_draft_signs_once,
    rotation_keeps_old_releases_verifying,
    two_members_on_one_image_collide,
    attachments_reach_the_registry_and_failures_are_retried
);

fn ready() -> ReleasePatch {
    ReleasePatch {
        status: Some("ready".into()),
        ..Default::default()
    }
}

async fn published_keys(service: &Service) -> Vec<PublicKey> {
    service
        .signing_keys()
        .await
        .unwrap()
        .iter()
        .map(|k| PublicKey::from_hex(&k.public_key_hex).unwrap())
        .collect()
}

async fn envelope(service: &Service, key: &str) -> Envelope {
    let stored = service.attestation(key).await.unwrap();
    Envelope::from_json(stored.envelope.as_bytes()).unwrap()
}

async fn leaving_draft_signs_once(store: Store) {
    let service = service_with_components(store).await;
    let active = service.ensure_signing_key().await.unwrap();
    let (release, _) = service
        .create_release(&actor("a"), input("r1", "1.0.0"))
        .await
        .unwrap();
    assert!(matches!(
        service.attestation("r1").await,
        Err(ServiceError::NotSigned { .. })
    ));
    service
        .update_release(&actor("a"), "r1", ready())
        .await
        .unwrap();
    let stored = service.attestation("r1").await.unwrap();
    assert_eq!(stored.keyid, active.keyid);
    let env = envelope(&service, "r1").await;
    assert_eq!(
        env.verify(&published_keys(&service).await).unwrap(),
        active.keyid
    );
    let subjects = statement_subjects(&env.payload_bytes().unwrap()).unwrap();
    let mut digests: Vec<String> = subjects.iter().map(|(_, d)| d.clone()).collect();
    digests.sort();
    let mut want: Vec<String> = release
        .members
        .iter()
        .map(|m| m.digest.to_string())
        .collect();
    want.sort();
    assert_eq!(digests, want);
    // Later changes never rewrite the envelope.
    service
        .update_release(
            &actor("a"),
            "r1",
            ReleasePatch {
                notes: Some(Some("later".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(service.attestation("r1").await.unwrap(), stored);
    // A draft deprecated outright is signed too.
    service
        .create_release(&actor("a"), input("r2", "1.1.0"))
        .await
        .unwrap();
    service
        .deprecate_release(&actor("a"), "r2", None)
        .await
        .unwrap();
    assert!(
        envelope(&service, "r2")
            .await
            .verify(&published_keys(&service).await)
            .is_ok()
    );
}

async fn rotation_keeps_old_releases_verifying(store: Store) {
    let service = service_with_components(store).await;
    let first = service.ensure_signing_key().await.unwrap();
    service
        .create_release(&actor("a"), input("before", "1.0.0"))
        .await
        .unwrap();
    service
        .update_release(&actor("a"), "before", ready())
        .await
        .unwrap();
    let second = service.rotate_signing_key(&actor("admin")).await.unwrap();
    assert_ne!(first.keyid, second.keyid);
    service
        .create_release(&actor("a"), input("after", "1.1.0"))
        .await
        .unwrap();
    service
        .update_release(&actor("a"), "after", ready())
        .await
        .unwrap();

    let keys = service.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        (keys[0].keyid.as_str(), keys[0].status),
        (second.keyid.as_str(), KeyStatus::Active)
    );
    assert_eq!(keys[1].status, KeyStatus::Retired);
    assert!(keys[1].retired_at.is_some());
    let all = published_keys(&service).await;
    assert_eq!(
        envelope(&service, "before").await.verify(&all).unwrap(),
        first.keyid
    );
    assert_eq!(
        envelope(&service, "after").await.verify(&all).unwrap(),
        second.keyid
    );
    // Only the retired key: the new release does not verify; only the new: the old does not.
    let old = PublicKey::from_hex(&keys[1].public_key_hex).unwrap();
    let new = PublicKey::from_hex(&keys[0].public_key_hex).unwrap();
    assert!(envelope(&service, "after").await.verify(&[old]).is_err());
    assert!(envelope(&service, "before").await.verify(&[new]).is_err());
    // Concurrent rotations: each either lands or reports contention; one key stays active.
    let a = service.clone();
    let b = service.clone();
    let admin = actor("admin");
    let (x, y) = tokio::join!(a.rotate_signing_key(&admin), b.rotate_signing_key(&admin));
    assert!(x.is_ok() || y.is_ok());
    let active = service
        .signing_keys()
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.status == KeyStatus::Active)
        .count();
    assert_eq!(active, 1);
}

async fn two_members_on_one_image_collide(store: Store) {
    let service = service_with_components(store).await;
    service
        .create_component(
            &Actor::system(),
            ComponentInput {
                name: "api-copy".into(),
                image_repository: "myorg/api".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut both = input("clash", "1.0.0");
    both.components.push(MemberInput {
        component_id: "api-copy".into(),
        ..Default::default()
    });
    let err = service.create_release(&actor("a"), both).await.unwrap_err();
    match err {
        ServiceError::MemberCollision {
            field,
            first,
            image,
        } => {
            assert_eq!(
                (field.as_str(), first.as_str(), image.as_str()),
                ("components[2]", "components[0]", "myorg/api")
            );
        }
        other => panic!("want member_collision, got {other:?}"),
    }
}

/// Replicas on one PostgreSQL database: both start at once and agree on one key; what one
/// signs verifies with the other's key list; a rotation on one is used by the other at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_signing_key() {
    let Some(db) = TestDb::postgres() else { return };
    let a = service_with_components(db.store().await).await;
    let b = Service::new(db.store().await);
    let (ka, kb) = tokio::join!(a.ensure_signing_key(), b.ensure_signing_key());
    assert_eq!(ka.unwrap().keyid, kb.unwrap().keyid);
    assert_eq!(b.signing_keys().await.unwrap().len(), 1);
    a.create_release(&actor("a"), input("r1", "1.0.0"))
        .await
        .unwrap();
    a.update_release(&actor("a"), "r1", ready()).await.unwrap();
    assert!(
        envelope(&b, "r1")
            .await
            .verify(&published_keys(&b).await)
            .is_ok()
    );
    let rotated = b.rotate_signing_key(&actor("admin")).await.unwrap();
    a.create_release(&actor("a"), input("r2", "1.1.0"))
        .await
        .unwrap();
    a.update_release(&actor("a"), "r2", ready()).await.unwrap();
    assert_eq!(a.attestation("r2").await.unwrap().keyid, rotated.keyid);
    assert!(
        envelope(&a, "r1")
            .await
            .verify(&published_keys(&a).await)
            .is_ok()
    );
}

async fn attachments_reach_the_registry_and_failures_are_retried(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Htpasswd).await;
    let pushed = registry
        .pusher()
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let service = Service::with_registry_connector(
        store,
        std::sync::Arc::new(relman_service::HttpConnector::new(loopback_egress())),
    );
    let admin = Actor::system();
    let wrong = AuthInput::Basic {
        username: USERNAME.into(),
        password: relman_domain::Secret::new("not-the-password"),
    };
    service
        .create_integration(
            &admin,
            IntegrationInput {
                name: "local".into(),
                url: registry.url(),
                insecure: true,
                auth: AuthInput::Basic {
                    username: USERNAME.into(),
                    password: relman_domain::Secret::new(PASSWORD),
                },
                push_attestations: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    service
        .create_component(
            &admin,
            ComponentInput {
                name: "api".into(),
                image_repository: "team/api".into(),
                registry_integration_id: Some("local".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    service
        .sync_versions(&admin, "api", SyncOptions::default())
        .await
        .unwrap();
    let release = |name: &str| ReleaseInput {
        name: name.into(),
        components: vec![MemberInput {
            component_id: "api".into(),
            ..Default::default()
        }],
        ..Default::default()
    };

    service
        .create_release(&actor("a"), release("good"))
        .await
        .unwrap();
    service
        .update_release(&actor("a"), "good", ready())
        .await
        .unwrap();
    let attachments = service.attachments("good").await.unwrap();
    assert_eq!(attachments.len(), 1);
    let a = &attachments[0];
    assert_eq!(a.status, AttachmentStatus::Pushed, "{a:?}");
    assert_eq!(a.subject_digest, pushed.digest);
    assert!(a.image.ends_with("/team/api"), "{}", a.image);
    let client = relman_registry::HttpRegistryClient::new(relman_registry::RegistryConfig {
        auth: relman_registry::RegistryAuth::Basic {
            username: USERNAME.into(),
            password: PASSWORD.into(),
        },
        egress: loopback_egress(),
        ..relman_registry::RegistryConfig::new(registry.url())
    })
    .unwrap();
    use relman_registry::RegistryClient as _;
    let layer = client
        .artifact_layer("team/api", a.artifact_digest.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        layer,
        service
            .attestation("good")
            .await
            .unwrap()
            .envelope
            .as_bytes()
    );
    // The fallback tag is no version on the next sync.
    service
        .sync_versions(&admin, "api", SyncOptions::default())
        .await
        .unwrap();
    let tags: Vec<String> = service
        .list_component_versions("api", Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|v| v.tag.clone())
        .collect();
    assert_eq!(tags, vec!["v1.0.0".to_owned()]);

    // Refused credentials: the release is ready anyway, the failure is kept, a retry pushes.
    service
        .update_integration(
            &admin,
            "local",
            IntegrationPatch {
                auth: Some(wrong),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    service
        .create_release(&actor("a"), release("later"))
        .await
        .unwrap();
    let err = service
        .update_release(&actor("a"), "later", ready())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ServiceError::AttachmentFailed { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("not-the-password"));
    assert_eq!(
        service.release("later").await.unwrap().status,
        relman_domain::ReleaseStatus::Ready
    );
    let failed = service.attachments("later").await.unwrap();
    assert_eq!(failed[0].status, AttachmentStatus::Failed);
    assert!(
        failed[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("rejected the credentials")),
        "{failed:?}"
    );
    service
        .update_integration(
            &admin,
            "local",
            IntegrationPatch {
                auth: Some(AuthInput::Basic {
                    username: USERNAME.into(),
                    password: relman_domain::Secret::new(PASSWORD),
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let retried = service
        .push_attachments(&actor("a"), "later")
        .await
        .unwrap();
    assert_eq!(retried[0].status, AttachmentStatus::Pushed, "{retried:?}");
    assert_eq!(retried[0].message, None);
}
