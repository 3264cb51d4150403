//! The retag list of one component, newest first, paged by cursor.

use diesel::prelude::*;
use relman_domain::RetagRecord;
use uuid::Uuid;

use crate::codec::{from_micros, parse};
use crate::error::StorageError;
use crate::keyset::{SortKey, after_key, key_of, split_next};
use crate::schema::version_retags as rt;
use crate::store::Store;

/// The columns the list shows, and the id that breaks ties in its order.
#[derive(Queryable, Selectable)]
#[diesel(table_name = rt)]
struct RetagListRow {
    id: String,
    tag: String,
    old_digest: String,
    new_digest: String,
    detected_at: i64,
}

impl Store {
    /// Up to `limit` retags of a component, newest first (`detected_at`, then id), starting after
    /// `after` when given, and the key of the last one when more follow. Served by the index on
    /// `(component_id, detected_at, id)`: a seek, however long the history.
    pub async fn list_retags_page(
        &self,
        component_id: Uuid,
        after: Option<SortKey>,
        limit: i64,
    ) -> Result<(Vec<RetagRecord>, Option<SortKey>), StorageError> {
        self.run(move |conn| {
            let mut q = rt::table
                .filter(rt::component_id.eq(component_id.to_string()))
                .into_boxed();
            if let Some(after) = after {
                q = after_key!(q, rt::detected_at, rt::id, after);
            }
            let mut rows: Vec<RetagListRow> = q
                .order((rt::detected_at.desc(), rt::id.desc()))
                .limit(limit.saturating_add(1))
                .select(RetagListRow::as_select())
                .load(conn)?;
            let next = split_next(&mut rows, limit, |r| key_of(r.detected_at, &r.id));
            let items = rows
                .into_iter()
                .map(|r| {
                    Ok(RetagRecord {
                        tag: r.tag,
                        old_digest: parse("digest", &r.old_digest)?,
                        new_digest: parse("digest", &r.new_digest)?,
                        detected_at: from_micros(r.detected_at)?,
                    })
                })
                .collect::<Result<_, StorageError>>()?;
            Ok((items, next))
        })
        .await
    }
}
