//! Digest resolution of single-platform images, OCI indexes and Docker manifest lists, compared
//! with what the registry serves to an independent `HEAD`.

use chrono::{TimeZone, Utc};
use relman_domain::Platform;
use relman_registry::{
    DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, RegistryAuth, ResolveOptions,
};
use relman_test_support::registry::{ImageSpec, PushedIndex, RegistryMode, TestRegistry};

use crate::support::client;

fn platforms_of(pushed: &PushedIndex) -> Vec<Platform> {
    pushed
        .platforms
        .iter()
        .map(|p| Platform {
            os: p.os.clone(),
            architecture: p.architecture.clone(),
            variant: p.variant.clone(),
            digest: p.digest.clone(),
        })
        .collect()
}

#[tokio::test]
async fn single_platform_image_costs_one_head() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pusher = registry.pusher();
    let pushed = pusher
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let client = client(&registry.url(), RegistryAuth::None);
    let resolved = client.resolve("team/api", "v1.0.0").await.unwrap();
    let (served, media_type) = pusher.head("team/api", "v1.0.0").await.unwrap();
    assert_eq!(resolved.digest, served);
    assert_eq!(resolved.digest, pushed.digest);
    assert_eq!(resolved.media_type, OCI_MANIFEST);
    assert_eq!(media_type, OCI_MANIFEST);
    assert!(resolved.platforms.is_empty());
    assert!(!resolved.is_index());
    assert_eq!(resolved.created, None);
    assert_eq!(client.request_count(), 1);
}

#[tokio::test]
async fn created_comes_from_the_config_or_the_annotation_at_one_extra_request() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pusher = registry.pusher();
    let from_config = pusher
        .push_image("team/api", "v1.0.0", &ImageSpec::default())
        .await;
    let annotated = pusher
        .push_image(
            "team/api",
            "v1.1.0",
            &ImageSpec {
                seed: "annotated".into(),
                created: Some("2020-01-01T00:00:00Z".into()),
                created_annotation: Some("2024-06-30T08:15:00+02:00".into()),
                ..ImageSpec::default()
            },
        )
        .await;
    let options = ResolveOptions {
        fetch_created: true,
        ..Default::default()
    };
    let client = client(&registry.url(), RegistryAuth::None);

    let resolved = client
        .resolve_with("team/api", "v1.0.0", options)
        .await
        .unwrap();
    assert_eq!(resolved.digest, from_config.digest);
    assert_eq!(
        resolved.created,
        Some(Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap())
    );
    assert_eq!(client.request_count(), 2, "manifest GET + config GET");

    let resolved = client
        .resolve_with("team/api", "v1.1.0", options)
        .await
        .unwrap();
    assert_eq!(resolved.digest, annotated.digest);
    assert_eq!(
        resolved.created,
        Some(Utc.with_ymd_and_hms(2024, 6, 30, 6, 15, 0).unwrap())
    );
    assert_eq!(
        client.request_count(),
        3,
        "the annotation spares the config GET"
    );
}

#[tokio::test]
async fn oci_index_keeps_the_index_digest_and_skips_the_attestation() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pusher = registry.pusher();
    let pushed = pusher.push_oci_index("team/api", "v2.0.0", "idx").await;
    let client = client(&registry.url(), RegistryAuth::None);
    let resolved = client.resolve("team/api", "v2.0.0").await.unwrap();
    let (served, media_type) = pusher.head("team/api", "v2.0.0").await.unwrap();
    assert_eq!(resolved.digest, served);
    assert_eq!(resolved.digest, pushed.digest);
    assert_eq!(resolved.media_type, OCI_INDEX);
    assert_eq!(media_type, OCI_INDEX);
    assert!(resolved.is_index());
    assert_eq!(resolved.platforms, platforms_of(&pushed));
    assert_eq!(resolved.platforms.len(), 2);
    assert_eq!(resolved.platforms[1].variant.as_deref(), Some("v8"));
    let attestation = pushed.attestation.unwrap();
    assert!(resolved.platforms.iter().all(|p| p.digest != attestation));
    // Each platform digest is what the registry serves for it.
    for platform in &resolved.platforms {
        let (digest, media_type) = pusher
            .head("team/api", &platform.digest.to_string())
            .await
            .unwrap();
        assert_eq!(digest, platform.digest);
        assert_eq!(media_type, OCI_MANIFEST);
    }
    assert_eq!(client.request_count(), 2, "HEAD + GET of the index");
}

