//! Dashboard sessions: opened at sign-in, checked on every page, ended at sign-out.
//!
//! The browser's cookie carries a random session secret; the store keeps only its SHA-256, so
//! neither the database nor the audit trail holds anything a cookie could be made from.

use std::time::Duration;

use relman_domain::{Actor, AuditEvent};
use relman_storage::StorageError;

use crate::error::ServiceError;
use crate::tokens::token_hash;
use crate::{Service, now};

/// The audit trail's resource type for dashboard sessions.
const RESOURCE: &str = "session";

impl Service {
    /// Opens a session for `actor` lasting `lifetime`; returns its secret, for the cookie only.
    pub async fn open_dashboard_session(
        &self,
        actor: &Actor,
        lifetime: Duration,
    ) -> Result<String, ServiceError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| {
            ServiceError::Storage(StorageError::Corrupt(format!("no randomness: {e}")))
        })?;
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let id = token_hash(&secret);
        let at = now();
        let expires = at + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::zero());
        let event = AuditEvent::new(
            actor,
            at,
            RESOURCE,
            "created",
            &id,
            "signed in to the dashboard",
        );
        self.store
            .insert_dashboard_session(&id, &actor.name, at, expires, &event)
            .await?;
        Ok(secret)
    }

    /// Whether the session of `secret` is open and unexpired.
    pub async fn dashboard_session_live(&self, secret: &str) -> Result<bool, ServiceError> {
        Ok(self
            .store
            .dashboard_session_live(&token_hash(secret), now())
            .await?)
    }

    /// Ends the session of `secret`, wherever its cookie was copied to; ending one already ended
    /// is not an error.
    pub async fn end_dashboard_session(
        &self,
        actor: &Actor,
        secret: &str,
    ) -> Result<(), ServiceError> {
        let id = token_hash(secret);
        let event = AuditEvent::new(
            actor,
            now(),
            RESOURCE,
            "ended",
            &id,
            "signed out of the dashboard",
        );
        match self.store.delete_dashboard_session(&id, &event).await {
            Ok(()) | Err(StorageError::NotFound) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes expired sessions; returns how many.
    pub async fn prune_dashboard_sessions(&self) -> Result<usize, ServiceError> {
        Ok(self.store.prune_dashboard_sessions(now()).await?)
    }
}
