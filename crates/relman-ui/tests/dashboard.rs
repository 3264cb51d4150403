//! The dashboard in-process, as a browser drives it, over a fresh database per test (SQLite and
//! PostgreSQL): sign-in and sign-out with server-side sessions, CSRF, scopes, escaping, the site
//! icon and the token's rate limit. The browser itself is exercised by `scripts/ui/run`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::test::{self, TestRequest};
use relman_http::{AppState, Authenticator, HttpSettings};
use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_ui::UiKeys;
use serde_json::{Value, json};

backend_tests!(
    signing_out_ends_the_session_for_every_copy_of_the_cookie,
    refused_sign_ins_are_audited_without_the_secret,
    forms_without_this_sessions_csrf_token_are_refused,
    a_read_token_sees_no_actions_and_is_refused_them,
    names_and_notes_render_as_text,
    the_site_icon_is_public_and_refuses_nobody,
    pages_spend_the_tokens_rate_limit,
);

const ADMIN: &str = "dashboard-admin-token";
const FORM: &str = "application/x-www-form-urlencoded";

macro_rules! app {
    ($store:expr) => {
        test::init_service(
            relman_http::app(AppState::new(
                relman_service::Service::new($store),
                Authenticator::with_admin_token(ADMIN),
                &HttpSettings::default(),
            ))
            .service(relman_ui::scope(UiKeys::derive(b"test secret")))
            .service(relman_ui::favicon),
        )
        .await
    };
}

/// A response, read whole.
struct Reply {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or(""))
    }

    /// The `Set-Cookie` line for `name`.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The value of the first form's CSRF field.
    fn csrf(&self) -> String {
        let at = self
            .text
            .find(r#"name="_csrf" value=""#)
            .unwrap_or_else(|| panic!("no _csrf field in {}", self.text));
        let rest = &self.text[at + r#"name="_csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

async fn send<S, B>(app: &S, req: TestRequest) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = test::read_body(res).await;
    Reply {
        status,
        headers,
        text: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn api(method: &str, path: &str, body: Option<Value>) -> TestRequest {
    let r = TestRequest::default()
        .method(method.parse().unwrap())
        .uri(path)
        .insert_header(("authorization", format!("Bearer {ADMIN}")));
    match body {
        Some(b) => r
            .insert_header(("content-type", "application/json"))
            .set_payload(b.to_string()),
        None => r,
    }
}

async fn api_json<S, B>(app: &S, method: &str, path: &str, body: Option<Value>) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = send(app, api(method, path, body)).await;
    assert!(
        r.status < 300,
        "{method} {path} -> {}: {}",
        r.status,
        r.text
    );
    serde_json::from_str(&r.text).unwrap_or(Value::Null)
}

/// The `name=value` part of a `Set-Cookie` line.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

fn page(path: &str, cookie: &str) -> TestRequest {
    TestRequest::get()
        .uri(path)
        .insert_header(("cookie", cookie.to_owned()))
}

fn form(path: &str, cookie: &str, body: &str) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(("cookie", cookie.to_owned()))
        .insert_header(("content-type", FORM))
        .insert_header(("sec-fetch-site", "same-origin"))
        .set_payload(body.to_owned())
}

/// Signs in with `token` through the sign-in form; the reply to the form's post, and the session
/// cookie (`relman_session=…`) when it set one.
async fn sign_in<S, B>(app: &S, token: &str) -> (Reply, Option<String>)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let shown = send(app, TestRequest::get().uri("/ui/sign-in")).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    let binding = pair(
        &shown
            .set_cookie("relman_sign_in")
            .expect("a sign-in cookie"),
    );
    let body = format!("token={token}&_csrf={}", shown.csrf());
    let reply = send(app, form("/ui/sign-in", &binding, &body)).await;
    let session = reply.set_cookie("relman_session").map(|c| pair(&c));
    (reply, session)
}

async fn audit_actions<S, B>(app: &S, action: &str) -> Vec<Value>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let page = api_json(
        app,
        "GET",
        &format!("/api/v1/audit-events?action={action}&pageSize=100"),
        None,
    )
    .await;
    page["data"].as_array().unwrap().clone()
}

/// A component `api` with tag `v1.0.0`, environment `dev` and release `r1` (ready).
async fn world<S, B>(app: &S, display_name: &str, notes: &str)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let c = json!({"name": "api", "imageRepository": "myorg/api"});
    api_json(app, "POST", "/api/v1/components", Some(c)).await;
    let digest = format!("sha256:{}", "a".repeat(64));
    let v = json!({"componentId": "api", "tag": "v1.0.0", "digest": digest});
    api_json(app, "POST", "/api/v1/version-maps", Some(v)).await;
    let e = json!({"name": "dev", "order": 1});
    api_json(app, "POST", "/api/v1/environments", Some(e)).await;
    let r = json!({"name": "r1", "displayName": display_name, "notes": notes,
                   "components": [{"componentId": "api", "version": "1.0.0"}]});
    api_json(app, "POST", "/api/v1/releases", Some(r)).await;
    let ready = Some(json!({"status": "ready"}));
    api_json(app, "PUT", "/api/v1/releases/r1", ready).await;
}

