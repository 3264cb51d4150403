//! Page-number paging shared by every `{data, meta}` listing.

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
        }
    }

    /// The page of `items` out of `total`.
    pub(crate) fn page<T>(self, items: Vec<T>, total: i64) -> Page<T> {
        let page_size = self.page_size.unsigned_abs();
        let total = total.unsigned_abs();
        Page {
            items,
            page: self.page.unsigned_abs(),
            page_size,
            total_count: total,
            total_pages: total.div_ceil(page_size),
        }
    }
}
