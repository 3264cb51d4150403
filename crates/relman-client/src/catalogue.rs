//! Components, their versions and floating tags, version maps, and registry integrations.

use relman_wire::aliases::{AliasResponse, ApplyAliasesRequest, ApplyAliasesResponse};
use relman_wire::components::{ComponentResponse, CreateComponentRequest, UpdateComponentRequest};
use relman_wire::integrations::{
    CreateIntegrationRequest, IntegrationResponse, IntegrationTestResponse,
    UpdateIntegrationRequest,
};
use relman_wire::slice::SliceParams;
use relman_wire::sync_jobs::SyncJobResponse;
use relman_wire::versions::{
    CreateVersionMapRequest, RetagResponse, SyncParams, SyncRequest, SyncResponse,
    VersionMapParams, VersionResponse, VersionsParams, YankRequest,
};
use reqwest::Method;

use crate::transport::api as path;
use crate::{Client, Error, Listed};

impl Client {
    /// `GET /api/v1/components`.
    pub async fn list_components(&self) -> Result<Vec<ComponentResponse>, Error> {
        self.call(Method::GET, &path(&["components"])).fetch().await
    }

    /// `POST /api/v1/components`.
    pub async fn create_component(
        &self,
        body: &CreateComponentRequest,
    ) -> Result<ComponentResponse, Error> {
        self.call(Method::POST, &path(&["components"]))
            .json(body)?
            .fetch()
            .await
    }

    /// `GET /api/v1/components/{id}` (id or name).
    pub async fn get_component(&self, id: &str) -> Result<ComponentResponse, Error> {
        self.call(Method::GET, &path(&["components", id]))
            .fetch()
            .await
    }

    /// `PUT /api/v1/components/{id}`: only the fields given change.
    pub async fn update_component(
        &self,
        id: &str,
        body: &UpdateComponentRequest,
    ) -> Result<ComponentResponse, Error> {
        self.call(Method::PUT, &path(&["components", id]))
            .json(body)?
            .fetch()
            .await
    }

    /// `DELETE /api/v1/components/{id}`.
    pub async fn delete_component(&self, id: &str) -> Result<(), Error> {
        self.call(Method::DELETE, &path(&["components", id]))
            .empty()
            .await
    }

    /// `GET /api/v1/components/{id}/versions`: one page, newest first.
    pub async fn list_component_versions(
        &self,
        id: &str,
        params: &VersionsParams,
    ) -> Result<Listed<VersionResponse>, Error> {
        self.call(Method::GET, &path(&["components", id, "versions"]))
            .query(params)?
            .listed()
            .await
    }

    /// `POST /api/v1/components/{id}/sync-versions`, answered when the sync is done.
    pub async fn sync_component_versions(
        &self,
        id: &str,
        params: &SyncParams,
        body: &SyncRequest,
    ) -> Result<SyncResponse, Error> {
        // A sync is safe to repeat: it converges on the registry's state.
        self.call(Method::POST, &path(&["components", id, "sync-versions"]))
            .query(params)?
            .json(body)?
            .idempotent()
            .without_timeout()
            .fetch()
            .await
    }

    /// `POST /api/v1/components/{id}/sync-versions` with `Prefer: respond-async`: starts the sync
    /// as a job (or joins the one running) and answers at once; poll it with
    /// [`Client::get_sync_job`].
    pub async fn start_sync_job(
        &self,
        id: &str,
        body: &SyncRequest,
    ) -> Result<SyncJobResponse, Error> {
        self.call(Method::POST, &path(&["components", id, "sync-versions"]))
            .header("prefer", "respond-async")?
            .json(body)?
            .idempotent()
            .fetch()
            .await
    }

    /// `GET /api/v1/sync-jobs/{id}`: a sync job's progress, and its report at the end.
    pub async fn get_sync_job(&self, id: &str) -> Result<SyncJobResponse, Error> {
        self.call(Method::GET, &path(&["sync-jobs", id]))
            .fetch()
            .await
    }

