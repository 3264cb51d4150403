//! What can go wrong when talking to a registry.
//!
//! Every variant names the registry by host (never by a URL carrying credentials) and keeps what the
//! registry said: its HTTP status and the OCI error body. No variant holds a secret, so `Display` and
//! `Debug` are safe to log and to return to API users.

use std::fmt;
use std::time::Duration;

use relman_domain::Digest;
use serde::Deserialize;

/// An error code from an OCI error body (`{"errors":[{"code": …}]}`).
///
/// The distribution spec lists the named codes; registries such as Harbor send others, which are
/// kept verbatim in [`OciErrorCode::Other`] rather than lost.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OciErrorCode {
    /// `BLOB_UNKNOWN`: blob unknown to registry.
    BlobUnknown,
    /// `BLOB_UPLOAD_INVALID`: blob upload invalid.
    BlobUploadInvalid,
    /// `BLOB_UPLOAD_UNKNOWN`: blob upload unknown to registry.
    BlobUploadUnknown,
    /// `DIGEST_INVALID`: provided digest did not match uploaded content.
    DigestInvalid,
    /// `MANIFEST_BLOB_UNKNOWN`: manifest references a manifest or blob unknown to registry.
    ManifestBlobUnknown,
    /// `MANIFEST_INVALID`: manifest invalid.
    ManifestInvalid,
    /// `MANIFEST_UNKNOWN`: manifest unknown to registry.
    ManifestUnknown,
    /// `NAME_INVALID`: invalid repository name.
    NameInvalid,
    /// `NAME_UNKNOWN`: repository name not known to registry.
    NameUnknown,
    /// `SIZE_INVALID`: provided length did not match content length.
    SizeInvalid,
    /// `UNAUTHORIZED`: authentication required.
    Unauthorized,
    /// `DENIED`: requested access to the resource is denied.
    Denied,
    /// `UNSUPPORTED`: the operation is unsupported.
    Unsupported,
    /// `TOOMANYREQUESTS`: too many requests.
    TooManyRequests,
    /// Any code outside the spec, spelled as the registry sent it.
    Other(String),
}

impl OciErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::BlobUnknown => "BLOB_UNKNOWN",
            Self::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            Self::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            Self::DigestInvalid => "DIGEST_INVALID",
            Self::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            Self::ManifestInvalid => "MANIFEST_INVALID",
            Self::ManifestUnknown => "MANIFEST_UNKNOWN",
            Self::NameInvalid => "NAME_INVALID",
            Self::NameUnknown => "NAME_UNKNOWN",
            Self::SizeInvalid => "SIZE_INVALID",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Denied => "DENIED",
            Self::Unsupported => "UNSUPPORTED",
            Self::TooManyRequests => "TOOMANYREQUESTS",
            Self::Other(code) => code,
        }
    }
}

impl From<&str> for OciErrorCode {
    fn from(code: &str) -> Self {
        match code {
            "BLOB_UNKNOWN" => Self::BlobUnknown,
            "BLOB_UPLOAD_INVALID" => Self::BlobUploadInvalid,
            "BLOB_UPLOAD_UNKNOWN" => Self::BlobUploadUnknown,
            "DIGEST_INVALID" => Self::DigestInvalid,
            "MANIFEST_BLOB_UNKNOWN" => Self::ManifestBlobUnknown,
            "MANIFEST_INVALID" => Self::ManifestInvalid,
            "MANIFEST_UNKNOWN" => Self::ManifestUnknown,
            "NAME_INVALID" => Self::NameInvalid,
            "NAME_UNKNOWN" => Self::NameUnknown,
            "SIZE_INVALID" => Self::SizeInvalid,
            "UNAUTHORIZED" => Self::Unauthorized,
            "DENIED" => Self::Denied,
            "UNSUPPORTED" => Self::Unsupported,
            "TOOMANYREQUESTS" => Self::TooManyRequests,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for OciErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of an OCI error body.
#[derive(Debug, Clone, PartialEq)]
pub struct OciError {
    /// The error code.
    pub code: OciErrorCode,
    /// The registry's human-readable message (may be empty).
    pub message: String,
    /// Unstructured detail, as sent.
    pub detail: Option<serde_json::Value>,
}

impl fmt::Display for OciError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

/// Which side of the authentication refused us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStage {
    /// The registry itself (basic auth, a static bearer token, or a token it then rejected).
    Registry,
    /// The token endpoint named by the registry's `WWW-Authenticate: Bearer realm=…` challenge.
    TokenEndpoint,
}

impl fmt::Display for AuthStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Registry => "registry",
            Self::TokenEndpoint => "token endpoint",
        })
    }
}

