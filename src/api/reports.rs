//! Rider problem reports: anyone may post (rate-limited per client); admins list them.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::admin::Admin;
use super::error::{blocking, path_id, ApiError, ApiResult};
use super::extract::ClientAddr;
use super::ratelimit::ReportLimiter;
use super::AppState;
use crate::store::reports::{ReportError, ReportLog};

pub struct Reports {
    pub log: ReportLog,
    pub limiter: ReportLimiter,
    /// Take the client address from `X-Forwarded-For` (set behind a trusted proxy only).
    pub trust_forwarded_for: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewReport {
    reason: String,
    #[serde(default)]
    comment: Option<String>,
}

/// Reports must be `application/json`: a form or `text/plain` body can be posted cross-origin by any web page
/// without a CORS preflight, so accepting them would let pages make their visitors file reports.
fn require_json(headers: &HeaderMap) -> ApiResult<()> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/json") => Ok(()),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "a report must be sent as Content-Type: application/json, got {}",
            other.map_or("none".to_owned(), |o| format!("{o:?}"))
        ))),
    }
}

/// Largest accepted report body: a 500-character comment in UTF-8 plus the JSON around it.
const MAX_BODY: usize = 8 * 1024;

pub async fn create(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Response> {
    let id = path_id(id)?;
    require_json(&headers)?;
    if app.live.snapshot().get(&id).is_none() {
        return Err(ApiError::NotFound(format!("no station with id {id:?}")));
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::PayloadTooLarge(format!("a report body is at most {MAX_BODY} bytes"))
    })?;
    let report: NewReport = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be JSON {{\"reason\": …, \"comment\": …}}: {e}"
        ))
    })?;
    app.reports
        .limiter
        .check(client)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    let reports = app.reports.clone();
    let saved = blocking("report", move || {
        reports
            .log
            .add(&id, &report.reason, report.comment.as_deref())
    })
    .await?
    .map_err(|e| match e {
        ReportError::Io(e)
            if e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28) =>
        {
            ApiError::InsufficientStorage
        }
        ReportError::Io(e) => ApiError::Internal(format!("storing a report: {e}")),
        e @ ReportError::CommentTooLong => ApiError::param("comment", e.to_string()),
        ReportError::DailyCap { retry_after, .. } => ApiError::Capped {
            detail: e.to_string(),
            retry_after,
        },
        e @ ReportError::Full(_) => {
            tracing::error!(error = %e, "report log full");
            ApiError::ReportLogFull(e.to_string())
        }
        e @ ReportError::BadReason(_) => ApiError::param("reason", e.to_string()),
    })?;
    app.metrics.report_received();
    Ok((StatusCode::ACCEPTED, Json(saved)).into_response())
}

pub async fn list(_: Admin, State(app): State<AppState>) -> ApiResult<Response> {
    let reports = app.reports.log.open_reports();
    Ok(super::respond::private(Json(
        serde_json::json!({ "count": reports.len(), "reports": reports }),
    )))
}
