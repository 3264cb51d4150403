//! Where a page of a newest-first list starts: an offset (page numbers) or the sort key of the
//! last item already seen (a cursor). Every unbounded list orders by `(time, id)` descending, so
//! one key type serves them all.

use uuid::Uuid;

/// Narrows boxed query `$q` to the rows strictly after `$key` in `($at, $id)` descending order.
/// `$at <= ?` bounds the index range and the OR only settles one microsecond's ties: a row
/// value `(at, id) < (?, ?)` is not portable through diesel. A macro because every list's
/// columns are of another diesel type.
macro_rules! after_key {
    ($q:expr, $at:expr, $id:expr, $key:expr) => {{
        let key: $crate::keyset::SortKey = $key;
        $q.filter(
            $at.le(key.micros)
                .and($at.lt(key.micros).or($id.lt(key.id.to_string()))),
        )
    }};
}
pub(crate) use after_key;

/// The sort key of one item of a newest-first list: its time in unix microseconds, then its id
/// (which breaks ties between items of the same microsecond).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// The item's time (creation, occurrence, start or detection), unix microseconds.
    pub micros: i64,
    /// The item's id.
    pub id: Uuid,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// After skipping this many items (page-number paging).
    Offset(i64),
    /// Strictly after the item with this key (cursor paging): an index seek, and a walk that
    /// neither repeats nor skips items when newer ones are added meanwhile.
    After(SortKey),
}

/// Trims a page fetched with one row more than `limit` and returns the key of the page's last
/// item when that extra row shows there is a next page.
pub(crate) fn split_next<T>(
    rows: &mut Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> Option<SortKey>,
) -> Option<SortKey> {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last().and_then(key)
}

/// The key of a text id and a time, as read from a row; `None` for an id that is not a UUID
/// (which only a corrupt row has, and which then ends the walk rather than failing the page).
pub(crate) fn key_of(micros: i64, id: &str) -> Option<SortKey> {
    Uuid::parse_str(id).ok().map(|id| SortKey { micros, id })
}

impl Window {
    /// The rows to skip, the rows to fetch and the key to start after: a cursor window fetches
    /// one row more than the page, to learn whether a next page exists without counting.
    pub(crate) fn fetch(self, limit: i64) -> (i64, i64, Option<SortKey>) {
        match self {
            Self::Offset(offset) => (offset, limit, None),
            Self::After(key) => (0, limit.saturating_add(1), Some(key)),
        }
    }

    /// Trims the rows [`Window::fetch`] loaded to the page and returns the key of its last row
    /// when a next page follows: for an offset window when rows remain of `total`, for a cursor
    /// window when the extra row came back.
    pub(crate) fn next<T>(
        self,
        rows: &mut Vec<T>,
        limit: i64,
        total: i64,
        key: impl Fn(&T) -> Option<SortKey>,
    ) -> Option<SortKey> {
        match self {
            Self::Offset(offset) => {
                let seen = offset.saturating_add(i64::try_from(rows.len()).unwrap_or(i64::MAX));
                rows.last().filter(|_| seen < total).and_then(key)
            }
            Self::After(_) => split_next(rows, limit, key),
        }
    }
}
