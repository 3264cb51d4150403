//! Attestations attached to images: the artifact manifest, the referrers fallback index
//! (docker-registry 2.8 has no referrers API), idempotence and concurrent attaches, read back
//! independently of the client.

use std::collections::BTreeMap;

use bytes::Bytes;
use relman_domain::Digest;
use relman_registry::{Artifact, ReferrersVia, RegistryAuth, is_attachment_tag};
use relman_test_support::registry::{ImageSpec, RegistryMode, TestRegistry};

use crate::support::{assert_no_secrets, basic, client, wrong_basic};

const ARTIFACT_TYPE: &str = "application/vnd.in-toto+json";

fn artifact(text: &str) -> Artifact {
    Artifact {
        artifact_type: ARTIFACT_TYPE.into(),
        layer_media_type: "application/vnd.dsse.envelope.v1+json".into(),
        layer: Bytes::from(format!(r#"{{"payload":"{text}"}}"#)),
        annotations: BTreeMap::from([("dev.relman.release".to_owned(), text.to_owned())]),
    }
}

/// The fallback index at `sha256-<hex>`, read with a plain HTTP GET.
#[allow(clippy::unwrap_used, reason = "a test helper fails loudly")]
async fn fallback_index(
    registry: &TestRegistry,
    repo: &str,
    subject: &Digest,
) -> serde_json::Value {
    let tag = subject.to_string().replacen(':', "-", 1);
    let response = reqwest::Client::new()
        .get(format!("{}/v2/{repo}/manifests/{tag}", registry.url()))
        .header("accept", "application/vnd.oci.image.index.v1+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "fallback tag {tag}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn attach_lands_in_the_fallback_index_and_reads_back_byte_for_byte() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pushed = registry
        .pusher()
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let client = client(&registry.url(), RegistryAuth::None);
    let first = artifact("r1");
    let attached = client
        .attach("team/api", &pushed.digest, &first)
        .await
        .unwrap();
    assert_eq!(attached.via, ReferrersVia::TagFallback);

    let index = fallback_index(&registry, "team/api", &pushed.digest).await;
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{index}");
    assert_eq!(entries[0]["artifactType"], ARTIFACT_TYPE);
    assert_eq!(entries[0]["digest"], attached.manifest_digest.to_string());

    let referrers = client.referrers("team/api", &pushed.digest).await.unwrap();
    assert_eq!(referrers.len(), 1);
    assert_eq!(referrers[0].digest, attached.manifest_digest);
    assert_eq!(referrers[0].artifact_type.as_deref(), Some(ARTIFACT_TYPE));
    let layer = client
        .artifact_layer("team/api", &attached.manifest_digest)
        .await
        .unwrap();
    assert_eq!(layer, first.layer);

    // Again: one entry still. Another artifact: two.
    let again = client
        .attach("team/api", &pushed.digest, &first)
        .await
        .unwrap();
    assert_eq!(again.manifest_digest, attached.manifest_digest);
    assert_eq!(
        client
            .referrers("team/api", &pushed.digest)
            .await
            .unwrap()
            .len(),
        1
    );
    client
        .attach("team/api", &pushed.digest, &artifact("r2"))
        .await
        .unwrap();
    let index = fallback_index(&registry, "team/api", &pushed.digest).await;
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2, "{index}");

    // The fallback tag shows up in the tag list, and is recognised as no version.
    let tags = client.list_tags("team/api").await.unwrap();
    let fallback: Vec<&String> = tags.iter().filter(|t| t.starts_with("sha256-")).collect();
    assert_eq!(fallback.len(), 1, "{tags:?}");
    assert!(is_attachment_tag(fallback[0]));
    assert!(!is_attachment_tag("v1.0.0"));
}

#[tokio::test]
async fn concurrent_attaches_to_one_subject_all_stay_listed() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pushed = registry
        .pusher()
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let client = client(&registry.url(), RegistryAuth::None);
    let attaches = (0..8).map(|i| {
        let client = client.clone();
        let subject = pushed.digest.clone();
        async move {
            client
                .attach("team/api", &subject, &artifact(&format!("c{i}")))
                .await
        }
    });
    let results = futures_util::future::join_all(attaches).await;
    let mut digests: Vec<String> = results
        .into_iter()
        .map(|r| r.unwrap().manifest_digest.to_string())
        .collect();
    digests.sort();
    let index = fallback_index(&registry, "team/api", &pushed.digest).await;
    let mut listed: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["digest"].as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, digests);
}

#[tokio::test]
async fn attaching_needs_a_known_subject_and_good_credentials() {
    let registry = TestRegistry::start(RegistryMode::Htpasswd).await;
    let pushed = registry
        .pusher()
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let unknown = Digest::sha256_of(b"no such manifest");
    let good = client(&registry.url(), basic());
    let err = good
        .attach("team/api", &unknown, &artifact("x"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");

    let bad = client(&registry.url(), wrong_basic());
    let err = bad
        .attach("team/api", &pushed.digest, &artifact("x"))
        .await
        .unwrap_err();
    assert!(
        err.status().is_some_and(|s| s == 401 || s == 403),
        "{err:?}"
    );
    assert_no_secrets(&err);

    let ok = good
        .attach("team/api", &pushed.digest, &artifact("x"))
        .await
        .unwrap();
    assert_eq!(ok.via, ReferrersVia::TagFallback);
}

#[tokio::test]
async fn bearer_token_registries_grant_push_scope() {
    let registry = TestRegistry::start(RegistryMode::Token).await;
    let pushed = registry
        .pusher()
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let client = client(&registry.url(), basic());
    let attached = client
        .attach("team/api", &pushed.digest, &artifact("t"))
        .await
        .unwrap();
    let layer = client
        .artifact_layer("team/api", &attached.manifest_digest)
        .await
        .unwrap();
    assert_eq!(layer, artifact("t").layer);
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
}
