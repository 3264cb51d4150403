//! Yanked versions, update feeds and floating tags over a real registry: everything falls back
//! when the latest is yanked, a yank survives syncs, and aliases land in the registry with the
//! target's exact digest.

use relman_domain::{Actor, Digest, Secret};
use relman_service::{
    AliasChange, AuditQuery, AuthInput, ComponentInput, ComponentPatch, FeedFile, IntegrationInput,
    IntegrationPatch, MemberInput, ReleaseInput, Service, ServiceError, SyncOptions,
    VersionMapInput, VersionsQuery,
};
use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_test_support::registry::{
    ImageSpec, PASSWORD, Pusher, RegistryMode, TestRegistry, USERNAME, loopback_egress,
};

backend_tests!(
    yanking_the_latest_falls_back_everywhere,
    aliases_reach_the_registry
);

const REPO: &str = "team/api";

async fn push(pusher: &Pusher, tag: &str) -> Digest {
    let spec = ImageSpec {
        seed: tag.into(),
        ..ImageSpec::default()
    };
    pusher.push_image(REPO, tag, &spec).await.digest
}

/// A service tracking `team/api` on `registry` (basic auth) as component `api`.
async fn setup(store: Store, registry: &TestRegistry, tags: &[&str]) -> (Service, Vec<Digest>) {
    let pusher = registry.pusher();
    let mut digests = Vec::new();
    for tag in tags {
        digests.push(push(&pusher, tag).await);
    }
    let service = Service::with_registry_connector(
        store,
        std::sync::Arc::new(relman_service::HttpConnector::new(loopback_egress())),
    );
    let admin = Actor::system();
    service
        .create_integration(
            &admin,
            IntegrationInput {
                name: "local".into(),
                url: registry.url(),
                insecure: true,
                auth: AuthInput::Basic {
                    username: USERNAME.into(),
                    password: Secret::new(PASSWORD),
                },
                ..Default::default()
            },
        )
        .await
        .unwrap();
    service
        .create_component(
            &admin,
            ComponentInput {
                name: "api".into(),
                image_repository: REPO.into(),
                registry_integration_id: Some("local".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    sync(&service).await;
    (service, digests)
}

async fn sync(service: &Service) {
    service
        .sync_versions(&Actor::system(), "api", SyncOptions::default())
        .await
        .unwrap();
}

async fn file(service: &Service, file: FeedFile) -> Option<serde_json::Value> {
    match service.feed_file("api", &file).await {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).unwrap()),
        Err(ServiceError::NotFound { .. }) => None,
        Err(e) => panic!("{e:?}"),
    }
}

async fn latest(service: &Service) -> String {
    file(service, FeedFile::Latest).await.unwrap()["version"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn list(service: &Service, f: FeedFile) -> Option<Vec<String>> {
    file(service, f)
        .await
        .map(|v| serde_json::from_value(v["versions"].clone()).unwrap())
}

async fn aliases(service: &Service) -> Vec<String> {
    service
        .aliases("api")
        .await
        .unwrap()
        .iter()
        .map(|a| format!("{}={}", a.alias, a.tag))
        .collect()
}

fn default_member(name: &str) -> ReleaseInput {
    ReleaseInput {
        name: name.into(),
        components: vec![MemberInput {
            component_id: "api".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

async fn yanking_the_latest_falls_back_everywhere(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Htpasswd).await;
    let tags = ["v1.9.3", "v2.2.0", "v2.3.0", "v2.3.1-rc.1", "v2.3.1"];
    let (service, digests) = setup(store, &registry, &tags).await;
    let admin = Actor::system();
    let pinned = service
        .create_release(&admin, default_member("before"))
        .await
        .unwrap();
    assert_eq!(pinned.0.members[0].tag, "v2.3.1");
    assert_eq!(latest(&service).await, "v2.3.1");

    let yanked = service
        .yank_version(&admin, "api", "v2.3.1", Some("broken TLS".into()))
        .await
        .unwrap();
    assert_eq!(
        yanked.yank.as_ref().unwrap().reason.as_deref(),
        Some("broken TLS")
    );
    assert_eq!(latest(&service).await, "v2.3.0");
    assert_eq!(
        list(&service, FeedFile::Minor("v2.3".into()))
            .await
            .unwrap(),
        ["v2.3.0"]
    );
    assert_eq!(
        aliases(&service).await[..4],
        ["latest=v2.3.0", "v2=v2.3.0", "v2.3=v2.3.0", "v2.3.0=v2.3.0"]
    );
    // Channel resolution skips it; the release that pinned it keeps it; an explicit pin works.
    let after = service
        .create_release(&admin, default_member("after"))
        .await
        .unwrap();
    assert_eq!(after.0.members[0].tag, "v2.3.0");
    assert_eq!(after.0.members[0].digest, digests[2]);
    assert_eq!(
        service.release("before").await.unwrap().members[0].tag,
        "v2.3.1"
    );
    let explicit = ReleaseInput {
        name: "explicit".into(),
        components: vec![MemberInput {
            component_id: "api".into(),
            version: Some("2.3.1".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let explicit = service.create_release(&admin, explicit).await.unwrap();
    assert_eq!(explicit.0.members[0].digest, digests[4]);

    // Still listed, marked; a forced re-sync and a version map keep the yank.
    service
        .sync_versions(
            &admin,
            "api",
            SyncOptions {
                force_refresh: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mapped = service
        .create_version_map(
            &admin,
            VersionMapInput {
                component_id: "api".into(),
                tag: "v2.3.1".into(),
                semver: Some("2.3.1".into()),
                channel: Some("stable".into()),
                digest: Some(digests[4].to_string()),
            },
        )
        .await
        .unwrap();
    assert!(mapped.0.is_yanked(), "a version map keeps the yank");
    let listed = service
        .list_component_versions("api", VersionsQuery::default())
        .await
        .unwrap();
    let v = listed.items.iter().find(|v| v.tag == "v2.3.1").unwrap();
    assert!(v.is_yanked(), "a re-sync keeps the yank");
    assert_eq!(latest(&service).await, "v2.3.0");

    // The only version of a minor yanked: the minor leaves its major.
    service
        .yank_version(&admin, "api", "v2.2.0", None)
        .await
        .unwrap();
    assert_eq!(
        list(&service, FeedFile::Major("v2".into())).await.unwrap(),
        ["v2.3"]
    );
    assert!(
        list(&service, FeedFile::Minor("v2.2".into()))
            .await
            .is_none()
    );

    // Unyank restores both.
    for tag in ["v2.2.0", "v2.3.1"] {
        assert!(
            !service
                .unyank_version(&admin, "api", tag)
                .await
                .unwrap()
                .is_yanked()
        );
    }
    assert_eq!(latest(&service).await, "v2.3.1");
    assert_eq!(
        list(&service, FeedFile::Major("2".into())).await.unwrap(),
        ["v2.2", "v2.3"]
    );
    assert_eq!(
        list(&service, FeedFile::Major("v1".into())).await.unwrap(),
        ["v1.9"]
    );
    let tree: Vec<String> = service
        .feed_tree()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.path)
        .collect();
    assert_eq!(
        tree,
        [
            "latest/api.json",
            "major/v1/api.json",
            "major/v2/api.json",
            "minor/v1.9/api.json",
            "minor/v2.2/api.json",
            "minor/v2.3/api.json",
        ]
    );

    // Bad input and unknown tags.
    let unknown = service.yank_version(&admin, "api", "v9.9.9", None).await;
    assert!(
        matches!(unknown, Err(ServiceError::NotFound { .. })),
        "{unknown:?}"
    );
    let long = service
        .yank_version(&admin, "api", "v2.3.0", Some("x".repeat(501)))
        .await;
    assert!(matches!(long, Err(ServiceError::Invalid(_))), "{long:?}");
    assert!(list(&service, FeedFile::Major("v7".into())).await.is_none());
}

async fn aliases_reach_the_registry(store: Store) {
    let registry = TestRegistry::start(RegistryMode::Htpasswd).await;
    let pusher = registry.pusher();
    let tags = ["v1.9.3", "v2.3.0", "v2.3.1-rc.1"];
    let (service, digests) = setup(store, &registry, &tags).await;
    let admin = Actor::system();
    let head = |tag: &'static str| {
        let pusher = pusher.clone();
        async move { pusher.head(REPO, tag).await.map(|(d, _)| d) }
    };

    let changes = |applied: &[relman_service::AppliedAlias]| -> Vec<String> {
        applied
            .iter()
            .map(|a| format!("{}:{}", a.alias.alias, a.change.as_str()))
            .collect()
    };
    let first = [
        "latest:created",
        "v2:created",
        "v2.3:created",
        "v2.3.0:unchanged",
        "v1:created",
        "v1.9:created",
        "v1.9.3:unchanged",
    ];
    let dry = service.apply_aliases(&admin, "api", true).await.unwrap();
    assert_eq!(changes(&dry), first);
    assert!(head("v2").await.is_none(), "a dry run pushes nothing");
    let applied = service.apply_aliases(&admin, "api", false).await.unwrap();
    assert_eq!(changes(&applied), first);
    for alias in ["latest", "v2", "v2.3"] {
        assert_eq!(head(alias).await, Some(digests[1].clone()), "{alias}");
    }
    assert_eq!(head("v1").await, Some(digests[0].clone()));
    let again = service.apply_aliases(&admin, "api", false).await.unwrap();
    assert!(
        again.iter().all(|a| a.change == AliasChange::Unchanged),
        "{again:?}"
    );

    // A backport moves its own major and minor only.
    let backport = push(&pusher, "v1.9.4").await;
    sync(&service).await;
    let moved: Vec<String> = service
        .apply_aliases(&admin, "api", false)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.change != AliasChange::Unchanged)
        .map(|a| format!("{}:{}", a.alias.alias, a.change.as_str()))
        .collect();
    assert_eq!(moved, ["v1:moved", "v1.9:moved"]);
    assert_eq!(head("v1.9").await, Some(backport));
    assert_eq!(head("latest").await, Some(digests[1].clone()));

    // Every move is audited.
    let events = service
        .list_audit_events(AuditQuery {
            resource_type: Some("alias".into()),
            page_size: Some(100),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.total_count, 7, "5 created, 2 moved");

    // `latest` owned by someone else: not listed, not touched.
    let head_of_main = push(&pusher, "latest").await;
    service
        .update_component(
            &admin,
            "api",
            ComponentPatch {
                latest_alias: Some("unmanaged".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let applied = service.apply_aliases(&admin, "api", false).await.unwrap();
    assert!(applied.iter().all(|a| a.alias.alias != "latest"));
    assert_eq!(head("latest").await, Some(head_of_main));

    // Refused credentials: a clear failure naming the alias, no secret in it.
    service
        .update_integration(
            &admin,
            "local",
            IntegrationPatch {
                auth: Some(AuthInput::Basic {
                    username: USERNAME.into(),
                    password: Secret::new("not-the-password"),
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let err = service
        .apply_aliases(&admin, "api", false)
        .await
        .unwrap_err();
    match &err {
        ServiceError::AliasPushFailed { alias, .. } => assert_eq!(alias, "v2"),
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains("not-the-password"), "{err}");
}
