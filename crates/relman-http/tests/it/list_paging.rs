//! Cursor paging of the unbounded lists: releases, audit events, deployments and retags. A walk
//! follows `Link: rel="next"` from the first page to the last.

use std::collections::HashSet;

use relman_domain::{AuditEvent, Digest};
use relman_storage::{Retag, Store, SyncChanges};
use relman_test_support::backend_tests;
use serde_json::{Value, json};

use crate::app;
use crate::release_fixtures::{column, component, release_body, world};
use crate::support::{Reply, get, post, put, send};

backend_tests!(
    release_walk_sees_each_once_while_releases_are_added,
    release_walk_keeps_component_and_status_filters,
    numbered_pages_equal_the_walk,
    page_with_cursor_and_bad_cursors_are_400,
    audit_walk_sees_each_once_while_events_are_added,
    deployment_walk_matches_the_full_list,
    retags_beyond_500_are_reachable
);

/// The URL of `rel="next"`, if the reply has one.
fn next_link(reply: &Reply) -> Option<String> {
    let link = reply.headers.get("link")?.to_str().unwrap();
    let url = link.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
    Some(url.to_owned())
}

/// Follows `Link` from `first`; calls `between` after each page (to write meanwhile) and
/// returns each page's items (`data` of `{data, meta}` bodies, or the body itself if an array).
async fn walk<S, B, F, Fut>(app: &S, first: &str, mut between: F) -> Vec<Vec<Value>>
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut pages = Vec::new();
    let mut url = Some(first.to_owned());
    while let Some(u) = url {
        let reply = send(app, get(&u)).await.expect(200);
        url = next_link(&reply);
        let items = match &reply.body {
            Value::Array(items) => items.clone(),
            body => body["data"].as_array().unwrap().clone(),
        };
        assert!(
            !items.is_empty(),
            "{u} answered an empty page with a next link"
        );
        pages.push(items);
        assert!(pages.len() < 1000, "the walk does not end");
        between().await;
    }
    pages
}

fn field(items: &[Value], name: &str) -> Vec<String> {
    items
        .iter()
        .map(|v| v[name].as_str().unwrap().to_owned())
        .collect()
}

async fn release_walk_sees_each_once_while_releases_are_added(store: Store) {
    let app = app!(store);
    world(&app).await;
    for i in 0..7 {
        send(
            &app,
            post("/api/v1/releases", release_body(&format!("r{i}"), "2.3.0")),
        )
        .await
        .expect(201);
    }
    let mut added = 0;
    let pages = walk(&app, "/api/v1/releases?pageSize=3", || {
        added += 1;
        let name = format!("new{added}");
        let app = &app;
        async move {
            send(app, post("/api/v1/releases", release_body(&name, "2.3.1")))
                .await
                .expect(201);
        }
    })
    .await;
    let names: Vec<String> = pages.iter().flat_map(|p| field(p, "name")).collect();
    assert_eq!(
        names,
        ["r6", "r5", "r4", "r3", "r2", "r1", "r0"],
        "each release once, newest first; the ones added during the walk are newer than it"
    );
    assert_eq!(pages.len(), 3);
    // A cursor page keeps the body's shape; its number is 0 (a cursor page has none).
    let first = send(&app, get("/api/v1/releases?pageSize=3"))
        .await
        .expect(200);
    let second = send(&app, get(&next_link(&first).unwrap()))
        .await
        .expect(200);
    assert_eq!(second.body["meta"]["page"], 0);
    assert_eq!(second.body["meta"]["pageSize"], 3);
    assert_eq!(second.body["meta"]["totalCount"], 10);
    assert_eq!(second.body["meta"]["totalPages"], 4);
}

