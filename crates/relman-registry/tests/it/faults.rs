//! Faults a real registry does not produce on demand, injected by a proxy in front of one; and
//! the registry going away.

use std::sync::Arc;
use std::time::{Duration, Instant};

use relman_domain::Digest;
use relman_registry::{OciErrorCode, RegistryAuth, RegistryConfig, RegistryError};
use relman_test_support::registry::{
    Fault, FaultRule, ImageSpec, Pagination, RegistryMode, RegistryProxy, TestRegistry,
};

use crate::support::{client, client_with};

/// A registry holding `team/api:v1.0.0` (single platform) and `team/api:v2.0.0` (an OCI
/// index), behind a pass-through proxy.
async fn setup() -> (TestRegistry, RegistryProxy, Digest, Digest) {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pusher = registry.pusher();
    let single = pusher
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let index = pusher.push_oci_index("team/api", "v2.0.0", "idx").await;
    let proxy = RegistryProxy::start(&registry.url(), Pagination::PassThrough).await;
    (registry, proxy, single.digest, index.digest)
}

#[tokio::test]
async fn too_many_requests_honours_retry_after_then_succeeds() {
    let (_registry, proxy, single, _) = setup().await;
    proxy.inject(
        FaultRule::new(
            "/manifests/v1.0.0",
            1,
            Fault::TooManyRequests {
                retry_after: Some("1".into()),
            },
        )
        .method("HEAD"),
    );
    let client = client(&proxy.url(), RegistryAuth::None);
    let started = Instant::now();
    let resolved = client.resolve("team/api", "v1.0.0").await.unwrap();
    let waited = started.elapsed();
    assert_eq!(resolved.digest, single);
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(client.request_count(), 2);
    let requests = proxy.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].faulted && !requests[1].faulted);
}

#[tokio::test]
async fn service_unavailable_with_an_http_date_is_retried() {
    let (_registry, proxy, single, _) = setup().await;
    let in_three_seconds = (chrono::Utc::now() + chrono::Duration::seconds(3))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    proxy.inject(FaultRule::new(
        "/manifests/v1.0.0",
        1,
        Fault::ServiceUnavailable {
            retry_after: Some(in_three_seconds),
        },
    ));
    let client = client(&proxy.url(), RegistryAuth::None);
    let started = Instant::now();
    assert_eq!(
        client.resolve("team/api", "v1.0.0").await.unwrap().digest,
        single
    );
    // The date has one-second resolution: the wait is between two and three seconds.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1900),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(client.request_count(), 2);
}

#[tokio::test]
async fn without_retry_after_the_backoff_grows() {
    let (_registry, proxy, single, _) = setup().await;
    proxy.inject(FaultRule::new(
        "/manifests/v1.0.0",
        2,
        Fault::ServiceUnavailable { retry_after: None },
    ));
    let client = client(&proxy.url(), RegistryAuth::None);
    let started = Instant::now();
    assert_eq!(
        client.resolve("team/api", "v1.0.0").await.unwrap().digest,
        single
    );
    // 0.5 s, then 1 s.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500),
        "waited only {waited:?}"
    );
    assert_eq!(client.request_count(), 3);
}

#[tokio::test]
async fn rate_limiting_beyond_the_retry_budget_is_an_error() {
    let (_registry, proxy, _, _) = setup().await;
    proxy.inject(FaultRule::new(
        "/tags/list",
        100,
        Fault::TooManyRequests {
            retry_after: Some("0".into()),
        },
    ));
    let client = client_with(RegistryConfig {
        max_retries: 2,
        ..crate::support::config(proxy.url())
    });
    let error = client.list_tags("team/api").await.unwrap_err();
    assert!(
        matches!(
            error,
            RegistryError::RateLimited { status: 429, attempts: 3, retry_after: Some(d), .. } if d.is_zero()
        ),
        "{error:?}"
    );
    assert_eq!(proxy.requests().len(), 3);

    // A Retry-After longer than relman will block fails at once instead of stalling a sync.
    let proxy_requests = proxy.requests().len();
    proxy.inject(FaultRule::new(
        "/manifests/",
        1,
        Fault::TooManyRequests {
            retry_after: Some("3600".into()),
        },
    ));
    let started = Instant::now();
    let error = client.resolve("team/api", "v1.0.0").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(error, RegistryError::RateLimited { attempts: 1, .. }),
        "{error:?}"
    );
    assert_eq!(proxy.requests().len(), proxy_requests + 1);
}

#[tokio::test]
async fn server_error_keeps_status_and_body() {
    let (_registry, proxy, _, _) = setup().await;
    let body = r#"{"errors":[{"code":"UNKNOWN","message":"storage backend exploded","detail":{"disk":"full"}}]}"#;
    proxy.inject(FaultRule::new(
        "/tags/list",
        1,
        Fault::Respond {
            status: 500,
            content_type: "application/json".into(),
            body: body.into(),
        },
    ));
    let client = client(&proxy.url(), RegistryAuth::None);
    let error = client.list_tags("team/api").await.unwrap_err();
    let RegistryError::Http {
        status,
        errors,
        body: kept,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*status, 500);
    assert_eq!(kept, body);
    assert_eq!(errors[0].code, OciErrorCode::Other("UNKNOWN".into()));
    assert_eq!(errors[0].message, "storage backend exploded");
    assert_eq!(errors[0].detail, Some(serde_json::json!({"disk": "full"})));
    assert!(
        error
            .to_string()
            .contains("HTTP 500: UNKNOWN: storage backend exploded"),
        "{error}"
    );
    // 500 is not retried.
    assert_eq!(client.request_count(), 1);
}

