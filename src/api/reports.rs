//! Rider problem reports: anyone may post (rate-limited per client); admins list them.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::admin::Admin;
use super::error::{blocking, path_id, ApiError, ApiResult};
use super::extract::ClientAddr;
use super::openapi as doc;
use super::ratelimit::ReportLimiter;
use super::AppState;
use crate::store::reports::{ReportError, ReportLog};

pub struct Reports {
    pub log: ReportLog,
    pub limiter: ReportLimiter,
    /// Take the client address from `X-Forwarded-For` (set behind a trusted proxy only).
    pub trust_forwarded_for: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"reason": "amenity_missing", "comment": "没有充电器"})))]
struct NewReport {
    #[schema(value_type = doc::Reason)]
    reason: String,
    #[serde(default)]
    #[schema(value_type = doc::Comment)]
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
pub const MAX_BODY: usize = 8 * 1024;

#[utoipa::path(
    post, path = "/api/v1/stations/{id}/reports", operation_id = "reportProblem", tag = "reports",
    summary = "Report a problem with a station (反馈问题)",
    description = format!("Anyone may report. Rate-limited per client address ({} a minute by default), then 429 with `Retry-After`.",
        crate::settings::DEFAULT_REPORTS_PER_MINUTE),
    params(("id" = String, Path, description = format!("Station id (percent-encode it in the path), at most {} bytes.", crate::domain::StationId::MAX_LEN), min_length = 1, example = "bj-chy-00042")),
    request_body(content = NewReport, content_type = "application/json"),
    responses((status = 202, description = "Stored (durably); an admin will look at it.", content_type = "application/json",
            body = doc::Report, headers(("X-Request-Id" = String, description = "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem."))),
        (status = 400, response = doc::BadRequest),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 429, response = doc::TooManyRequests),
        (status = 500, response = doc::InternalError),
        (status = 507, response = doc::InsufficientStorage),
        (status = 408, response = doc::RequestTimeout),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 503, response = doc::Unavailable))
)]
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

#[utoipa::path(
    get, path = "/api/v1/reports", operation_id = "listReports", tags = ["admin", "reports"],
    summary = "Open problem reports, newest first",
    security(("bearerAuth" = [])),
    responses((status = 200, description = "Open reports.", content_type = "application/json", body = doc::ReportList),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 429, response = doc::TooManyRequests),
        (status = 503, response = doc::Unavailable))
)]
pub async fn list(_: Admin, State(app): State<AppState>) -> ApiResult<Response> {
    let reports = app.reports.log.open_reports();
    Ok(super::respond::private(Json(
        serde_json::json!({ "count": reports.len(), "reports": reports }),
    )))
}
