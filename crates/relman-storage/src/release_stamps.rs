//! Which version of a release the database holds: its `updated_at`, which every change moves.
//! Caches of releases ask this to learn what other replicas changed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::codec::{from_micros, uuid};
use crate::error::StorageError;
use crate::schema::releases;
use crate::store::Store;

impl Store {
    /// The `updated_at` of each of these releases that still exists, in no order; a deleted
    /// release is absent. One primary-key lookup per id, in one statement.
    pub async fn release_stamps(
        &self,
        ids: Vec<Uuid>,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, StorageError> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        self.run(move |conn| {
            releases::table
                .filter(releases::id.eq_any(ids))
                .select((releases::id, releases::updated_at))
                .load::<(String, i64)>(conn)?
                .into_iter()
                .map(|(id, at)| Ok((uuid(&id)?, from_micros(at)?)))
                .collect()
        })
        .await
    }
}
