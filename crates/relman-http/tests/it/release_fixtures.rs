//! Components and versions the release tests build on, created through the API.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use relman_domain::Digest;
use serde_json::{Value, json};

use crate::support::{post, send};

/// The digest every fixture tag of a component points at: derived from `component:tag`.
pub fn digest(component: &str, tag: &str) -> String {
    Digest::sha256_of(format!("{component}:{tag}").as_bytes()).to_string()
}

/// The content digest computed independently of the server, from the rule in
/// docs/CONTENT-DIGEST.md: sha256 over `{"members":[{"component":…,"digest":…},…]}` sorted by
/// component name, no whitespace. (The fixture names need no escaping.)
pub fn content_digest(members: &[(&str, &str)]) -> String {
    let mut sorted = members.to_vec();
    sorted.sort();
    let entries: Vec<String> = sorted
        .iter()
        .map(|(c, d)| format!(r#"{{"component":"{c}","digest":"{d}"}}"#))
        .collect();
    let json = format!(r#"{{"members":[{}]}}"#, entries.join(","));
    Digest::sha256_of(json.as_bytes()).to_string()
}

/// Creates component `name` with the given tags as version maps (semver and channel parsed
/// from each tag); returns the component.
pub async fn component<S, B>(app: &S, name: &str, tags: &[&str]) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let c = send(
        app,
        post(
            "/api/v1/components",
            json!({"name": name, "imageRepository": format!("myorg/{name}")}),
        ),
    )
    .await
    .expect(201)
    .body;
    for tag in tags {
        send(
            app,
            post(
                "/api/v1/version-maps",
                json!({"componentId": name, "tag": tag, "digest": digest(name, tag)}),
            ),
        )
        .await
        .expect(201);
    }
    c
}

/// The usual world: `api` (stable 2.3.0, 2.3.1; rc 2.4.0-rc.1), `worker` (stable 1.0.0, 1.1.0)
/// and `db` (stable 15.0.0, default channel stable).
pub async fn world<S, B>(app: &S)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    component(app, "api", &["v2.3.0", "v2.3.1", "v2.4.0-rc.1"]).await;
    component(app, "worker", &["v1.0.0", "v1.1.0"]).await;
    component(app, "db", &["15.0.0"]).await;
}

/// A release request of `name` pinning `api` at `api_version` and `worker` at its latest stable.
pub fn release_body(name: &str, api_version: &str) -> Value {
    json!({
        "name": name,
        "components": [
            {"componentId": "api", "version": api_version},
            {"componentId": "worker", "channel": "stable"}
        ]
    })
}

/// The `field` of every item of a JSON array.
pub fn column<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_str().unwrap())
        .collect()
}
