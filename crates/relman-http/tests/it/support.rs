use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use relman_http::{AppState, Authenticator, HttpSettings};
use relman_service::Service as RelmanService;
use relman_storage::Store;
use serde_json::Value;

pub const TOKEN: &str = "test-admin-token";
pub const DIGEST_A: &str =
    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const DIGEST_B: &str =
    "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

pub fn state(store: Store, max_body_bytes: usize) -> AppState {
    AppState::new(
        // Webhook receivers and registries of the tests listen on loopback.
        RelmanService::with_registry_connector(
            store,
            std::sync::Arc::new(relman_service::HttpConnector::new(
                relman_test_support::registry::loopback_egress(),
            )),
        )
        .with_egress(relman_egress::EgressPolicy::default().allowing_loopback()),
        Authenticator::with_admin_token(TOKEN),
        &HttpSettings {
            max_body_bytes,
            ..HttpSettings::default()
        },
    )
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Reply {
    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.raw)
        );
        self
    }

    /// Asserts a problem+json error with this status and code.
    #[track_caller]
    pub fn problem(self, status: u16, code: &str) -> Self {
        let this = self.expect(status);
        assert_eq!(
            this.headers.get("content-type").unwrap(),
            "application/problem+json"
        );
        assert_eq!(this.body["code"], code, "body: {}", this.body);
        assert_eq!(this.body["status"], status);
        assert!(this.body["type"].as_str().unwrap().ends_with(code));
        this
    }

    /// The field names of a validation problem.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    }
}

pub async fn send<S, B>(app: &S, req: TestRequest) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let raw = test::read_body(res).await.to_vec();
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        raw,
    }
}

/// A component `api` on `myorg/api` (no registry).
pub async fn component<S, B>(app: &S)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(
        app,
        post(
            "/api/v1/components",
            serde_json::json!({"name": "api", "imageRepository": "myorg/api"}),
        ),
    )
    .await
    .expect(201);
}

/// An integration named `reg` at `url` with `auth`, and a component `api` on `myorg/api` using it
/// (named by the integration's name; the component answers with its id).
pub async fn component_on_registry<S, B>(app: &S, url: &str, auth: Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let body = serde_json::json!({"name": "reg", "url": url, "insecure": true, "auth": auth});
    send(app, post("/api/v1/registry-integrations", body))
        .await
        .expect(201);
    let i = send(app, get("/api/v1/registry-integrations/reg"))
        .await
        .expect(200)
        .body;
    let c = send(
        app,
        post(
            "/api/v1/components",
            serde_json::json!({"name": "api", "imageRepository": "myorg/api", "registryIntegrationId": "reg"}),
        ),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(c["registryIntegrationId"], i["id"]);
}

/// An authenticated request with an optional JSON body.
pub fn req(method: Method, path: &str, body: Option<Value>) -> TestRequest {
    let r = TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header(("authorization", format!("Bearer {TOKEN}")));
    match body {
        Some(b) => r
            .insert_header(("content-type", "application/json"))
            .set_payload(b.to_string()),
        None => r,
    }
}

pub fn get(path: &str) -> TestRequest {
    req(Method::GET, path, None)
}

pub fn post(path: &str, body: Value) -> TestRequest {
    req(Method::POST, path, Some(body))
}

pub fn put(path: &str, body: Value) -> TestRequest {
    req(Method::PUT, path, Some(body))
}

/// Starts the app over a store; `$app` is bound to the initialised service.
#[macro_export]
macro_rules! app {
    ($store:expr) => {
        actix_web::test::init_service(relman_http::app($crate::support::state($store, 64 * 1024)))
            .await
    };
    ($store:expr, $limit:expr) => {
        actix_web::test::init_service(relman_http::app($crate::support::state($store, $limit)))
            .await
    };
}
