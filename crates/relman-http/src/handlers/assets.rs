//! `/api/v1/releases/{id}/assets`: upload (multipart, streamed), list, get, download with
//! `Range`, rename and delete.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_multipart::{Field, Multipart};
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use futures_util::{Stream, StreamExt, TryStreamExt};
use relman_domain::Asset;
use relman_service::{AssetUpload, ObjectRead, Service};

use crate::auth::Principal;
use crate::byte_range::{self, ByteRange};
use crate::conditional::if_none_match;
use crate::convert::IntoInput;
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::handlers::created;
use relman_wire::ErrorCode;
use relman_wire::assets::{
    AssetBytes, AssetResponse, AssetUploadForm, AssetUploadParams, UpdateAssetRequest,
};

/// Text fields of the form are short; more is not a name or a label.
const TEXT_FIELD_LIMIT: usize = 4096;

fn bad_upload(detail: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidUpload, detail)
}

/// A text field's value, at most [`TEXT_FIELD_LIMIT`] bytes of UTF-8.
async fn text_field(field: &mut Field, name: &str) -> Result<String, ApiError> {
    let mut value = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| bad_upload(format!("form field '{name}': {e}")))?;
        if value.len() + chunk.len() > TEXT_FIELD_LIMIT {
            return Err(bad_upload(format!("form field '{name}' is too long")));
        }
        value.extend_from_slice(&chunk);
    }
    String::from_utf8(value).map_err(|_| bad_upload(format!("form field '{name}' is not UTF-8")))
}

/// Uploads a file to a draft release, streamed to storage as it arrives (never held in memory)
/// and hashed on the way. The form's `name` and `label` fields (or the query's) must come
/// before the `file` part; the part's `Content-Type` is recorded. Names are unique per
/// release. A failed or interrupted upload leaves nothing behind.
#[utoipa::path(
    tag = "assets",
    operation_id = "upload_release_asset",
    params(("id" = String, Path, description = "Release UUID or name"), AssetUploadParams),
    request_body(content = AssetUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Uploaded", body = AssetResponse),
        (status = 400, description = "Invalid name or label (`validation_failed`), or not a multipart body with a `file` part (`invalid_upload`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The release is not a draft (`release_immutable`) or has an asset of that name (`name_exists`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the configured asset limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `multipart/form-data`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/assets")]
pub async fn upload_release_asset(
    who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
    QueryParams(params): QueryParams<AssetUploadParams>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "an asset upload is a multipart/form-data body with a 'file' part",
        ));
    }
    // A declared length far over the limit is refused before a byte is read.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let (Some(declared), Some(limit)) = (declared, service.max_asset_bytes())
        && declared > limit.saturating_add(64 * 1024)
    {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the asset is larger than the limit of {limit} bytes"),
        ));
    }
    let mut upload = AssetUpload {
        name: params.name.unwrap_or_default(),
        label: params.label,
        content_type: None,
    };
    let mut form = Multipart::new(req.headers(), payload);
    loop {
        let mut field = match form.try_next().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err(bad_upload("the form has no 'file' part")),
            Err(e) => return Err(bad_upload(format!("malformed multipart body: {e}"))),
        };
        let disposition = field.content_disposition().cloned();
        let part = disposition
            .as_ref()
            .and_then(|d| d.get_name())
            .unwrap_or_default()
            .to_owned();
        match part.as_str() {
            "name" => upload.name = text_field(&mut field, "name").await?,
            "label" => upload.label = Some(text_field(&mut field, "label").await?),
            "file" => {
                if upload.name.is_empty() {
                    upload.name = disposition
                        .as_ref()
                        .and_then(|d| d.get_filename())
                        .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f).to_owned())
                        .unwrap_or_default();
                }
                upload.content_type = field.content_type().map(ToString::to_string);
                let asset = service
                    .upload_asset(&who.as_actor(), &id, upload, field)
                    .await?;
                let location = format!("/api/v1/releases/{}/assets/{}", asset.release_id, asset.id);
                return Ok(created(location, &AssetResponse::from(asset)));
            }
            other => {
                return Err(bad_upload(format!(
                    "unknown form field '{other}': the form takes 'name', 'label' and 'file'"
                )));
            }
        }
    }
}