async fn signing_out_ends_the_session_for_every_copy_of_the_cookie(store: Store) {
    let app = app!(store);
    let (reply, session) = sign_in(&app, ADMIN).await;
    assert_eq!((reply.status, reply.header("location")), (303, "/ui"));
    let line = reply.set_cookie("relman_session").unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/ui", "Max-Age=43200"] {
        assert!(line.contains(flag), "{flag} missing from {line}");
    }
    let session = session.unwrap();
    assert!(!session.contains(ADMIN), "the token is sealed: {session}");
    let overview = send(&app, page("/ui", &session)).await;
    assert_eq!(overview.status, 200, "{}", overview.text);
    assert!(
        overview.text.contains("form id=\"sign-out\""),
        "{}",
        overview.text
    );

    // A second browser signed in with the same token keeps its own session.
    let (_, other) = sign_in(&app, ADMIN).await;
    let other = other.unwrap();

    let sign_out = form(
        "/ui/sign-out",
        &session,
        &format!("_csrf={}", overview.csrf()),
    );
    let out = send(&app, sign_out).await;
    assert_eq!((out.status, out.header("location")), (303, "/ui/sign-in"));
    assert!(
        out.set_cookie("relman_session")
            .is_some_and(|c| c.contains("Max-Age=0")),
        "the cookie is removed: {:?}",
        out.headers
    );
    // The copy kept from before the sign-out opens nothing any more.
    let after = send(&app, page("/ui", &session)).await;
    assert_eq!(
        (after.status, after.header("location")),
        (303, "/ui/sign-in")
    );
    assert_eq!(send(&app, page("/ui", &other)).await.status, 200);

    let created = audit_actions(&app, "session.created").await;
    let ended = audit_actions(&app, "session.ended").await;
    assert_eq!(
        (created.len(), ended.len()),
        (2, 1),
        "{created:?} {ended:?}"
    );
    assert_eq!(ended[0]["actor"], "admin");
    let text = format!("{created:?}{ended:?}");
    assert!(
        !text.contains(ADMIN),
        "no secret in the audit trail: {text}"
    );
    // A replayed sign-out form finds no session: it is sent to sign in, and nothing is recorded.
    let replay = form(
        "/ui/sign-out",
        &session,
        &format!("_csrf={}", overview.csrf()),
    );
    let again = send(&app, replay).await;
    assert_eq!(
        (again.status, again.header("location")),
        (303, "/ui/sign-in")
    );
    assert_eq!(audit_actions(&app, "session.ended").await.len(), 1);
}

async fn refused_sign_ins_are_audited_without_the_secret(store: Store) {
    let app = app!(store);
    let (reply, session) = sign_in(&app, "rm_not-a-token").await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert!(
        reply.text.contains("That token is not valid"),
        "{}",
        reply.text
    );
    assert_eq!(session, None);
    let refused = audit_actions(&app, "auth.refused").await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["resourceId"], "POST /ui/sign-in");
    assert!(
        !refused[0].to_string().contains("not-a-token"),
        "{refused:?}"
    );

    // A revoked token is refused at sign-in and ends the sessions it had.
    let t = api_json(
        &app,
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "t", "scopes": ["read"]})),
    )
    .await;
    let secret = t["secret"].as_str().unwrap();
    let (_, session) = sign_in(&app, secret).await;
    let session = session.unwrap();
    assert_eq!(send(&app, page("/ui", &session)).await.status, 200);
    let revoke = format!("/api/v1/tokens/{}", t["id"].as_str().unwrap());
    assert!(send(&app, api("DELETE", &revoke, None)).await.status < 300);
    assert_eq!(send(&app, page("/ui", &session)).await.status, 303);
    let (reply, _) = sign_in(&app, secret).await;
    assert_eq!(reply.status, 401);
    assert_eq!(audit_actions(&app, "auth.refused").await.len(), 2);
}