/// An error from the registry client.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// This client cannot do that.
    #[error("this registry client does not support {0}")]
    Unsupported(&'static str),
    /// The configuration cannot work (bad URL, zero concurrency, …).
    #[error("invalid registry configuration: {0}")]
    InvalidConfig(String),
    /// A repository name or reference that cannot be put in a request path.
    #[error("invalid {what} '{value}'")]
    InvalidInput {
        /// `repository` or `reference`.
        what: &'static str,
        /// The rejected value.
        value: String,
    },
    /// No HTTP exchange could be completed (connection refused, reset, DNS, TLS).
    #[error("registry {registry} is unreachable")]
    Unreachable {
        /// Host of the registry.
        registry: String,
        /// The transport error; its text holds the URL but never credentials.
        #[source]
        source: reqwest::Error,
    },
    /// The egress policy refused the address the registry (or its token realm, or a redirect)
    /// resolves to; no connection was made. The refusal says how to allow it, if it can be.
    #[error("registry {registry} may not be reached: {refusal}")]
    Egress {
        /// Host of the registry.
        registry: String,
        /// What was refused and why; never holds a URL's path or query.
        refusal: relman_egress::Refusal,
    },
    /// The registry did not answer within the configured timeout.
    #[error("registry {registry} did not answer within {} ms", timeout.as_millis())]
    Timeout {
        /// Host of the registry.
        registry: String,
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// Credentials were missing or refused, by the registry or its token endpoint.
    #[error(
        "authentication with registry {registry} failed: {stage} answered HTTP {status}: {reason}"
    )]
    AuthFailed {
        /// Host of the registry.
        registry: String,
        /// Who refused.
        stage: AuthStage,
        /// The HTTP status they answered.
        status: u16,
        /// What relman concluded, e.g. "the credentials were rejected".
        reason: String,
        /// The OCI error body, when there was one.
        errors: Vec<OciError>,
    },
    /// The registry kept answering 429 or 503 beyond the retry budget, or asked for a wait longer
    /// than relman is willing to block.
    #[error(
        "registry {registry} is rate-limiting: still HTTP {status} after {attempts} attempt(s)"
    )]
    RateLimited {
        /// Host of the registry.
        registry: String,
        /// 429 or 503.
        status: u16,
        /// Requests made for this one operation.
        attempts: u32,
        /// The last `Retry-After` the registry sent, if any.
        retry_after: Option<Duration>,
    },
    /// The repository, tag or manifest does not exist.
    #[error("{repository}{} not found in registry {registry}", reference.as_ref().map(|r| format!(":{r}")).unwrap_or_default())]
    NotFound {
        /// Host of the registry.
        registry: String,
        /// The repository asked for.
        repository: String,
        /// The tag or digest asked for, when the request named one.
        reference: Option<String>,
        /// Usually 404.
        status: u16,
        /// The OCI error body (`NAME_UNKNOWN`, `MANIFEST_UNKNOWN`), when there was one.
        errors: Vec<OciError>,
    },
    /// Bytes fetched from the registry do not hash to the digest that was claimed for them.
    #[error(
        "content from registry {registry} does not match digest {expected} (its sha256 is {actual})"
    )]
    DigestMismatch {
        /// Host of the registry.
        registry: String,
        /// The digest the registry (or the caller's reference) claimed.
        expected: Digest,
        /// The sha256 of the bytes actually received.
        actual: Digest,
    },
    /// The registry answered 2xx but with something that is not what the protocol promises.
    #[error("registry {registry} sent a malformed response: {detail}")]
    MalformedResponse {
        /// Host of the registry.
        registry: String,
        /// What was wrong.
        detail: String,
    },
    /// Any other non-success answer, with the registry's status and error body.
    #[error("registry {registry} answered HTTP {status}{}", summary(errors))]
    Http {
        /// Host of the registry.
        registry: String,
        /// The HTTP status.
        status: u16,
        /// The parsed OCI error body (empty when the body was not one).
        errors: Vec<OciError>,
        /// The raw body, truncated to a few KiB.
        body: String,
    },
}

