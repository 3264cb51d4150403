//! One registry client per integration, seen from the registry: concurrent syncs of different
//! components share the integration's `maxConcurrency`, and later syncs reuse its tokens.

use std::time::Duration;

use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_test_support::registry::{
    Fault, FaultRule, PASSWORD, Pagination, RegistryMode, RegistryProxy, TestRegistry, USERNAME,
};
use serde_json::{Value, json};

use crate::app;
use crate::support::{post, send};

backend_tests!(
    concurrent_syncs_share_the_integration_limit,
    later_syncs_reuse_the_integration_token
);

/// Creates component `name` on `myorg/<name>` using integration `reg`.
async fn component<S, B>(app: &S, name: &str)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    send(
        app,
        post(
            "/api/v1/components",
            json!({"name": name, "imageRepository": format!("myorg/{name}"), "registryIntegrationId": "reg"}),
        ),
    )
    .await
    .expect(201);
}

async fn concurrent_syncs_share_the_integration_limit(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    let tags: Vec<String> = (0..6).map(|i| format!("v1.0.{i}")).collect();
    for repo in ["myorg/api", "myorg/web"] {
        registry.pusher().push_many_tags(repo, &tags).await;
    }
    // Every manifest answer is held back, so that requests pile up at the client's limit: a
    // client per sync would let each sync have its own 2 in flight, 4 in all.
    proxy.inject(FaultRule::new(
        "/manifests/",
        1000,
        Fault::Delay(Duration::from_millis(100)),
    ));
    let app = app!(store);
    send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "reg", "url": proxy.url(), "insecure": true, "maxConcurrency": 2}),
        ),
    )
    .await
    .expect(201);
    for name in ["api", "web"] {
        component(&app, name).await;
    }
    let (api, web) = tokio::join!(
        send(
            &app,
            post("/api/v1/components/api/sync-versions", json!({}))
        ),
        send(
            &app,
            post("/api/v1/components/web/sync-versions", json!({}))
        ),
    );
    for report in [api.expect(200).body, web.expect(200).body] {
        assert_eq!(report["added"], 6, "{report}");
    }
    let manifests = proxy
        .requests()
        .iter()
        .filter(|r| r.path.contains("/manifests/"))
        .count();
    assert_eq!(manifests, 12, "every tag was resolved");
    assert_eq!(
        proxy.max_in_flight(),
        2,
        "two syncs on one integration with maxConcurrency 2"
    );
}

async fn later_syncs_reuse_the_integration_token(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Token).await;
    for repo in ["myorg/api", "myorg/web"] {
        registry
            .pusher()
            .push_image(repo, "v1.0.0", &Default::default())
            .await;
    }
    let app = app!(store);
    let auth = json!({"type": "basic", "username": USERNAME, "password": PASSWORD});
    send(
        &app,
        post(
            "/api/v1/registry-integrations",
            json!({"name": "reg", "url": registry.url(), "insecure": true, "auth": auth}),
        ),
    )
    .await
    .expect(201);
    for name in ["api", "web"] {
        component(&app, name).await;
    }
    let sync = |name: &str, body: Value| {
        send(
            &app,
            post(&format!("/api/v1/components/{name}/sync-versions"), body),
        )
    };
    let first = sync("api", json!({})).await.expect(200).body;
    assert_eq!(first["added"], 1, "{first}");
    let again = sync("api", json!({})).await.expect(200).body;
    assert_eq!(
        again["registryRequests"], 1,
        "the tag list with the cached token, nothing else: {again}"
    );
    let forced = sync("api", json!({"forceRefresh": true}))
        .await
        .expect(200)
        .body;
    assert_eq!(forced["unchanged"], 1, "{forced}");
    sync("web", json!({})).await.expect(200);
    sync("web", json!({"forceRefresh": true})).await.expect(200);

    let fetched: Vec<Vec<String>> = registry
        .token_requests()
        .into_iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{r:?}");
            r.scopes
        })
        .collect();
    assert_eq!(
        fetched,
        [
            vec!["repository:myorg/api:pull".to_owned()],
            vec!["repository:myorg/web:pull".to_owned()],
        ],
        "one token per scope for five syncs"
    );
}
