use relman_domain::{IntegrationAuth, RegistryIntegration, Secret};
use relman_storage::{SecretKey, StorageError, Store};
use relman_test_support::backend_tests;
use uuid::Uuid;

use crate::fixtures::{event, now};

backend_tests!(secrets_are_encrypted_at_rest);

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
