//! Rider problem reports: anyone may post (rate-limited per client); admins list them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::AppState;
use crate::reports::{RateLimiter, ReportError, ReportLog};

pub struct Reports {
    pub log: ReportLog,
    pub limiter: RateLimiter,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewReport {
    reason: String,
    #[serde(default)]
    comment: Option<String>,
}

/// Largest accepted report body: a 500-character comment in UTF-8 plus the JSON around it.
const MAX_BODY: usize = 8 * 1024;

pub async fn create(
    State(app): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    body: axum::body::Body,
) -> ApiResult<Response> {
    let Path(id) =
        id.map_err(|e| ApiError::param("id", format!("bad station id in the path: {e}")))?;
    let client = peer
        .map(|Extension(ConnectInfo(a))| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if app.catalog.snapshot().get(&id).is_none() {
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
        .check(client, Instant::now())
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    let reports = app.reports.clone();
    let saved = tokio::task::spawn_blocking(move || {
        reports
            .log
            .add(&id, &report.reason, report.comment.as_deref())
    })
    .await
    .map_err(|e| ApiError::Internal(format!("report task failed: {e}")))?
    .map_err(|e| match e {
        ReportError::Io(e) => ApiError::Internal(format!("storing a report: {e}")),
        e @ ReportError::CommentTooLong => ApiError::param("comment", e.to_string()),
        e @ ReportError::BadReason(_) => ApiError::param("reason", e.to_string()),
    })?;
    app.metrics.report_received();
    Ok((StatusCode::ACCEPTED, Json(saved)).into_response())
}

pub async fn list(State(app): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    app.admin.check(&headers)?;
    let reports = app.reports.log.open_reports();
    Ok(Json(serde_json::json!({ "count": reports.len(), "reports": reports })).into_response())
}
