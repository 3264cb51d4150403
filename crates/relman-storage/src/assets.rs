//! Release asset records. Every change of a draft's assets is a compare-and-set on the release's
//! `updated_at` (which it moves), so that the transition out of draft, which signs the assets it
//! read, loses its own compare-and-set when an asset changed after that read and signs again.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use relman_domain::{Asset, AssetName, AuditEvent, ReleaseStatus};
use uuid::Uuid;

use crate::audit;
use crate::codec::{from_micros, parse, to_micros, uuid};
use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::schema::{release_assets as ra, releases};
use crate::store::Store;

/// Reserved by an upload in progress; never listed, downloaded or signed.
const UPLOADING: &str = "uploading";
/// The bytes are durable and the record complete.
const READY: &str = "ready";

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = ra)]
struct AssetRow {
    id: String,
    release_id: String,
    name: String,
    label: Option<String>,
    content_type: String,
    state: String,
    size: i64,
    sha256: Option<String>,
    download_count: i64,
    created_at: i64,
    created_by: String,
    updated_at: i64,
}

impl TryFrom<AssetRow> for Asset {
    type Error = StorageError;

    fn try_from(r: AssetRow) -> Result<Self, StorageError> {
        let count = |what: &str, n: i64| {
            u64::try_from(n).map_err(|_| StorageError::Corrupt(format!("asset {what} {n}")))
        };
        Ok(Asset {
            id: uuid(&r.id)?,
            release_id: uuid(&r.release_id)?,
            name: parse::<AssetName>("asset name", &r.name)?,
            label: r.label,
            content_type: r.content_type,
            size: count("size", r.size)?,
            sha256: r.sha256.unwrap_or_default(),
            download_count: count("download count", r.download_count)?,
            created_at: from_micros(r.created_at)?,
            created_by: r.created_by,
            updated_at: from_micros(r.updated_at)?,
        })
    }
}

/// A draft release as an asset change last read it: the change applies only if the release is
/// still a draft at this `updated_at`, and moves it to `next_updated_at`.
#[derive(Debug, Clone, Copy)]
pub struct DraftStamp {
    /// The release.
    pub release_id: Uuid,
    /// Its `updated_at` as read.
    pub read_updated_at: DateTime<Utc>,
    /// The `updated_at` the change gives it.
    pub next_updated_at: DateTime<Utc>,
}

/// Moves the draft's `updated_at` if it is still as read; false when it changed or left draft.
fn bump_draft(conn: &mut DbConnection, stamp: DraftStamp) -> Result<bool, StorageError> {
    let n = diesel::update(
        releases::table
            .filter(releases::id.eq(stamp.release_id.to_string()))
            .filter(releases::updated_at.eq(to_micros(stamp.read_updated_at)))
            .filter(releases::status.eq(ReleaseStatus::Draft.as_str())),
    )
    .set(releases::updated_at.eq(to_micros(stamp.next_updated_at)))
    .execute(conn)?;
    Ok(n == 1)
}

fn size_column(size: u64) -> Result<i64, StorageError> {
    i64::try_from(size).map_err(|_| StorageError::Corrupt(format!("asset size {size}")))
}

