//! Signing key rows: the public key in the clear, the private seed sealed with the store's secret
//! key (bound to the keyid), at most one active key (a partial unique index decides races).

use diesel::prelude::*;
use relman_domain::{AuditEvent, KeyStatus, SigningKeyInfo};

use crate::codec::{from_micros, to_micros};
use crate::error::StorageError;
use crate::schema::signing_keys as sk;
use crate::secrets::{open, seal};
use crate::store::Store;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = sk)]
struct KeyRow {
    keyid: String,
    algorithm: String,
    public_key: String,
    private_key: String,
    status: String,
    created_at: i64,
    retired_at: Option<i64>,
}

impl KeyRow {
    fn info(&self) -> Result<SigningKeyInfo, StorageError> {
        Ok(SigningKeyInfo {
            keyid: self.keyid.clone(),
            algorithm: self.algorithm.clone(),
            public_key_hex: self.public_key.clone(),
            status: KeyStatus::parse(&self.status)
                .ok_or_else(|| StorageError::Corrupt(format!("key status '{}'", self.status)))?,
            created_at: from_micros(self.created_at)?,
            retired_at: self.retired_at.map(from_micros).transpose()?,
        })
    }
}

/// A new key to store: its public description (status is taken as active) and its private seed
/// as hex, which the store seals before it reaches a row.
pub struct NewSigningKey {
    /// What may be published.
    pub info: SigningKeyInfo,
    /// The private seed, hex. Never logged.
    pub seed_hex: String,
}

impl std::fmt::Debug for NewSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSigningKey")
            .field("keyid", &self.info.keyid)
            .finish_non_exhaustive()
    }
}

impl Store {
    fn key_row(&self, key: &NewSigningKey) -> Result<KeyRow, StorageError> {
        let sealed = seal(self.secret_key().as_deref(), &key.info.keyid, &key.seed_hex)?;
        Ok(KeyRow {
            keyid: key.info.keyid.clone(),
            algorithm: key.info.algorithm.clone(),
            public_key: key.info.public_key_hex.clone(),
            private_key: sealed,
            status: KeyStatus::Active.as_str().to_owned(),
            created_at: to_micros(key.info.created_at),
            retired_at: None,
        })
    }

    /// Every signing key, newest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKeyInfo>, StorageError> {
        self.run(|conn| {
            let rows: Vec<KeyRow> = sk::table
                .order((sk::created_at.desc(), sk::keyid.asc()))
                .select(KeyRow::as_select())
                .load(conn)?;
            rows.iter().map(KeyRow::info).collect()
        })
        .await
    }

    /// The active key and its private seed (hex), if there is one.
    pub async fn active_signing_key(
        &self,
    ) -> Result<Option<(SigningKeyInfo, String)>, StorageError> {
        let secret = self.secret_key();
        self.run(move |conn| {
            let row: Option<KeyRow> = sk::table
                .filter(sk::status.eq(KeyStatus::Active.as_str()))
                .select(KeyRow::as_select())
                .first(conn)
                .optional()?;
            row.map(|r| {
                let seed = open(secret.as_deref(), &r.keyid, &r.private_key)?;
                Ok((r.info()?, seed))
            })
            .transpose()
        })
        .await
    }

    /// Every key with its private seed (hex), active first, then retired ones newest first:
    /// what signs a TUF root rotation, where the retired key vouches for the new one.
    pub async fn signing_key_seeds(&self) -> Result<Vec<(SigningKeyInfo, String)>, StorageError> {
        let secret = self.secret_key();
        self.run(move |conn| {
            let rows: Vec<KeyRow> = sk::table
                .order((sk::created_at.desc(), sk::keyid.asc()))
                .select(KeyRow::as_select())
                .load(conn)?;
            let mut keys = rows
                .iter()
                .map(|r| {
                    Ok((
                        r.info()?,
                        open(secret.as_deref(), &r.keyid, &r.private_key)?,
                    ))
                })
                .collect::<Result<Vec<_>, StorageError>>()?;
            keys.sort_by_key(|(info, _)| info.status != KeyStatus::Active);
            Ok(keys)
        })
        .await
    }

    /// Stores `key` as the active key unless one exists already. `Ok(false)` when another
    /// writer (another replica starting at the same time) stored one first: nothing was written.
    pub async fn insert_first_signing_key(
        &self,
        key: &NewSigningKey,
        event: &AuditEvent,
    ) -> Result<bool, StorageError> {
        let row = self.key_row(key)?;
        let event = event.clone();
        let inserted = self
            .transact(move |conn| {
                diesel::insert_into(sk::table).values(&row).execute(conn)?;
                crate::audit::record(conn, &event)
            })
            .await;
        match inserted {
            Ok(()) => Ok(true),
            Err(StorageError::Conflict { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Retires the active key and stores `key` as the active one, in one transaction. A
    /// concurrent rotation makes the loser's insert hit the one-active index:
    /// [`StorageError::Conflict`], nothing written.
    pub async fn rotate_signing_key(
        &self,
        key: &NewSigningKey,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let row = self.key_row(key)?;
        let now = to_micros(key.info.created_at);
        let event = event.clone();
        self.transact(move |conn| {
            // The first statement writes, so SQLite holds the write lock from the start.
            diesel::update(sk::table.filter(sk::status.eq(KeyStatus::Active.as_str())))
                .set((
                    sk::status.eq(KeyStatus::Retired.as_str()),
                    sk::retired_at.eq(Some(now)),
                ))
                .execute(conn)?;
            diesel::insert_into(sk::table).values(&row).execute(conn)?;
            crate::audit::record(conn, &event)
        })
        .await
    }
}
