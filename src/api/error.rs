//! Every error the HTTP API can answer, turned into `application/problem+json` (RFC 9457) in one place.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::import::{ImportError, RowError};
use crate::live::LiveError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter or path segment is wrong: says which and what is allowed.
    #[error("{detail}")]
    BadParam { param: String, detail: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// What the client asks about is no longer kept (a change-feed token too old): 410.
    #[error("{0}")]
    Gone(String),
    #[error("missing or wrong admin token: send Authorization: Bearer <token>")]
    Unauthorized,
    #[error("admin endpoints are disabled: start the server with YIZHAN_ADMIN_TOKEN=<secret> or --admin-token-file FILE to enable them")]
    AdminDisabled,
    /// A read-only token asked for a change.
    #[error("this token is read-only: it may read the admin endpoints but change nothing")]
    ReadOnly,
    /// A district token asked for a change that concerns every district (rollback, calendar…).
    #[error("this token is limited to its districts ({0}); this request needs a token for every district")]
    AllDistrictsOnly(String),
    /// Rows or stations outside a district token's districts: 403 naming each; nothing changed.
    #[error("{} station(s) are outside this token's districts; nothing was changed", .0.len())]
    OutOfScope(Vec<crate::live::OutOfScope>),
    /// The request is understood and authenticated (or needs no token) but not allowed, e.g. a wrong
    /// confirmation key.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the upload has {} error(s); nothing was changed", .0.len())]
    Invalid(Vec<RowError>),
    #[error("{0}")]
    Unprocessable(String),
    /// A calendar PUT with bad years or dates: 422 listing every problem; nothing changed.
    #[error("the calendar has {} error(s); nothing was changed", .0.len())]
    InvalidCalendar(Vec<crate::domain::calendar::CalendarIssue>),
    #[error("too many requests; retry after {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// A daily cap (reports per station or in all) is reached: 429 with Retry-After and what the cap is.
    #[error("{detail}")]
    Capped { detail: String, retry_after: u64 },
    /// The problem-report log is at its size limit.
    #[error("{0}")]
    ReportLogFull(String),
    /// Something on our side; the cause is logged, not sent.
    #[error("internal error")]
    Internal(String),
    #[error("{0}")]
    Unavailable(String),
    /// The request body did not arrive in time (slow or stalled client).
    #[error("{0}")]
    RequestTimeout(String),
    /// A bounded pool or per-client limit is full: 503 with `Retry-After`.
    #[error("{detail}")]
    Busy { detail: String, retry_after: u64 },
    /// The shared store (PostgreSQL) cannot be reached: nothing was changed; reads go on from memory.
    #[error("the store cannot be reached, so nothing was changed; retry in a few seconds")]
    StoreUnavailable,
    /// The data directory's disk is full: nothing was changed.
    #[error("the server's disk is full, so the upload could not be stored; nothing was changed. Free space in the data directory and retry")]
    InsufficientStorage,
}

impl ApiError {
    pub fn param(param: &str, detail: impl Into<String>) -> Self {
        ApiError::BadParam {
            param: param.to_owned(),
            detail: detail.into(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParam { .. } | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::AdminDisabled
            | ApiError::Forbidden(_)
            | ApiError::ReadOnly
            | ApiError::AllDistrictsOnly(_)
            | ApiError::OutOfScope(_) => StatusCode::FORBIDDEN,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) | ApiError::Unprocessable(_) | ApiError::InvalidCalendar(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::TooManyRequests { .. } | ApiError::Capped { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::ReportLogFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_) | ApiError::Busy { .. } | ApiError::StoreUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
        }
    }

    /// A stable URI per kind of problem, for clients that switch on it.
    fn type_uri(&self) -> &'static str {
        match self {
            ApiError::BadParam { .. } => "/problems/invalid-parameter",
            ApiError::BadRequest(_) => "/problems/bad-request",
            ApiError::NotFound(_) => "/problems/not-found",
            ApiError::MethodNotAllowed(_) => "/problems/method-not-allowed",
            ApiError::Gone(_) => "/problems/gone",
            ApiError::Unauthorized => "/problems/unauthorized",
            ApiError::AdminDisabled => "/problems/admin-disabled",
            ApiError::Forbidden(_) => "/problems/forbidden",
            ApiError::ReadOnly => "/problems/read-only",
            ApiError::AllDistrictsOnly(_) | ApiError::OutOfScope(_) => "/problems/out-of-scope",
            ApiError::PayloadTooLarge(_) => "/problems/payload-too-large",
            ApiError::UnsupportedMediaType(_) => "/problems/unsupported-media-type",
            ApiError::Invalid(_) => "/problems/invalid-stations",
            ApiError::Unprocessable(_) => "/problems/unprocessable",
            ApiError::InvalidCalendar(_) => "/problems/invalid-calendar",
            ApiError::TooManyRequests { .. } => "/problems/rate-limited",
            ApiError::Capped { .. } => "/problems/daily-cap",
            ApiError::ReportLogFull(_) => "/problems/report-log-full",
            ApiError::Internal(_) => "/problems/internal",
            ApiError::Unavailable(_) => "/problems/unavailable",
            ApiError::RequestTimeout(_) => "/problems/request-timeout",
            ApiError::Busy { .. } => "/problems/busy",
            ApiError::InsufficientStorage => "/problems/insufficient-storage",
            ApiError::StoreUnavailable => "/problems/store-unavailable",
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Syntax {
                message,
                line,
                column,
            } => ApiError::BadRequest(match (line, column) {
                (Some(l), Some(c)) if !message.contains(" line ") => {
                    format!("{message} (line {l}, column {c})")
                }
                (Some(l), None) if !message.contains("line") => format!("{message} (line {l})"),
                _ => message,
            }),
            ImportError::Shape(m) => ApiError::BadRequest(m),
            ImportError::Invalid(errors) => ApiError::Invalid(errors),
        }
    }
}

