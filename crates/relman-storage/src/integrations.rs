//! Registry integration rows and queries.

use diesel::prelude::*;
use relman_domain::{
    AuditEvent, IntegrationAuth, IntegrationName, IntegrationSummary, RegistryIntegration, Secret,
};
use uuid::Uuid;

use crate::codec::{from_micros, parse, to_micros, uuid};
use crate::error::StorageError;
use crate::schema::{components, registry_integrations as ri};
use crate::secrets::{SecretKey, open, seal};
use crate::store::Store;

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = ri)]
#[diesel(treat_none_as_null = true)]
struct IntegrationRow {
    id: String,
    name: String,
    url: String,
    insecure: bool,
    auth_type: String,
    username: Option<String>,
    secret: Option<String>,
    max_concurrency: Option<i32>,
    requests_per_second: Option<f64>,
    created_at: i64,
    updated_at: i64,
    push_attestations: bool,
}

impl IntegrationRow {
    /// The row for an integration, its secret sealed with `key` (bound to the row's id).
    fn of(i: &RegistryIntegration, key: Option<&SecretKey>) -> Result<Self, StorageError> {
        let id = i.id.to_string();
        let (username, secret) = match &i.auth {
            IntegrationAuth::None => (None, None),
            IntegrationAuth::Basic { username, password } => (
                Some(username.clone()),
                Some(seal(key, &id, password.expose())?),
            ),
            IntegrationAuth::Bearer { token } => (None, Some(seal(key, &id, token.expose())?)),
        };
        Ok(Self {
            id,
            name: i.name.to_string(),
            url: i.url.clone(),
            insecure: i.insecure,
            auth_type: i.auth.kind().to_owned(),
            username,
            secret,
            max_concurrency: i
                .max_concurrency
                .map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
            requests_per_second: i.requests_per_second,
            created_at: to_micros(i.created_at),
            updated_at: to_micros(i.updated_at),
            push_attestations: i.push_attestations,
        })
    }

    /// Everything but the secret; needs no key.
    fn into_summary(self) -> Result<IntegrationSummary, StorageError> {
        let auth_kind = match self.auth_type.as_str() {
            "none" => "none",
            "basic" => "basic",
            "bearer" => "bearer",
            other => return Err(StorageError::Corrupt(format!("auth type '{other}'"))),
        };
        Ok(IntegrationSummary {
            id: uuid(&self.id)?,
            name: parse::<IntegrationName>("integration name", &self.name)?,
            url: self.url,
            insecure: self.insecure,
            auth_kind,
            username: self.username.filter(|_| auth_kind == "basic"),
            has_credentials: auth_kind != "none",
            max_concurrency: self.max_concurrency.and_then(|n| u32::try_from(n).ok()),
            requests_per_second: self.requests_per_second,
            push_attestations: self.push_attestations,
            created_at: from_micros(self.created_at)?,
            updated_at: from_micros(self.updated_at)?,
        })
    }

    /// The integration this row holds, its secret opened with `key`.
    fn into_integration(
        self,
        key: Option<&SecretKey>,
    ) -> Result<RegistryIntegration, StorageError> {
        let r = self;
        let secret = || {
            let stored = r
                .secret
                .as_deref()
                .ok_or_else(|| StorageError::Corrupt("integration secret missing".into()))?;
            open(key, &r.id, stored).map(Secret::new)
        };
        let auth = match r.auth_type.as_str() {
            "none" => IntegrationAuth::None,
            "basic" => IntegrationAuth::Basic {
                username: r.username.clone().unwrap_or_default(),
                password: secret()?,
            },
            "bearer" => IntegrationAuth::Bearer { token: secret()? },
            other => return Err(StorageError::Corrupt(format!("auth type '{other}'"))),
        };
        Ok(RegistryIntegration {
            id: uuid(&r.id)?,
            name: parse::<IntegrationName>("integration name", &r.name)?,
            url: r.url,
            insecure: r.insecure,
            auth,
            max_concurrency: r.max_concurrency.and_then(|n| u32::try_from(n).ok()),
            requests_per_second: r.requests_per_second,
            push_attestations: r.push_attestations,
            created_at: from_micros(r.created_at)?,
            updated_at: from_micros(r.updated_at)?,
        })
    }
}

