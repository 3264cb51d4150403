//! The page shell every dashboard page shares, the headers every page is sent with, and the small
//! pieces pages are built of (times, digests, status badges, pagers).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

use crate::static_files;
use crate::viewer::Viewer;

/// What the browser may load: our own files only; no inline script, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A full page: header with navigation and sign-out (when signed in), then `body`.
pub fn page(viewer: Option<&Viewer>, title: &str, body: Markup) -> Markup {
    page_with(viewer, title, None, body)
}

/// A page that reloads itself every `refresh` seconds (a running sync), without JavaScript.
pub fn page_with(
    viewer: Option<&Viewer>,
    title: &str,
    refresh: Option<u32>,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(seconds) = refresh {
                    meta http-equiv="refresh" content=(seconds);
                }
                title { (title) " · relman" }
                link rel="icon" type="image/svg+xml" href=(static_files::ICON_PATH);
                link rel="stylesheet" href=(static_files::CSS_PATH);
                script src=(static_files::JS_PATH) defer {}
            }
            body {
                header.top {
                    a.brand href="/ui" { "relman" }
                    @if let Some(v) = viewer {
                        nav {
                            a href="/ui" { "Overview" }
                            a href="/ui/components" { "Components" }
                            @if v.is_admin() {
                                a href="/ui/audit" { "Audit log" }
                            }
                        }
                        span.who {
                            (v.actor.name) " · " (v.identity.scope().as_str())
                        }
                        form #sign-out method="post" action="/ui/sign-out" {
                            (csrf_field(v))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The hidden CSRF field of every form a session sends.
pub fn csrf_field(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name="_csrf" value=(viewer.csrf); }
}

/// An HTML response with the dashboard's headers: never cached, never framed, no sniffing.
pub fn respond(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(markup.into_string())
}

/// 200 with `markup`.
pub fn ok(markup: Markup) -> HttpResponse {
    respond(StatusCode::OK, markup)
}

/// 303 to `location`: where every successful form post goes.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A time as UTC text, in a `<time>` the script shows in local time.
pub fn time(at: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M:%S UTC")) }
    }
}

/// An optional time, or a dash.
pub fn maybe_time(at: Option<DateTime<Utc>>) -> Markup {
    match at {
        Some(at) => time(at),
        None => html! { "—" },
    }
}

/// A digest shortened for tables, the whole of it in the title and in the copy.
pub fn short_digest(digest: &str) -> Markup {
    let short = match digest.split_once(':') {
        Some((algorithm, hex)) if hex.len() > 12 => format!("{algorithm}:{}", &hex[..12]),
        _ => digest.to_owned(),
    };
    html! { code.digest title=(digest) { (short) } }
}

/// A status badge: its class and data attribute carry the status for styles and tests.
pub fn badge(status: &str) -> Markup {
    html! { span class={ "badge status-" (status) } data-status=(status) { (status.replace('_', " ")) } }
}

/// Page links: previous, "page N of M", next. `link(n)` is the address of page `n`.
pub fn pager(page: u64, total_pages: u64, link: impl Fn(u64) -> String) -> Markup {
    html! {
        nav.pager {
            @if page > 1 {
                a rel="prev" href=(link(page - 1)) { "← Newer" }
            }
            span { "page " (page) " of " (total_pages.max(1)) }
            @if page < total_pages {
                a rel="next" href=(link(page + 1)) { "Older →" }
            }
        }
    }
}

/// Percent-encodes `text` for a query value or path segment.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_shorten_to_twelve_hex_digits() {
        let d = format!("sha256:{}", "ab".repeat(32));
        let html = short_digest(&d).into_string();
        assert!(html.contains(">sha256:abababababab<"), "{html}");
        assert!(html.contains(&format!("title=\"{d}\"")), "{html}");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(encode("release.create"), "release.create");
    }

    #[test]
    fn the_pager_links_only_existing_pages() {
        let first = pager(1, 3, |n| format!("?page={n}")).into_string();
        assert!(!first.contains("rel=\"prev\""));
        assert!(first.contains("href=\"?page=2\""));
        assert!(first.contains("page 1 of 3"));
        let last = pager(3, 3, |n| format!("?page={n}")).into_string();
        assert!(!last.contains("rel=\"next\""));
        assert!(last.contains("href=\"?page=2\""));
    }
}
