//! Syncs as jobs (`Prefer: respond-async`), against a real registry.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_test_support::registry::{
    Fault, FaultRule, Pagination, RegistryMode, RegistryProxy, TestRegistry,
};
use serde_json::{Value, json};

use crate::app;
use crate::support::{Reply, get, post, send};

backend_tests!(
    an_async_sync_reports_progress_and_its_result,
    a_failed_job_says_why,
    jobs_refuse_what_cannot_be_synced
);

fn async_sync(path: &str) -> actix_web::test::TestRequest {
    post(path, json!({})).insert_header(("prefer", "respond-async, wait=0"))
}

/// Polls the job until it finished; returns every answer seen.
async fn poll<S, B>(app: &S, location: &str) -> Vec<Value>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut seen = Vec::new();
    for _ in 0..600 {
        let job = send(app, get(location)).await.expect(200).body;
        let done = job["status"] == "succeeded" || job["status"] == "failed";
        seen.push(job);
        if done {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the job did not finish: {seen:?}");
}

fn location(reply: &Reply) -> String {
    reply
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

async fn an_async_sync_reports_progress_and_its_result(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let tags: Vec<String> = (0..100).map(|i| format!("v1.0.{i}")).collect();
    registry.pusher().push_many_tags("myorg/api", &tags).await;
    // Slow manifests, so that the job is seen on its way.
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    proxy.inject(FaultRule::new(
        "/manifests/",
        100,
        Fault::Delay(Duration::from_millis(100)),
    ));
    let app = app!(store);
    crate::support::component_on_registry(&app, &proxy.url(), json!({"type": "none"})).await;

    let started = send(&app, async_sync("/api/v1/components/api/sync-versions"))
        .await
        .expect(202);
    let at = location(&started);
    assert_eq!(
        at,
        format!("/api/v1/sync-jobs/{}", started.body["id"].as_str().unwrap())
    );
    assert_eq!(
        started.headers.get("preference-applied").unwrap(),
        "respond-async"
    );
    assert_eq!(started.body["status"], "queued");
    // A second start while it runs joins the same job.
    let joined = send(&app, async_sync("/api/v1/components/api/sync-versions")).await;
    if joined.status == 202 {
        let finished_already = send(&app, get(&at)).await.body["status"] == "succeeded";
        assert!(
            location(&joined) == at || finished_already,
            "{:?}",
            joined.body
        );
    }

    let seen = poll(&app, &at).await;
    let last = seen.last().unwrap();
    assert_eq!(last["status"], "succeeded", "{last}");
    assert_eq!(last["phase"], "done");
    assert_eq!(last["result"]["added"], 100, "{last}");
    assert_eq!(last["result"]["synced"], 100);
    assert!(last["error"].is_null());
    assert!(last["finishedAt"].is_string());
    // Progress was visible on the way, and never went backwards within the resolving phase.
    let resolving: Vec<u64> = seen
        .iter()
        .filter(|j| j["phase"] == "resolving")
        .map(|j| j["done"].as_u64().unwrap())
        .collect();
    assert!(resolving.windows(2).all(|w| w[0] <= w[1]), "{resolving:?}");
    assert!(
        seen.iter().any(|j| j["status"] == "running"),
        "no running state seen: {seen:?}"
    );
    let versions = send(&app, get("/api/v1/components/api/versions?limit=1000"))
        .await
        .expect(200)
        .body;
    assert_eq!(versions.as_array().unwrap().len(), 100);

    // Without the preference the answer stays synchronous.
    send(
        &app,
        post("/api/v1/components/api/sync-versions", json!({})),
    )
    .await
    .expect(200);
}

async fn a_failed_job_says_why(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let app = app!(store);
    crate::support::component_on_registry(&app, &registry.url(), json!({"type": "none"})).await;
    // The registry goes away after the job was accepted.
    registry.stop();
    let started = send(&app, async_sync("/api/v1/components/api/sync-versions"))
        .await
        .expect(202);
    let seen = poll(&app, &location(&started)).await;
    let last = seen.last().unwrap();
    assert_eq!(last["status"], "failed", "{last}");
    assert_eq!(last["error"]["code"], "registry_error", "{last}");
    assert_eq!(last["error"]["status"], 502);
    assert!(last["result"].is_null());
}

async fn jobs_refuse_what_cannot_be_synced(store: Store) {
    let app = app!(store);
    send(
        &app,
        post(
            "/api/v1/components",
            json!({"name": "web", "imageRepository": "myorg/web"}),
        ),
    )
    .await
    .expect(201);
    send(&app, async_sync("/api/v1/components/web/sync-versions"))
        .await
        .problem(422, "no_registry_integration");
    send(&app, async_sync("/api/v1/components/nope/sync-versions"))
        .await
        .problem(404, "not_found");
    send(
        &app,
        get("/api/v1/sync-jobs/0190b4a5-0000-7000-8000-000000000000"),
    )
    .await
    .problem(404, "not_found");
    send(&app, get("/api/v1/sync-jobs/not-a-uuid"))
        .await
        .problem(404, "not_found");
}
