//! One registry client per integration: built once, shared by every sync, rebuilt when the
//! integration changes, dropped when it is deleted.

use std::sync::Arc;

use relman_domain::Actor;
use relman_service::{
    ComponentInput, IntegrationInput, IntegrationPatch, RegistryClients, Service, SyncOptions,
};
use relman_storage::Store;
use relman_test_support::backend_tests;

use crate::fakes::FakeConnector;

backend_tests!(
    syncs_share_one_client_per_integration,
    a_changed_integration_gets_a_new_client
);

/// A service over `connector` with integrations `one` and `two` and, on each, components
/// `<integration>-a` and `<integration>-b`.
async fn setup(store: Store, connector: &Arc<FakeConnector>) -> (Service, Arc<RegistryClients>) {
    let clients = Arc::new(RegistryClients::new(connector.clone()));
    let service = Service::with_registry_clients(store, clients.clone());
    let actor = Actor::system();
    for integration in ["one", "two"] {
        service
            .create_integration(
                &actor,
                IntegrationInput {
                    name: integration.into(),
                    url: "https://registry.example".into(),
                    ..IntegrationInput::default()
                },
            )
            .await
            .unwrap();
        for suffix in ["a", "b"] {
            service
                .create_component(
                    &actor,
                    ComponentInput {
                        name: format!("{integration}-{suffix}"),
                        image_repository: format!("myorg/{integration}-{suffix}"),
                        registry_integration_id: Some(integration.into()),
                        ..ComponentInput::default()
                    },
                )
                .await
                .unwrap();
        }
    }
    (service, clients)
}

async fn sync(service: &Service, component: &str) {
    service
        .sync_versions(&Actor::system(), component, SyncOptions::default())
        .await
        .unwrap();
}

async fn syncs_share_one_client_per_integration(store: Store) {
    let connector = Arc::new(FakeConnector::default());
    let (service, clients) = setup(store, &connector).await;
    let clone = service.clone();
    tokio::join!(sync(&service, "one-a"), sync(&clone, "one-b"));
    sync(&service, "one-a").await;
    assert_eq!(connector.connects(), 1, "three syncs on `one`, one client");
    sync(&service, "two-a").await;
    assert_eq!(connector.connects(), 2, "`two` has a client of its own");
    assert_eq!(clients.len(), 2);
    // A connection test never borrows the shared client (nor keeps its own).
    service.test_integration("one").await.unwrap();
    assert_eq!((connector.connects(), clients.len()), (3, 2));
    sync(&service, "one-b").await;
    assert_eq!(connector.connects(), 3);
}

async fn a_changed_integration_gets_a_new_client(store: Store) {
    let connector = Arc::new(FakeConnector::default());
    let (service, clients) = setup(store, &connector).await;
    let actor = Actor::system();
    sync(&service, "one-a").await;
    let before = service.integration("one").await.unwrap();
    service
        .update_integration(
            &actor,
            "one",
            IntegrationPatch {
                max_concurrency: Some(Some(2)),
                ..IntegrationPatch::default()
            },
        )
        .await
        .unwrap();
    sync(&service, "one-a").await;
    assert_eq!(connector.connects(), 2, "the update made a new client");
    sync(&service, "one-b").await;
    assert_eq!(connector.connects(), 2, "and it is shared again");

    // Someone still holding the integration as it was before the update gets a client of its
    // own and does not evict the current one.
    clients.client(&before).unwrap();
    assert_eq!(connector.connects(), 3);
    sync(&service, "one-b").await;
    assert_eq!(connector.connects(), 3, "the current client survived");

    // Deleting the integration drops its client.
    sync(&service, "two-a").await;
    assert_eq!(clients.len(), 2);
    for c in ["two-a", "two-b"] {
        service.delete_component(&actor, c).await.unwrap();
    }
    service.delete_integration(&actor, "two").await.unwrap();
    assert_eq!(clients.len(), 1, "only `one` keeps a client");
}
