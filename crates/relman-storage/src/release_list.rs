//! The release list: filtered, counted and paged on indexes so that a page costs about what
//! page 1 costs, however deep it is (see docs/DATABASE.md for the plans).
//!
//! A page is read in two steps: its keys, `(created_at, id)`, from an index alone (a covering
//! index walk, no table rows touched while skipping), then the rows of those keys by primary key.
//! Page numbers past the middle are read in the opposite order with the mirrored offset, so the
//! last page costs what the first does; cursors seek straight to their key.

use diesel::prelude::*;
use relman_domain::{ReleaseStatus, ReleaseSummary};
use uuid::Uuid;

use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::keyset::{SortKey, Window, after_key, key_of, split_next};
use crate::release_rows::SummaryRow;
use crate::schema::{release_members as rm, releases};
use crate::store::Store;

/// Which releases to list.
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    /// Only releases in this status.
    pub status: Option<ReleaseStatus>,
    /// Only releases with a member of this component.
    pub component_id: Option<Uuid>,
    /// Only prereleases (`true`) or only other releases (`false`).
    pub prerelease: Option<bool>,
}

/// One page of the release list and the number of releases matching the filter.
#[derive(Debug, Clone)]
pub struct ReleasePage {
    /// The page's releases, newest first.
    pub items: Vec<ReleaseSummary>,
    /// How many releases match the filter, over all pages.
    pub total: u64,
    /// The key of the page's last release when more follow it (the next page's cursor).
    pub next: Option<SortKey>,
}

/// How one key query walks its index.
#[derive(Clone, Copy)]
struct Walk {
    newest_first: bool,
    after: Option<SortKey>,
    offset: i64,
    limit: i64,
}

/// Applies a [`Walk`] to a boxed key query over `(at, id)` columns and loads the keys; a macro
/// because the three key queries are of different diesel types.
macro_rules! walk_keys {
    ($query:expr, $at:expr, $id:expr, $walk:expr, $conn:expr) => {{
        let walk: Walk = $walk;
        let mut q = $query;
        if let Some(after) = walk.after {
            q = after_key!(q, $at, $id, after);
        }
        q = if walk.newest_first {
            q.order(($at.desc(), $id.desc()))
        } else {
            q.order(($at.asc(), $id.asc()))
        };
        let keys: Vec<(i64, String)> = q.offset(walk.offset).limit(walk.limit).load($conn)?;
        keys
    }};
}

/// How many releases match: an index-only count on every filter but status together with
/// component, which needs the join.
fn count(conn: &mut DbConnection, filter: &ReleaseFilter) -> Result<i64, StorageError> {
    let status = filter.status.map(|s| s.as_str());
    let release_filtered = status.is_some() || filter.prerelease.is_some();
    Ok(match filter.component_id {
        None => {
            let mut q = releases::table.count().into_boxed();
            if let Some(status) = status {
                q = q.filter(releases::status.eq(status));
            }
            if let Some(prerelease) = filter.prerelease {
                q = q.filter(releases::prerelease.eq(prerelease));
            }
            q.get_result(conn)?
        }
        Some(component) if !release_filtered => rm::table
            .filter(rm::component_id.eq(component.to_string()))
            .count()
            .get_result(conn)?,
        Some(component) => {
            let mut q = rm::table
                .inner_join(releases::table)
                .filter(rm::component_id.eq(component.to_string()))
                .count()
                .into_boxed();
            if let Some(status) = status {
                q = q.filter(releases::status.eq(status));
            }
            if let Some(prerelease) = filter.prerelease {
                q = q.filter(releases::prerelease.eq(prerelease));
            }
            q.get_result(conn)?
        }
    })
}

/// The keys of one page, in the walk's order.
fn keys(
    conn: &mut DbConnection,
    filter: &ReleaseFilter,
    walk: Walk,
) -> Result<Vec<(i64, String)>, StorageError> {
    let status = filter.status.map(|s| s.as_str());
    let release_filtered = status.is_some() || filter.prerelease.is_some();
    Ok(match (filter.component_id, release_filtered) {
        (None, _) => {
            let mut q = releases::table
                .select((releases::created_at, releases::id))
                .into_boxed();
            if let Some(status) = status {
                q = q.filter(releases::status.eq(status));
            }
            if let Some(prerelease) = filter.prerelease {
                q = q.filter(releases::prerelease.eq(prerelease));
            }
            walk_keys!(q, releases::created_at, releases::id, walk, conn)
        }
        // Members ordered by (component, release_created_at, release_id): the index holds the
        // whole key, so skipping and seeking never read a release row.
        (Some(component), false) => {
            let q = rm::table
                .select((rm::release_created_at, rm::release_id))
                .filter(rm::component_id.eq(component.to_string()))
                .into_boxed();
            walk_keys!(q, rm::release_created_at, rm::release_id, walk, conn)
        }
        (Some(component), true) => {
            let mut q = rm::table
                .inner_join(releases::table)
                .select((rm::release_created_at, rm::release_id))
                .filter(rm::component_id.eq(component.to_string()))
                .into_boxed();
            if let Some(status) = status {
                q = q.filter(releases::status.eq(status));
            }
            if let Some(prerelease) = filter.prerelease {
                q = q.filter(releases::prerelease.eq(prerelease));
            }
            walk_keys!(q, rm::release_created_at, rm::release_id, walk, conn)
        }
    })
}

