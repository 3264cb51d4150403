//! Version lists in bounded pages, walked through their `Link: <…>; rel="next"` headers.

use std::collections::HashSet;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use chrono::Utc;
use relman_domain::{
    Actor, AuditEvent, ComponentVersion, Digest, VersionSource, compare_versions_desc,
    parse_semver, parse_tag_semver,
};
use relman_storage::Store;
use relman_test_support::backend_tests;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::app;
use crate::support::{get, post, send};

backend_tests!(
    walk_every_version_once_in_order,
    page_bounds_and_bad_cursors
);

/// 250 versions of one component: two-digit numeric prereleases, releases, tags without a
/// semver, and tags of equal precedence to a release (ties broken by tag).
fn versions(component_id: Uuid) -> Vec<ComponentVersion> {
    let mut out = Vec::new();
    let mut add = |tag: String, semver| {
        let now = Utc::now();
        out.push(ComponentVersion {
            provenance: Default::default(),
            id: Uuid::now_v7(),
            component_id,
            digest: Digest::sha256_of(tag.as_bytes()),
            tag,
            semver,
            channel: None,
            source: VersionSource::Manual,
            platforms: vec![],
            pushed_at: None,
            first_seen_at: now,
            updated_at: now,
            gone: false,
            yank: None,
        });
    };
    for i in 0..150 {
        let tag = format!("v1.{}.0-rc.{}", i / 15, i % 15);
        add(tag.clone(), parse_tag_semver(&tag));
    }
    for i in 0..50 {
        let tag = format!("v2.{i}.0");
        add(tag.clone(), parse_tag_semver(&tag));
    }
    for i in 0..30 {
        let tag = format!("build-{i}");
        add(tag.clone(), parse_tag_semver(&tag));
    }
    for i in 0..20 {
        add(
            format!("alias-{i}"),
            Some(parse_semver(&format!("2.{i}.0+alias")).unwrap()),
        );
    }
    out
}

async fn seed(store: &Store, component_id: Uuid) -> Vec<ComponentVersion> {
    let all = versions(component_id);
    for v in &all {
        let event = AuditEvent::new(&Actor::system(), Utc::now(), "test", "seed", &v.tag, "x");
        store
            .upsert_manual_version(v.clone(), &event)
            .await
            .unwrap();
    }
    all
}

async fn create_component<S, B>(app: &S, name: &str) -> Uuid
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let body = send(
        app,
        post(
            "/api/v1/components",
            json!({"name": name, "imageRepository": format!("myorg/{name}")}),
        ),
    )
    .await
    .expect(201)
    .body;
    body["id"].as_str().unwrap().parse().unwrap()
}

/// The `rel="next"` URL of a reply, if any.
fn next(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().unwrap();
    let url = link.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
    Some(url.to_owned())
}

/// Walks a list from `first` through its Link headers; returns the pages' items.
async fn walk<S, B>(app: &S, first: &str) -> (Vec<Value>, usize)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut items = Vec::new();
    let mut pages = 0;
    let mut url = Some(first.to_owned());
    while let Some(u) = url {
        let reply = send(app, get(&u)).await.expect(200);
        pages += 1;
        assert!(pages <= 10, "the walk does not end");
        items.extend(reply.body.as_array().unwrap().iter().cloned());
        url = next(&reply.headers);
    }
    (items, pages)
}

async fn walk_every_version_once_in_order(store: Store) {
    let app = app!(store.clone());
    let api = create_component(&app, "api").await;
    let mut want = seed(&store, api).await;
    want.sort_by(compare_versions_desc);
    let want: Vec<&str> = want.iter().map(|v| v.tag.as_str()).collect();

    let (items, pages) = walk(&app, "/api/v1/components/api/versions?limit=100").await;
    let got: Vec<&str> = items.iter().map(|v| v["tag"].as_str().unwrap()).collect();
    assert_eq!(pages, 3);
    assert_eq!(got, want, "every version once, in semver order");

    // Across components (version maps), every row once, and a filter carried through the Link.
    let web = create_component(&app, "web").await;
    seed(&store, web).await;
    let (items, pages) = walk(&app, "/api/v1/version-maps?limit=100").await;
    assert_eq!(pages, 5);
    let ids: HashSet<&str> = items.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!((items.len(), ids.len()), (500, 500));
    let (items, _) = walk(&app, "/api/v1/version-maps?componentId=web&limit=100").await;
    let got: Vec<&str> = items.iter().map(|v| v["tag"].as_str().unwrap()).collect();
    assert_eq!(got, want);
    assert!(items.iter().all(|v| v["componentId"] == web.to_string()));
}

async fn page_bounds_and_bad_cursors(store: Store) {
    let app = app!(store.clone());
    let api = create_component(&app, "api").await;
    seed(&store, api).await;

    // No limit is the default page, not everything.
    let reply = send(&app, get("/api/v1/components/api/versions"))
        .await
        .expect(200);
    assert_eq!(reply.body.as_array().unwrap().len(), 100);
    assert!(next(&reply.headers).is_some());
    let reply = send(&app, get("/api/v1/version-maps")).await.expect(200);
    assert_eq!(reply.body.as_array().unwrap().len(), 100);

    // The last page has no Link.
    let reply = send(&app, get("/api/v1/components/api/versions?limit=1000"))
        .await
        .expect(200);
    assert_eq!(reply.body.as_array().unwrap().len(), 250);
    assert!(reply.headers.get("link").is_none());

    for url in [
        "/api/v1/components/api/versions?limit=1001",
        "/api/v1/version-maps?limit=0",
    ] {
        let reply = send(&app, get(url)).await.problem(400, "validation_failed");
        assert_eq!(reply.fields(), ["limit"], "{url}");
    }
    // A cursor of the other list, and text that is no cursor at all.
    let maps_cursor = {
        let reply = send(&app, get("/api/v1/version-maps?limit=1")).await;
        let url = next(&reply.headers).unwrap();
        url.split_once("cursor=").unwrap().1.to_owned()
    };
    for url in [
        format!("/api/v1/components/api/versions?cursor={maps_cursor}"),
        "/api/v1/components/api/versions?cursor=not-a-cursor".to_owned(),
        "/api/v1/version-maps?cursor=%F0%9F%92%A9".to_owned(),
    ] {
        let reply = send(&app, get(&url))
            .await
            .problem(400, "validation_failed");
        assert_eq!(reply.fields(), ["cursor"], "{url}");
    }
}