async fn release_walk_keeps_component_and_status_filters(store: Store) {
    let app = app!(store);
    world(&app).await;
    component(&app, "lonely", &["v1.0.0"]).await;
    for i in 0..9 {
        let body = if i % 3 == 0 {
            json!({"name": format!("solo{i}"), "components": [{"componentId": "lonely"}]})
        } else {
            release_body(&format!("r{i}"), "2.3.0")
        };
        send(&app, post("/api/v1/releases", body)).await.expect(201);
        if i % 2 == 0 {
            send(
                &app,
                put(
                    &format!(
                        "/api/v1/releases/{}",
                        if i % 3 == 0 {
                            format!("solo{i}")
                        } else {
                            format!("r{i}")
                        }
                    ),
                    json!({"status": "ready"}),
                ),
            )
            .await
            .expect(200);
        }
    }
    for (filter, expected) in [
        ("componentId=api", vec!["r8", "r7", "r5", "r4", "r2", "r1"]),
        ("componentId=api&status=draft", vec!["r7", "r5", "r1"]),
        ("componentId=lonely&status=ready", vec!["solo6", "solo0"]),
        ("status=ready", vec!["r8", "solo6", "r4", "r2", "solo0"]),
    ] {
        let full = send(
            &app,
            get(&format!("/api/v1/releases?{filter}&pageSize=100")),
        )
        .await
        .expect(200);
        assert_eq!(column(&full.body["data"], "name"), expected, "{filter}");
        assert!(
            next_link(&full).is_none(),
            "one page holds all: no next link"
        );
        let pages = walk(
            &app,
            &format!("/api/v1/releases?{filter}&pageSize=2"),
            || async {},
        )
        .await;
        let walked: Vec<String> = pages.iter().flat_map(|p| field(p, "name")).collect();
        assert_eq!(walked, expected, "walk of {filter}");
    }
}

async fn numbered_pages_equal_the_walk(store: Store) {
    let app = app!(store);
    world(&app).await;
    for i in 0..10 {
        send(
            &app,
            post("/api/v1/releases", release_body(&format!("r{i}"), "2.3.0")),
        )
        .await
        .expect(201);
    }
    let walked: Vec<String> = walk(&app, "/api/v1/releases?pageSize=1", || async {})
        .await
        .iter()
        .flat_map(|p| field(p, "name"))
        .collect();
    assert_eq!(walked.len(), 10);
    // Pages past the middle are read from the oldest end: each must still be its slice.
    for size in [3_usize, 4] {
        for (i, expected) in walked.chunks(size).enumerate() {
            let page = send(
                &app,
                get(&format!("/api/v1/releases?page={}&pageSize={size}", i + 1)),
            )
            .await
            .expect(200);
            assert_eq!(
                column(&page.body["data"], "name"),
                expected,
                "page {} of {size}",
                i + 1
            );
            let last = (i + 1) * size >= walked.len();
            assert_eq!(next_link(&page).is_none(), last, "page {} of {size}", i + 1);
            if let Some(next) = next_link(&page) {
                let after = send(&app, get(&next)).await.expect(200);
                let expected_next: Vec<&str> = walked[(i + 1) * size..]
                    .iter()
                    .take(size)
                    .map(String::as_str)
                    .collect();
                assert_eq!(column(&after.body["data"], "name"), expected_next);
            }
        }
    }
    let beyond = send(&app, get("/api/v1/releases?page=5&pageSize=3"))
        .await
        .expect(200);
    assert_eq!(beyond.body["data"], json!([]));
    assert!(next_link(&beyond).is_none());
}

async fn page_with_cursor_and_bad_cursors_are_400(store: Store) {
    let app = app!(store.clone());
    world(&app).await;
    for i in 0..3 {
        send(
            &app,
            post("/api/v1/releases", release_body(&format!("r{i}"), "2.3.0")),
        )
        .await
        .expect(201);
    }
    let first = send(&app, get("/api/v1/releases?pageSize=1"))
        .await
        .expect(200);
    let next = next_link(&first).unwrap();
    let cursor = next.split_once("cursor=").unwrap().1.to_owned();
    let both = send(
        &app,
        get(&format!("/api/v1/releases?page=2&cursor={cursor}")),
    )
    .await
    .problem(400, "validation_failed");
    assert_eq!(both.fields(), ["cursor"]);
    for list in [
        "/api/v1/releases",
        "/api/v1/audit-events",
        "/api/v1/deployments",
        "/api/v1/components/api/retags",
    ] {
        let bad = send(&app, get(&format!("{list}?cursor=not-a-cursor")))
            .await
            .problem(400, "validation_failed");
        assert_eq!(bad.fields(), ["cursor"], "{list}");
    }
    // A cursor of the release list is not one of the audit trail's.
    let other = send(&app, get(&format!("/api/v1/audit-events?cursor={cursor}")))
        .await
        .problem(400, "validation_failed");
    assert_eq!(other.fields(), ["cursor"]);
    let big = send(&app, get("/api/v1/components/api/retags?limit=1001"))
        .await
        .problem(400, "validation_failed");
    assert_eq!(big.fields(), ["limit"]);
}