/// The summaries of `keys` (newest first), by primary key, in the keys' order.
fn summaries(
    conn: &mut DbConnection,
    keys: &[(i64, String)],
) -> Result<Vec<ReleaseSummary>, StorageError> {
    let ids: Vec<&str> = keys.iter().map(|(_, id)| id.as_str()).collect();
    let mut items: Vec<ReleaseSummary> = releases::table
        .filter(releases::id.eq_any(&ids))
        .select(SummaryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(ReleaseSummary::try_from)
        .collect::<Result<_, _>>()?;
    // A page holds at most a hundred rows: sorting them here keeps the statement a plain
    // primary-key lookup (an ORDER BY could tempt the planner into walking the list index).
    items.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
    Ok(items)
}

/// The walk that reads the page at `offset`: from the newest end before the middle, from the
/// oldest end after it (with the mirrored offset), so no page skips more than half the list.
fn offset_walk(offset: i64, limit: i64, total: i64) -> Walk {
    if offset.saturating_mul(2) <= total {
        return Walk {
            newest_first: true,
            after: None,
            offset,
            limit,
        };
    }
    let end = offset.saturating_add(limit).min(total);
    Walk {
        newest_first: false,
        after: None,
        offset: total - end,
        limit: end - offset,
    }
}

impl Store {
    /// One page of releases matching the filter, newest first (`created_at`, then id), the
    /// total count, and the key of the page's last release when more follow.
    pub async fn list_releases(
        &self,
        filter: ReleaseFilter,
        window: Window,
        limit: i64,
    ) -> Result<ReleasePage, StorageError> {
        self.list_releases_counted(filter, window, limit, None)
            .await
    }

    /// [`Store::list_releases`] with the total already known (`Some`), so that only the page is
    /// read: callers that hold a recent count skip the count query, the costliest part of a
    /// filtered page.
    pub async fn list_releases_counted(
        &self,
        filter: ReleaseFilter,
        window: Window,
        limit: i64,
        known_total: Option<u64>,
    ) -> Result<ReleasePage, StorageError> {
        self.run(move |conn| {
            let total = match known_total {
                Some(total) => i64::try_from(total).unwrap_or(i64::MAX),
                None => count(conn, &filter)?,
            };
            let (keys, next) = match window {
                Window::Offset(offset) if offset >= total => (Vec::new(), None),
                Window::Offset(offset) => {
                    let walk = offset_walk(offset, limit, total);
                    let mut keys = keys(conn, &filter, walk)?;
                    if !walk.newest_first {
                        keys.reverse();
                    }
                    let seen = offset.saturating_add(i64::try_from(keys.len()).unwrap_or(0));
                    let next = keys.last().filter(|_| seen < total);
                    let next = next.and_then(|(at, id)| key_of(*at, id));
                    (keys, next)
                }
                Window::After(after) => {
                    let walk = Walk {
                        newest_first: true,
                        after: Some(after),
                        offset: 0,
                        limit: limit.saturating_add(1),
                    };
                    let mut keys = keys(conn, &filter, walk)?;
                    let next = split_next(&mut keys, limit, |(at, id)| key_of(*at, id));
                    (keys, next)
                }
            };
            Ok(ReleasePage {
                items: summaries(conn, &keys)?,
                total: u64::try_from(total).unwrap_or(0),
                next,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::offset_walk;

    #[test]
    fn pages_past_the_middle_are_read_from_the_oldest_end() {
        let first = offset_walk(0, 20, 95);
        assert!(first.newest_first);
        assert_eq!((first.offset, first.limit), (0, 20));
        // The last page (items 80..95) is the oldest 15, offset 0 from the other end.
        let last = offset_walk(80, 20, 95);
        assert!(!last.newest_first);
        assert_eq!((last.offset, last.limit), (0, 15));
        // Items 60..80 are the oldest 15..35.
        let deep = offset_walk(60, 20, 95);
        assert!(!deep.newest_first);
        assert_eq!((deep.offset, deep.limit), (15, 20));
    }
}
