//! Content negotiation of error bodies: `application/problem+json` unless the client prefers
//! plain `application/json`.
//!
//! Every error is an RFC 9457 problem body sent as `application/problem+json`. Many generated
//! clients decode (and type) only `application/json` bodies, and send `Accept: application/json`;
//! for them the same body goes out as `application/json`. The OpenAPI document lists both media
//! types on every error response (`openapi_extras`), so it stays true either way.
//!
//! The choice follows RFC 9110 §12.5.1: each of the two media types gets the quality of the most
//! specific range of `Accept` that matches it, and `application/json` is chosen only when it is
//! strictly preferred, by a higher quality or, at equal quality, by a more specific range
//! (`application/json, */*` names it while only the wildcard covers problem+json). Otherwise,
//! with no `Accept`, with `*/*`, or when neither is acceptable (an error is sent regardless),
//! the body stays `application/problem+json`.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;

use crate::error::PROBLEM_JSON;

/// The media type a problem body is relabelled to.
const JSON: &str = "application/json";

/// Middleware: relabels problem responses as `application/json` for clients that prefer it, and
/// marks every problem response as varying with `Accept`.
pub async fn negotiate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let plain = prefers_json(
        req.headers()
            .get_all(header::ACCEPT)
            .filter_map(|v| v.to_str().ok()),
    );
    // No clone of the request may live across the call: routing needs it unshared. The inner
    // middlewares answer refusals as responses, so an `Err` here is actix's own and passes on.
    let mut res = next.call(req).await?;
    if is_problem(res.headers()) {
        let headers = res.headers_mut();
        headers.append(header::VARY, HeaderValue::from_static("accept"));
        if plain {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
        }
    }
    Ok(res)
}

fn is_problem(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(PROBLEM_JSON))
}

/// One media range of `Accept`, lowercased, with its quality in thousandths.
#[derive(Debug, PartialEq, Eq)]
struct MediaRange {
    type_: String,
    subtype: String,
    q: u16,
}

/// How well a client takes a media type: the quality of the most specific range matching it,
/// and that specificity (0 none, 1 `*/*`, 2 `type/*`, 3 exact). Compared quality first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Preference {
    q: u16,
    specificity: u8,
}

/// Whether `Accept` (all its header lines) prefers `application/json` to problem+json.
fn prefers_json<'a>(accept: impl Iterator<Item = &'a str>) -> bool {
    let ranges: Vec<MediaRange> = accept
        .flat_map(|line| split_unquoted(line, ','))
        .filter_map(media_range)
        .collect();
    if ranges.is_empty() {
        return false;
    }
    let json = preference(&ranges, JSON);
    let problem = preference(&ranges, PROBLEM_JSON);
    json.q > 0 && json > problem
}

fn preference(ranges: &[MediaRange], media_type: &str) -> Preference {
    let (type_, subtype) = media_type.split_once('/').unwrap_or((media_type, ""));
    ranges
        .iter()
        .filter_map(|r| {
            let specificity = match (r.type_.as_str(), r.subtype.as_str()) {
                ("*", "*") => 1,
                (t, "*") if t == type_ => 2,
                (t, s) if t == type_ && s == subtype => 3,
                _ => return None,
            };
            Some((specificity, r.q))
        })
        // The most specific range decides; among equally specific ones, the best quality.
        .max()
        .map_or(
            Preference {
                q: 0,
                specificity: 0,
            },
            |(specificity, q)| Preference { q, specificity },
        )
}

/// Parses `type/subtype *( ; parameter )`; `None` for anything malformed, which then counts as
/// not sent. Parameters other than `q` do not change the match (no representation here has any).
fn media_range(text: &str) -> Option<MediaRange> {
    let mut parts = split_unquoted(text, ';').into_iter();
    let (type_, subtype) = parts.next()?.trim().split_once('/')?;
    let (type_, subtype) = (type_.trim(), subtype.trim());
    let token = |s: &str| !s.is_empty() && s.bytes().all(is_tchar);
    if !token(type_) || !token(subtype) || (type_ == "*" && subtype != "*") {
        return None;
    }
    let mut q = 1000;
    for parameter in parts {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        // Everything after `q` is an accept-extension and is ignored.
        if name.trim().eq_ignore_ascii_case("q") {
            q = qvalue(value.trim())?;
            break;
        }
    }
    Some(MediaRange {
        type_: type_.to_ascii_lowercase(),
        subtype: subtype.to_ascii_lowercase(),
        q,
    })
}

/// `0`, `0.ddd`, `1` or `1.000` (at most three decimals) in thousandths.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// RFC 9110 token characters.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Splits at `sep` outside double-quoted strings (a parameter value may hold `,` or `;`).
fn split_unquoted(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.retain(|p| !p.trim().is_empty());
    parts
}

#[cfg(test)]
mod tests {
    use super::{MediaRange, media_range, prefers_json, qvalue};

    fn json(accept: &[&str]) -> bool {
        prefers_json(accept.iter().copied())
    }

    #[test]
    fn chooses_plain_json_only_when_preferred() {
        for accept in [
            &["application/json"][..],
            &["application/json, */*"],
            &["application/json, text/plain, */*"],
            &["application/json", "text/html"],
            &["APPLICATION/JSON; charset=utf-8"],
            &["application/json, application/problem+json;q=0.5"],
            &["application/json, application/problem+json;q=0"],
            &["application/*;q=0.2, application/json"],
        ] {
            assert!(json(accept), "{accept:?}");
        }
        for accept in [
            &[][..],
            &[""],
            &["*/*"],
            &["application/*"],
            &["application/problem+json"],
            &["application/json, application/problem+json"],
            &["application/problem+json, application/json"],
            &["application/json;q=0.5, */*"],
            &["application/json;q=0"],
            &["text/html"],
            &["application/json;q=2"],
            &["garbage"],
        ] {
            assert!(!json(accept), "{accept:?}");
        }
    }

    #[test]
    fn parses_media_ranges() {
        assert_eq!(
            media_range(r#" Application/JSON ; foo="a;b,c" ; Q=0.25 ; ext=1"#),
            Some(MediaRange {
                type_: "application".to_owned(),
                subtype: "json".to_owned(),
                q: 250,
            })
        );
        assert_eq!(media_range("*/json"), None);
        assert_eq!(media_range("application/"), None);
        assert_eq!(media_range("application/json;q=0.1234"), None);
        // A quoted comma does not end the range.
        assert!(json(&[
            r#"application/json;foo="x,application/problem+json""#
        ]));
    }

    #[test]
    fn parses_qvalues() {
        assert_eq!(qvalue("1"), Some(1000));
        assert_eq!(qvalue("1.000"), Some(1000));
        assert_eq!(qvalue("0"), Some(0));
        assert_eq!(qvalue("0.5"), Some(500));
        assert_eq!(qvalue("0.05"), Some(50));
        assert_eq!(qvalue("1.5"), None);
        assert_eq!(qvalue("-0"), None);
        assert_eq!(qvalue("0.x"), None);
    }
}
