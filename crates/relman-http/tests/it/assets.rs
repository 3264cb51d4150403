//! Release assets over HTTP, each case on the filesystem store and on a real S3-compatible
//! server (moto), on SQLite and PostgreSQL: multipart uploads streamed to storage, downloads
//! with `ETag` and `Range`, counts under concurrency, the draft-only rules, the attestation's
//! subjects, and failures that leave nothing behind.

use actix_web::test::TestRequest;
use relman_attest::{Envelope, statement_subjects};
use relman_http::{AppState, Authenticator, HttpSettings};
use relman_objects::{ObjectKey, Objects, ObjectsConfig};
use relman_service::{AssetStore, Service};
use relman_storage::Store;
use relman_test_support::backend_tests;
use relman_test_support::s3::TestS3;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tempfile::TempDir;

use crate::support::{DIGEST_A, TOKEN, component, get, post, put, req, send};

/// The store behind a case, kept alive (never read) until the case ends.
#[allow(dead_code, reason = "held for its Drop")]
enum Keep {
    Folder(TempDir),
    Bucket(TestS3),
}

async fn filesystem() -> (Objects, Keep) {
    let dir = TempDir::new().unwrap();
    let objects = Objects::open(&ObjectsConfig::Filesystem {
        root: dir.path().join("assets"),
    })
    .unwrap();
    (objects, Keep::Folder(dir))
}

async fn s3() -> (Objects, Keep) {
    let server = TestS3::start().await;
    let objects = Objects::open(&ObjectsConfig::S3(server.config())).unwrap();
    (objects, Keep::Bucket(server))
}

/// Every case on both stores; `backend_tests!` then runs each on both databases.
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {
        mod fs {
            use relman_storage::Store;
            $(
                pub async fn $case(store: Store) {
                    let (objects, keep) = super::filesystem().await;
                    super::$case(store, objects, &keep).await;
                }
            )*
            relman_test_support::backend_tests!($($case),*);
        }
        mod s3 {
            use relman_storage::Store;
            $(
                pub async fn $case(store: Store) {
                    let (objects, keep) = super::s3().await;
                    super::$case(store, objects, &keep).await;
                }
            )*
            relman_test_support::backend_tests!($($case),*);
        }
    };
}

on_both_stores!(
    upload_download_and_freeze,
    failed_uploads_leave_nothing,
    concurrent_downloads_are_all_counted,
    deleting_a_draft_removes_its_bytes
);

backend_tests!(without_asset_storage_uploads_answer_503);

macro_rules! asset_app {
    ($store:expr, $objects:expr, $max:expr) => {
        actix_web::test::init_service(relman_http::app(AppState::new(
            Service::new($store).with_assets(AssetStore {
                objects: $objects.clone(),
                max_bytes: $max,
            }),
            Authenticator::with_admin_token(TOKEN),
            &HttpSettings::default(),
        )))
        .await
    };
}

const BOUNDARY: &str = "relman-test-boundary-7MA4YWxkTrZu0gW";

/// One part of a multipart form.
struct Part<'a> {
    field: &'a str,
    filename: Option<&'a str>,
    content_type: Option<&'a str>,
    bytes: &'a [u8],
}

fn text<'a>(field: &'a str, value: &'a str) -> Part<'a> {
    Part {
        field,
        filename: None,
        content_type: None,
        bytes: value.as_bytes(),
    }
}

fn file<'a>(filename: &'a str, content_type: &'a str, bytes: &'a [u8]) -> Part<'a> {
    Part {
        field: "file",
        filename: Some(filename),
        content_type: Some(content_type),
        bytes,
    }
}

fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", p.field);
        if let Some(f) = p.filename {
            disposition.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = p.content_type {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(p.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload(path: &str, body: Vec<u8>) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(("authorization", format!("Bearer {TOKEN}")))
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ))
        .set_payload(body)
}

/// A response header's text.
fn h<'a>(reply: &'a crate::support::Reply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

fn download(path: &str) -> TestRequest {
    get(path).insert_header(("accept", "application/octet-stream"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 253) as u8).collect()
}