async fn audit_walk_sees_each_once_while_events_are_added(store: Store) {
    let app = app!(store);
    world(&app).await;
    let full = send(&app, get("/api/v1/audit-events?pageSize=100"))
        .await
        .expect(200);
    let expected = field(full.body["data"].as_array().unwrap(), "id");
    assert!(expected.len() >= 5, "the world recorded its changes");
    let mut added = 0;
    let pages = walk(&app, "/api/v1/audit-events?pageSize=2", || {
        added += 1;
        let name = format!("extra{added}");
        let app = &app;
        async move {
            component(app, &name, &[]).await;
        }
    })
    .await;
    let walked: Vec<String> = pages.iter().flat_map(|p| field(p, "id")).collect();
    assert_eq!(walked, expected, "each event once, newest first");
    let unique: HashSet<&String> = walked.iter().collect();
    assert_eq!(unique.len(), walked.len());
}

async fn deployment_walk_matches_the_full_list(store: Store) {
    let app = app!(store);
    world(&app).await;
    for (name, order) in [("dev", 1), ("qa", 2), ("prod", 3)] {
        send(
            &app,
            post(
                "/api/v1/environments",
                json!({"name": name, "order": order}),
            ),
        )
        .await
        .expect(201);
    }
    send(&app, post("/api/v1/releases", release_body("a", "2.3.0")))
        .await
        .expect(201);
    send(&app, put("/api/v1/releases/a", json!({"status": "ready"})))
        .await
        .expect(200);
    for env in ["dev", "qa", "prod"] {
        let d = send(
            &app,
            post("/api/v1/releases/a/promote", json!({"environmentId": env})),
        )
        .await
        .expect(201)
        .body;
        send(
            &app,
            post(
                &format!("/api/v1/deployments/{}/complete", d["id"].as_str().unwrap()),
                json!({"outcome": "succeeded"}),
            ),
        )
        .await
        .expect(200);
    }
    let full = send(&app, get("/api/v1/deployments")).await.expect(200);
    let expected = field(full.body["data"].as_array().unwrap(), "id");
    assert_eq!(expected.len(), 3);
    let pages = walk(&app, "/api/v1/deployments?pageSize=1", || async {}).await;
    assert_eq!(pages.len(), 3);
    let walked: Vec<String> = pages.iter().flat_map(|p| field(p, "id")).collect();
    assert_eq!(walked, expected);
    let prod = walk(
        &app,
        "/api/v1/deployments?environmentId=prod&pageSize=1",
        || async {},
    )
    .await;
    assert_eq!(prod.len(), 1);
    assert_eq!(prod[0][0]["environmentName"], "prod");
}

async fn retags_beyond_500_are_reachable(store: Store) {
    let app = app!(store.clone());
    let c = component(&app, "app", &[]).await;
    let id: uuid::Uuid = c["id"].as_str().unwrap().parse().unwrap();
    let retags: Vec<Retag> = (0..600)
        .map(|i| Retag {
            tag: format!("t{i}"),
            old_digest: Digest::sha256_of(format!("old{i}").as_bytes()),
            new_digest: Digest::sha256_of(format!("new{i}").as_bytes()),
        })
        .collect();
    let event = AuditEvent {
        id: uuid::Uuid::now_v7(),
        occurred_at: chrono::Utc::now(),
        actor: "test".into(),
        action: "component.sync".into(),
        resource_type: "component".into(),
        resource_id: id.to_string(),
        request_id: None,
        summary: "600 retags".into(),
        notices: Vec::new(),
    };
    store
        .apply_sync(
            id,
            SyncChanges {
                retags,
                ..Default::default()
            },
            chrono::Utc::now(),
            &event,
        )
        .await
        .unwrap();
    let first = send(&app, get("/api/v1/components/app/retags"))
        .await
        .expect(200);
    assert_eq!(
        first.body.as_array().unwrap().len(),
        100,
        "the default limit"
    );
    assert!(next_link(&first).is_some());
    let pages = walk(&app, "/api/v1/components/app/retags?limit=250", || async {}).await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [250, 250, 100]
    );
    let tags: Vec<String> = pages.iter().flat_map(|p| field(p, "tag")).collect();
    let unique: HashSet<&String> = tags.iter().collect();
    assert_eq!(unique.len(), 600, "every retag once");
    // One sync detected them all at one instant: ids (UUID v7, in write order) break the tie.
    assert_eq!(tags[0], "t599");
    assert_eq!(tags[599], "t0");
}
