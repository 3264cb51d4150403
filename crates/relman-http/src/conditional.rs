//! Strong entity tags and `If-None-Match`: a client that holds the current representation gets
//! `304 Not Modified` and no body.
//!
//! The tag is a hash of the exact bytes of the body, so equal tags mean equal bytes (RFC 9110
//! §8.8.1, strong), across replicas and restarts alike, and a change of the serialization itself
//! changes the tag too.

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest as _, Sha256};

/// A JSON body and its strong entity tag, ready to send again and again.
#[derive(Debug, Clone)]
pub struct TaggedBody {
    /// The serialized body.
    pub body: Bytes,
    /// The quoted tag, e.g. `"3f1c…"`.
    pub etag: HeaderValue,
}

impl TaggedBody {
    /// Serializes `value` and tags the bytes.
    pub fn json<T: serde::Serialize>(value: &T) -> Result<Self, serde_json::Error> {
        Ok(Self::bytes(Bytes::from(serde_json::to_vec(value)?)))
    }

    /// Tags bytes that are already JSON.
    pub fn bytes(body: Bytes) -> Self {
        let hash = Sha256::digest(&body);
        // 128 bits of the hash: collisions are out of reach, and the header stays short.
        let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
        let etag = HeaderValue::from_str(&format!("\"{hex}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("\"\""));
        Self { body, etag }
    }

    /// `304` with the tag when the request's `If-None-Match` names it (or is `*`), else `200`
    /// with the body and the tag.
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        if if_none_match(req, &self.etag) {
            return HttpResponse::NotModified()
                .insert_header((header::ETAG, self.etag.clone()))
                .finish();
        }
        HttpResponse::Ok()
            .content_type(mime_json())
            .insert_header((header::ETAG, self.etag.clone()))
            .body(self.body.clone())
    }
}

fn mime_json() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

/// Whether any `If-None-Match` of the request matches `etag`: `*`, or a listed tag equal to it
/// by the weak comparison `If-None-Match` uses (a `W/` prefix is ignored, RFC 9110 §13.1.2).
pub fn if_none_match(req: &HttpRequest, etag: &HeaderValue) -> bool {
    let etag = etag.as_bytes();
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn tag_is_strong_and_follows_the_bytes() {
        let a = TaggedBody::json(&serde_json::json!({"a": 1})).unwrap();
        let again = TaggedBody::json(&serde_json::json!({"a": 1})).unwrap();
        let b = TaggedBody::json(&serde_json::json!({"a": 2})).unwrap();
        assert_eq!(a.etag, again.etag);
        assert_ne!(a.etag, b.etag);
        let text = a.etag.to_str().unwrap();
        assert!(text.starts_with('"') && text.ends_with('"') && !text.starts_with("W/"));
    }

    #[test]
    fn if_none_match_lists_weak_tags_and_star() {
        let tag = HeaderValue::from_static("\"abc\"");
        let matches = |value: &str| {
            let req = TestRequest::default()
                .insert_header((header::IF_NONE_MATCH, value))
                .to_http_request();
            if_none_match(&req, &tag)
        };
        assert!(matches("\"abc\""));
        assert!(matches("\"x\", W/\"abc\""));
        assert!(matches("*"));
        assert!(!matches("\"abcd\""));
        assert!(!matches("abc"));
        assert!(!if_none_match(
            &TestRequest::default().to_http_request(),
            &tag
        ));
    }
}
