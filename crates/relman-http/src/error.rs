//! Every error the API answers with: RFC 9457 problem details with a stable `code`.
//!
//! This file holds the one table from service errors to `(status, code)`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use relman_domain::ValidationError;
use relman_service::ServiceError;

pub use relman_wire::{ErrorCode, FieldProblem, PROBLEM_JSON, Problem};

/// An error on its way to becoming a problem response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    detail: String,
    errors: Option<Vec<FieldProblem>>,
    allow: Option<String>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    /// An error with a code from the catalogue (which decides the status) and a detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(code.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            detail: detail.into(),
            errors: None,
            allow: None,
            headers: Vec::new(),
        }
    }

    /// 400 `validation_failed` with field errors.
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            errors: Some(errors),
            ..Self::new(ErrorCode::ValidationFailed, detail)
        }
    }

    /// Adds response headers (rate-limit budgets, `Retry-After`).
    #[must_use]
    pub fn with_headers(mut self, headers: Vec<(header::HeaderName, HeaderValue)>) -> Self {
        self.headers.extend(headers);
        self
    }

    /// What went wrong, for a person.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The headers the response carries besides the problem (`Retry-After`, rate-limit budgets).
    pub fn headers(&self) -> &[(header::HeaderName, HeaderValue)] {
        &self.headers
    }

    /// 401: no token, or not a valid one.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, detail)
    }

    /// 405 with the methods the path allows.
    pub fn method_not_allowed(allowed: &[&str]) -> Self {
        let allow = allowed.join(", ");
        Self {
            allow: Some(allow.clone()),
            ..Self::new(ErrorCode::MethodNotAllowed, format!("allowed: {allow}"))
        }
    }

    /// Adds per-field details to an error that is not a plain validation failure
    /// (`duplicate_component`, `unresolvable_version`), so clients find the failing member.
    #[must_use]
    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Self {
        self.errors = Some(errors);
        self
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }

    pub(crate) fn problem(&self) -> Problem {
        Problem {
            type_: Problem::type_uri(self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code.as_str(),
            self.detail
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"relman\""),
            ));
        }
        if let Some(allow) = &self.allow {
            res.insert_header((header::ALLOW, allow.as_str()));
        }
        for (name, value) in &self.headers {
            res.insert_header((name.clone(), value.clone()));
        }
        res.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        Self::validation(
            e.errors
                .into_iter()
                .map(|fe| FieldProblem {
                    field: fe.field,
                    message: fe.message,
                })
                .collect(),
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(v) => v.into(),
            ServiceError::NotFound { .. } => Self::new(ErrorCode::NotFound, e.to_string()),
            ServiceError::NameExists { .. } => Self::new(ErrorCode::NameExists, e.to_string()),
            ServiceError::InUse { .. } => Self::new(ErrorCode::InUse, e.to_string()),
            ServiceError::EmptyRelease { ref field } => {
                let field = field.clone();
                Self::new(ErrorCode::EmptyRelease, e.to_string()).with_errors(vec![FieldProblem {
                    field,
                    message: "must hold at least one member".into(),
                }])
            }
            ServiceError::DuplicateComponent { ref field, .. } => {
                let problem = FieldProblem {
                    field: format!("{field}.componentId"),
                    message: e.to_string(),
                };
                Self::new(ErrorCode::DuplicateComponent, e.to_string()).with_errors(vec![problem])
            }
            ServiceError::Unresolvable { ref members } => {
                let problems = members
                    .iter()
                    .map(|m| FieldProblem {
                        field: m.field.clone(),
                        message: m.reason.to_string(),
                    })
                    .collect();
                Self::new(ErrorCode::UnresolvableVersion, e.to_string()).with_errors(problems)
            }
            ServiceError::NameExistsDifferentContent { .. } => {
                Self::new(ErrorCode::NameExists, e.to_string())
            }
            ServiceError::InvalidTransition(_) => {
                Self::new(ErrorCode::InvalidTransition, e.to_string())
            }
            ServiceError::ReleaseImmutable { .. } => {
                Self::new(ErrorCode::ReleaseImmutable, e.to_string())
            }
            ServiceError::NothingDeployed { .. } => {
                Self::new(ErrorCode::NothingDeployed, e.to_string())
            }
            ServiceError::Protected { .. } => Self::new(ErrorCode::Forbidden, e.to_string()),
            ServiceError::ConcurrentChange(ref source) => {
                tracing::info!(error = %source, "write lost a race");
                Self::new(ErrorCode::ConcurrentUpdate, e.to_string())
            }
            ServiceError::Contended { .. } => Self::new(ErrorCode::ConcurrentUpdate, e.to_string()),
            ServiceError::OrderExists { .. } => Self::new(ErrorCode::OrderExists, e.to_string()),
            ServiceError::StatusByDeploymentOnly { .. } => {
                Self::new(ErrorCode::InvalidTransition, e.to_string())
            }
            ServiceError::ReleaseNotReady { .. } => {
                Self::new(ErrorCode::ReleaseNotReady, e.to_string())
            }
            ServiceError::ReleaseDeprecated { .. } => {
                Self::new(ErrorCode::ReleaseDeprecated, e.to_string())
            }
            ServiceError::PreviousEnvironmentRequired { .. } => {
                Self::new(ErrorCode::PreviousEnvironmentRequired, e.to_string())
            }
            ServiceError::DeploymentInProgress { .. } => {
                Self::new(ErrorCode::DeploymentInProgress, e.to_string())
            }
            ServiceError::DeploymentCompleted { .. } => {
                Self::new(ErrorCode::DeploymentCompleted, e.to_string())
            }
            ServiceError::NothingRunning { .. } => Self::new(ErrorCode::NotFound, e.to_string()),
            ServiceError::NoRegistryIntegration { .. } => {
                Self::new(ErrorCode::NoRegistryIntegration, e.to_string())
            }
            ServiceError::TagNotInRegistry { .. } => {
                Self::new(ErrorCode::UnresolvableVersion, e.to_string())
            }
            ServiceError::Registry(_) => registry_error(&e),
            ServiceError::MemberCollision { ref field, .. } => {
                let problem = FieldProblem {
                    field: format!("{field}.componentId"),
                    message: e.to_string(),
                };
                Self::new(ErrorCode::MemberCollision, e.to_string()).with_errors(vec![problem])
            }
            ServiceError::NotSigned { .. } => Self::new(ErrorCode::NotSigned, e.to_string()),
            ServiceError::AliasPushFailed { .. } => {
                Self::new(ErrorCode::AliasPushFailed, e.to_string())
            }
            ServiceError::AttachmentFailed { .. } => {
                Self::new(ErrorCode::AttachmentFailed, e.to_string())
            }
            ServiceError::PushUnauthenticated { .. } => Self::unauthenticated(e.to_string()),
            ServiceError::SyncInProgress { .. } => {
                Self::new(ErrorCode::SyncInProgress, e.to_string())
            }
            ServiceError::AssetTooLarge { .. } => {
                Self::new(ErrorCode::PayloadTooLarge, e.to_string())
            }
            ServiceError::BadUpload { .. } => Self::new(ErrorCode::InvalidUpload, e.to_string()),
            ServiceError::AssetStorage { ref message } => {
                tracing::error!(error = %message, "asset storage failure");
                Self::new(
                    ErrorCode::AssetStorageUnavailable,
                    "asset storage is unavailable; retry later",
                )
            }
            ServiceError::NotReady(ref source) => {
                tracing::warn!(error = %source, chain = ?source, "not ready");
                Self::new(
                    ErrorCode::NotReady,
                    "the database is not available; retry later",
                )
            }
            ServiceError::Storage(ref source) => {
                // The chain goes to the log, never to the client.
                tracing::error!(error = %source, chain = ?source, "storage failure");
                Self::new(ErrorCode::InternalError, "an internal error occurred")
            }
        }
    }
}

/// 502 for a registry failure, saying what the registry answered. Registry errors never carry
/// secrets in their `Display`, so the text is safe to return.
fn registry_error(e: &ServiceError) -> ApiError {
    let code = if e.is_registry_auth_failure() {
        ErrorCode::RegistryAuthFailed
    } else {
        ErrorCode::RegistryError
    };
    let cause = std::error::Error::source(e)
        .map(ToString::to_string)
        .unwrap_or_default();
    let detail = match e.registry_status() {
        Some(status) => format!("the registry answered {status}: {cause}"),
        None => format!("the registry could not be used: {cause}"),
    };
    ApiError::new(code, detail)
}
