//! API token rows: the hash of the secret and what describes the token, never the secret.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use relman_domain::{ApiToken, AuditEvent, Scope};
use uuid::Uuid;

use crate::codec::{from_micros, to_micros, uuid};
use crate::error::StorageError;
use crate::schema::api_tokens as t;
use crate::store::Store;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = t)]
struct TokenRow {
    id: String,
    name: String,
    token_sha256: String,
    scopes: String,
    created_at: i64,
    created_by: String,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    requests_per_second: Option<f64>,
}

impl TokenRow {
    fn of(token: &ApiToken, sha256_hex: &str) -> Self {
        Self {
            id: token.id.to_string(),
            name: token.name.clone(),
            token_sha256: sha256_hex.to_owned(),
            scopes: token
                .scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(","),
            created_at: to_micros(token.created_at),
            created_by: token.created_by.clone(),
            expires_at: token.expires_at.map(to_micros),
            last_used_at: token.last_used_at.map(to_micros),
            revoked_at: token.revoked_at.map(to_micros),
            requests_per_second: token.requests_per_second,
        }
    }
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = StorageError;

    fn try_from(r: TokenRow) -> Result<Self, StorageError> {
        let scopes = r
            .scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| Scope::parse(s).ok_or_else(|| StorageError::Corrupt(format!("scope '{s}'"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ApiToken {
            id: uuid(&r.id)?,
            name: r.name,
            scopes,
            created_at: from_micros(r.created_at)?,
            created_by: r.created_by,
            expires_at: r.expires_at.map(from_micros).transpose()?,
            last_used_at: r.last_used_at.map(from_micros).transpose()?,
            revoked_at: r.revoked_at.map(from_micros).transpose()?,
            requests_per_second: r.requests_per_second,
        })
    }
}

/// How stale `last_used_at` may get: a busy token is written at most once a minute, not once per
/// request.
const LAST_USED_PRECISION_MICROS: i64 = 60 * 1_000_000;

impl Store {
    /// Stores a new token by the SHA-256 (hex) of its secret. A live token of the same name is
    /// [`StorageError::Conflict`].
    pub async fn insert_token(
        &self,
        token: &ApiToken,
        sha256_hex: &str,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let row = TokenRow::of(token, sha256_hex);
        self.write(event, move |conn| {
            diesel::insert_into(t::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    /// The token whose secret hashes to `sha256_hex`, revoked and expired ones included (the
    /// caller decides, and says why it refused).
    pub async fn token_by_hash(&self, sha256_hex: &str) -> Result<ApiToken, StorageError> {
        let hash = sha256_hex.to_owned();
        self.run(move |conn| {
            t::table
                .filter(t::token_sha256.eq(hash))
                .select(TokenRow::as_select())
                .first(conn)?
                .try_into()
        })
        .await
    }

    /// A token by id.
    pub async fn token_by_id(&self, id: Uuid) -> Result<ApiToken, StorageError> {
        self.run(move |conn| {
            t::table
                .filter(t::id.eq(id.to_string()))
                .select(TokenRow::as_select())
                .first(conn)?
                .try_into()
        })
        .await
    }

    /// Every token that was not revoked, newest first.
    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>, StorageError> {
        self.run(|conn| {
            t::table
                .filter(t::revoked_at.is_null())
                .order(t::id.desc())
                .select(TokenRow::as_select())
                .load(conn)?
                .into_iter()
                .map(ApiToken::try_from)
                .collect()
        })
        .await
    }

    /// Revokes a live token at `now`; [`StorageError::NotFound`] when there is none with this id.
    pub async fn revoke_token(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        self.write(event, move |conn| {
            let n = diesel::update(
                t::table
                    .filter(t::id.eq(id.to_string()))
                    .filter(t::revoked_at.is_null()),
            )
            .set(t::revoked_at.eq(Some(to_micros(now))))
            .execute(conn)?;
            if n == 0 {
                Err(StorageError::NotFound)
            } else {
                Ok(())
            }
        })
        .await
    }

    /// Records that a token was used at `now`, unless that was recorded less than a minute ago.
    pub async fn touch_token(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), StorageError> {
        let now = to_micros(now);
        self.run(move |conn| {
            diesel::update(
                t::table.filter(t::id.eq(id.to_string())).filter(
                    t::last_used_at
                        .is_null()
                        .or(t::last_used_at.lt(now - LAST_USED_PRECISION_MICROS)),
                ),
            )
            .set(t::last_used_at.eq(Some(now)))
            .execute(conn)?;
            Ok(())
        })
        .await
    }
}
