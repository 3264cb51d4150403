//! Release attestations (written once, with the status change that leaves draft) and the
//! attachments pushed next to member images.

use diesel::prelude::*;
use relman_domain::{Attachment, AttachmentStatus, AuditEvent, Digest, StoredAttestation};
use uuid::Uuid;

use crate::codec::{from_micros, parse, to_micros, uuid};
use crate::connection::DbConnection;
use crate::error::StorageError;
use crate::schema::{release_attachments as ra, release_attestations as rt};
use crate::store::Store;

/// What a release's leaving draft writes besides the release: its attestation, and a pending
/// attachment per member image to push.
#[derive(Debug, Clone)]
pub struct Signing {
    /// The envelope and its key.
    pub attestation: StoredAttestation,
    /// One per member image on a registry that takes attachments; status pending.
    pub attachments: Vec<Attachment>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = rt)]
struct AttestationRow {
    release_id: String,
    keyid: String,
    envelope: String,
    signed_at: i64,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = ra)]
struct AttachmentRow {
    release_id: String,
    subject_digest: String,
    image: String,
    integration_id: String,
    repository: String,
    status: String,
    via: Option<String>,
    artifact_digest: Option<String>,
    message: Option<String>,
    updated_at: i64,
}

impl From<&Attachment> for AttachmentRow {
    fn from(a: &Attachment) -> Self {
        Self {
            release_id: a.release_id.to_string(),
            subject_digest: a.subject_digest.to_string(),
            image: a.image.clone(),
            integration_id: a.integration_id.to_string(),
            repository: a.repository.clone(),
            status: a.status.as_str().to_owned(),
            via: a.via.clone(),
            artifact_digest: a.artifact_digest.as_ref().map(ToString::to_string),
            message: a.message.clone(),
            updated_at: to_micros(a.updated_at),
        }
    }
}

impl TryFrom<AttachmentRow> for Attachment {
    type Error = StorageError;

    fn try_from(r: AttachmentRow) -> Result<Self, StorageError> {
        Ok(Self {
            release_id: uuid(&r.release_id)?,
            subject_digest: parse::<Digest>("digest", &r.subject_digest)?,
            image: r.image,
            integration_id: uuid(&r.integration_id)?,
            repository: r.repository,
            status: AttachmentStatus::parse(&r.status).ok_or_else(|| {
                StorageError::Corrupt(format!("attachment status '{}'", r.status))
            })?,
            via: r.via,
            artifact_digest: r
                .artifact_digest
                .map(|d| parse::<Digest>("digest", &d))
                .transpose()?,
            message: r.message,
            updated_at: from_micros(r.updated_at)?,
        })
    }
}

/// Writes `signing` inside the caller's transaction (the one that changes the status).
pub(crate) fn write_signing(
    conn: &mut DbConnection,
    signing: &Signing,
) -> Result<(), StorageError> {
    let a = &signing.attestation;
    diesel::insert_into(rt::table)
        .values(AttestationRow {
            release_id: a.release_id.to_string(),
            keyid: a.keyid.clone(),
            envelope: a.envelope.clone(),
            signed_at: to_micros(a.signed_at),
        })
        .execute(conn)?;
    for attachment in &signing.attachments {
        diesel::insert_into(ra::table)
            .values(AttachmentRow::from(attachment))
            .execute(conn)?;
    }
    Ok(())
}

impl Store {
    /// A release's attestation; [`StorageError::NotFound`] while it has none.
    pub async fn attestation(&self, release_id: Uuid) -> Result<StoredAttestation, StorageError> {
        self.run(move |conn| {
            let row: AttestationRow = rt::table
                .filter(rt::release_id.eq(release_id.to_string()))
                .select(AttestationRow::as_select())
                .first(conn)?;
            Ok(StoredAttestation {
                release_id: uuid(&row.release_id)?,
                keyid: row.keyid,
                envelope: row.envelope,
                signed_at: from_micros(row.signed_at)?,
            })
        })
        .await
    }

    /// A release's attachments, by image and digest.
    pub async fn attachments(&self, release_id: Uuid) -> Result<Vec<Attachment>, StorageError> {
        self.run(move |conn| {
            let rows: Vec<AttachmentRow> = ra::table
                .filter(ra::release_id.eq(release_id.to_string()))
                .order((ra::image.asc(), ra::subject_digest.asc()))
                .select(AttachmentRow::as_select())
                .load(conn)?;
            rows.into_iter().map(Attachment::try_from).collect()
        })
        .await
    }

    /// Records the outcome of one push, with `event` when there is one, in one transaction.
    /// `Ok(false)` when the attachment is gone (its release was deleted meanwhile).
    pub async fn record_attachment(
        &self,
        outcome: &Attachment,
        event: Option<&AuditEvent>,
    ) -> Result<bool, StorageError> {
        let row = AttachmentRow::from(outcome);
        let event = event.cloned();
        self.transact(move |conn| {
            let n = diesel::update(
                ra::table
                    .filter(ra::release_id.eq(&row.release_id))
                    .filter(ra::image.eq(&row.image))
                    .filter(ra::subject_digest.eq(&row.subject_digest)),
            )
            .set((
                ra::status.eq(&row.status),
                ra::via.eq(&row.via),
                ra::artifact_digest.eq(&row.artifact_digest),
                ra::message.eq(&row.message),
                ra::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?;
            if n == 1
                && let Some(event) = &event
            {
                crate::audit::record(conn, event)?;
            }
            Ok(n == 1)
        })
        .await
    }
}
