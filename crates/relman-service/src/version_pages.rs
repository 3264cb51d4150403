//! Keyset pages of version lists: a bounded `limit` and an opaque cursor for the next page.

use relman_storage::{Store, VersionFilter, VersionKey};

use crate::cursor::Cursor;
use crate::error::ServiceError;
use crate::input::Errors;
use relman_domain::ComponentVersion;

/// Versions per page when the client does not say.
pub const DEFAULT_VERSIONS_LIMIT: u32 = 100;
/// Most versions one page holds.
pub const MAX_VERSIONS_LIMIT: u32 = 1000;

/// A version-list request as the client gave it: component key, channel, limit, cursor and
/// whether gone versions are included.
pub(crate) type VersionListKey = (String, Option<String>, Option<u32>, Option<String>, bool);

/// One page of a version list.
#[derive(Debug, Clone)]
pub struct VersionList {
    /// The versions, newest semver first.
    pub items: Vec<ComponentVersion>,
    /// The cursor of the next page, when more versions follow.
    pub next_cursor: Option<String>,
}

/// A validated page request: how many, and after which row.
pub(crate) struct VersionPageRequest {
    /// The cursor kind of this list (`v` a component's versions, `m` version maps), so a cursor
    /// of one list is refused by the other.
    kind: char,
    limit: u32,
    after: Option<VersionKey>,
}

impl VersionPageRequest {
    /// Checks `limit` (1 to [`MAX_VERSIONS_LIMIT`], default [`DEFAULT_VERSIONS_LIMIT`]) and
    /// `cursor`, recording field errors; out-of-range values are refused, never clamped.
    pub(crate) fn parse(
        errors: &mut Errors,
        kind: char,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Self {
        let limit = limit.unwrap_or(DEFAULT_VERSIONS_LIMIT);
        if !(1..=MAX_VERSIONS_LIMIT).contains(&limit) {
            errors.push(
                "limit",
                format!("must be between 1 and {MAX_VERSIONS_LIMIT}"),
            );
        }
        let after = cursor.and_then(|text| {
            let key = Cursor::decode(kind, 3, &text).map(|c| {
                let [sort_key, tag, id] = [0, 1, 2].map(|i| c.parts()[i].clone());
                VersionKey { sort_key, tag, id }
            });
            if key.is_none() {
                errors.push("cursor", "is not a cursor this list handed out");
            }
            key
        });
        Self { kind, limit, after }
    }

    /// Loads the page and encodes the next page's cursor.
    pub(crate) async fn load(
        self,
        store: &Store,
        filter: VersionFilter,
    ) -> Result<VersionList, ServiceError> {
        let page = store
            .page_versions(filter, self.after, i64::from(self.limit))
            .await?;
        let next_cursor = page
            .next
            .map(|k| Cursor::new(self.kind, vec![k.sort_key, k.tag, k.id]).encode());
        Ok(VersionList {
            items: page.items,
            next_cursor,
        })
    }
}
