//! What a dashboard request answers when it cannot show its page: a redirect to the sign-in
//! page, or an error page whose status and text come from the API's one error table.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use maud::html;
use relman_http::error::ApiError;
use relman_service::ServiceError;

use crate::layout;

/// A dashboard error.
#[derive(Debug)]
pub enum UiError {
    /// No valid session: go and sign in.
    SignIn,
    /// An error page.
    Page {
        /// The status it is answered with.
        status: StatusCode,
        /// One line on what went wrong.
        detail: String,
        /// Headers the page is sent with (`Retry-After` when rate-limited).
        headers: Vec<(HeaderName, HeaderValue)>,
    },
}

impl UiError {
    /// An error page with this status.
    pub fn page(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::Page {
            status,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    /// 403: the session's token may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::page(StatusCode::FORBIDDEN, detail)
    }

    /// 403: the form did not carry this session's CSRF token, or came from another site.
    pub fn csrf() -> Self {
        Self::forbidden(
            "CSRF check failed: the form did not come from this dashboard's own page; reload the \
             page and try again",
        )
    }

    /// 400: a field of the form or query is not acceptable.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::page(StatusCode::BAD_REQUEST, detail)
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SignIn => f.write_str("not signed in"),
            Self::Page { status, detail, .. } => write!(f, "{status}: {detail}"),
        }
    }
}

impl From<ServiceError> for UiError {
    fn from(e: ServiceError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        Self::Page {
            status: e.status_code(),
            detail: e.detail().to_owned(),
            headers: e.headers().to_vec(),
        }
    }
}

impl ResponseError for UiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn => StatusCode::SEE_OTHER,
            Self::Page { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/ui/sign-in"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
            Self::Page {
                status,
                detail,
                headers,
            } => {
                let title = status.canonical_reason().unwrap_or("Error");
                let body = html! {
                    h1 { (status.as_u16()) " " (title) }
                    p.error { (detail) }
                    p { a href="/ui" { "Back to the overview" } }
                };
                let mut response = layout::respond(*status, layout::page(None, title, body));
                for (name, value) in headers {
                    response.headers_mut().insert(name.clone(), value.clone());
                }
                response
            }
        }
    }
}