/// A component `api` with one version, and a draft release `r1` pinning it.
async fn draft<S, B>(app: &S)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    component(app).await;
    let map = json!({"componentId": "api", "tag": "v1.0.0", "digest": DIGEST_A});
    send(app, post("/api/v1/version-maps", map))
        .await
        .expect(201);
    let body = json!({"name": "r1", "components": [{"componentId": "api"}]});
    send(app, post("/api/v1/releases", body)).await.expect(201);
}

/// Every object under `releases/`.
async fn stored(objects: &Objects) -> usize {
    objects
        .list(&ObjectKey::new("releases").unwrap())
        .await
        .unwrap()
        .len()
}

/// Download counts are written just after the body ends; waits for `want`.
async fn wait_for_count<S, B>(app: &S, path: &str, want: u64)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = send(app, get(path)).await.expect(200).body["downloadCount"].clone();
        if seen == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("downloadCount stayed {seen}, expected {want}");
}

async fn upload_download_and_freeze(store: Store, objects: Objects, _keep: &Keep) {
    let app = asset_app!(store, objects, 64 << 20);
    draft(&app).await;
    let big = data(3 << 20);
    let created = send(
        &app,
        upload(
            "/api/v1/releases/r1/assets",
            form(&[
                text("label", "Linux (x86-64)"),
                file("tool-linux-amd64.tar.gz", "application/gzip", &big),
            ]),
        ),
    )
    .await
    .expect(201);
    let asset = created.body.clone();
    let id = asset["id"].as_str().unwrap().to_owned();
    let record = format!("/api/v1/releases/r1/assets/{id}");
    assert!(h(&created, "location").ends_with(&format!("/assets/{id}")));
    assert_eq!(asset["name"], "tool-linux-amd64.tar.gz");
    assert_eq!(asset["label"], "Linux (x86-64)");
    assert_eq!(asset["contentType"], "application/gzip");
    assert_eq!(asset["size"], big.len() as u64);
    assert_eq!(asset["sha256"], sha256_hex(&big));
    assert_eq!(asset["downloadCount"], 0);
    // The name in the query, GitHub's way; no content type given.
    let notes = b"checksums\n";
    let small = send(
        &app,
        upload(
            "/api/v1/releases/r1/assets?name=SHA256SUMS",
            form(&[Part {
                field: "file",
                filename: Some("ignored.txt"),
                content_type: None,
                bytes: notes,
            }]),
        ),
    )
    .await
    .expect(201)
    .body;
    assert_eq!(small["name"], "SHA256SUMS");
    assert_eq!(small["contentType"], "application/octet-stream");
    let taken = send(
        &app,
        upload(
            "/api/v1/releases/r1/assets?name=SHA256SUMS",
            form(&[file("x", "text/plain", b"again")]),
        ),
    )
    .await
    .expect(409);
    assert_eq!(taken.body["code"], "name_exists");

    let list = send(&app, get("/api/v1/releases/r1/assets"))
        .await
        .expect(200)
        .body;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["SHA256SUMS", "tool-linux-amd64.tar.gz"]);
    assert_eq!(send(&app, get(&record)).await.expect(200).body, asset);

    // The bytes, whole: at `downloadUrl` and by content negotiation.
    let url = asset["downloadUrl"].as_str().unwrap().to_owned();
    let whole = send(&app, get(&url)).await.expect(200);
    assert!(whole.raw == big, "downloaded bytes differ");
    let etag = format!("\"{}\"", sha256_hex(&big));
    assert_eq!(h(&whole, "etag"), etag);
    assert_eq!(h(&whole, "content-length"), big.len().to_string());
    assert_eq!(h(&whole, "accept-ranges"), "bytes");
    assert_eq!(h(&whole, "content-type"), "application/gzip");
    let negotiated = send(&app, download(&record)).await.expect(200);
    assert!(negotiated.raw == big);
    wait_for_count(&app, &record, 2).await;

    // Ranges resume a download; a range that stops short of the end is not a completed one.
    let part = send(&app, get(&url).insert_header(("range", "bytes=1000-1999")))
        .await
        .expect(206);
    assert_eq!(part.raw, big[1000..2000]);
    assert_eq!(
        h(&part, "content-range"),
        format!("bytes 1000-1999/{}", big.len())
    );
    assert_eq!(h(&part, "content-length"), "1000");
    let rest = send(&app, get(&url).insert_header(("range", "bytes=2000000-")))
        .await
        .expect(206);
    assert!(rest.raw == big[2_000_000..]);
    wait_for_count(&app, &record, 3).await;
    let beyond = send(&app, get(&url).insert_header(("range", "bytes=99999999-")))
        .await
        .expect(416);
    assert_eq!(beyond.body["code"], "range_not_satisfiable");
    assert_eq!(
        h(&beyond, "content-range"),
        format!("bytes */{}", big.len())
    );
    let stale = send(
        &app,
        get(&url)
            .insert_header(("range", "bytes=0-9"))
            .insert_header(("if-range", "\"another\"")),
    )
    .await
    .expect(200);
    assert_eq!(
        stale.raw.len(),
        big.len(),
        "If-Range with another tag: the whole asset"
    );
    send(
        &app,
        get(&url).insert_header(("if-none-match", etag.as_str())),
    )
    .await
    .expect(304);

    // Rename, relabel, and delete while draft.
    let small_id = small["id"].as_str().unwrap();
    let small_record = format!("/api/v1/releases/r1/assets/{small_id}");
    let renamed = send(
        &app,
        req(
            actix_web::http::Method::PATCH,
            &small_record,
            Some(json!({"name": "SUMS.txt", "label": null})),
        ),
    )
    .await
    .expect(200)
    .body;
    assert_eq!(
        (renamed["name"].clone(), renamed["label"].clone()),
        (json!("SUMS.txt"), Value::Null)
    );
    let clash = send(
        &app,
        req(
            actix_web::http::Method::PATCH,
            &small_record,
            Some(json!({"name": "tool-linux-amd64.tar.gz"})),
        ),
    )
    .await
    .expect(409);
    assert_eq!(clash.body["code"], "name_exists");
    send(
        &app,
        req(actix_web::http::Method::DELETE, &small_record, None),
    )
    .await
    .expect(204);
    send(&app, get(&small_record)).await.expect(404);
    assert_eq!(
        stored(&objects).await,
        1,
        "the deleted asset's bytes are gone"
    );

    // Ready: the asset is a subject of the signed statement, and frozen.
    send(&app, put("/api/v1/releases/r1", json!({"status": "ready"})))
        .await
        .expect(200);
    let envelope = send(&app, get("/api/v1/releases/r1/attestation"))
        .await
        .expect(200);
    let envelope = Envelope::from_json(&envelope.raw).unwrap();
    let subjects = statement_subjects(&envelope.payload_bytes().unwrap()).unwrap();
    assert!(
        subjects.contains(&(
            "tool-linux-amd64.tar.gz".to_owned(),
            format!("sha256:{}", sha256_hex(&big))
        )),
        "{subjects:?}"
    );
    assert_eq!(
        subjects.len(),
        2,
        "the image and the one remaining asset: {subjects:?}"
    );
    for refused in [
        send(&app, req(actix_web::http::Method::DELETE, &record, None)).await,
        send(
            &app,
            req(
                actix_web::http::Method::PATCH,
                &record,
                Some(json!({"label": "x"})),
            ),
        )
        .await,
        send(
            &app,
            upload(
                "/api/v1/releases/r1/assets",
                form(&[file("late.txt", "text/plain", b"late")]),
            ),
        )
        .await,
    ] {
        let refused = refused.expect(409);
        assert_eq!(refused.body["code"], "release_immutable");
    }
    assert!(
        send(&app, get(&url)).await.expect(200).raw == big,
        "downloads go on"
    );
}

