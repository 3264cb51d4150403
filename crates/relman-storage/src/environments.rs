//! Environment rows and queries.

use diesel::prelude::*;
use relman_domain::{AuditEvent, Environment, EnvironmentName};
use uuid::Uuid;

use crate::audit;
use crate::codec::{from_micros, parse, to_micros, uuid};
use crate::error::StorageError;
use crate::schema::environments;
use crate::store::Store;

/// The columns clients own. `current_deployment_id` is left out on purpose: only a completed
/// deployment moves it, so an environment update can never overwrite it.
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = environments)]
pub(crate) struct EnvironmentRow {
    id: String,
    name: String,
    display_name: String,
    sort_order: i32,
    requires_previous: bool,
    created_at: i64,
    updated_at: i64,
}

impl From<&Environment> for EnvironmentRow {
    fn from(e: &Environment) -> Self {
        Self {
            id: e.id.to_string(),
            name: e.name.to_string(),
            display_name: e.display_name.clone(),
            sort_order: e.order,
            requires_previous: e.requires_previous,
            created_at: to_micros(e.created_at),
            updated_at: to_micros(e.updated_at),
        }
    }
}

impl TryFrom<EnvironmentRow> for Environment {
    type Error = StorageError;

    fn try_from(r: EnvironmentRow) -> Result<Self, StorageError> {
        Ok(Environment {
            id: uuid(&r.id)?,
            name: parse::<EnvironmentName>("environment name", &r.name)?,
            display_name: r.display_name,
            order: r.sort_order,
            requires_previous: r.requires_previous,
            created_at: from_micros(r.created_at)?,
            updated_at: from_micros(r.updated_at)?,
        })
    }
}

impl Store {
    /// Inserts an environment and its audit event in one transaction. A taken name or order is
    /// [`StorageError::Conflict`] naming `environments_name_key` or `environments_order_key`
    /// (SQLite names the column, `environments.name` or `environments.sort_order`, instead).
    pub async fn insert_environment(
        &self,
        environment: &Environment,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let row = EnvironmentRow::from(environment);
        let event = event.clone();
        self.transact(move |conn| {
            diesel::insert_into(environments::table)
                .values(&row)
                .execute(conn)?;
            audit::record(conn, &event)
        })
        .await
    }

    /// An environment by id.
    pub async fn environment_by_id(&self, id: Uuid) -> Result<Environment, StorageError> {
        let id = id.to_string();
        self.run(move |conn| {
            let row = environments::table
                .filter(environments::id.eq(&id))
                .select(EnvironmentRow::as_select())
                .first(conn)?;
            Environment::try_from(row)
        })
        .await
    }

    /// An environment by name.
    pub async fn environment_by_name(&self, name: &str) -> Result<Environment, StorageError> {
        let name = name.to_owned();
        self.run(move |conn| {
            let row = environments::table
                .filter(environments::name.eq(&name))
                .select(EnvironmentRow::as_select())
                .first(conn)?;
            Environment::try_from(row)
        })
        .await
    }

    /// Every environment, in promotion order.
    pub async fn list_environments(&self) -> Result<Vec<Environment>, StorageError> {
        self.run(|conn| {
            environments::table
                .order(environments::sort_order.asc())
                .select(EnvironmentRow::as_select())
                .load(conn)?
                .into_iter()
                .map(Environment::try_from)
                .collect()
        })
        .await
    }

    /// Replaces an environment's client-owned fields and records the event, in one transaction.
    /// A taken name or order is [`StorageError::Conflict`]; a vanished row
    /// [`StorageError::NotFound`] (and no event).
    pub async fn update_environment(
        &self,
        environment: &Environment,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let row = EnvironmentRow::from(environment);
        let event = event.clone();
        self.transact(move |conn| {
            let n = diesel::update(environments::table.filter(environments::id.eq(&row.id)))
                .set(&row)
                .execute(conn)?;
            if n == 0 {
                return Err(StorageError::NotFound);
            }
            audit::record(conn, &event)
        })
        .await
    }

    /// Deletes an environment and records the event, in one transaction. Deployment history
    /// refuses it with [`StorageError::ForeignKey`] (and no event).
    pub async fn delete_environment(
        &self,
        id: Uuid,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let id = id.to_string();
        let event = event.clone();
        self.transact(move |conn| {
            let n = diesel::delete(environments::table.filter(environments::id.eq(&id)))
                .execute(conn)?;
            if n == 0 {
                return Err(StorageError::NotFound);
            }
            audit::record(conn, &event)
        })
        .await
    }
}
