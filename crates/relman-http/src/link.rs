//! `Link: <…>; rel="next"` for cursor-paged lists (GitHub's convention, RFC 8288).
//!
//! The next page's URL is the request's own path and query with `cursor` replaced, so every
//! filter the client gave carries over and the client follows the link without building URLs.

use actix_web::HttpRequest;
use actix_web::HttpResponseBuilder;
use actix_web::http::header;

/// The URL of the page after `cursor`: this request's path and query, `cursor` set to it.
pub fn next_url(req: &HttpRequest, cursor: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        // `page` is the page-number alternative; a cursor walk replaces it.
        if key != "cursor" && key != "page" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("cursor", cursor);
    format!("{}?{}", req.path(), query.finish())
}

/// Adds `Link: <next>; rel="next"` when there is a next page.
pub fn add_next_link(
    response: &mut HttpResponseBuilder,
    req: &HttpRequest,
    next_cursor: Option<&str>,
) {
    if let Some(cursor) = next_cursor {
        response.insert_header((
            header::LINK,
            format!("<{}>; rel=\"next\"", next_url(req, cursor)),
        ));
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::next_url;

    #[test]
    fn keeps_filters_and_replaces_cursor_and_page() {
        let req = TestRequest::get()
            .uri("/api/v1/components/api/versions?channel=stable&cursor=old&page=3&limit=10")
            .to_http_request();
        assert_eq!(
            next_url(&req, "abc"),
            "/api/v1/components/api/versions?channel=stable&limit=10&cursor=abc"
        );
    }
}
