//! Release assets: uploads streamed to object storage, listed, downloaded, renamed and deleted
//! while the release is a draft, and frozen (and signed) with it.
//!
//! An upload reserves its name with a record in state `uploading` before a byte is stored, so a
//! clash answers 409 at once; streams the body to `releases/<release>/<asset>`; and only once
//! the bytes are durable completes the record, in one transaction with a compare-and-set on the
//! draft. Whatever fails or is interrupted on the way removes the bytes and the reservation
//! (a guard does it when the request is dropped); what a crash leaves is found by
//! [`Service::sweep_assets`].

use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use relman_domain::{
    Actor, Asset, AssetName, AuditEvent, Release, validate_asset_label, validate_content_type,
};
use relman_objects::{ObjectKey, ObjectRead, Objects, PutError};
use relman_storage::{DraftStamp, StorageError, Store};
use uuid::Uuid;

use crate::Service;
use crate::error::{Resource, ServiceError};
use crate::input::Errors;
use crate::release_changes::{CHANGE_ATTEMPTS, next_updated_at};

/// Asset uploads larger than this are refused unless configured otherwise: 2 GiB.
pub const DEFAULT_MAX_ASSET_BYTES: u64 = 2 << 30;

/// An unfinished upload older than this is taken for one whose process died, and swept.
pub const STALE_UPLOAD: Duration = Duration::from_secs(6 * 3600);

/// Where asset bytes go and how large they may be.
#[derive(Debug, Clone)]
pub struct AssetStore {
    /// The object store.
    pub objects: Objects,
    /// The largest upload accepted, in bytes.
    pub max_bytes: u64,
}

/// What an upload says about its file.
#[derive(Debug, Clone, Default)]
pub struct AssetUpload {
    /// The file name.
    pub name: String,
    /// An optional label.
    pub label: Option<String>,
    /// The media type; `application/octet-stream` when not given.
    pub content_type: Option<String>,
}

/// A change of an asset (draft only): `None` keeps, `Some(None)` clears the label.
#[derive(Debug, Clone, Default)]
pub struct AssetPatch {
    /// New file name.
    pub name: Option<String>,
    /// New or cleared label.
    pub label: Option<Option<String>>,
}

/// The object key of an asset's bytes.
fn object_key(release_id: Uuid, asset_id: Uuid) -> Result<ObjectKey, ServiceError> {
    ObjectKey::new(&format!("releases/{release_id}/{asset_id}")).map_err(storage_failure)
}

fn storage_failure(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::AssetStorage {
        message: e.to_string(),
    }
}

fn asset_not_found(key: &str) -> ServiceError {
    ServiceError::NotFound {
        resource: Resource::Asset,
        key: key.to_owned(),
    }
}

/// Removes an unfinished upload's bytes and reservation if the request is dropped before it
/// finished (the client went away mid-body); disarmed once the upload is settled.
struct UploadGuard {
    objects: Objects,
    store: Store,
    key: ObjectKey,
    asset_id: Uuid,
    armed: bool,
}

impl UploadGuard {
    /// Removes the bytes and the reservation now.
    async fn discard(mut self) {
        self.armed = false;
        discard_upload(&self.objects, &self.store, &self.key, self.asset_id).await;
    }
}

impl Drop for UploadGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (objects, store, key, id) = (
            self.objects.clone(),
            self.store.clone(),
            self.key.clone(),
            self.asset_id,
        );
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { discard_upload(&objects, &store, &key, id).await });
        }
    }
}

async fn discard_upload(objects: &Objects, store: &Store, key: &ObjectKey, asset_id: Uuid) {
    if let Err(e) = objects.discard(key).await {
        tracing::warn!(%key, error = %e, "removing the bytes of a failed upload; the sweep retries");
        return;
    }
    if let Err(e) = store.discard_upload(asset_id).await {
        tracing::warn!(%asset_id, error = %e, "dropping a failed upload's reservation; the sweep retries");
    }
}