/// Lists a release's assets, by name.
#[utoipa::path(
    tag = "assets",
    operation_id = "list_release_assets",
    params(("id" = String, Path, description = "Release UUID or name")),
    responses(
        (status = 200, description = "The assets", body = Vec<AssetResponse>),
        (status = 404, description = "No such release", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/releases/{id}/assets")]
pub async fn list_release_assets(
    _who: Principal,
    service: web::Data<Service>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let assets = service.assets(&id).await?;
    let body: Vec<AssetResponse> = assets.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Whether the client asked for the bytes rather than the record.
fn wants_bytes(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("application/octet-stream"))
}

/// One asset's record, or its bytes with `Accept: application/octet-stream` (as at
/// `downloadUrl`).
#[utoipa::path(
    tag = "assets",
    operation_id = "get_release_asset",
    params(
        ("id" = String, Path, description = "Release UUID or name"),
        ("assetId" = String, Path, description = "Asset UUID"),
        ("Range" = Option<String>, Header, description = "With `Accept: application/octet-stream`: one byte range, `bytes=START-[END]` or `bytes=-SUFFIX`"),
        ("If-Range" = Option<String>, Header, description = "Honour `Range` only if the asset's `ETag` is still this"),
        ("If-None-Match" = Option<String>, Header, description = "With `Accept: application/octet-stream`: `304` when it names the asset's `ETag`"),
    ),
    responses(
        (status = 200, description = "The asset record, or with `Accept: application/octet-stream` its bytes", content(
            (AssetResponse = "application/json"),
            (AssetBytes = "application/octet-stream"),
        ), headers(("ETag" = String, description = "With the bytes: the quoted sha256"))),
        (status = 206, description = "The byte range asked for", body = AssetBytes, content_type = "application/octet-stream",
         headers(("Content-Range" = String, description = "`bytes START-END/SIZE`"))),
        (status = 304, description = "`If-None-Match` names the asset's `ETag`"),
        (status = 404, description = "No such release or asset", body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "The range asks for no byte of the asset", body = Problem, content_type = "application/problem+json",
         headers(("Content-Range" = String, description = "`bytes */SIZE`"))),
    ),
    security(("bearer" = []))
)]
#[get("/releases/{id}/assets/{assetId}")]
pub async fn get_release_asset(
    _who: Principal,
    service: web::Data<Service>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (id, asset_id) = path.into_inner();
    let asset = service.asset(&id, &asset_id).await?;
    if wants_bytes(&req) {
        return send_bytes(&service, asset, &req).await;
    }
    Ok(HttpResponse::Ok().json(AssetResponse::from(asset)))
}

/// Downloads an asset's bytes (its `downloadUrl`), resumable with `Range`.
#[utoipa::path(
    tag = "assets",
    operation_id = "download_release_asset",
    params(
        ("id" = String, Path, description = "Release UUID or name"),
        ("assetId" = String, Path, description = "Asset UUID"),
        ("Range" = Option<String>, Header, description = "One byte range, `bytes=START-[END]` or `bytes=-SUFFIX`"),
        ("If-Range" = Option<String>, Header, description = "Honour `Range` only if the asset's `ETag` is still this"),
        ("If-None-Match" = Option<String>, Header, description = "`304` when it names the asset's `ETag`"),
    ),
    responses(
        (status = 200, description = "The bytes", body = AssetBytes, content_type = "application/octet-stream",
         headers(("ETag" = String, description = "The quoted sha256"))),
        (status = 206, description = "The byte range asked for", body = AssetBytes, content_type = "application/octet-stream",
         headers(("Content-Range" = String, description = "`bytes START-END/SIZE`"))),
        (status = 304, description = "`If-None-Match` names the asset's `ETag`"),
        (status = 404, description = "No such release or asset", body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "The range asks for no byte of the asset", body = Problem, content_type = "application/problem+json",
         headers(("Content-Range" = String, description = "`bytes */SIZE`"))),
    ),
    security(("bearer" = []))
)]
#[get("/releases/{id}/assets/{assetId}/download")]
pub async fn download_release_asset(
    _who: Principal,
    service: web::Data<Service>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (id, asset_id) = path.into_inner();
    let asset = service.asset(&id, &asset_id).await?;
    send_bytes(&service, asset, &req).await
}

