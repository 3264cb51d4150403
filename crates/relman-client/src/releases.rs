//! Releases: create, read, change, compare, notes, and their signatures.

use relman_wire::release_list::{ReleaseListParams, ReleaseListResponse};
use relman_wire::release_notes::{GenerateNotesRequest, GeneratedNotesResponse};
use relman_wire::release_reports::{ComparisonResponse, ReleaseStateResponse};
use relman_wire::releases::{
    CreateReleaseRequest, DeprecateRequest, FromLatestRequest, ReleaseResponse,
    UpdateReleaseRequest,
};
use relman_wire::signing::{AttachmentResponse, EnvelopeResponse, SigningKeyResponse};
use reqwest::Method;

use crate::transport::api as path;
use crate::{Client, Error};

impl Client {
    /// `GET /api/v1/releases`: one page, newest first.
    pub async fn list_releases(
        &self,
        params: &ReleaseListParams,
    ) -> Result<ReleaseListResponse, Error> {
        self.call(Method::GET, &path(&["releases"]))
            .query(params)?
            .fetch()
            .await
    }

    /// `POST /api/v1/releases`. Creating the same release again answers the existing one.
    pub async fn create_release(
        &self,
        body: &CreateReleaseRequest,
    ) -> Result<ReleaseResponse, Error> {
        self.call(Method::POST, &path(&["releases"]))
            .json(body)?
            .fetch()
            .await
    }

    /// `POST /api/v1/releases/from-latest`: every member at its latest version.
    pub async fn create_release_from_latest(
        &self,
        body: &FromLatestRequest,
    ) -> Result<ReleaseResponse, Error> {
        self.call(Method::POST, &path(&["releases", "from-latest"]))
            .json(body)?
            .fetch()
            .await
    }

    /// `GET /api/v1/releases/latest`.
    pub async fn get_latest_release(&self) -> Result<ReleaseResponse, Error> {
        self.call(Method::GET, &path(&["releases", "latest"]))
            .fetch()
            .await
    }

    /// `GET /api/v1/releases/{id}` (id or name).
    pub async fn get_release(&self, id: &str) -> Result<ReleaseResponse, Error> {
        self.call(Method::GET, &path(&["releases", id]))
            .fetch()
            .await
    }

    /// `PUT /api/v1/releases/{id}`: members while draft, status, notes.
    pub async fn update_release(
        &self,
        id: &str,
        body: &UpdateReleaseRequest,
    ) -> Result<ReleaseResponse, Error> {
        self.call(Method::PUT, &path(&["releases", id]))
            .json(body)?
            .fetch()
            .await
    }

    /// `DELETE /api/v1/releases/{id}`.
    pub async fn delete_release(&self, id: &str) -> Result<(), Error> {
        self.call(Method::DELETE, &path(&["releases", id]))
            .empty()
            .await
    }

    /// `POST /api/v1/releases/{id}/deprecate`.
    pub async fn deprecate_release(
        &self,
        id: &str,
        body: &DeprecateRequest,
    ) -> Result<ReleaseResponse, Error> {
        self.call(Method::POST, &path(&["releases", id, "deprecate"]))
            .json(body)?
            .idempotent()
            .fetch()
            .await
    }

    /// `GET /api/v1/releases/{id}/compare/{otherId}`: what changed from `other` to `id`.
    pub async fn compare_releases(
        &self,
        id: &str,
        other: &str,
    ) -> Result<ComparisonResponse, Error> {
        self.call(Method::GET, &path(&["releases", id, "compare", other]))
            .fetch()
            .await
    }

    /// `POST /api/v1/releases/{id}/generate-notes`.
    pub async fn generate_release_notes(
        &self,
        id: &str,
        body: &GenerateNotesRequest,
    ) -> Result<GeneratedNotesResponse, Error> {
        self.call(Method::POST, &path(&["releases", id, "generate-notes"]))
            .json(body)?
            .fetch()
            .await
    }

    /// `GET /api/v1/releases/{id}/state`: where the release is deployed.
    pub async fn get_release_state(&self, id: &str) -> Result<ReleaseStateResponse, Error> {
        self.call(Method::GET, &path(&["releases", id, "state"]))
            .fetch()
            .await
    }

    /// `GET /api/v1/releases/{id}/attestation`: the signed DSSE envelope.
    pub async fn get_release_attestation(&self, id: &str) -> Result<EnvelopeResponse, Error> {
        self.call(Method::GET, &path(&["releases", id, "attestation"]))
            .fetch()
            .await
    }

    /// `GET /api/v1/releases/{id}/attachments`: where the attestation was pushed.
    pub async fn list_release_attachments(
        &self,
        id: &str,
    ) -> Result<Vec<AttachmentResponse>, Error> {
        self.call(Method::GET, &path(&["releases", id, "attachments"]))
            .fetch()
            .await
    }

    /// `POST /api/v1/releases/{id}/attachments/push`: pushes what is missing again.
    pub async fn push_release_attachments(
        &self,
        id: &str,
    ) -> Result<Vec<AttachmentResponse>, Error> {
        self.call(
            Method::POST,
            &path(&["releases", id, "attachments", "push"]),
        )
        .idempotent()
        .fetch()
        .await
    }

    /// `GET /api/v1/signing-keys`.
    pub async fn list_signing_keys(&self) -> Result<Vec<SigningKeyResponse>, Error> {
        self.call(Method::GET, &path(&["signing-keys"]))
            .fetch()
            .await
    }

    /// `POST /api/v1/signing-keys/rotate`.
    pub async fn rotate_signing_key(&self) -> Result<SigningKeyResponse, Error> {
        self.call(Method::POST, &path(&["signing-keys", "rotate"]))
            .fetch()
            .await
    }
}