#[tokio::test]
async fn non_spec_error_codes_are_kept() {
    let (_registry, proxy, _, _) = setup().await;
    proxy.inject(FaultRule::new(
        "/manifests/v1.0.0",
        1,
        Fault::Respond {
            status: 412,
            content_type: "application/json".into(),
            body: r#"{"errors":[{"code":"PROJECTPOLICYVIOLATION","message":"image blocked by policy"}]}"#
                .into(),
        },
    ).method("GET"));
    let client = client(&proxy.url(), RegistryAuth::None);
    // `fetch_created` makes the first request a GET, which carries a body.
    let error = client
        .resolve_with(
            "team/api",
            "v1.0.0",
            relman_registry::ResolveOptions {
                fetch_created: true,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(412));
    assert_eq!(
        error.oci_errors()[0].code,
        OciErrorCode::Other("PROJECTPOLICYVIOLATION".into())
    );
    assert!(
        error
            .to_string()
            .contains("PROJECTPOLICYVIOLATION: image blocked by policy")
    );
}

#[tokio::test]
async fn malformed_json_is_a_clear_error() {
    let (_registry, proxy, _, _) = setup().await;
    proxy.inject(FaultRule::new("/tags/list", 1, Fault::MalformedJson));
    let client = client(&proxy.url(), RegistryAuth::None);
    let error = client.list_tags("team/api").await.unwrap_err();
    assert!(
        matches!(&error, RegistryError::MalformedResponse { detail, .. } if detail.contains("tag list of team/api is not valid JSON")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_digest_header_not_matching_the_body_is_rejected() {
    let (_registry, proxy, _, index) = setup().await;
    proxy.inject(FaultRule::new(
        "/manifests/v2.0.0",
        2,
        Fault::WrongDigestHeader,
    ));
    let client = client(&proxy.url(), RegistryAuth::None);
    let error = client.resolve("team/api", "v2.0.0").await.unwrap_err();
    let RegistryError::DigestMismatch {
        expected, actual, ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*expected, Digest::sha256_of(b"not the manifest"));
    assert_eq!(*actual, index);
    // Only a digest header that disagrees with the HEAD's is also caught.
    proxy.inject(FaultRule::new("/manifests/v2.0.0", 1, Fault::WrongDigestHeader).method("GET"));
    let error = client.resolve("team/api", "v2.0.0").await.unwrap_err();
    assert!(
        matches!(error, RegistryError::DigestMismatch { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn without_a_digest_header_the_bytes_are_fetched_and_hashed() {
    let (_registry, proxy, single, _) = setup().await;
    proxy.inject(FaultRule::new(
        "/manifests/v1.0.0",
        2,
        Fault::DropDigestHeader,
    ));
    let client = client(&proxy.url(), RegistryAuth::None);
    let resolved = client.resolve("team/api", "v1.0.0").await.unwrap();
    assert_eq!(resolved.digest, single);
    let methods: Vec<String> = proxy.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, vec!["HEAD", "GET"]);
}

#[tokio::test]
async fn a_slow_registry_times_out() {
    let (_registry, proxy, _, _) = setup().await;
    proxy.inject(FaultRule::new(
        "/manifests/",
        1,
        Fault::Delay(Duration::from_secs(3)),
    ));
    let client = client_with(RegistryConfig {
        timeout: Duration::from_millis(300),
        ..crate::support::config(proxy.url())
    });
    let started = Instant::now();
    let error = client.resolve("team/api", "v1.0.0").await.unwrap_err();
    assert!(matches!(error, RegistryError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn registry_stopped_mid_way_is_unreachable() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    registry
        .pusher()
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let client = client(&registry.url(), RegistryAuth::None);
    assert_eq!(client.list_tags("team/api").await.unwrap(), vec!["v1.0.0"]);
    registry.stop();
    let error = client.resolve("team/api", "v1.0.0").await.unwrap_err();
    assert!(
        matches!(error, RegistryError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("is unreachable"));
    assert!(matches!(
        client.ping().await,
        Err(RegistryError::Unreachable { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_bounded_and_requests_are_paced() {
    let (_registry, proxy, single, _) = setup().await;
    proxy.inject(FaultRule::new(
        "/manifests/",
        16,
        Fault::Delay(Duration::from_millis(50)),
    ));
    let client = client_with(RegistryConfig {
        max_concurrency: 2,
        ..crate::support::config(proxy.url())
    });
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let client = Arc::clone(&client);
        tasks.push(tokio::spawn(async move {
            client.resolve("team/api", "v1.0.0").await.unwrap().digest
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), single);
    }
    assert_eq!(proxy.max_in_flight(), 2);

    let paced = client_with(RegistryConfig {
        requests_per_second: Some(10.0),
        ..crate::support::config(proxy.url())
    });
    let started = Instant::now();
    for _ in 0..6 {
        paced.resolve("team/api", "v1.0.0").await.unwrap();
    }
    // Six request starts at ten per second span at least half a second.
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}
