//! Component rows and queries.

use diesel::prelude::*;
use relman_domain::{
    AuditEvent, Channel, ChannelRule, ChannelRules, Component, ComponentName, LatestAlias,
    TagPattern, VersioningStrategy,
};
use uuid::Uuid;

use crate::codec::{from_micros, json, parse, to_json, to_micros, uuid};
use crate::error::StorageError;
use crate::schema::components;
use crate::store::Store;

// Deserialize: the one-statement member read on PostgreSQL returns the row as JSON
// (`release_session.rs`).
#[derive(Queryable, Selectable, Insertable, AsChangeset, serde::Deserialize)]
#[diesel(table_name = components)]
#[diesel(treat_none_as_null = true)]
pub(crate) struct ComponentRow {
    id: String,
    name: String,
    display_name: String,
    image_repository: String,
    registry_integration_id: Option<String>,
    versioning_strategy: String,
    default_channel: String,
    tag_pattern: Option<String>,
    channel_rules: String,
    sync_interval_seconds: Option<i32>,
    record_pushed_at: bool,
    latest_alias: String,
    created_at: i64,
    updated_at: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRule {
    pattern: String,
    channel: String,
}

impl From<&Component> for ComponentRow {
    fn from(c: &Component) -> Self {
        let rules: Vec<StoredRule> = c
            .channel_rules
            .0
            .iter()
            .map(|r| StoredRule {
                pattern: r.pattern().to_owned(),
                channel: r.channel().to_string(),
            })
            .collect();
        Self {
            id: c.id.to_string(),
            name: c.name.to_string(),
            display_name: c.display_name.clone(),
            image_repository: c.image_repository.clone(),
            registry_integration_id: c.registry_integration_id.map(|u| u.to_string()),
            versioning_strategy: c.versioning_strategy.as_str().to_owned(),
            default_channel: c.default_channel.to_string(),
            tag_pattern: c.tag_pattern.as_ref().map(|p| p.as_str().to_owned()),
            channel_rules: to_json(&rules),
            // The domain bounds it to a week, far inside i32; saturate rather than wrap.
            sync_interval_seconds: c
                .sync_interval_seconds
                .map(|s| i32::try_from(s).unwrap_or(i32::MAX)),
            record_pushed_at: c.record_pushed_at,
            latest_alias: c.latest_alias.as_str().to_owned(),
            created_at: to_micros(c.created_at),
            updated_at: to_micros(c.updated_at),
        }
    }
}

impl TryFrom<ComponentRow> for Component {
    type Error = StorageError;

    fn try_from(r: ComponentRow) -> Result<Self, StorageError> {
        let rules: Vec<StoredRule> = json("channel_rules", &r.channel_rules)?;
        let rules = rules
            .iter()
            .map(|s| ChannelRule::new(&s.pattern, &s.channel))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StorageError::Corrupt(format!("channel rule: {e}")))?;
        let tag_pattern = r
            .tag_pattern
            .as_deref()
            .map(TagPattern::new)
            .transpose()
            .map_err(|e| StorageError::Corrupt(format!("tag pattern: {e}")))?;
        Ok(Component {
            id: uuid(&r.id)?,
            name: parse::<ComponentName>("component name", &r.name)?,
            display_name: r.display_name,
            image_repository: r.image_repository,
            registry_integration_id: r.registry_integration_id.as_deref().map(uuid).transpose()?,
            versioning_strategy: parse::<VersioningStrategy>(
                "versioning strategy",
                &r.versioning_strategy,
            )?,
            default_channel: parse::<Channel>("channel", &r.default_channel)?,
            tag_pattern,
            channel_rules: ChannelRules(rules),
            sync_interval_seconds: r
                .sync_interval_seconds
                .map(u32::try_from)
                .transpose()
                .map_err(|_| StorageError::Corrupt("negative sync interval".into()))?,
            record_pushed_at: r.record_pushed_at,
            latest_alias: parse::<LatestAlias>("latest alias", &r.latest_alias)?,
            created_at: from_micros(r.created_at)?,
            updated_at: from_micros(r.updated_at)?,
        })
    }
}

impl Store {
    /// Inserts a new component; a taken name is [`StorageError::Conflict`].
    pub async fn insert_component(
        &self,
        component: &Component,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let row = ComponentRow::from(component);
        self.write(event, move |conn| {
            diesel::insert_into(components::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    /// A component by id.
    pub async fn component_by_id(&self, id: Uuid) -> Result<Component, StorageError> {
        let id = id.to_string();
        self.run(move |conn| {
            let row = components::table
                .filter(components::id.eq(&id))
                .select(ComponentRow::as_select())
                .first(conn)?;
            Component::try_from(row)
        })
        .await
    }

    /// A component by name.
    pub async fn component_by_name(&self, name: &str) -> Result<Component, StorageError> {
        let name = name.to_owned();
        self.run(move |conn| {
            let row = components::table
                .filter(components::name.eq(&name))
                .select(ComponentRow::as_select())
                .first(conn)?;
            Component::try_from(row)
        })
        .await
    }

    /// Every component, by name.
    pub async fn list_components(&self) -> Result<Vec<Component>, StorageError> {
        self.run(|conn| {
            components::table
                .order(components::name.asc())
                .select(ComponentRow::as_select())
                .load(conn)?
                .into_iter()
                .map(Component::try_from)
                .collect()
        })
        .await
    }

    /// Replaces a component's stored fields; a taken name is [`StorageError::Conflict`].
    pub async fn update_component(
        &self,
        component: &Component,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let row = ComponentRow::from(component);
        self.write(event, move |conn| {
            let n = diesel::update(components::table.filter(components::id.eq(&row.id)))
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

    /// Deletes a component and its versions.
    pub async fn delete_component(&self, id: Uuid, event: &AuditEvent) -> Result<(), StorageError> {
        let id = id.to_string();
        self.write(event, move |conn| {
            let n =
                diesel::delete(components::table.filter(components::id.eq(&id))).execute(conn)?;
            if n == 0 {
                Err(StorageError::NotFound)
            } else {
                Ok(())
            }
        })
        .await
    }
}
