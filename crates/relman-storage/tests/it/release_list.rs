//! The release list's windows: cursors, pages read from the oldest end, and the members index
//! kept in list order when members are replaced.

use chrono::TimeDelta;
use relman_domain::{Release, ReleaseStatus};
use relman_storage::{ReleaseFilter, Store, Window};
use relman_test_support::backend_tests;

use crate::fixtures::event;
use crate::releases::{member, release, two_components};

backend_tests!(
    cursor_walk_equals_numbered_pages,
    replaced_members_keep_list_order
);

fn names(items: &[relman_domain::ReleaseSummary]) -> Vec<String> {
    items.iter().map(|r| r.name.to_string()).collect()
}

async fn walk(store: &Store, filter: &ReleaseFilter, size: i64) -> Vec<String> {
    let mut all = Vec::new();
    let mut window = Window::Offset(0);
    loop {
        let page = store
            .list_releases(filter.clone(), window, size)
            .await
            .unwrap();
        all.extend(names(&page.items));
        match page.next {
            Some(key) => window = Window::After(key),
            None => return all,
        }
        assert!(all.len() < 100, "the walk does not end");
    }
}

async fn cursor_walk_equals_numbered_pages(store: Store) {
    let (api, web) = two_components(&store).await;
    for i in 0..11 {
        let members = if i % 3 == 0 {
            vec![member(&web, "v2.0.0")]
        } else {
            vec![member(&api, "v1.0.0"), member(&web, "v2.0.0")]
        };
        let mut r = release(&format!("r{i}"), members, i);
        if i % 2 == 0 {
            r.status = ReleaseStatus::Ready;
        }
        store.insert_release(&r, &event()).await.unwrap();
    }
    for filter in [
        ReleaseFilter::default(),
        ReleaseFilter {
            prerelease: Default::default(),
            component_id: Some(api.id),
            status: None,
        },
        ReleaseFilter {
            prerelease: Default::default(),
            component_id: Some(web.id),
            status: Some(ReleaseStatus::Ready),
        },
        ReleaseFilter {
            prerelease: Default::default(),
            component_id: None,
            status: Some(ReleaseStatus::Draft),
        },
    ] {
        let one_page = store
            .list_releases(filter.clone(), Window::Offset(0), 100)
            .await
            .unwrap();
        assert!(one_page.next.is_none());
        let expected = names(&one_page.items);
        assert_eq!(one_page.total, expected.len() as u64, "{filter:?}");
        assert_eq!(walk(&store, &filter, 2).await, expected, "{filter:?}");
        for size in [2_usize, 3] {
            for (i, chunk) in expected.chunks(size).enumerate() {
                let page = store
                    .list_releases(
                        filter.clone(),
                        Window::Offset((i * size) as i64),
                        size as i64,
                    )
                    .await
                    .unwrap();
                assert_eq!(names(&page.items), chunk, "{filter:?} page {i} of {size}");
                assert_eq!(page.next.is_some(), (i + 1) * size < expected.len());
            }
        }
    }
}

async fn replaced_members_keep_list_order(store: Store) {
    let (api, web) = two_components(&store).await;
    let mut releases: Vec<Release> = Vec::new();
    for i in 0..3 {
        let r = release(&format!("r{i}"), vec![member(&web, "v2.0.0")], i);
        store.insert_release(&r, &event()).await.unwrap();
        releases.push(r);
    }
    // The oldest release gains an api member: it must sort by its own creation time.
    let mut changed = releases[0].clone();
    changed.members.push(member(&api, "v1.0.0"));
    changed.updated_at += TimeDelta::seconds(1);
    assert!(
        store
            .update_release(&changed, releases[0].updated_at, true, &event())
            .await
            .unwrap()
    );
    for (name, minute) in [("r3", 3), ("old", -5)] {
        let r = release(name, vec![member(&api, "v1.0.0")], minute);
        store.insert_release(&r, &event()).await.unwrap();
    }
    let with_api = ReleaseFilter {
        prerelease: Default::default(),
        component_id: Some(api.id),
        status: None,
    };
    assert_eq!(walk(&store, &with_api, 1).await, ["r3", "r0", "old"]);
}
