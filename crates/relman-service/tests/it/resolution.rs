//! Member resolution through the indexed candidate queries: the domain's rules still decide.

use chrono::Utc;
use relman_domain::{
    Actor, AuditEvent, ComponentVersion, Digest, Platform, Unresolvable, VersionSource,
    parse_tag_semver,
};
use relman_service::{
    ComponentInput, FromLatestInput, MemberInput, ReleaseInput, ServiceError, VersionMapInput,
};
use relman_storage::Store;
use relman_test_support::backend_tests;
use uuid::Uuid;

backend_tests!(
    numeric_prerelease_and_manual_ties,
    failures_keep_their_reasons
);

/// A tag as a sync would have stored it.
fn synced(component_id: Uuid, tag: &str, gone: bool) -> ComponentVersion {
    let now = Utc::now();
    let semver = parse_tag_semver(tag);
    ComponentVersion {
        provenance: Default::default(),
        id: Uuid::now_v7(),
        component_id,
        tag: tag.to_owned(),
        digest: Digest::sha256_of(tag.as_bytes()),
        channel: Some("rc".parse().unwrap()),
        semver,
        source: VersionSource::Sync,
        // rc.9 is an image index, so a platform digest can be asked for.
        platforms: if tag == "v2.0.0-rc.9" {
            vec![Platform {
                os: "linux".into(),
                architecture: "arm64".into(),
                variant: None,
                digest: Digest::sha256_of(b"arm64"),
            }]
        } else {
            vec![]
        },
        pushed_at: None,
        first_seen_at: now,
        updated_at: now,
        gone,
        yank: None,
    }
}

/// Component `api` with synced `v2.0.0-rc.9`, `v2.0.0-rc.10` and a gone `v2.0.0-rc.11` in
/// channel `rc`, and a manual map `hotfix` of the same precedence as `rc.10`.
async fn setup(store: Store) -> relman_service::Service {
    let service = relman_service::Service::new(store.clone());
    let actor = Actor::system();
    let api = service
        .create_component(
            &actor,
            ComponentInput {
                name: "api".into(),
                image_repository: "myorg/api".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Inserted in an order that neither tag nor insertion order would sort right.
    for (tag, gone) in [
        ("v2.0.0-rc.10", false),
        ("v2.0.0-rc.11", true),
        ("v2.0.0-rc.9", false),
    ] {
        let event = AuditEvent::new(&actor, Utc::now(), "test", "sync", tag, "seeded");
        store
            .upsert_manual_version(synced(api.id, tag, gone), &event)
            .await
            .unwrap();
    }
    service
        .create_version_map(
            &actor,
            VersionMapInput {
                component_id: "api".into(),
                tag: "hotfix".into(),
                semver: Some("2.0.0-rc.10+hotfix".into()),
                channel: Some("rc".into()),
                digest: Some(Digest::sha256_of(b"hotfix").to_string()),
            },
        )
        .await
        .unwrap();
    service
}

fn one_member(name: &str, member: MemberInput) -> ReleaseInput {
    ReleaseInput {
        name: name.into(),
        components: vec![MemberInput {
            component_id: "api".into(),
            ..member
        }],
        ..Default::default()
    }
}

async fn numeric_prerelease_and_manual_ties(store: Store) {
    let service = setup(store).await;
    let actor = Actor::system();
    let tag_of = |input: ReleaseInput| {
        let service = &service;
        let actor = &actor;
        async move {
            let (release, _) = service.create_release(actor, input).await.unwrap();
            release.members[0].tag.clone()
        }
    };
    // The channel's highest is rc.10 (not rc.9 as text would have it, not the gone rc.11), and
    // of the two rc.10 tags the manual map wins.
    let by_channel = MemberInput {
        channel: Some("rc".into()),
        ..Default::default()
    };
    assert_eq!(tag_of(one_member("by-channel", by_channel)).await, "hotfix");
    let by_version = MemberInput {
        version: Some("2.0.0-rc.10".into()),
        ..Default::default()
    };
    assert_eq!(tag_of(one_member("by-version", by_version)).await, "hotfix");
    let rc9 = MemberInput {
        version: Some("v2.0.0-rc.9".into()),
        ..Default::default()
    };
    assert_eq!(tag_of(one_member("rc9", rc9)).await, "v2.0.0-rc.9");
    let by_digest = MemberInput {
        digest: Some(Digest::sha256_of(b"v2.0.0-rc.10").to_string()),
        ..Default::default()
    };
    assert_eq!(
        tag_of(one_member("by-digest", by_digest)).await,
        "v2.0.0-rc.10"
    );
    let (latest, _) = service
        .create_release_from_latest(
            &actor,
            FromLatestInput {
                name: "newest-rc".into(),
                channel: Some("rc".into()),
                component_ids: Some(vec!["api".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(latest.members[0].tag, "hotfix");
}

async fn failures_keep_their_reasons(store: Store) {
    let service = setup(store).await;
    let actor = Actor::system();
    let reason = |member: MemberInput| {
        let service = &service;
        let actor = &actor;
        async move {
            match service
                .create_release(actor, one_member("failing", member))
                .await
            {
                Err(ServiceError::Unresolvable { members }) => members[0].reason.clone(),
                other => panic!("expected unresolvable, got {other:?}"),
            }
        }
    };
    let gone = reason(MemberInput {
        version: Some("2.0.0-rc.11".into()),
        ..Default::default()
    })
    .await;
    assert!(matches!(gone, Unresolvable::VersionGone { .. }), "{gone:?}");
    let missing = reason(MemberInput {
        version: Some("2.0.0-rc.12".into()),
        ..Default::default()
    })
    .await;
    assert!(
        matches!(missing, Unresolvable::NoSuchVersion { .. }),
        "{missing:?}"
    );
    let gone_digest = reason(MemberInput {
        digest: Some(Digest::sha256_of(b"v2.0.0-rc.11").to_string()),
        ..Default::default()
    })
    .await;
    assert!(
        matches!(gone_digest, Unresolvable::DigestGone { ref tag, .. } if tag == "v2.0.0-rc.11"),
        "{gone_digest:?}"
    );
    let platform = reason(MemberInput {
        digest: Some(Digest::sha256_of(b"arm64").to_string()),
        ..Default::default()
    })
    .await;
    assert!(
        matches!(platform, Unresolvable::PlatformDigest { ref tag, .. } if tag == "v2.0.0-rc.9"),
        "{platform:?}"
    );
    let unknown = reason(MemberInput {
        digest: Some(Digest::sha256_of(b"nothing").to_string()),
        ..Default::default()
    })
    .await;
    assert!(
        matches!(unknown, Unresolvable::UnknownDigest { .. }),
        "{unknown:?}"
    );
    let empty = reason(MemberInput {
        channel: Some("beta".into()),
        ..Default::default()
    })
    .await;
    assert!(
        matches!(empty, Unresolvable::EmptyChannel { .. }),
        "{empty:?}"
    );
}