impl Service {
    fn asset_store(&self) -> Result<&AssetStore, ServiceError> {
        self.assets
            .as_deref()
            .ok_or_else(|| ServiceError::AssetStorage {
                message: "no asset storage is configured".into(),
            })
    }

    /// The largest asset upload accepted, when asset storage is configured.
    pub fn max_asset_bytes(&self) -> Option<u64> {
        self.assets.as_deref().map(|a| a.max_bytes)
    }

    /// The release `key` names, refused unless it is a draft.
    async fn draft(&self, key: &str, fields: &str) -> Result<Release, ServiceError> {
        let release = self.release(key).await?;
        if release.status.is_frozen() {
            return Err(ServiceError::ReleaseImmutable {
                key: key.to_owned(),
                status: release.status,
                fields: fields.to_owned(),
            });
        }
        Ok(release)
    }

    /// Uploads a file to a draft release: the name is reserved, `body` is streamed to storage
    /// (hashed and counted, at most the configured size), and the asset is recorded once its
    /// bytes are durable. Any failure leaves neither bytes nor record.
    pub async fn upload_asset<S, E>(
        &self,
        actor: &Actor,
        release_key: &str,
        upload: AssetUpload,
        body: S,
    ) -> Result<Asset, ServiceError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let assets = self.asset_store()?.clone();
        let mut errors = Errors::default();
        let name = errors.parse::<AssetName>("name", &upload.name);
        if let Some(label) = &upload.label {
            errors.take("label", validate_asset_label(label));
        }
        let content_type = upload
            .content_type
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        errors.take("contentType", validate_content_type(&content_type));
        errors.finish()?;
        let Some(name) = name else {
            return Err(ServiceError::Invalid(
                relman_domain::ValidationError::field("name", "is required"),
            ));
        };
        let release = self.draft(release_key, "assets").await?;
        let now = crate::now();
        let mut asset = Asset {
            id: Uuid::now_v7(),
            release_id: release.id,
            name,
            label: upload.label,
            content_type,
            size: 0,
            sha256: String::new(),
            download_count: 0,
            created_at: now,
            created_by: actor.name.clone(),
            updated_at: now,
        };
        match self.store.reserve_asset(&asset).await {
            Ok(()) => {}
            Err(StorageError::Conflict { .. }) => {
                return Err(ServiceError::NameExists {
                    resource: Resource::Asset,
                    name: asset.name.to_string(),
                });
            }
            Err(StorageError::ForeignKey) => {
                return Err(ServiceError::NotFound {
                    resource: Resource::Release,
                    key: release_key.to_owned(),
                });
            }
            Err(other) => return Err(other.into()),
        }
        let key = object_key(release.id, asset.id)?;
        let guard = UploadGuard {
            objects: assets.objects.clone(),
            store: self.store.clone(),
            key: key.clone(),
            asset_id: asset.id,
            armed: true,
        };
        let stored = match assets
            .objects
            .put_stream(&key, body, assets.max_bytes)
            .await
        {
            Ok(stored) => stored,
            Err(e) => {
                guard.discard().await;
                return Err(match e {
                    PutError::TooLarge { limit } => ServiceError::AssetTooLarge { limit },
                    PutError::Body(e) => ServiceError::BadUpload {
                        message: e.to_string(),
                    },
                    PutError::Store(e) => storage_failure(e),
                });
            }
        };
        asset.size = stored.size;
        asset.sha256 = stored.sha256;
        let outcome = self.complete_upload(actor, release_key, &mut asset).await;
        match outcome {
            Ok(()) => {
                let mut guard = guard;
                guard.armed = false;
                Ok(asset)
            }
            Err(e) => {
                guard.discard().await;
                Err(e)
            }
        }
    }

    /// Makes a stored upload's record ready, retrying the draft's compare-and-set while other
    /// changes of the draft land first.
    async fn complete_upload(
        &self,
        actor: &Actor,
        release_key: &str,
        asset: &mut Asset,
    ) -> Result<(), ServiceError> {
        for _ in 0..CHANGE_ATTEMPTS {
            let release = self.draft(release_key, "assets").await?;
            let stamp = draft_stamp(&release);
            let event = AuditEvent::new(
                actor,
                stamp.next_updated_at,
                "asset",
                "upload",
                asset.id,
                format!(
                    "uploaded {} to release {} ({} bytes, sha256 {})",
                    asset.name, release.name, asset.size, asset.sha256
                ),
            );
            match self
                .store
                .complete_asset(stamp, asset.id, asset.size, asset.sha256.clone(), &event)
                .await
            {
                Ok(true) => {
                    asset.updated_at = stamp.next_updated_at;
                    return Ok(());
                }
                Ok(false) => continue,
                // Swept as stale meanwhile: the upload took longer than the sweep allows.
                Err(StorageError::NotFound) => {
                    return Err(ServiceError::BadUpload {
                        message: "the upload took too long and was abandoned".into(),
                    });
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Contended {
            resource: Resource::Release,
            key: release_key.to_owned(),
        })
    }

    /// The assets of a release, by name.
    pub async fn assets(&self, release_key: &str) -> Result<Vec<Asset>, ServiceError> {
        let release = self.release_cached(release_key).await?;
        Ok(self.store.assets_of(release.id).await?)
    }

    /// One asset of a release.
    pub async fn asset(&self, release_key: &str, asset_key: &str) -> Result<Asset, ServiceError> {
        let release = self.release_cached(release_key).await?;
        let id = Uuid::parse_str(asset_key).map_err(|_| asset_not_found(asset_key))?;
        match self.store.asset(release.id, id).await {
            Ok(asset) => Ok(asset),
            Err(StorageError::NotFound) => Err(asset_not_found(asset_key)),
            Err(other) => Err(other.into()),
        }
    }

    /// The bytes of `asset`, or of the half-open `range` of them (checked by the caller).
    pub async fn open_asset(
        &self,
        asset: &Asset,
        range: Option<Range<u64>>,
    ) -> Result<ObjectRead, ServiceError> {
        let assets = self.asset_store()?;
        let key = object_key(asset.release_id, asset.id)?;
        assets.objects.get(&key, range).await.map_err(|e| match e {
            relman_objects::ObjectsError::NotFound { .. } => {
                tracing::error!(asset = %asset.id, "an asset's bytes are missing from storage");
                storage_failure("the asset's bytes are missing from storage")
            }
            other => storage_failure(other),
        })
    }

    /// Counts one completed download of an asset.
    pub async fn count_download(&self, asset_id: Uuid) -> Result<(), ServiceError> {
        Ok(self.store.count_download(asset_id).await?)
    }

    /// Renames or relabels an asset of a draft release.
    pub async fn update_asset(
        &self,
        actor: &Actor,
        release_key: &str,
        asset_key: &str,
        patch: AssetPatch,
    ) -> Result<Asset, ServiceError> {
        let mut errors = Errors::default();
        let name = patch
            .name
            .as_deref()
            .and_then(|n| errors.parse::<AssetName>("name", n));
        if let Some(Some(label)) = &patch.label {
            errors.take("label", validate_asset_label(label));
        }
        errors.finish()?;
        for _ in 0..CHANGE_ATTEMPTS {
            let release = self.draft(release_key, "assets").await?;
            let mut asset = self.asset(release_key, asset_key).await?;
            if let Some(name) = &name {
                asset.name = name.clone();
            }
            if let Some(label) = &patch.label {
                asset.label = label.clone();
            }
            let stamp = draft_stamp(&release);
            let event = AuditEvent::new(
                actor,
                stamp.next_updated_at,
                "asset",
                "update",
                asset.id,
                format!("updated asset {} of release {}", asset.name, release.name),
            );
            match self.store.update_asset(stamp, &asset, &event).await {
                Ok(true) => {
                    asset.updated_at = stamp.next_updated_at;
                    return Ok(asset);
                }
                Ok(false) => continue,
                Err(StorageError::Conflict { .. }) => {
                    return Err(ServiceError::NameExists {
                        resource: Resource::Asset,
                        name: asset.name.to_string(),
                    });
                }
                Err(StorageError::NotFound) => return Err(asset_not_found(asset_key)),
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Contended {
            resource: Resource::Release,
            key: release_key.to_owned(),
        })
    }

    /// Deletes an asset of a draft release: the record, then its bytes.
    pub async fn delete_asset(
        &self,
        actor: &Actor,
        release_key: &str,
        asset_key: &str,
    ) -> Result<(), ServiceError> {
        let assets = self.asset_store()?.clone();
        for _ in 0..CHANGE_ATTEMPTS {
            let release = self.draft(release_key, "assets").await?;
            let asset = self.asset(release_key, asset_key).await?;
            let stamp = draft_stamp(&release);
            let event = AuditEvent::new(
                actor,
                stamp.next_updated_at,
                "asset",
                "delete",
                asset.id,
                format!("deleted asset {} of release {}", asset.name, release.name),
            );
            match self.store.delete_asset(stamp, asset.id, &event).await {
                Ok(true) => {
                    remove_bytes(&assets.objects, release.id, [asset.id]).await;
                    return Ok(());
                }
                Ok(false) => continue,
                Err(StorageError::NotFound) => return Err(asset_not_found(asset_key)),
                Err(other) => return Err(other.into()),
            }
        }
        Err(ServiceError::Contended {
            resource: Resource::Release,
            key: release_key.to_owned(),
        })
    }

    /// Removes the bytes of a deleted release's assets (its records went with it).
    pub(crate) async fn remove_release_bytes(&self, release_id: Uuid, asset_ids: Vec<Uuid>) {
        if let Some(assets) = self.assets.as_deref() {
            remove_bytes(&assets.objects, release_id, asset_ids).await;
        }
    }

    /// Sweeps what crashes left: reservations of uploads older than `older_than` (bytes and
    /// record), and bytes under `releases/` whose record is gone and that are older than it.
    /// Returns how many objects were removed. Safe to run on every replica at once.
    pub async fn sweep_assets(&self, older_than: Duration) -> Result<usize, ServiceError> {
        let Some(assets) = self.assets.as_deref() else {
            return Ok(0);
        };
        let before = crate::now()
            - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::hours(6));
        let mut removed = 0;
        for (release_id, asset_id) in self.store.stale_uploads(before).await? {
            discard_upload(
                &assets.objects,
                &self.store,
                &object_key(release_id, asset_id)?,
                asset_id,
            )
            .await;
            removed += 1;
        }
        let prefix = ObjectKey::new("releases").map_err(storage_failure)?;
        let listed = assets
            .objects
            .list(&prefix)
            .await
            .map_err(storage_failure)?;
        let candidates: Vec<(String, Uuid)> = listed
            .into_iter()
            .filter(|o| o.last_modified < before)
            .filter_map(|o| {
                let id = o.key.rsplit('/').next()?.split('#').next()?.parse().ok()?;
                Some((o.key, id))
            })
            .collect();
        let known: std::collections::HashSet<Uuid> = self
            .store
            .existing_asset_ids(candidates.iter().map(|(_, id)| *id).collect())
            .await?
            .into_iter()
            .collect();
        for (key, id) in candidates {
            if known.contains(&id) {
                continue;
            }
            let key = ObjectKey::new(&key).map_err(storage_failure)?;
            if let Err(e) = assets.objects.discard(&key).await {
                tracing::warn!(%key, error = %e, "sweeping an orphaned asset");
            } else {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// The compare-and-set of a change to `release` (a draft as just read).
fn draft_stamp(release: &Release) -> DraftStamp {
    DraftStamp {
        release_id: release.id,
        read_updated_at: release.updated_at,
        next_updated_at: next_updated_at(release.updated_at),
    }
}

async fn remove_bytes(objects: &Objects, release_id: Uuid, ids: impl IntoIterator<Item = Uuid>) {
    for id in ids {
        let Ok(key) = object_key(release_id, id) else {
            continue;
        };
        if let Err(e) = objects.discard(&key).await {
            tracing::warn!(%key, error = %e, "removing a deleted asset's bytes; the sweep retries");
        }
    }
}
