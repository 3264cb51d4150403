//! The request observer hears every exchange: each status, retries included, and failures.

use std::sync::{Arc, Mutex};

use relman_registry::{HttpRegistryClient, RegistryClient, RequestObserver, RequestOutcome};
use relman_test_support::registry::{
    Fault, FaultRule, ImageSpec, Pagination, RegistryMode, RegistryProxy, TestRegistry,
};

#[derive(Default)]
struct Recorder(Mutex<Vec<RequestOutcome>>);

impl RequestObserver for Recorder {
    fn request_finished(&self, outcome: RequestOutcome) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(outcome);
    }
}

#[tokio::test]
async fn every_status_and_every_failure_is_observed() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    registry
        .pusher()
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    proxy.inject(
        FaultRule::new(
            "/manifests/v1.0.0",
            1,
            Fault::TooManyRequests {
                retry_after: Some("0".into()),
            },
        )
        .method("HEAD"),
    );
    let recorder = Arc::new(Recorder::default());
    let client = HttpRegistryClient::new(crate::support::config(proxy.url()))
        .unwrap()
        .with_observer(Arc::clone(&recorder) as Arc<dyn RequestObserver>);
    client.resolve("team/api", "v1.0.0").await.unwrap();
    let seen = recorder.0.lock().unwrap().clone();
    assert_eq!(
        seen,
        [RequestOutcome::Status(429), RequestOutcome::Status(200)]
    );
    assert_eq!(seen.len() as u64, client.request_count());

    let direct = HttpRegistryClient::new(crate::support::config(registry.url()))
        .unwrap()
        .with_observer(Arc::clone(&recorder) as Arc<dyn RequestObserver>);
    registry.stop();
    direct.list_tags("team/api").await.unwrap_err();
    let last = recorder.0.lock().unwrap().last().copied();
    assert_eq!(last, Some(RequestOutcome::Failed));
}