impl RegistryError {
    /// The HTTP status the registry (or its token endpoint) answered, when the error comes from one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::AuthFailed { status, .. }
            | Self::RateLimited { status, .. }
            | Self::NotFound { status, .. }
            | Self::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The OCI error entries the registry sent, if any.
    pub fn oci_errors(&self) -> &[OciError] {
        match self {
            Self::AuthFailed { errors, .. }
            | Self::NotFound { errors, .. }
            | Self::Http { errors, .. } => errors,
            _ => &[],
        }
    }
}

/// `": CODE: message; CODE2"` for the `Display` of [`RegistryError::Http`]; empty without errors.
fn summary(errors: &[OciError]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!(": {}", parts.join("; "))
}

/// The longest raw body kept in an error: enough for any real error body, bounded so a registry
/// answering with a whole HTML page does not bloat logs.
pub(crate) const MAX_KEPT_BODY: usize = 4096;

/// Parses an OCI error body leniently: anything that is not `{"errors":[…]}` yields no entries
/// (the raw body is kept beside it), and missing fields become empty.
pub(crate) fn parse_oci_errors(body: &[u8]) -> Vec<OciError> {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
        #[serde(default)]
        detail: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(parsed) => parsed
            .errors
            .into_iter()
            .map(|e| OciError {
                code: OciErrorCode::from(e.code.as_str()),
                message: e.message,
                detail: e.detail.filter(|d| !d.is_null()),
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The body as text for an error, cut at [`MAX_KEPT_BODY`] bytes on a character boundary.
pub(crate) fn kept_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() <= MAX_KEPT_BODY {
        return text.into_owned();
    }
    let mut end = MAX_KEPT_BODY;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_table() {
        let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
            (
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#,
                vec![("MANIFEST_UNKNOWN", "manifest unknown")],
            ),
            (
                r#"{"errors":[{"code":"PROJECTPOLICYVIOLATION","message":"blocked"},{"code":"DENIED"}]}"#,
                vec![("PROJECTPOLICYVIOLATION", "blocked"), ("DENIED", "")],
            ),
            ("<html>oops</html>", vec![]),
            ("{}", vec![]),
            ("", vec![]),
        ];
        for (body, want) in cases {
            let got: Vec<(String, String)> = parse_oci_errors(body.as_bytes())
                .into_iter()
                .map(|e| (e.code.as_str().to_owned(), e.message))
                .collect();
            let want: Vec<(String, String)> = want
                .into_iter()
                .map(|(c, m)| (c.to_owned(), m.to_owned()))
                .collect();
            assert_eq!(got, want, "body {body:?}");
        }
    }

    #[test]
    fn non_spec_codes_are_kept() {
        assert_eq!(
            OciErrorCode::from("PROJECTPOLICYVIOLATION"),
            OciErrorCode::Other("PROJECTPOLICYVIOLATION".into())
        );
        assert_eq!(OciErrorCode::from("DENIED"), OciErrorCode::Denied);
        for code in ["TOOMANYREQUESTS", "NAME_UNKNOWN", "WHATEVER"] {
            assert_eq!(OciErrorCode::from(code).as_str(), code);
        }
    }

    #[test]
    fn kept_body_is_bounded() {
        let long = "é".repeat(MAX_KEPT_BODY);
        let kept = kept_body(long.as_bytes());
        assert!(kept.len() <= MAX_KEPT_BODY + '…'.len_utf8());
        assert!(kept.ends_with('…'));
        assert_eq!(kept_body(b"short"), "short");
    }
}
