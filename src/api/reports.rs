//! Rider problem reports: anyone may post (rate-limited per client); admins list them.

use super::body::{read_limited, require_json};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

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

/// Largest accepted report body: a 500-character comment in UTF-8 plus the JSON around it.
pub const MAX_BODY: usize = 8 * 1024;

#[utoipa::path(
    post, path = "/api/v1/stations/{id}/reports", operation_id = "reportProblem", tag = "reports",
    summary = "Report a problem with a station (反馈问题)",
    description = format!("Anyone may report. Rate-limited per client address ({} a minute by default), then 429 with `Retry-After`.",
        crate::settings::DEFAULT_REPORTS_PER_MINUTE),
    params(("id" = String, Path, description = format!("Station id (percent-encode it in the path), at most {} bytes.", crate::domain::StationId::MAX_LEN), min_length = 1, example = "bj-chy-00042")),
    request_body(content = NewReport, content_type = "application/json"),
    responses((status = 202, description = "Stored (durably) as a case; follow it with its `ticket`.", content_type = "application/json",
            body = Received, headers(("X-Request-Id" = String, description = "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem."))),
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
    require_json(&headers, &[])?;
    if app.live.snapshot().get(&id).is_none() {
        return Err(ApiError::NotFound(format!("no station with id {id:?}")));
    }
    let bytes = read_limited(body, MAX_BODY, || {
        ApiError::PayloadTooLarge(format!("a report body is at most {MAX_BODY} bytes"))
    })
    .await?;
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
    .map_err(store_error)?;
    app.metrics.report_received();
    let body = Received {
        id: saved.id,
        ticket: saved.ticket,
        status: "received",
        created_at: saved.created_at,
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// What the rider keeps: the `ticket` to follow the case at `/api/v1/tickets/{ticket}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(examples(json!({"id": "r12", "ticket": "K7Q2-M9XD-3FPA", "status": "received", "created_at": "2026-11-25T02:30:00.000Z"})))]
struct Received {
    /// The case's id, for admins.
    id: String,
    /// The rider's key to the case (60 random bits, Crockford base32); it is the only way to read the case
    /// without the admin token, so show it to the rider and keep it private.
    ticket: String,
    #[schema(value_type = String, examples("received"))]
    status: &'static str,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    created_at: String,
}

/// The one place the report log's errors become HTTP answers.
pub(super) fn store_error(e: ReportError) -> ApiError {
    match e {
        ReportError::Io(e) => ApiError::from_io(e),
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
        e @ ReportError::UnknownCase(_) => ApiError::NotFound(e.to_string()),
        e @ (ReportError::BadStatus(_)
        | ReportError::ReplyTooLong(_)
        | ReportError::BadReply
        | ReportError::Transition { .. }) => ApiError::Unprocessable(e.to_string()),
    }
}