/// The asset's bytes: whole, or the one range asked for, with `ETag`, `Content-Length` and
/// `Accept-Ranges`; the download is counted when the response delivers the last byte. The
/// dashboard's download links answer through it too.
pub async fn send_bytes(
    service: &web::Data<Service>,
    asset: Asset,
    req: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let etag = HeaderValue::from_str(&format!("\"{}\"", asset.sha256))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""));
    if if_none_match(req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let header_text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    // `If-Range` with another tag (or a date, which relman does not compare) means: whole.
    let range_applies =
        header_text(header::IF_RANGE).is_none_or(|v| v.as_bytes() == etag.as_bytes());
    let range = if range_applies {
        byte_range::parse(header_text(header::RANGE), asset.size)
    } else {
        ByteRange::Whole
    };
    let range = match range {
        ByteRange::Whole => None,
        ByteRange::Part(r) => Some(r),
        ByteRange::Unsatisfiable => {
            let content_range = HeaderValue::from_str(&format!("bytes */{}", asset.size))
                .unwrap_or_else(|_| HeaderValue::from_static("bytes */0"));
            return Err(ApiError::new(
                ErrorCode::RangeNotSatisfiable,
                format!("the asset has {} bytes", asset.size),
            )
            .with_headers(vec![(header::CONTENT_RANGE, content_range)]));
        }
    };
    // An empty object has no byte to range over and nothing to read.
    let read = if asset.size == 0 {
        None
    } else {
        Some(service.open_asset(&asset, range.clone()).await?)
    };
    let (start, end) = range.as_ref().map_or((0, asset.size), |r| (r.start, r.end));
    let mut response = if range.is_some() {
        let mut partial = HttpResponse::PartialContent();
        partial.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{}", end.saturating_sub(1), asset.size),
        ));
        partial
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", asset.name),
        ))
        .insert_header((header::CACHE_CONTROL, "private, max-age=0, must-revalidate"))
        .content_type(asset.content_type.as_str());
    // A response that ends at the last byte completes a download (a resumed one included).
    let completes = end == asset.size;
    let counter = completes.then(|| (service.clone(), asset.id));
    let body = CountedBody {
        inner: read.map(|r: ObjectRead| r.stream),
        on_complete: counter,
    };
    Ok(response.no_chunking(end - start).streaming(body))
}

/// The object's chunks; when the last one has been handed to the connection, counts the
/// download (one atomic increment, in the background).
struct CountedBody {
    inner: Option<
        futures_util::stream::BoxStream<'static, Result<Bytes, relman_service::ObjectsError>>,
    >,
    on_complete: Option<(web::Data<Service>, uuid::Uuid)>,
}

impl Stream for CountedBody {
    type Item = Result<Bytes, actix_web::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = match self.inner.as_mut() {
            Some(inner) => inner.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        };
        match next {
            Poll::Ready(None) => {
                if let Some((service, id)) = self.on_complete.take() {
                    // `tokio::spawn`: the body may be polled outside actix's local task set.
                    tokio::spawn(async move {
                        if let Err(e) = service.count_download(id).await {
                            tracing::warn!(asset = %id, error = %e, "counting a download");
                        }
                    });
                }
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                tracing::error!(error = %e, "reading an asset from storage failed mid-download");
                self.on_complete = None;
                Poll::Ready(Some(Err(actix_web::error::ErrorInternalServerError(
                    "asset storage failed",
                ))))
            }
            other => {
                other.map(|o| o.map(|r| r.map_err(actix_web::error::ErrorInternalServerError)))
            }
        }
    }
}

/// Renames or relabels an asset of a draft release.
#[utoipa::path(
    tag = "assets",
    operation_id = "update_release_asset",
    params(
        ("id" = String, Path, description = "Release UUID or name"),
        ("assetId" = String, Path, description = "Asset UUID"),
    ),
    request_body = UpdateAssetRequest,
    responses(
        (status = 200, description = "The updated asset", body = AssetResponse),
        (status = 400, description = "Invalid name or label", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such release or asset", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The release is not a draft (`release_immutable`), or the name is taken (`name_exists`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/releases/{id}/assets/{assetId}")]
pub async fn update_release_asset(
    who: Principal,
    service: web::Data<Service>,
    path: web::Path<(String, String)>,
    JsonBody(body): JsonBody<UpdateAssetRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, asset_id) = path.into_inner();
    let asset = service
        .update_asset(&who.as_actor(), &id, &asset_id, body.into_input())
        .await?;
    Ok(HttpResponse::Ok().json(AssetResponse::from(asset)))
}

/// Deletes an asset of a draft release, its bytes included.
#[utoipa::path(
    tag = "assets",
    operation_id = "delete_release_asset",
    params(
        ("id" = String, Path, description = "Release UUID or name"),
        ("assetId" = String, Path, description = "Asset UUID"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such release or asset", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The release is not a draft (`release_immutable`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/releases/{id}/assets/{assetId}")]
pub async fn delete_release_asset(
    who: Principal,
    service: web::Data<Service>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, asset_id) = path.into_inner();
    service
        .delete_asset(&who.as_actor(), &id, &asset_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