impl Store {
    /// Reserves `asset.name` in its release for an upload about to stream its bytes. Fails with
    /// [`StorageError::Conflict`] when the name is taken (by a finished or running upload) and
    /// [`StorageError::ForeignKey`] when the release is gone.
    pub async fn reserve_asset(&self, asset: &Asset) -> Result<(), StorageError> {
        let row = AssetRow {
            id: asset.id.to_string(),
            release_id: asset.release_id.to_string(),
            name: asset.name.to_string(),
            label: asset.label.clone(),
            content_type: asset.content_type.clone(),
            state: UPLOADING.to_owned(),
            size: 0,
            sha256: None,
            download_count: 0,
            created_at: to_micros(asset.created_at),
            created_by: asset.created_by.clone(),
            updated_at: to_micros(asset.updated_at),
        };
        self.run(move |conn| {
            diesel::insert_into(ra::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    /// Completes a reserved upload whose bytes are durable: records size and sha256 and makes it
    /// ready, in one transaction with the draft's compare-and-set and `event`. `Ok(false)` when
    /// the release changed or left draft meanwhile (nothing written); `NotFound` when the
    /// reservation is gone (swept as stale).
    pub async fn complete_asset(
        &self,
        stamp: DraftStamp,
        asset_id: Uuid,
        size: u64,
        sha256: String,
        event: &AuditEvent,
    ) -> Result<bool, StorageError> {
        let size = size_column(size)?;
        let event = event.clone();
        self.transact(move |conn| {
            if !bump_draft(conn, stamp)? {
                return Ok(false);
            }
            let n = diesel::update(
                ra::table
                    .filter(ra::id.eq(asset_id.to_string()))
                    .filter(ra::state.eq(UPLOADING)),
            )
            .set((
                ra::state.eq(READY),
                ra::size.eq(size),
                ra::sha256.eq(Some(sha256)),
                ra::updated_at.eq(to_micros(stamp.next_updated_at)),
            ))
            .execute(conn)?;
            if n == 0 {
                return Err(StorageError::NotFound);
            }
            audit::record(conn, &event)?;
            Ok(true)
        })
        .await
    }

    /// Drops a reservation whose upload failed; a no-op when it is already gone.
    pub async fn discard_upload(&self, asset_id: Uuid) -> Result<(), StorageError> {
        self.run(move |conn| {
            diesel::delete(
                ra::table
                    .filter(ra::id.eq(asset_id.to_string()))
                    .filter(ra::state.eq(UPLOADING)),
            )
            .execute(conn)?;
            Ok(())
        })
        .await
    }

    /// The ready assets of a release, by name.
    pub async fn assets_of(&self, release_id: Uuid) -> Result<Vec<Asset>, StorageError> {
        self.run(move |conn| {
            ra::table
                .filter(ra::release_id.eq(release_id.to_string()))
                .filter(ra::state.eq(READY))
                .order(ra::name.asc())
                .select(AssetRow::as_select())
                .load(conn)?
                .into_iter()
                .map(Asset::try_from)
                .collect()
        })
        .await
    }

    /// One ready asset of a release.
    pub async fn asset(&self, release_id: Uuid, asset_id: Uuid) -> Result<Asset, StorageError> {
        self.run(move |conn| {
            ra::table
                .filter(ra::id.eq(asset_id.to_string()))
                .filter(ra::release_id.eq(release_id.to_string()))
                .filter(ra::state.eq(READY))
                .select(AssetRow::as_select())
                .first(conn)?
                .try_into()
        })
        .await
    }

    /// Renames or relabels a ready asset of a draft, with the draft's compare-and-set and
    /// `event`. `Ok(false)` when the release changed or left draft meanwhile.
    pub async fn update_asset(
        &self,
        stamp: DraftStamp,
        asset: &Asset,
        event: &AuditEvent,
    ) -> Result<bool, StorageError> {
        let (id, name, label) = (
            asset.id.to_string(),
            asset.name.to_string(),
            asset.label.clone(),
        );
        let event = event.clone();
        self.transact(move |conn| {
            if !bump_draft(conn, stamp)? {
                return Ok(false);
            }
            let n = diesel::update(ra::table.filter(ra::id.eq(&id)).filter(ra::state.eq(READY)))
                .set((
                    ra::name.eq(name),
                    ra::label.eq(label),
                    ra::updated_at.eq(to_micros(stamp.next_updated_at)),
                ))
                .execute(conn)?;
            if n == 0 {
                return Err(StorageError::NotFound);
            }
            audit::record(conn, &event)?;
            Ok(true)
        })
        .await
    }

    /// Deletes a ready asset's record from a draft, with the draft's compare-and-set and `event`.
    /// `Ok(false)` when the release changed or left draft meanwhile.
    pub async fn delete_asset(
        &self,
        stamp: DraftStamp,
        asset_id: Uuid,
        event: &AuditEvent,
    ) -> Result<bool, StorageError> {
        let event = event.clone();
        self.transact(move |conn| {
            if !bump_draft(conn, stamp)? {
                return Ok(false);
            }
            let n = diesel::delete(
                ra::table
                    .filter(ra::id.eq(asset_id.to_string()))
                    .filter(ra::state.eq(READY)),
            )
            .execute(conn)?;
            if n == 0 {
                return Err(StorageError::NotFound);
            }
            audit::record(conn, &event)?;
            Ok(true)
        })
        .await
    }

    /// Counts one completed download: a single atomic increment, exact under concurrency.
    pub async fn count_download(&self, asset_id: Uuid) -> Result<(), StorageError> {
        self.run(move |conn| {
            diesel::update(ra::table.filter(ra::id.eq(asset_id.to_string())))
                .set(ra::download_count.eq(ra::download_count + 1))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    /// Every asset id of a release, reserved ones included (whose bytes a release delete must
    /// remove too).
    pub async fn asset_ids_of(&self, release_id: Uuid) -> Result<Vec<Uuid>, StorageError> {
        self.run(move |conn| {
            let ids: Vec<String> = ra::table
                .filter(ra::release_id.eq(release_id.to_string()))
                .select(ra::id)
                .load(conn)?;
            ids.iter().map(|id| uuid(id)).collect()
        })
        .await
    }

    /// Reservations older than `before`: uploads that never finished (the process died
    /// mid-upload). As `(release id, asset id)`.
    pub async fn stale_uploads(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, Uuid)>, StorageError> {
        self.run(move |conn| {
            let rows: Vec<(String, String)> = ra::table
                .filter(ra::state.eq(UPLOADING))
                .filter(ra::created_at.lt(to_micros(before)))
                .select((ra::release_id, ra::id))
                .limit(1_000)
                .load(conn)?;
            rows.iter().map(|(r, a)| Ok((uuid(r)?, uuid(a)?))).collect()
        })
        .await
    }

    /// Which of `ids` have a record (in any state): the sweep keeps their bytes.
    pub async fn existing_asset_ids(&self, ids: Vec<Uuid>) -> Result<Vec<Uuid>, StorageError> {
        self.run(move |conn| {
            let mut found = Vec::new();
            for chunk in ids.chunks(500) {
                let keys: Vec<String> = chunk.iter().map(ToString::to_string).collect();
                let rows: Vec<String> = ra::table
                    .filter(ra::id.eq_any(&keys))
                    .select(ra::id)
                    .load(conn)?;
                for id in rows {
                    found.push(uuid(&id)?);
                }
            }
            Ok(found)
        })
        .await
    }
}
