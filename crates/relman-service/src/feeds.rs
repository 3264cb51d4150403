//! Update-discovery feeds (seed 004) as the bytes a client or a static server serves: the live
//! `/updates/v1/` routes and the exported tree are both rendered here, so they are identical.

use std::sync::Arc;

use relman_domain::{Feed, FeedLatest, FeedList, compute_feed};
use serde::Serialize;

use crate::Service;
use crate::error::{Resource, ServiceError};

/// Which file of a component's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedFile {
    /// `latest/{component}.json`.
    Latest,
    /// `major/{vX}/{component}.json`: the major's minors.
    Major(String),
    /// `minor/{vX.Y}/{component}.json`: the minor's patches.
    Minor(String),
}

/// One rendered file of the feed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedDocument {
    /// Its path under the feed root: `latest/api.json`, `major/v2/api.json`, …
    pub path: String,
    /// Its bytes: compact JSON and a newline.
    pub bytes: Vec<u8>,
}

#[derive(Serialize)]
struct LatestJson<'a> {
    version: &'a str,
    tag: &'a str,
    digest: String,
}

#[derive(Serialize)]
struct ListJson<'a> {
    versions: &'a [String],
}

fn json(value: &impl Serialize) -> Vec<u8> {
    // Plain structs of strings: serialization cannot fail.
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// `{"version": "v2.3.0", "tag": …, "digest": …}`.
fn render_latest(latest: &FeedLatest) -> Vec<u8> {
    json(&LatestJson {
        version: &latest.version,
        tag: &latest.tag,
        digest: latest.digest.to_string(),
    })
}

/// `{"versions": ["v2.0", "v2.1"]}`.
fn render_list(list: &FeedList) -> Vec<u8> {
    json(&ListJson {
        versions: &list.versions,
    })
}

/// Every file of one component's feed, by path: `latest/` (when a version floats), one
/// `major/` file per major and one `minor/` file per minor.
fn render_feed(component: &str, feed: &Feed) -> Vec<FeedDocument> {
    let mut out = Vec::with_capacity(1 + feed.majors.len() + feed.minors.len());
    if let Some(latest) = &feed.latest {
        out.push(FeedDocument {
            path: format!("latest/{component}.json"),
            bytes: render_latest(latest),
        });
    }
    for (kind, lists) in [("major", &feed.majors), ("minor", &feed.minors)] {
        out.extend(lists.iter().map(|l| FeedDocument {
            path: format!("{kind}/{}/{component}.json", l.name),
            bytes: render_list(l),
        }));
    }
    out
}

impl Service {
    /// A component's feed, computed from its floating versions (read through a short cache that
    /// every version write forgets).
    pub async fn feed(&self, component_key: &str) -> Result<Arc<Feed>, ServiceError> {
        if let Some(hit) = self.feeds.get(&component_key.to_owned()) {
            return Ok(hit);
        }
        let seen = self.feeds.generation();
        let component = self.component(component_key).await?;
        let versions = self.floating_versions(&component).await?;
        let feed = Arc::new(compute_feed(&versions));
        self.feeds
            .insert(component_key.to_owned(), feed.clone(), seen);
        Ok(feed)
    }

    /// One feed file's bytes. An unknown component, major or minor, or a component with no
    /// floating version asked for `latest`, is [`ServiceError::NotFound`].
    pub async fn feed_file(
        &self,
        component_key: &str,
        file: &FeedFile,
    ) -> Result<Vec<u8>, ServiceError> {
        let feed = self.feed(component_key).await?;
        let missing = |what: String| ServiceError::NotFound {
            resource: Resource::Version,
            key: format!("{component_key} {what}"),
        };
        match file {
            FeedFile::Latest => feed
                .latest
                .as_ref()
                .map(render_latest)
                .ok_or_else(|| missing("latest".into())),
            FeedFile::Major(name) => feed
                .major(name)
                .map(render_list)
                .ok_or_else(|| missing(format!("{name}.*"))),
            FeedFile::Minor(name) => feed
                .minor(name)
                .map(render_list)
                .ok_or_else(|| missing(format!("{name}.*"))),
        }
    }

    /// Every component's feed files, sorted by path: what an export publishes.
    pub async fn feed_tree(&self) -> Result<Vec<FeedDocument>, ServiceError> {
        let mut out = Vec::new();
        for component in self.store.list_components().await? {
            let name = component.name.to_string();
            out.extend(render_feed(&name, &*self.feed(&name).await?));
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}
