//! The request floor of a sync: the fewest registry requests that yield the information a sync
//! asks for, made with the same HTTP stack (reqwest, one keep-alive pool) and the same number in
//! flight, and nothing else. `scripts/bench` compares relman's sync time against it.
//!
//! ```text
//! request_floor <registry-base-url> <repository> <list|head|full> [concurrency]
//! ```
//!
//! - `list`: the tag list only (what an unchanged re-sync needs);
//! - `head`: the tag list, then `HEAD` of every tag's manifest (digest and media type);
//! - `full`: the tag list, then `GET` of every manifest and `GET` of its config blob (`pushedAt`).
//!
//! Prints one JSON line: `{"mode", "tags", "requests", "ms"}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json";

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    List,
    Head,
    Full,
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().collect();
    let usage =
        "usage: request_floor <registry-base-url> <repository> <list|head|full> [concurrency]";
    let (Some(base), Some(repo), Some(mode)) = (args.get(1), args.get(2), args.get(3)) else {
        return Err(usage.into());
    };
    let mode = match mode.as_str() {
        "list" => Mode::List,
        "head" => Mode::Head,
        "full" => Mode::Full,
        _ => return Err(usage.into()),
    };
    let concurrency: usize = args.get(4).map_or(Ok(8), |c| c.parse())?;
    let base = base.trim_end_matches('/').to_owned();
    let http = reqwest::Client::new();
    let requests = Arc::new(AtomicU64::new(0));

    let started = Instant::now();
    let tags = list_tags(&http, &base, repo, &requests).await?;
    if mode != Mode::List {
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut tasks = JoinSet::new();
        for tag in &tags {
            let (http, permits, requests) = (http.clone(), permits.clone(), requests.clone());
            let url = format!("{base}/v2/{repo}/manifests/{tag}");
            let blobs = format!("{base}/v2/{repo}/blobs/");
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await?;
                resolve(&http, mode, &url, &blobs, &requests).await
            });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mode = match mode {
        Mode::List => "list",
        Mode::Head => "head",
        Mode::Full => "full",
    };
    println!(
        "{{\"mode\":\"{mode}\",\"tags\":{},\"requests\":{},\"ms\":{ms:.1}}}",
        tags.len(),
        requests.load(Ordering::Relaxed)
    );
    Ok(())
}

/// Every tag, following `Link` pages when the registry pages.
async fn list_tags(
    http: &reqwest::Client,
    base: &str,
    repo: &str,
    requests: &AtomicU64,
) -> Result<Vec<String>, Failure> {
    #[derive(serde::Deserialize)]
    struct TagList {
        tags: Option<Vec<String>>,
    }
    let mut tags = Vec::new();
    let mut next = Some(format!("{base}/v2/{repo}/tags/list"));
    while let Some(url) = next.take() {
        requests.fetch_add(1, Ordering::Relaxed);
        let response = http.get(&url).send().await?.error_for_status()?;
        next = response
            .headers()
            .get(reqwest::header::LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| {
                format!(
                    "{base}{}",
                    v.trim().trim_start_matches('<').trim_end_matches('>')
                )
            });
        tags.extend(response.json::<TagList>().await?.tags.unwrap_or_default());
    }
    Ok(tags)
}

async fn resolve(
    http: &reqwest::Client,
    mode: Mode,
    url: &str,
    blobs: &str,
    requests: &AtomicU64,
) -> Result<(), Failure> {
    requests.fetch_add(1, Ordering::Relaxed);
    if mode == Mode::Head {
        http.head(url)
            .header(reqwest::header::ACCEPT, ACCEPT)
            .send()
            .await?
            .error_for_status()?;
        return Ok(());
    }
    let manifest: serde_json::Value = http
        .get(url)
        .header(reqwest::header::ACCEPT, ACCEPT)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    if let Some(config) = manifest.pointer("/config/digest").and_then(|d| d.as_str()) {
        requests.fetch_add(1, Ordering::Relaxed);
        http.get(format!("{blobs}{config}"))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
    }
    Ok(())
}
