//! Rider problem reports: anyone may post (rate-limited per client); admins list them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::{blocking, path_id, ApiError, ApiResult};
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

/// The rate-limited client: the TCP peer, or behind a trusted proxy the last `X-Forwarded-For` entry.
fn client_addr(headers: &HeaderMap, peer: Option<IpAddr>, trust_forwarded_for: bool) -> IpAddr {
    let forwarded = trust_forwarded_for
        .then(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(",")
        })
        .and_then(|list| {
            list.rsplit(',')
                .map(str::trim)
                .find_map(|a| a.parse::<IpAddr>().ok())
        });
    forwarded
        .or(peer)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
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
    responses((status = 202, description = "Stored (durably); an admin will look at it.", content_type = "application/json",
            body = doc::Report, headers(("X-Request-Id" = String, description = "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem."))),
        (status = 400, response = doc::BadRequest),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 429, response = doc::TooManyRequests),
        (status = 500, response = doc::InternalError),
        (status = 507, response = doc::InsufficientStorage),
        (status = 408, response = doc::RequestTimeout),
        (status = 503, response = doc::Unavailable))
)]
pub async fn create(
    State(app): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Response> {
    let id = path_id(id)?;
    let peer = peer.map(|Extension(ConnectInfo(a))| a.ip());
    let client = client_addr(&headers, peer, app.reports.trust_forwarded_for);
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
        (status = 503, response = doc::Unavailable))
)]
pub async fn list(State(app): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    app.admin.check(&headers)?;
    let reports = app.reports.log.open_reports();
    Ok(super::respond::private(Json(
        serde_json::json!({ "count": reports.len(), "reports": reports }),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_only_when_trusted() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let peer = Some(proxy);
        assert_eq!(client_addr(&h, peer, false), proxy);
        assert_eq!(
            client_addr(&h, peer, true),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        h.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(client_addr(&h, peer, true), proxy);
    }
}
