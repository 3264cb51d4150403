//! Floating tags: a manifest's exact bytes re-put under another tag, on a bearer-token registry
//! (the token asks for push) and with refused credentials.

use relman_domain::Digest;
use relman_test_support::registry::{ImageSpec, RegistryMode, TestRegistry};

use crate::support::{assert_no_secrets, basic, client, wrong_basic};

#[tokio::test]
async fn a_tag_put_serves_the_target_digest_and_moves() {
    let registry = TestRegistry::start(RegistryMode::Token).await;
    let pusher = registry.pusher();
    let spec = |seed: &str| ImageSpec {
        seed: seed.into(),
        ..ImageSpec::default()
    };
    let one = pusher.push_image("team/api", "v1.0.0", &spec("one")).await;
    let two = pusher.push_image("team/api", "v1.0.1", &spec("two")).await;
    let client = client(&registry.url(), basic());
    client.put_tag("team/api", "v1", &one.digest).await.unwrap();
    assert_eq!(
        pusher.head("team/api", "v1").await.map(|h| h.0),
        Some(one.digest.clone())
    );
    client.put_tag("team/api", "v1", &two.digest).await.unwrap();
    assert_eq!(
        pusher.head("team/api", "v1").await.map(|h| h.0),
        Some(two.digest.clone()),
        "the tag moved"
    );
    let scopes: Vec<String> = registry
        .token_requests()
        .into_iter()
        .flat_map(|r| r.scopes)
        .collect();
    assert!(
        scopes
            .iter()
            .any(|s| s.starts_with("repository:team/api:") && s.contains("push")),
        "{scopes:?}"
    );

    let unknown = Digest::sha256_of(b"no such manifest");
    let err = client
        .put_tag("team/api", "v1", &unknown)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    // A digest is no tag, and neither is a malformed reference; nothing is sent for either.
    let as_digest = one.digest.to_string();
    let err = client
        .put_tag("team/api", &as_digest, &two.digest)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("tag"), "{err}");
    assert!(
        client
            .put_tag("team/api", "bad:ref", &two.digest)
            .await
            .is_err()
    );
    let refused = crate::support::client(&registry.url(), wrong_basic());
    let err = refused
        .put_tag("team/api", "v1", &two.digest)
        .await
        .unwrap_err();
    assert_no_secrets(&err);
}
