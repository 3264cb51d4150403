//! Health, readiness, the API document and reference page, metrics, and the update feeds.

use relman_wire::aliases::{FeedLatestBody, FeedListBody};
use relman_wire::meta::HealthResponse;
use reqwest::Method;

use crate::{Client, Error};

impl Client {
    /// `GET /healthz`: the process is up.
    pub async fn health(&self) -> Result<HealthResponse, Error> {
        self.call(Method::GET, &["healthz"]).fetch().await
    }

    /// `GET /readyz`: the server can take traffic.
    pub async fn readiness(&self) -> Result<HealthResponse, Error> {
        self.call(Method::GET, &["readyz"]).fetch().await
    }

    /// `GET /openapi.json`: the API document the server serves.
    pub async fn openapi(&self) -> Result<serde_json::Value, Error> {
        self.call(Method::GET, &["openapi.json"]).fetch().await
    }

    /// `GET /docs`: the HTML reference page.
    pub async fn docs_page(&self) -> Result<String, Error> {
        self.text(&["docs"]).await
    }

    /// `GET /metrics`: the Prometheus text exposition.
    pub async fn metrics(&self) -> Result<String, Error> {
        self.text(&["metrics"]).await
    }

    /// `GET /updates/v1/latest/{resource}.json`: the latest version of a component.
    pub async fn latest_feed(&self, resource: &str) -> Result<FeedLatestBody, Error> {
        let file = format!("{resource}.json");
        self.call(Method::GET, &["updates", "v1", "latest", &file])
            .fetch()
            .await
    }

    /// `GET /updates/v1/major/{major}/{resource}.json`: the minors of a major (`v2`).
    pub async fn major_feed(&self, major: &str, resource: &str) -> Result<FeedListBody, Error> {
        let file = format!("{resource}.json");
        self.call(Method::GET, &["updates", "v1", "major", major, &file])
            .fetch()
            .await
    }

    /// `GET /updates/v1/minor/{minor}/{resource}.json`: the patches of a minor (`2.3`).
    pub async fn minor_feed(&self, minor: &str, resource: &str) -> Result<FeedListBody, Error> {
        let file = format!("{resource}.json");
        self.call(Method::GET, &["updates", "v1", "minor", minor, &file])
            .fetch()
            .await
    }

    async fn text(&self, segments: &[&str]) -> Result<String, Error> {
        let call = self.call(Method::GET, segments);
        let url = call.url().to_string();
        call.send()
            .await?
            .text()
            .await
            .map_err(|source| Error::Transport { url, source })
    }
}