#[tokio::test]
async fn docker_manifest_list_lists_its_platforms() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pusher = registry.pusher();
    let pushed = pusher
        .push_docker_list("team/legacy", "1.4.2", "list")
        .await;
    let client = client(&registry.url(), RegistryAuth::None);
    let resolved = client.resolve("team/legacy", "1.4.2").await.unwrap();
    let (served, _) = pusher.head("team/legacy", "1.4.2").await.unwrap();
    assert_eq!(resolved.digest, served);
    assert_eq!(resolved.digest, pushed.digest);
    assert_eq!(resolved.media_type, DOCKER_MANIFEST_LIST);
    assert_eq!(resolved.platforms, platforms_of(&pushed));
    assert_eq!(
        resolved
            .platforms
            .iter()
            .map(|p| format!(
                "{}/{}/{}",
                p.os,
                p.architecture,
                p.variant.as_deref().unwrap_or("-")
            ))
            .collect::<Vec<_>>(),
        vec!["linux/amd64/-", "linux/arm/v7"]
    );
}

#[tokio::test]
async fn resolving_by_digest_and_unknown_references() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pushed = registry
        .pusher()
        .push_oci_index("team/api", "v2.0.0", "idx")
        .await;
    let client = client(&registry.url(), RegistryAuth::None);
    let by_digest = client
        .resolve("team/api", &pushed.digest.to_string())
        .await
        .unwrap();
    assert_eq!(by_digest.digest, pushed.digest);
    assert_eq!(by_digest.platforms.len(), 2);

    let missing = client.resolve("team/api", "v9.9.9").await.unwrap_err();
    assert_eq!(missing.status(), Some(404));
    assert!(
        missing.to_string().contains("team/api:v9.9.9 not found"),
        "{missing}"
    );
    let bad = client.resolve("team/api", "v1/../x").await.unwrap_err();
    assert!(bad.to_string().contains("invalid reference"), "{bad}");
}

#[tokio::test]
async fn provenance_comes_from_annotations_and_config_labels_without_extra_requests() {
    let registry = TestRegistry::start(RegistryMode::Anonymous).await;
    let pusher = registry.pusher();
    let label = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    pusher
        .push_image(
            "team/api",
            "v1.0.0",
            &ImageSpec {
                seed: "labelled".into(),
                labels: vec![
                    label(relman_domain::SOURCE_LABEL, "https://github.com/acme/api"),
                    label(relman_domain::REVISION_LABEL, "from-config"),
                    label(relman_domain::VERSION_LABEL, "1.0.0"),
                ],
                // The annotation wins over the config label.
                annotations: vec![label(relman_domain::REVISION_LABEL, "from-annotation")],
                ..ImageSpec::default()
            },
        )
        .await;
    let client = client(&registry.url(), RegistryAuth::None);
    let options = ResolveOptions {
        fetch_created: true,
        ..Default::default()
    };
    let resolved = client
        .resolve_with("team/api", "v1.0.0", options)
        .await
        .unwrap();
    assert_eq!(
        resolved.provenance,
        relman_domain::Provenance {
            source: Some("https://github.com/acme/api".into()),
            revision: Some("from-annotation".into()),
            version: Some("1.0.0".into()),
        }
    );
    assert_eq!(
        client.request_count(),
        2,
        "the GETs made for the build time"
    );

    // Without the build time nothing more is fetched, so no labels are known.
    let plain = client.resolve("team/api", "v1.0.0").await.unwrap();
    assert!(plain.provenance.is_empty());
    assert_eq!(client.request_count(), 3, "one HEAD");
}