    /// `POST /api/v1/components/{id}/versions/{tag}/yank`.
    pub async fn yank_version(
        &self,
        id: &str,
        tag: &str,
        body: &YankRequest,
    ) -> Result<VersionResponse, Error> {
        self.call(
            Method::POST,
            &path(&["components", id, "versions", tag, "yank"]),
        )
        .json(body)?
        .idempotent()
        .fetch()
        .await
    }

    /// `POST /api/v1/components/{id}/versions/{tag}/unyank`.
    pub async fn unyank_version(&self, id: &str, tag: &str) -> Result<VersionResponse, Error> {
        self.call(
            Method::POST,
            &path(&["components", id, "versions", tag, "unyank"]),
        )
        .idempotent()
        .fetch()
        .await
    }

    /// `GET /api/v1/components/{id}/retags`: tags that moved to another digest.
    pub async fn list_component_retags(
        &self,
        id: &str,
        params: &SliceParams,
    ) -> Result<Listed<RetagResponse>, Error> {
        self.call(Method::GET, &path(&["components", id, "retags"]))
            .query(params)?
            .listed()
            .await
    }

    /// `GET /api/v1/components/{id}/aliases`: the floating tags as computed now.
    pub async fn list_component_aliases(&self, id: &str) -> Result<Vec<AliasResponse>, Error> {
        self.call(Method::GET, &path(&["components", id, "aliases"]))
            .fetch()
            .await
    }

    /// `POST /api/v1/components/{id}/aliases/apply`: pushes the floating tags to the registry.
    pub async fn apply_component_aliases(
        &self,
        id: &str,
        body: &ApplyAliasesRequest,
    ) -> Result<ApplyAliasesResponse, Error> {
        self.call(Method::POST, &path(&["components", id, "aliases", "apply"]))
            .json(body)?
            .idempotent()
            .fetch()
            .await
    }

    /// `GET /api/v1/version-maps`.
    pub async fn list_version_maps(
        &self,
        params: &VersionMapParams,
    ) -> Result<Listed<VersionResponse>, Error> {
        self.call(Method::GET, &path(&["version-maps"]))
            .query(params)?
            .listed()
            .await
    }

    /// `POST /api/v1/version-maps`: records (or re-records) a version of a component by hand.
    pub async fn create_version_map(
        &self,
        body: &CreateVersionMapRequest,
    ) -> Result<VersionResponse, Error> {
        self.call(Method::POST, &path(&["version-maps"]))
            .json(body)?
            .idempotent()
            .fetch()
            .await
    }

    /// `GET /api/v1/registry-integrations`.
    pub async fn list_integrations(&self) -> Result<Vec<IntegrationResponse>, Error> {
        self.call(Method::GET, &path(&["registry-integrations"]))
            .fetch()
            .await
    }

    /// `POST /api/v1/registry-integrations`.
    pub async fn create_integration(
        &self,
        body: &CreateIntegrationRequest,
    ) -> Result<IntegrationResponse, Error> {
        self.call(Method::POST, &path(&["registry-integrations"]))
            .json(body)?
            .fetch()
            .await
    }

    /// `GET /api/v1/registry-integrations/{id}`.
    pub async fn get_integration(&self, id: &str) -> Result<IntegrationResponse, Error> {
        self.call(Method::GET, &path(&["registry-integrations", id]))
            .fetch()
            .await
    }

    /// `PUT /api/v1/registry-integrations/{id}`.
    pub async fn update_integration(
        &self,
        id: &str,
        body: &UpdateIntegrationRequest,
    ) -> Result<IntegrationResponse, Error> {
        self.call(Method::PUT, &path(&["registry-integrations", id]))
            .json(body)?
            .fetch()
            .await
    }

    /// `DELETE /api/v1/registry-integrations/{id}`.
    pub async fn delete_integration(&self, id: &str) -> Result<(), Error> {
        self.call(Method::DELETE, &path(&["registry-integrations", id]))
            .empty()
            .await
    }

    /// `POST /api/v1/registry-integrations/{id}/test`: checks the registry answers and the
    /// credentials work.
    pub async fn test_integration(&self, id: &str) -> Result<IntegrationTestResponse, Error> {
        self.call(Method::POST, &path(&["registry-integrations", id, "test"]))
            .idempotent()
            .fetch()
            .await
    }
}
