//! The secret a registry proves in its push notifications, one per integration, sealed like the
//! integration's own credentials.

use diesel::prelude::*;
use relman_domain::AuditEvent;
use uuid::Uuid;

use crate::error::StorageError;
use crate::schema::registry_integrations as ri;
use crate::secrets::{open, seal};
use crate::store::Store;

fn aad(id: &str) -> String {
    format!("{id}:events")
}

impl Store {
    /// Replaces integration `id`'s event secret; [`StorageError::NotFound`] without such an
    /// integration.
    pub async fn set_event_secret(
        &self,
        id: Uuid,
        secret: &str,
        event: &AuditEvent,
    ) -> Result<(), StorageError> {
        let key = self.secret_key();
        let secret = secret.to_owned();
        self.write(event, move |conn| {
            let id = id.to_string();
            let sealed = seal(key.as_deref(), &aad(&id), &secret)?;
            match diesel::update(ri::table.find(&id))
                .set(ri::event_secret.eq(Some(sealed)))
                .execute(conn)?
            {
                0 => Err(StorageError::NotFound),
                _ => Ok(()),
            }
        })
        .await
    }

    /// Integration `id`'s event secret, opened; `None` when none was set.
    pub async fn event_secret(&self, id: Uuid) -> Result<Option<String>, StorageError> {
        let key = self.secret_key();
        self.run(move |conn| {
            let id = id.to_string();
            let stored: Option<String> =
                ri::table.find(&id).select(ri::event_secret).first(conn)?;
            stored
                .map(|s| open(key.as_deref(), &aad(&id), &s))
                .transpose()
        })
        .await
    }
}