async fn failed_uploads_leave_nothing(store: Store, objects: Objects, _keep: &Keep) {
    let app = asset_app!(store, objects, 1 << 20);
    draft(&app).await;
    let path = "/api/v1/releases/r1/assets";
    let too_big = data(2 << 20);
    let refused = send(
        &app,
        upload(
            path,
            form(&[file("big.bin", "application/octet-stream", &too_big)]),
        ),
    )
    .await
    .expect(413);
    assert_eq!(refused.body["code"], "payload_too_large");
    // Cut off mid-file: the closing boundary never comes.
    let mut cut = form(&[file("cut.bin", "application/octet-stream", &data(300_000))]);
    cut.truncate(200_000);
    let broken = send(&app, upload(path, cut)).await.expect(400);
    assert_eq!(broken.body["code"], "invalid_upload");
    for (body, code) in [
        (form(&[text("name", "x.txt")]), "invalid_upload"),
        (
            form(&[text("colour", "red"), file("a.txt", "text/plain", b"a")]),
            "invalid_upload",
        ),
        (
            form(&[
                text("name", "../etc/passwd"),
                file("a.txt", "text/plain", b"a"),
            ]),
            "validation_failed",
        ),
        (b"not a form".to_vec(), "invalid_upload"),
    ] {
        let reply = send(&app, upload(path, body)).await;
        assert_eq!(
            reply.status.as_u16(),
            400,
            "{}",
            String::from_utf8_lossy(&reply.raw)
        );
        assert_eq!(reply.body["code"], code, "{}", reply.body);
    }
    let json_body = send(&app, post(path, json!({"name": "x"})))
        .await
        .expect(415);
    assert_eq!(json_body.body["code"], "unsupported_media_type");
    send(
        &app,
        upload(
            "/api/v1/releases/nope/assets",
            form(&[file("a.txt", "text/plain", b"a")]),
        ),
    )
    .await
    .expect(404);
    send(&app, get("/api/v1/releases/r1/assets/not-a-uuid"))
        .await
        .expect(404);
    send(
        &app,
        get("/api/v1/releases/r1/assets/0193a1b2-0000-7000-8000-000000000000"),
    )
    .await
    .expect(404);

    let list = send(&app, get("/api/v1/releases/r1/assets"))
        .await
        .expect(200)
        .body;
    assert_eq!(list, json!([]), "no record of any failed upload");
    // The guard of the cut-off upload removes its bytes just after the answer.
    for _ in 0..100 {
        if stored(&objects).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(stored(&objects).await, 0, "no bytes of any failed upload");
    // And the names of failed uploads are free again.
    send(
        &app,
        upload(
            path,
            form(&[file("big.bin", "application/octet-stream", b"fits")]),
        ),
    )
    .await
    .expect(201);
}

async fn concurrent_downloads_are_all_counted(store: Store, objects: Objects, _keep: &Keep) {
    let app = asset_app!(store, objects, 64 << 20);
    draft(&app).await;
    let bytes = data(200_000);
    let asset = send(
        &app,
        upload(
            "/api/v1/releases/r1/assets",
            form(&[file("a.bin", "application/octet-stream", &bytes)]),
        ),
    )
    .await
    .expect(201)
    .body;
    let url = asset["downloadUrl"].as_str().unwrap().to_owned();
    let downloads = (0..24).map(|_| send(&app, get(&url)));
    for reply in futures_util::future::join_all(downloads).await {
        assert!(reply.expect(200).raw == bytes);
    }
    let record = format!(
        "/api/v1/releases/r1/assets/{}",
        asset["id"].as_str().unwrap()
    );
    wait_for_count(&app, &record, 24).await;
}

async fn deleting_a_draft_removes_its_bytes(store: Store, objects: Objects, _keep: &Keep) {
    let app = asset_app!(store, objects, 64 << 20);
    draft(&app).await;
    for name in ["a.txt", "b.txt"] {
        send(
            &app,
            upload(
                &format!("/api/v1/releases/r1/assets?name={name}"),
                form(&[file("f", "text/plain", b"bytes")]),
            ),
        )
        .await
        .expect(201);
    }
    assert_eq!(stored(&objects).await, 2);
    send(
        &app,
        req(actix_web::http::Method::DELETE, "/api/v1/releases/r1", None),
    )
    .await
    .expect(204);
    assert_eq!(stored(&objects).await, 0);
    send(&app, get("/api/v1/releases/r1/assets"))
        .await
        .expect(404);
}

async fn without_asset_storage_uploads_answer_503(store: Store) {
    let app = crate::app!(store);
    draft(&app).await;
    let reply = send(
        &app,
        upload(
            "/api/v1/releases/r1/assets",
            form(&[file("a.txt", "text/plain", b"a")]),
        ),
    )
    .await
    .expect(503);
    assert_eq!(reply.body["code"], "asset_storage_unavailable");
}