async fn forms_without_this_sessions_csrf_token_are_refused(store: Store) {
    let app = app!(store);
    world(&app, "First", "notes").await;
    let (_, session) = sign_in(&app, ADMIN).await;
    let session = session.unwrap();
    let shown = send(&app, page("/ui/releases/r1", &session)).await;
    let csrf = shown.csrf();
    let deprecate = |body: String| form("/ui/releases/r1/deprecate", &session, &body);
    for (why, req) in [
        ("no token", deprecate("reason=x".to_owned())),
        ("a wrong token", deprecate("reason=x&_csrf=AAAA".to_owned())),
        (
            "another site",
            deprecate(format!("reason=x&_csrf={csrf}"))
                .insert_header(("sec-fetch-site", "cross-site")),
        ),
        (
            "another origin",
            deprecate(format!("reason=x&_csrf={csrf}"))
                .insert_header(("origin", "https://evil.example")),
        ),
    ] {
        let r = send(&app, req).await;
        assert_eq!(r.status, 403, "{why}: {}", r.text);
        assert!(r.text.contains("CSRF check failed"), "{why}: {}", r.text);
    }
    let release = api_json(&app, "GET", "/api/v1/releases/r1", None).await;
    assert_eq!(release["status"], "ready", "nothing was changed");
    let ok = send(&app, deprecate(format!("reason=old&_csrf={csrf}"))).await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    let release = api_json(&app, "GET", "/api/v1/releases/r1", None).await;
    assert_eq!(release["status"], "deprecated");
}

async fn a_read_token_sees_no_actions_and_is_refused_them(store: Store) {
    let app = app!(store);
    world(&app, "First", "notes").await;
    let t = api_json(
        &app,
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "viewer", "scopes": ["read"]})),
    )
    .await;
    let (_, session) = sign_in(&app, t["secret"].as_str().unwrap()).await;
    let session = session.unwrap();
    let shown = send(&app, page("/ui/releases/r1", &session)).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    for action in ["/promote", "/deprecate"] {
        assert!(
            !shown.text.contains(&format!("/ui/releases/r1{action}"))
                && !shown.text.contains(action),
            "a read token is offered {action}: {}",
            shown.text
        );
    }
    let csrf = shown.csrf(); // the sign-out form's
    let r = send(
        &app,
        form(
            "/ui/releases/r1/promote",
            &session,
            &format!("environment=dev&_csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.text.contains("&#39;write&#39; scope") || r.text.contains("'write' scope"));
    let deployments = api_json(&app, "GET", "/api/v1/deployments", None).await;
    assert_eq!(deployments["data"], json!([]), "nothing was promoted");
    assert_eq!(send(&app, page("/ui/audit", &session)).await.status, 403);
}

async fn names_and_notes_render_as_text(store: Store) {
    let app = app!(store);
    world(
        &app,
        "<script>alert('name')</script>",
        "Fixes <script>alert('notes')</script> and [a link](javascript:alert(1)) <img src=x onerror=alert(2)>",
    )
    .await;
    let (_, session) = sign_in(&app, ADMIN).await;
    let session = session.unwrap();
    for path in ["/ui", "/ui/releases/r1"] {
        let r = send(&app, page(path, &session)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert!(!r.text.contains("<script>alert"), "{path}: {}", r.text);
        assert!(!r.text.contains("onerror"), "{path}: {}", r.text);
        assert!(!r.text.contains("javascript:"), "{path}: {}", r.text);
        assert!(
            r.text.contains("&lt;script&gt;alert"),
            "{path} shows the name as text: {}",
            r.text
        );
        assert!(
            r.header("content-security-policy")
                .contains("script-src 'self'"),
            "{path}: {:?}",
            r.headers
        );
    }
}

async fn the_site_icon_is_public_and_refuses_nobody(store: Store) {
    let app = app!(store);
    for path in ["/favicon.ico", "/ui/static/favicon.svg"] {
        let r = send(&app, TestRequest::get().uri(path)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_eq!(r.header("content-type"), "image/svg+xml", "{path}");
        assert!(r.text.starts_with("<svg"), "{path}: {}", r.text);
        let etag = r.header("etag").to_owned();
        let again = send(
            &app,
            TestRequest::get()
                .uri(path)
                .insert_header(("if-none-match", etag)),
        )
        .await;
        assert_eq!(again.status, 304, "{path}");
    }
    let shown = send(&app, TestRequest::get().uri("/ui/sign-in")).await;
    assert!(shown.text.contains(r#"rel="icon""#), "{}", shown.text);
    assert_eq!(
        audit_actions(&app, "auth.refused").await,
        Vec::<Value>::new()
    );
}

async fn pages_spend_the_tokens_rate_limit(store: Store) {
    let app = app!(store);
    let t = api_json(
        &app,
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "slow", "scopes": ["read"], "requestsPerSecond": 0.2})),
    )
    .await;
    let (_, session) = sign_in(&app, t["secret"].as_str().unwrap()).await;
    let session = session.unwrap();
    assert_eq!(send(&app, page("/ui", &session)).await.status, 200);
    let limited = send(&app, page("/ui", &session)).await;
    assert_eq!(limited.status, 429, "{}", limited.text);
    let retry: u64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    assert!(limited.text.contains("retry in"), "{}", limited.text);
}
