//! Paging shared by every listing: page numbers for `{data, meta}` lists, and keyset cursors for
//! the lists that grow without bound (releases, audit events, deployments, retags).

use relman_storage::{SortKey, Window};
use uuid::Uuid;

use crate::cursor::Cursor;
use crate::input::Errors;
use crate::releases::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page};

/// The highest page number accepted: a bound clients can be told (and the OpenAPI document
/// states) instead of one that depends on `pageSize` through overflow.
pub(crate) const MAX_PAGE: i64 = 1_000_000_000;

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRequest {
    pub(crate) page: i64,
    pub(crate) page_size: i64,
    pub(crate) offset: i64,
    /// Set when the client sent `cursor`: the page starts after this key, not at `offset`.
    pub(crate) after: Option<SortKey>,
}

/// The items of one cursor-paged slice of a plain-array list, and the next slice's cursor.
#[derive(Debug, Clone)]
pub struct Slice<T> {
    /// The slice's items, newest first.
    pub items: Vec<T>,
    /// The cursor of the next slice, when there is one.
    pub next_cursor: Option<String>,
}

/// Slices per request of a plain-array list when the client does not say.
pub const DEFAULT_SLICE_LIMIT: i64 = 100;
/// Most items one slice of a plain-array list holds.
pub const MAX_SLICE_LIMIT: i64 = 1000;

/// The cursor kind of a component's retag list.
pub(crate) const RETAG_CURSOR: char = 't';

/// Paging of a plain-array list: how many items, and where to start.
#[derive(Debug, Clone, Default)]
pub struct SliceQuery {
    /// Items in the slice, 1 to [`MAX_SLICE_LIMIT`] (default [`DEFAULT_SLICE_LIMIT`]).
    pub limit: Option<i64>,
    /// Start after this cursor (from a previous slice's `Link`).
    pub cursor: Option<String>,
}

impl SliceQuery {
    /// The validated start key and limit, for a list of cursor kind `kind`.
    pub(crate) fn parse(
        &self,
        kind: char,
    ) -> Result<(Option<SortKey>, i64), crate::error::ServiceError> {
        let mut errors = Errors::default();
        let limit = limit(
            &mut errors,
            self.limit,
            DEFAULT_SLICE_LIMIT,
            MAX_SLICE_LIMIT,
        );
        let after = after_cursor(&mut errors, kind, self.cursor.as_deref());
        errors.finish()?;
        Ok((after, limit))
    }
}

/// Decodes `cursor` of list `kind` (a time in microseconds and an id), recording a field error
/// for anything else: another list's cursor, a mangled one, or text that was never a cursor.
pub(crate) fn after_cursor(errors: &mut Errors, kind: char, text: Option<&str>) -> Option<SortKey> {
    let text = text?;
    let key = Cursor::decode(kind, 2, text).and_then(|c| {
        let micros = c.parts()[0].parse::<i64>().ok()?;
        let id = Uuid::parse_str(&c.parts()[1]).ok()?;
        Some(SortKey { micros, id })
    });
    if key.is_none() {
        errors.push("cursor", "is not a cursor of this list");
    }
    key
}

/// The opaque cursor after `key` in list `kind`.
pub(crate) fn cursor_text(kind: char, key: SortKey) -> String {
    Cursor::new(kind, vec![key.micros.to_string(), key.id.to_string()]).encode()
}

/// Checks a plain list's `limit` (1 to `max`, default `default`), recording a field error.
pub(crate) fn limit(errors: &mut Errors, limit: Option<i64>, default: i64, max: i64) -> i64 {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        errors.push("limit", format!("must be between 1 and {max}"));
    }
    limit
}

impl PageRequest {
    /// Checks `page` (from 1) and `pageSize` (1 to 100, default 20), recording field errors;
    /// values out of range are refused, never clamped.
    pub(crate) fn parse(errors: &mut Errors, page: Option<i64>, page_size: Option<i64>) -> Self {
        let page = page.unwrap_or(1);
        if page < 1 {
            errors.push("page", "must be 1 or more");
        } else if page > MAX_PAGE {
            errors.push("page", format!("must be at most {MAX_PAGE}"));
        }
        let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            errors.push("pageSize", format!("must be between 1 and {MAX_PAGE_SIZE}"));
        }
        let offset = (page.max(1) - 1).checked_mul(page_size.max(1));
        if offset.is_none() && (1..=MAX_PAGE).contains(&page) {
            errors.push("page", "is too large");
        }
        Self {
            page,
            page_size,
            offset: offset.unwrap_or(0),
            after: None,
        }
    }

    /// As [`PageRequest::parse`], and a `cursor` of list `kind` as the alternative to `page`:
    /// both at once are refused, since they name different starting points.
    pub(crate) fn parse_with_cursor(
        errors: &mut Errors,
        page: Option<i64>,
        page_size: Option<i64>,
        cursor: Option<&str>,
        kind: char,
    ) -> Self {
        if page.is_some() && cursor.is_some() {
            errors.push("cursor", "cannot be combined with page");
        }
        let mut request = Self::parse(errors, page, page_size);
        request.after = after_cursor(errors, kind, cursor);
        request
    }

    /// Where the page starts, for the store.
    pub(crate) fn window(&self) -> Window {
        self.after
            .map_or(Window::Offset(self.offset), Window::After)
    }

    /// The page of `items` out of `total`.
    pub(crate) fn page<T>(self, items: Vec<T>, total: i64) -> Page<T> {
        let page_size = self.page_size.unsigned_abs();
        let total = total.unsigned_abs();
        Page {
            items,
            // A cursor page has no number: counting the rows before the cursor would cost the
            // walk over them that the cursor exists to avoid.
            page: if self.after.is_some() {
                0
            } else {
                self.page.unsigned_abs()
            },
            page_size,
            total_count: total,
            total_pages: total.div_ceil(page_size),
            next_cursor: None,
        }
    }

    /// As [`PageRequest::page`], with the cursor of the page after it (list `kind`) when the
    /// store says one follows.
    pub(crate) fn keyset_page<T>(
        self,
        items: Vec<T>,
        total: u64,
        next: Option<SortKey>,
        kind: char,
    ) -> Page<T> {
        let mut page = self.page(items, i64::try_from(total).unwrap_or(i64::MAX));
        page.next_cursor = next.map(|key| cursor_text(kind, key));
        page
    }
}
