use relman_domain::{IntegrationAuth, RegistryIntegration, Secret};
use relman_storage::{SecretKey, StorageError, Store};
use relman_test_support::backend_tests;
use uuid::Uuid;

use crate::fixtures::{event, now};

backend_tests!(
    secrets_are_encrypted_at_rest,
    a_wrong_key_is_found_and_summaries_need_none
);

fn integration(password: &str) -> RegistryIntegration {
    RegistryIntegration {
        id: Uuid::now_v7(),
        name: "hub".parse().unwrap(),
        url: "https://r.example".into(),
        insecure: false,
        auth: IntegrationAuth::Basic {
            username: "ci".into(),
            password: Secret::new(password),
        },
        max_concurrency: Some(4),
        requests_per_second: Some(2.5),
        push_attestations: false,
        created_at: now(),
        updated_at: now(),
    }
}

async fn secrets_are_encrypted_at_rest(store: Store) {
    let keyless = store.clone();
    let keyed = store.with_secret_key(SecretKey::from_bytes([42; 32]));
    let i = integration("hunter2-at-rest");
    keyed.insert_integration(&i, &event()).await.unwrap();
    assert_eq!(
        keyed.integration(Some(i.id), None).await.unwrap(),
        i,
        "round trip with the key"
    );
    // Without the key (or with another) the stored value cannot be read back: it is not plaintext.
    let err = keyless.integration(Some(i.id), None).await.unwrap_err();
    assert!(
        matches!(err, StorageError::Corrupt(ref m) if m.contains("no secret key")),
        "{err:?}"
    );
    let other = keyless
        .clone()
        .with_secret_key(SecretKey::from_bytes([7; 32]));
    assert!(matches!(
        other.list_integrations().await,
        Err(StorageError::Corrupt(_))
    ));
    // Updates re-seal; a keyless store writes and reads plaintext.
    let mut changed = i.clone();
    changed.auth = IntegrationAuth::Bearer {
        token: Secret::new("tok-2"),
    };
    keyed.update_integration(&changed, &event()).await.unwrap();
    assert_eq!(keyed.list_integrations().await.unwrap(), vec![changed]);
    let plain = RegistryIntegration {
        id: Uuid::now_v7(),
        name: "plain".parse().unwrap(),
        ..integration("p")
    };
    keyless.insert_integration(&plain, &event()).await.unwrap();
    assert_eq!(
        keyless.integration(None, Some("plain")).await.unwrap(),
        plain
    );
}

/// With a key other than the one secrets were sealed with, start-up's check names the
/// integration, while summaries (everything but the secret) read without decrypting.
async fn a_wrong_key_is_found_and_summaries_need_none(store: Store) {
    let keyed = store
        .clone()
        .with_secret_key(SecretKey::from_bytes([42; 32]));
    let sealed = integration("hunter2");
    keyed.insert_integration(&sealed, &event()).await.unwrap();
    let anonymous = RegistryIntegration {
        id: Uuid::now_v7(),
        name: "anon".parse().unwrap(),
        auth: IntegrationAuth::None,
        ..integration("unused")
    };
    keyed
        .insert_integration(&anonymous, &event())
        .await
        .unwrap();
    assert!(keyed.undecryptable_integrations().await.unwrap().is_empty());

    let wrong = store.with_secret_key(SecretKey::from_bytes([7; 32]));
    assert_eq!(
        wrong.undecryptable_integrations().await.unwrap(),
        ["hub"],
        "only the integration with a sealed secret is named"
    );
    let summaries = wrong.list_integration_summaries().await.unwrap();
    let names: Vec<String> = summaries.iter().map(|s| s.name.to_string()).collect();
    assert_eq!(names, ["anon", "hub"]);
    let hub = wrong.integration_summary(None, Some("hub")).await.unwrap();
    assert_eq!(hub, relman_domain::IntegrationSummary::from(&sealed));
    assert!(hub.has_credentials);
    assert_eq!(hub.username.as_deref(), Some("ci"));
}