impl ApiError {
    /// A store failure: a full disk is the admin's to fix (507), an unreachable database is passing (503).
    pub fn from_store(e: crate::store::StoreError) -> ApiError {
        if e.is_disk_full() {
            ApiError::InsufficientStorage
        } else if e.is_unavailable() {
            ApiError::StoreUnavailable
        } else {
            ApiError::Internal(e.to_string())
        }
    }

    /// An I/O failure from the stores that speak `std::io` (the report log): as [`Self::from_store`].
    pub fn from_io(e: std::io::Error) -> ApiError {
        if e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28) {
            ApiError::InsufficientStorage
        } else if e.kind() == std::io::ErrorKind::NotConnected {
            ApiError::StoreUnavailable
        } else {
            ApiError::Internal(e.to_string())
        }
    }
}

impl From<LiveError> for ApiError {
    fn from(e: LiveError) -> Self {
        match e {
            LiveError::Import(e) => e.into(),
            LiveError::Empty | LiveError::EmptyDistricts(_) => {
                ApiError::Unprocessable(e.to_string())
            }
            LiveError::NotFound(_) | LiveError::UnknownVersion(_) => {
                ApiError::NotFound(e.to_string())
            }
            LiveError::Unloadable { .. } => ApiError::Unprocessable(e.to_string()),
            LiveError::DiskFull(_) => {
                tracing::error!(error = %e, "disk full");
                ApiError::InsufficientStorage
            }
            LiveError::Store(ref s) if s.is_unavailable() => {
                tracing::warn!(error = %e, "store unavailable: write refused");
                ApiError::StoreUnavailable
            }
            LiveError::Store(_) => ApiError::Internal(e.to_string()),
            LiveError::Gone(_) => ApiError::Gone(e.to_string()),
            LiveError::OutOfScope(rows) => ApiError::OutOfScope(rows),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(cause = %cause, "internal error");
                "the server could not complete the request; it has been logged. Nothing was changed unless the response says so.".to_owned()
            }
            other => other.to_string(),
        };
        let mut body = json!({
            "type": self.type_uri(),
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": detail,
        });
        match &self {
            ApiError::BadParam { param, .. } => body["parameter"] = json!(param),
            ApiError::Invalid(errors) => body["errors"] = json!(errors),
            ApiError::InvalidCalendar(errors) => body["errors"] = json!(errors),
            ApiError::OutOfScope(errors) => body["errors"] = json!(errors),
            _ => {}
        }
        let mut res = (status, serde_json::to_string(&body).unwrap_or_default()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match self {
            ApiError::TooManyRequests { retry_after }
            | ApiError::Capped { retry_after, .. }
            | ApiError::Busy { retry_after, .. } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            ApiError::StoreUnavailable => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            ApiError::Unauthorized => {
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"yizhan\""),
                );
            }
            _ => {}
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Runs blocking work (parsing, fsync, file reads) off the async workers; a panic in it becomes a logged 500.
pub async fn blocking<T: Send + 'static>(
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("{what} task failed: {e}")))
}

/// The `{id}` path segment, or a 400 naming it (e.g. invalid percent-encoding).
pub fn path_id(
    id: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> ApiResult<String> {
    id.map(|axum::extract::Path(id)| id)
        .map_err(|e| ApiError::param("id", format!("bad station id in the path: {e}")))
}
