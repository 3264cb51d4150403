//! Environments, promotions and deployments; tokens and the audit log.

use relman_wire::audit::{AuditEventListResponse, AuditEventParams};
use relman_wire::deployments::{
    CompleteDeploymentRequest, DeploymentListParams, DeploymentListResponse, DeploymentResponse,
    PromoteRequest,
};
use relman_wire::environments::{
    CreateEnvironmentRequest, EnvironmentResponse, UpdateEnvironmentRequest,
};
use relman_wire::releases::ReleaseResponse;
use relman_wire::tokens::{
    CreateTokenRequest, CreatedTokenResponse, TokenResponse, WhoAmIResponse,
};
use reqwest::Method;

use crate::transport::api as path;
use crate::{Client, Error};

impl Client {
    /// `GET /api/v1/environments`, in promotion order.
    pub async fn list_environments(&self) -> Result<Vec<EnvironmentResponse>, Error> {
        self.call(Method::GET, &path(&["environments"]))
            .fetch()
            .await
    }

    /// `POST /api/v1/environments`.
    pub async fn create_environment(
        &self,
        body: &CreateEnvironmentRequest,
    ) -> Result<EnvironmentResponse, Error> {
        self.call(Method::POST, &path(&["environments"]))
            .json(body)?
            .fetch()
            .await
    }

    /// `GET /api/v1/environments/{id}` (id or name).
    pub async fn get_environment(&self, id: &str) -> Result<EnvironmentResponse, Error> {
        self.call(Method::GET, &path(&["environments", id]))
            .fetch()
            .await
    }

    /// `PUT /api/v1/environments/{id}`.
    pub async fn update_environment(
        &self,
        id: &str,
        body: &UpdateEnvironmentRequest,
    ) -> Result<EnvironmentResponse, Error> {
        self.call(Method::PUT, &path(&["environments", id]))
            .json(body)?
            .fetch()
            .await
    }

    /// `DELETE /api/v1/environments/{id}`.
    pub async fn delete_environment(&self, id: &str) -> Result<(), Error> {
        self.call(Method::DELETE, &path(&["environments", id]))
            .empty()
            .await
    }

    /// `GET /api/v1/environments/{id}/current`: the release deployed there now.
    pub async fn get_current_release(&self, id: &str) -> Result<ReleaseResponse, Error> {
        self.call(Method::GET, &path(&["environments", id, "current"]))
            .fetch()
            .await
    }

    /// `POST /api/v1/releases/{id}/promote`: opens a deployment of the release.
    pub async fn promote_release(
        &self,
        id: &str,
        body: &PromoteRequest,
    ) -> Result<DeploymentResponse, Error> {
        self.call(Method::POST, &path(&["releases", id, "promote"]))
            .json(body)?
            .fetch()
            .await
    }

    /// `GET /api/v1/deployments`.
    pub async fn list_deployments(
        &self,
        params: &DeploymentListParams,
    ) -> Result<DeploymentListResponse, Error> {
        self.call(Method::GET, &path(&["deployments"]))
            .query(params)?
            .fetch()
            .await
    }

    /// `GET /api/v1/deployments/{id}`.
    pub async fn get_deployment(&self, id: &str) -> Result<DeploymentResponse, Error> {
        self.call(Method::GET, &path(&["deployments", id]))
            .fetch()
            .await
    }

    /// `POST /api/v1/deployments/{id}/complete`: reports how the deployment ended.
    pub async fn complete_deployment(
        &self,
        id: &str,
        body: &CompleteDeploymentRequest,
    ) -> Result<DeploymentResponse, Error> {
        self.call(Method::POST, &path(&["deployments", id, "complete"]))
            .json(body)?
            .fetch()
            .await
    }

    /// `GET /api/v1/whoami`: who the client's token belongs to.
    pub async fn whoami(&self) -> Result<WhoAmIResponse, Error> {
        self.call(Method::GET, &path(&["whoami"])).fetch().await
    }

    /// `GET /api/v1/tokens`.
    pub async fn list_tokens(&self) -> Result<Vec<TokenResponse>, Error> {
        self.call(Method::GET, &path(&["tokens"])).fetch().await
    }

    /// `POST /api/v1/tokens`: the answer holds the secret, shown this once.
    pub async fn create_token(
        &self,
        body: &CreateTokenRequest,
    ) -> Result<CreatedTokenResponse, Error> {
        self.call(Method::POST, &path(&["tokens"]))
            .json(body)?
            .fetch()
            .await
    }

    /// `GET /api/v1/tokens/{id}`.
    pub async fn get_token(&self, id: &str) -> Result<TokenResponse, Error> {
        self.call(Method::GET, &path(&["tokens", id])).fetch().await
    }

    /// `DELETE /api/v1/tokens/{id}`: revokes the token.
    pub async fn delete_token(&self, id: &str) -> Result<(), Error> {
        self.call(Method::DELETE, &path(&["tokens", id]))
            .empty()
            .await
    }

    /// `GET /api/v1/audit-events`.
    pub async fn list_audit_events(
        &self,
        params: &AuditEventParams,
    ) -> Result<AuditEventListResponse, Error> {
        self.call(Method::GET, &path(&["audit-events"]))
            .query(params)?
            .fetch()
            .await
    }
}
