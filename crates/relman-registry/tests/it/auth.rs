//! Anonymous, htpasswd basic and bearer token authentication.

use std::collections::HashSet;
use std::sync::Arc;

use relman_registry::{AuthStage, RegistryAuth, RegistryError};
use relman_test_support::registry::{ImageSpec, RegistryMode, TestRegistry};

use crate::support::{assert_no_secrets, basic, client, wrong_basic};

#[tokio::test]
async fn anonymous_registry_ping_and_resolve() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pushed = registry
        .pusher()
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let client = client(&registry.url(), RegistryAuth::None);
    client.ping().await.unwrap();
    let resolved = client.resolve("team/api", "v1.0.0").await.unwrap();
    assert_eq!(resolved.digest, pushed.digest);
    // One ping and one HEAD: no extra `GET /v2/` before each call.
    assert_eq!(client.request_count(), 2);
}

#[tokio::test]
async fn htpasswd_basic_auth_learns_the_scheme_once() {
    let registry = TestRegistry::start(RegistryMode::Htpasswd).await;
    let pushed = registry
        .pusher()
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let client = client(&registry.url(), basic());
    let resolved = client.resolve("team/api", "v1.0.0").await.unwrap();
    assert_eq!(resolved.digest, pushed.digest);
    // The first request meets the challenge (401, then the retry with credentials) ...
    assert_eq!(client.request_count(), 2);
    // ... later ones send credentials up front.
    assert_eq!(client.list_tags("team/api").await.unwrap(), vec!["v1.0.0"]);
    client.ping().await.unwrap();
    assert_eq!(client.request_count(), 4);
}

#[tokio::test]
async fn htpasswd_wrong_or_missing_credentials_are_auth_errors() {
    let registry = TestRegistry::start(RegistryMode::Htpasswd).await;
    let wrong = client(&registry.url(), wrong_basic());
    let error = wrong.ping().await.unwrap_err();
    assert!(
        matches!(
            error,
            RegistryError::AuthFailed {
                stage: AuthStage::Registry,
                status: 401,
                ..
            }
        ),
        "{error:?}"
    );
    assert_no_secrets(&error);
    let error = wrong.list_tags("team/api").await.unwrap_err();
    assert_eq!(error.status(), Some(401));
    assert_no_secrets(&error);

    let anonymous = client(&registry.url(), RegistryAuth::None);
    let error = anonymous.ping().await.unwrap_err();
    assert!(
        matches!(&error, RegistryError::AuthFailed { reason, .. } if reason.contains("none are configured")),
        "{error:?}"
    );
}

#[tokio::test]
async fn token_flow_fetches_one_token_per_scope() {
    let registry = TestRegistry::start(RegistryMode::Token).await;
    let pusher = registry.pusher();
    let api = pusher
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let web = pusher.push_oci_index("team/web", "v2.0.0", "web").await;
    let client = client(&registry.url(), basic());

    // Many concurrent resolves on a fresh client: one token request for the scope, not one per
    // in-flight request.
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let client = Arc::clone(&client);
        tasks.push(tokio::spawn(async move {
            client.resolve("team/api", "v1.0.0").await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().digest, api.digest);
    }
    let requests = registry.token_requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].scopes, vec!["repository:team/api:pull"]);
    assert_eq!(
        requests[0].account.as_deref(),
        Some(relman_test_support::registry::USERNAME)
    );
    assert_eq!(requests[0].status, 200);

    // The cached token serves other operations on the same repository.
    let before = client.request_count();
    assert_eq!(client.list_tags("team/api").await.unwrap(), vec!["v1.0.0"]);
    assert_eq!(client.request_count() - before, 1);
    assert_eq!(registry.token_requests().len(), 1);

    // A new repository: the scheme is known, so its token is fetched up front (token + GET for
    // the index + HEAD), with no 401 round trip.
    let before = client.request_count();
    let resolved = client.resolve("team/web", "v2.0.0").await.unwrap();
    assert_eq!(resolved.digest, web.digest);
    assert_eq!(client.request_count() - before, 3);
    client.ping().await.unwrap();
    let scopes: HashSet<Vec<String>> = registry
        .token_requests()
        .into_iter()
        .map(|r| r.scopes)
        .collect();
    let want: HashSet<Vec<String>> = [
        vec!["repository:team/api:pull".to_owned()],
        vec!["repository:team/web:pull".to_owned()],
        vec![],
    ]
    .into_iter()
    .collect();
    assert_eq!(scopes, want);
    assert_eq!(registry.token_requests().len(), 3);
}

#[tokio::test]
async fn token_endpoint_rejection_is_a_distinct_auth_error() {
    let registry = TestRegistry::start(RegistryMode::Token).await;
    registry
        .pusher()
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    for auth in [wrong_basic(), RegistryAuth::None] {
        let client = client(&registry.url(), auth);
        let error = client.resolve("team/api", "v1.0.0").await.unwrap_err();
        assert!(
            matches!(
                error,
                RegistryError::AuthFailed {
                    stage: AuthStage::TokenEndpoint,
                    status: 401,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains("token endpoint answered HTTP 401"),
            "{error}"
        );
        assert_eq!(
            error.oci_errors().first().map(|e| e.code.as_str()),
            Some("UNAUTHORIZED")
        );
        assert_no_secrets(&error);
    }
    // A static bearer token the registry does not accept.
    let client = client(
        &registry.url(),
        RegistryAuth::Bearer {
            token: "wrong-secret-value".into(),
        },
    );
    let error = client.ping().await.unwrap_err();
    assert!(
        matches!(
            error,
            RegistryError::AuthFailed {
                stage: AuthStage::Registry,
                status: 401,
                ..
            }
        ),
        "{error:?}"
    );
    assert_no_secrets(&error);
}

#[tokio::test]
async fn token_flow_with_a_single_permit_does_not_deadlock() {
    let registry = TestRegistry::start(RegistryMode::Token).await;
    let pushed = registry
        .pusher()
        .push_oci_index("team/api", "v1.0.0", "one")
        .await;
    let client = crate::support::client_with(relman_registry::RegistryConfig {
        auth: basic(),
        max_concurrency: 1,
        ..crate::support::config(registry.url())
    });
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = Arc::clone(&client);
        tasks.push(tokio::spawn(async move {
            client.resolve("team/api", "v1.0.0").await
        }));
    }
    let all = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let mut digests = Vec::new();
        for task in tasks {
            digests.push(task.await.unwrap().unwrap().digest);
        }
        digests
    })
    .await
    .expect("resolves finish: the token fetch must not wait for a permit a waiting request holds");
    assert!(all.iter().all(|d| *d == pushed.digest));
    assert_eq!(registry.token_requests().len(), 1);
}
