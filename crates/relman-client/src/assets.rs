//! Release assets: streamed uploads and downloads (resumable with `Range`), without holding a file
//! in memory.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use relman_wire::assets::{AssetResponse, AssetUploadParams, UpdateAssetRequest};
use reqwest::Method;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, RANGE};
use reqwest::multipart::{Form, Part};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::transport::{api as path, check, decode};
use crate::{Client, Error};

/// Bytes read per chunk of an upload.
const CHUNK: usize = 256 * 1024;

/// A file to upload, streamed from disk.
pub struct AssetFile {
    body: reqwest::Body,
    length: u64,
    file_name: String,
    content_type: String,
}

impl std::fmt::Debug for AssetFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssetFile")
            .field("file_name", &self.file_name)
            .field("length", &self.length)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl AssetFile {
    /// The file at `path`; `progress` hears the bytes sent so far after every chunk.
    pub async fn open(
        path: &Path,
        content_type: Option<&str>,
        progress: impl Fn(u64) + Send + Sync + 'static,
    ) -> Result<Self, Error> {
        let shown = path.display().to_string();
        let io = |source| Error::Io {
            path: shown.clone(),
            source,
        };
        let file = tokio::fs::File::open(path).await.map_err(io)?;
        let length = file.metadata().await.map_err(io)?.len();
        let progress = Arc::new(progress);
        let stream = futures_util::stream::unfold((file, 0u64), move |(mut file, sent)| {
            let progress = Arc::clone(&progress);
            async move {
                let mut buf = vec![0; CHUNK];
                match file.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        let sent = sent + n as u64;
                        progress(sent);
                        Some((Ok::<_, std::io::Error>(Bytes::from(buf)), (file, sent)))
                    }
                    Err(e) => Some((Err(e), (file, sent))),
                }
            }
        });
        Ok(Self {
            body: reqwest::Body::wrap_stream(stream),
            length,
            file_name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "asset".into()),
            content_type: content_type
                .unwrap_or("application/octet-stream")
                .to_owned(),
        })
    }

    /// Bytes already in memory.
    pub fn from_bytes(file_name: &str, content_type: &str, bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self {
            length: bytes.len() as u64,
            body: reqwest::Body::from(bytes),
            file_name: file_name.to_owned(),
            content_type: content_type.to_owned(),
        }
    }

    /// Its size in bytes.
    pub fn len(&self) -> u64 {
        self.length
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }
}

/// A download on its way: the asset's bytes (or those from an offset on), as a stream.
#[derive(Debug)]
pub struct AssetDownload {
    response: reqwest::Response,
    offset: u64,
    total: Option<u64>,
}

impl AssetDownload {
    /// Where these bytes start in the asset (0 unless resumed).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The asset's whole size, when the server told it.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// The next chunk, or `None` at the end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        let url = self.response.url().to_string();
        self.response
            .chunk()
            .await
            .map_err(|source| Error::Transport { url, source })
    }

    /// Writes the bytes to `file` (appending when resumed); `progress` hears the asset's bytes
    /// received so far, counted from its start.
    pub async fn save(mut self, file: &Path, progress: impl Fn(u64)) -> Result<u64, Error> {
        let shown = file.display().to_string();
        let io = |source| Error::Io {
            path: shown.clone(),
            source,
        };
        let mut out = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(self.offset > 0)
            .truncate(self.offset == 0)
            .open(file)
            .await
            .map_err(io)?;
        let mut done = self.offset;
        while let Some(chunk) = self.chunk().await? {
            out.write_all(&chunk).await.map_err(io)?;
            done += chunk.len() as u64;
            progress(done);
        }
        out.flush().await.map_err(io)?;
        out.sync_all().await.map_err(io)?;
        Ok(done)
    }
}

impl Client {
    /// `GET /api/v1/releases/{id}/assets`.
    pub async fn list_release_assets(&self, release: &str) -> Result<Vec<AssetResponse>, Error> {
        self.call(Method::GET, &path(&["releases", release, "assets"]))
            .fetch()
            .await
    }

    /// `POST /api/v1/releases/{id}/assets`: a multipart upload, streamed. Not retried: a stream
    /// cannot be sent twice.
    pub async fn upload_release_asset(
        &self,
        release: &str,
        file: AssetFile,
        params: &AssetUploadParams,
    ) -> Result<AssetResponse, Error> {
        let part = Part::stream_with_length(file.body, file.length)
            .file_name(file.file_name)
            .mime_str(&file.content_type)
            .map_err(|e| Error::Config(format!("content type: {e}")))?;
        let call = self
            .call(Method::POST, &path(&["releases", release, "assets"]))
            .query(params)?
            .without_timeout();
        let url = call.url().to_string();
        let response = call
            .builder()
            .multipart(Form::new().part("file", part))
            .send()
            .await
            .map_err(|source| Error::Transport { url, source })?;
        decode(check(response).await?).await
    }

    /// `GET /api/v1/releases/{id}/assets/{assetId}`: the asset's record.
    pub async fn get_release_asset(
        &self,
        release: &str,
        asset: &str,
    ) -> Result<AssetResponse, Error> {
        self.call(Method::GET, &path(&["releases", release, "assets", asset]))
            .fetch()
            .await
    }

    /// `PATCH /api/v1/releases/{id}/assets/{assetId}`: rename or relabel while draft.
    pub async fn update_release_asset(
        &self,
        release: &str,
        asset: &str,
        body: &UpdateAssetRequest,
    ) -> Result<AssetResponse, Error> {
        self.call(
            Method::PATCH,
            &path(&["releases", release, "assets", asset]),
        )
        .json(body)?
        .idempotent()
        .fetch()
        .await
    }

    /// `DELETE /api/v1/releases/{id}/assets/{assetId}`.
    pub async fn delete_release_asset(&self, release: &str, asset: &str) -> Result<(), Error> {
        self.call(
            Method::DELETE,
            &path(&["releases", release, "assets", asset]),
        )
        .empty()
        .await
    }

    /// `GET /api/v1/releases/{id}/assets/{assetId}/download`, from byte `offset` on (a resumed
    /// download asks for the rest with `Range`).
    pub async fn download_release_asset(
        &self,
        release: &str,
        asset: &str,
        offset: u64,
    ) -> Result<AssetDownload, Error> {
        let mut call = self
            .call(
                Method::GET,
                &path(&["releases", release, "assets", asset, "download"]),
            )
            .without_timeout();
        if offset > 0 {
            call = call.header(RANGE.as_str(), &format!("bytes={offset}-"))?;
        }
        let response = call.send().await?;
        let headers = response.headers();
        let length = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let (offset, total) = match headers.get(CONTENT_RANGE).and_then(|v| v.to_str().ok()) {
            // `bytes 100-199/200`
            Some(range) => {
                let (span, total) = range
                    .trim_start_matches("bytes ")
                    .split_once('/')
                    .unwrap_or(("", ""));
                let start = span.split('-').next().and_then(|s| s.parse().ok());
                (start.unwrap_or(0), total.parse().ok())
            }
            None => (0, length),
        };
        Ok(AssetDownload {
            response,
            offset,
            total,
        })
    }
}
