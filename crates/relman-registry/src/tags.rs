//! Listing tags with `Link` pagination, guarded against registries that ignore `n` or `last`.

use std::collections::HashSet;

use reqwest::Method;
use reqwest::header::LINK;
use serde::Deserialize;
use url::Url;

use crate::client::{HttpRegistryClient, Scope};
use crate::error::RegistryError;
use crate::names::check_repository;

/// Largest tag-list page read. A full unpaginated list of tens of thousands of tags fits.
const TAGS_BODY_LIMIT: usize = 32 << 20;
/// A hard stop for pathological pagination (a million tags at 100 per page).
const MAX_PAGES: usize = 10_000;

#[derive(Deserialize)]
struct TagList {
    /// Some registries send `null` for a repository without tags.
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl HttpRegistryClient {
    pub(crate) async fn list_tags_impl(
        &self,
        repository: &str,
    ) -> Result<Vec<String>, RegistryError> {
        check_repository(repository)?;
        let page_size = self.config.tag_page_size;
        let mut url = self.url(&format!("v2/{repository}/tags/list"))?;
        url.query_pairs_mut()
            .append_pair("n", &page_size.to_string());
        let scope = Scope::Pull(repository.to_owned());
        let mut seen = HashSet::new();
        let mut tags = Vec::new();
        let mut visited = HashSet::new();
        loop {
            visited.insert(url.to_string());
            let exchange = self
                .send(
                    Method::GET,
                    &url,
                    Some("application/json"),
                    &scope,
                    TAGS_BODY_LIMIT,
                )
                .await?;
            if !exchange.status.is_success() {
                return Err(self.error_for(&exchange, repository, None));
            }
            let page: TagList = serde_json::from_slice(&exchange.body).map_err(|e| {
                self.malformed(format!("tag list of {repository} is not valid JSON ({e})"))
            })?;
            let page = page.tags.unwrap_or_default();
            let page_len = page.len();
            let mut added = 0usize;
            for tag in page {
                if seen.insert(tag.clone()) {
                    tags.push(tag);
                    added += 1;
                }
            }
            let next = next_link(&exchange.headers, &exchange.url)
                .map_err(|detail| self.malformed(detail))?;
            let Some(next) = next else {
                return Ok(tags);
            };
            if next.origin() != self.base.origin() {
                // Following it would send credentials to another host.
                return Err(self.malformed(format!(
                    "tag list Link points to another origin ({})",
                    next.origin().ascii_serialization()
                )));
            }
            let repeated = visited.contains(next.as_str()) || added == 0;
            if repeated {
                // The server ignores `last`. If it also ignored `n` (a page longer than asked
                // for), that page was the whole list; if it honoured `n`, tags beyond the first
                // page are unreachable, and returning a partial list would make callers think
                // the rest were deleted.
                if page_len == page_size {
                    return Err(self.malformed(format!(
                        "tag list pagination of {repository} does not advance (the registry repeats a full page of {page_size}); refusing to return a partial list"
                    )));
                }
                tracing::warn!(
                    registry = %self.registry,
                    repository,
                    "tag list pagination repeats a page; the registry ignores n/last, stopping"
                );
                return Ok(tags);
            }
            if visited.len() >= MAX_PAGES {
                return Err(self.malformed(format!(
                    "tag list of {repository} has more than {MAX_PAGES} pages"
                )));
            }
            url = next;
        }
    }
}

/// The `rel="next"` target among the response's `Link` headers, resolved against the URL that
/// answered (registries send paths such as `</v2/a/tags/list?n=100&last=x>`).
fn next_link(headers: &reqwest::header::HeaderMap, base: &Url) -> Result<Option<Url>, String> {
    for value in headers.get_all(LINK) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        if let Some(target) = parse_next_link(value) {
            return base
                .join(&target)
                .map(Some)
                .map_err(|e| format!("tag list Link target is not a URL ({e})"));
        }
    }
    Ok(None)
}

/// Parses an RFC 8288 `Link` value (possibly several comma-separated links) and returns the
/// target of the one whose `rel` includes `next`.
pub(crate) fn parse_next_link(value: &str) -> Option<String> {
    let mut rest = value;
    loop {
        let start = rest.find('<')?;
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        rest = &rest[end + 1..];
        // Parameters run until the next link, which starts with `<` after a comma.
        let params_end = rest.find('<').unwrap_or(rest.len());
        let params = &rest[..params_end];
        let is_next = params.split(';').any(|param| {
            let Some((name, val)) = param.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("rel")
                && val
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.to_owned());
        }
        rest = &rest[params_end..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_table() {
        let cases = [
            (
                r#"</v2/a/tags/list?n=100&last=v1.0.9>; rel="next""#,
                Some("/v2/a/tags/list?n=100&last=v1.0.9"),
            ),
            (
                "<https://r.example/v2/a/tags/list?last=x&n=2>; rel=next",
                Some("https://r.example/v2/a/tags/list?last=x&n=2"),
            ),
            (
                r#"</v2/a/tags/list?n=1>; rel="prev", </v2/a/tags/list?n=1&last=b>; rel="next""#,
                Some("/v2/a/tags/list?n=1&last=b"),
            ),
            (r#"</x>; title="a;b"; REL="Next""#, Some("/x")),
            (r#"</x>; rel="prev next""#, Some("/x")),
            (r#"</x>; rel="prev""#, None),
            (r#"</x>; rel="nextpage""#, None),
            ("garbage", None),
            ("", None),
        ];
        for (value, want) in cases {
            assert_eq!(parse_next_link(value).as_deref(), want, "value {value:?}");
        }
    }
}
