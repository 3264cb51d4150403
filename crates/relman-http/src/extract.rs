//! Request extractors whose failures are problem+json with the field that failed.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldProblem};
use relman_wire::ErrorCode;

/// Limits for request bodies, registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl Default for BodyLimit {
    fn default() -> Self {
        Self(1024 * 1024)
    }
}

/// A JSON request body. Wrong media type → 415; too large → 413 `payload_too_large`; malformed →
/// 400 `invalid_json`; well-formed but wrong shape → 400 `validation_failed` naming the field.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<BodyLimit>>()
            .map_or(BodyLimit::default().0, |l| l.0);
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::new(
                    ErrorCode::UnsupportedMediaType,
                    "send the body as application/json",
                ));
            }
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large(limit));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::new(
                        ErrorCode::InvalidBody,
                        format!("could not read the body: {e}"),
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(JsonBody)
        })
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the body exceeds the limit of {limit} bytes"),
    )
}

/// Parses JSON, telling syntax errors (`invalid_json`) from shape errors (`validation_failed`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let invalid = |e: serde_json::Error| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            ApiError::validation(vec![field_problem(&path, &inner.to_string())])
        } else {
            invalid(inner)
        }
    })?;
    de.end().map_err(invalid)?;
    // serde also builds structs from arrays; every request body of this API is an object, or
    // `null` where the target takes it (an optional body: other targets already refused it).
    if !matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'n')
    ) {
        return Err(ApiError::validation(vec![FieldProblem {
            field: "body".into(),
            message: "must be a JSON object".into(),
        }]));
    }
    check_body_text(bytes)?;
    Ok(value)
}

/// Applies the text rule ([`relman_domain::check_text`], prose flavour) to every string of a body,
/// keys included, whatever the target type: no control character reaches the service or the
/// database from any field, now or in fields added later. One-line fields are held to the
/// stricter rule by the service.
fn check_body_text(bytes: &[u8]) -> Result<(), ApiError> {
    // JSON forbids raw control characters inside strings, so they can only arrive escaped (`\u0000`,
    // `\b`, `\f`) or as DEL and the two-byte C1 characters: without a backslash, 0x7F or 0xC2
    // there is nothing to look at, and most bodies are spared a second parse.
    if !bytes.iter().any(|&b| b == b'\\' || b == 0x7f || b == 0xc2) {
        return Ok(());
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let mut problems = Vec::new();
    walk_strings(&value, &mut String::new(), &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(problems))
    }
}

/// Collects a problem for every string under `value` that breaks the text rule; `path` is the
/// field path in the notation of the other validation errors (`members[0].tag`).
fn walk_strings(value: &serde_json::Value, path: &mut String, problems: &mut Vec<FieldProblem>) {
    fn check(text: &str, path: &str, problems: &mut Vec<FieldProblem>) {
        if let Err(e) = relman_domain::check_text(text, relman_domain::TextKind::Multiline) {
            let field = if path.is_empty() { "body" } else { path };
            problems.push(FieldProblem {
                field: field.to_owned(),
                message: e.to_string(),
            });
        }
    }
    match value {
        serde_json::Value::String(text) => check(text, path, problems),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk_strings(item, path, problems);
                path.truncate(len);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                check(key, path, problems);
                walk_strings(item, path, problems);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// A JSON body that may be absent: no body at all (no `Content-Length`, or `0`, and no
/// `Transfer-Encoding`) and a body of JSON `null` are `None`, as the document's `oneOf` of `null`
/// and the request schema says; any other body is read exactly as [`JsonBody`] reads it, so a
/// malformed optional body is still an error rather than silently ignored.
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let headers = req.headers();
        let empty = !headers.contains_key(header::TRANSFER_ENCODING)
            && headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|v| v.trim() == "0");
        if empty {
            return Box::pin(std::future::ready(Ok(Self(None))));
        }
        let body = JsonBody::<Option<T>>::from_request(req, payload);
        Box::pin(async move { body.await.map(|JsonBody(v)| Self(v)) })
    }
}

/// Query parameters; a bad value is 400 `validation_failed` naming the parameter.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        let problems: Vec<FieldProblem> = pairs
            .filter_map(|(key, value)| {
                relman_domain::check_text(&value, relman_domain::TextKind::Line)
                    .err()
                    .map(|e| FieldProblem {
                        field: key.into_owned(),
                        message: e.to_string(),
                    })
            })
            .collect();
        if !problems.is_empty() {
            return std::future::ready(Err(ApiError::validation(problems)));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(
            req.query_string().as_bytes(),
        ));
        let parsed = serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|err| {
                let path = err.path().to_string();
                ApiError::validation(vec![field_problem(&path, &err.into_inner().to_string())])
            });
        std::future::ready(parsed)
    }
}