impl Store {
    /// Inserts an integration; a taken name is [`StorageError::Conflict`].
    pub async fn insert_integration(
        &self,
        integration: &RegistryIntegration,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let row = IntegrationRow::of(integration, self.secret_key().as_deref())?;
        self.write(event, move |conn| {
            diesel::insert_into(ri::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    /// An integration by id or by name.
    pub async fn integration(
        &self,
        id: Option<Uuid>,
        name: Option<&str>,
    ) -> Result<RegistryIntegration, StorageError> {
        let key = self.secret_key();
        self.find_row(id, name)
            .await?
            .into_integration(key.as_deref())
    }

    /// An integration by id or by name, without its secret (never decrypts).
    pub async fn integration_summary(
        &self,
        id: Option<Uuid>,
        name: Option<&str>,
    ) -> Result<IntegrationSummary, StorageError> {
        self.find_row(id, name).await?.into_summary()
    }

    /// Every integration, by name, without secrets (never decrypts).
    pub async fn list_integration_summaries(
        &self,
    ) -> Result<Vec<IntegrationSummary>, StorageError> {
        self.run(move |conn| {
            ri::table
                .order(ri::name.asc())
                .select(IntegrationRow::as_select())
                .load(conn)?
                .into_iter()
                .map(IntegrationRow::into_summary)
                .collect()
        })
        .await
    }

    /// The names of the integrations whose stored secret does not open with the configured key
    /// (none when every secret opens). Start-up refuses to serve with such a key, rather than
    /// failing every later sync.
    pub async fn undecryptable_integrations(&self) -> Result<Vec<String>, StorageError> {
        let key = self.secret_key();
        self.run(move |conn| {
            let rows: Vec<IntegrationRow> = ri::table
                .filter(ri::secret.is_not_null())
                .order(ri::name.asc())
                .select(IntegrationRow::as_select())
                .load(conn)?;
            Ok(rows
                .into_iter()
                .filter_map(|row| {
                    let name = row.name.clone();
                    row.into_integration(key.as_deref()).err().map(|_| name)
                })
                .collect())
        })
        .await
    }

    /// Every integration, by name.
    pub async fn list_integrations(&self) -> Result<Vec<RegistryIntegration>, StorageError> {
        let key = self.secret_key();
        self.run(move |conn| {
            ri::table
                .order(ri::name.asc())
                .select(IntegrationRow::as_select())
                .load(conn)?
                .into_iter()
                .map(|row: IntegrationRow| row.into_integration(key.as_deref()))
                .collect()
        })
        .await
    }

    /// Replaces an integration's stored fields.
    pub async fn update_integration(
        &self,
        integration: &RegistryIntegration,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let row = IntegrationRow::of(integration, self.secret_key().as_deref())?;
        self.write(event, move |conn| {
            let n = diesel::update(ri::table.filter(ri::id.eq(&row.id)))
                .set(&row)
                .execute(conn)?;
            if n == 0 {
                Err(StorageError::NotFound)
            } else {
                Ok(())
            }
        })
        .await
    }

    /// Deletes an integration unless a component still uses it ([`StorageError::ForeignKey`]).
    /// Checked and deleted in one transaction.
    pub async fn delete_integration(
        &self,
        id: Uuid,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let id = id.to_string();
        self.write(event, move |conn| {
            let users: i64 = components::table
                .filter(components::registry_integration_id.eq(&id))
                .count()
                .get_result(conn)?;
            if users > 0 {
                return Err(StorageError::ForeignKey);
            }
            let n = diesel::delete(ri::table.filter(ri::id.eq(&id))).execute(conn)?;
            if n == 0 {
                Err(StorageError::NotFound)
            } else {
                Ok(())
            }
        })
        .await
    }

    /// The row with this id and/or name.
    async fn find_row(
        &self,
        id: Option<Uuid>,
        name: Option<&str>,
    ) -> Result<IntegrationRow, StorageError> {
        let id = id.map(|u| u.to_string());
        let name = name.map(str::to_owned);
        self.run(move |conn| {
            let mut q = ri::table.select(IntegrationRow::as_select()).into_boxed();
            if let Some(id) = id {
                q = q.filter(ri::id.eq(id));
            }
            if let Some(name) = name {
                q = q.filter(ri::name.eq(name));
            }
            Ok(q.first::<IntegrationRow>(conn)?)
        })
        .await
    }
}