/// Names the field of a serde error: the path where it happened, or the field a message names.
fn field_problem(path: &str, message: &str) -> FieldProblem {
    // serde reports a missing field at its parent's path, naming the field in backticks; an unknown
    // field's path already ends with the field.
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    let field = match (path, missing) {
        (".", Some(name)) => name.to_owned(),
        (p, Some(name)) => format!("{p}.{name}"),
        (".", None) => "body".to_owned(),
        (p, None) => p.to_owned(),
    };
    FieldProblem { field, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[expect(dead_code, reason = "fields exist to be deserialized")]
    struct Sample {
        name: String,
        count: Option<u32>,
        items: Option<Vec<Item>>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields exist to be deserialized")]
    struct Item {
        digest: String,
    }

    #[test]
    fn control_characters_in_any_string_are_refused_naming_the_field() {
        let cases = [
            (r#"{"name": "a\u0000b"}"#, Some("name")),
            (r#"{"name": "\u001b[31mred"}"#, Some("name")),
            (
                r#"{"name": "a", "items": [{"digest": "x\u0000"}]}"#,
                Some("items[0].digest"),
            ),
            ("{\"name\": \"del\u{7f}\"}", Some("name")),
            ("{\"name\": \"c1\u{85}\"}", Some("name")),
            (r#"{"name": "line\nbreak\ttab"}"#, None),
            (r#"{"name": "an escaped backslash \\u0000 is text"}"#, None),
            (r#"{"name": "plain"}"#, None),
        ];
        for (body, field) in cases {
            let got = parse_json::<Sample>(body.as_bytes()).err().map(|e| {
                assert_eq!(e.code(), "validation_failed", "{body}");
                e.problem().errors.map(|e| e[0].field.clone())
            });
            assert_eq!(got, field.map(|f| Some(f.to_owned())), "{body}");
        }
    }

    #[actix_web::test]
    async fn an_optional_body_may_be_absent_or_null_but_not_malformed() {
        use actix_web::{App, HttpResponse, test, web};
        let app = test::init_service(App::new().route(
            "/",
            web::post().to(
                |OptionalJsonBody(body): OptionalJsonBody<Sample>| async move {
                    HttpResponse::Ok().body(if body.is_some() { "some" } else { "none" })
                },
            ),
        ))
        .await;
        for (body, status, answer) in [
            (None, 200, "none"),
            (Some("null"), 200, "none"),
            (Some(" null "), 200, "none"),
            (Some(r#"{"name": "a"}"#), 200, "some"),
            (Some(r#"{"name": null}"#), 400, ""),
            (Some("nul"), 400, ""),
            (Some("[]"), 400, ""),
        ] {
            let mut req = test::TestRequest::post().uri("/");
            if let Some(body) = body {
                req = req
                    .insert_header((header::CONTENT_TYPE, "application/json"))
                    .set_payload(body);
            }
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status().as_u16(), status, "{body:?}");
            let got = test::read_body(res).await;
            if status == 200 {
                assert_eq!(got, answer.as_bytes(), "{body:?}");
            }
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        let cases = [
            (r#"{"name": 1}"#, "validation_failed", Some("name")),
            (r#"{}"#, "validation_failed", Some("name")),
            ("null", "validation_failed", Some("body")),
            (
                r#"{"name": "a", "count": -1}"#,
                "validation_failed",
                Some("count"),
            ),
            (
                r#"{"name": "a", "nmae": "b"}"#,
                "validation_failed",
                Some("nmae"),
            ),
            (
                r#"{"name": "a", "items": [{"digest": 5}]}"#,
                "validation_failed",
                Some("items[0].digest"),
            ),
            (
                r#"{"name": "a", "items": [{"x": 5}]}"#,
                "validation_failed",
                Some("items[0].x"),
            ),
            (r#"{"name": "a""#, "invalid_json", None),
            ("", "invalid_json", None),
            (r#"{"name": "a"} trailing"#, "invalid_json", None),
            ("[1,2]", "validation_failed", Some("[0]")),
            ("true", "validation_failed", Some("body")),
        ];
        for (body, code, field) in cases {
            let err = parse_json::<Sample>(body.as_bytes()).unwrap_err();
            assert_eq!(err.code(), code, "{body}");
            let got = err.problem().errors.map(|e| e[0].field.clone());
            assert_eq!(got.as_deref(), field, "{body}");
        }
    }
}
