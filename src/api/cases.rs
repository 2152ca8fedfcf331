//! Reports as cases a rider can follow (接诉即办): the rider reads a case with its ticket; admins list cases
//! and move them along with a reply. The rules (transitions, limits, durability) are the report log's.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::audit::{record, Change};
use super::auth::DistrictAdmin;
use super::body::{read_limited, require_json};
use super::error::{blocking, ApiError, ApiResult};
use super::openapi as doc;
use super::params::Params;
use super::reports::{store_error, MAX_BODY};
use super::respond::private;
use super::AppState;
use crate::snapshot::Snapshot;
use crate::store::reports::{Case, Patch, Reason, Status, MAX_REPLY_CHARS};

/// Default and largest page of the admin list.
pub const DEFAULT_LIST_LIMIT: usize = 100;
pub const MAX_LIST_LIMIT: usize = 1_000;
const LIST_PARAMS: [&str; 5] = ["status", "station_id", "district", "limit", "offset"];

/// Where a case stands (documentation of the store's `Status`).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // only read by the OpenAPI derive
enum CaseStatus {
    Received,
    InProgress,
    Resolved,
    Rejected,
}

/// One step of a case: the status it entered, when, and the reply shown to the rider from then on.
#[derive(Serialize, utoipa::ToSchema)]
struct Step<'a> {
    #[schema(value_type = CaseStatus)]
    status: Status,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    at: &'a str,
    #[schema(max_length = 500)]
    reply: Option<&'a str>,
}

/// A case as its rider sees it.
#[derive(Serialize, utoipa::ToSchema)]
struct TicketView<'a> {
    #[schema(examples("K7Q2-M9XD-3FPA"))]
    ticket: &'a str,
    station_id: &'a str,
    /// The station's name in the dataset now; `null` if it has been removed since.
    station_name: Option<&'a str>,
    #[schema(value_type = doc::Reason)]
    reason: Reason,
    #[schema(max_length = 500)]
    comment: Option<&'a str>,
    #[schema(value_type = CaseStatus)]
    status: Status,
    /// The admins' answer to the rider (at most 500 characters), or `null`.
    #[schema(max_length = 500)]
    reply: Option<&'a str>,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    created_at: &'a str,
    /// RFC 3339, UTC: the last change.
    #[schema(format = DateTime)]
    updated_at: &'a str,
    /// Every status change, oldest first; starts with `received`.
    history: Vec<Step<'a>>,
}

/// A case as admins see it: the rider's view and the id to change it by.
#[derive(Serialize, utoipa::ToSchema)]
struct CaseView<'a> {
    #[schema(examples("r12"))]
    id: &'a str,
    #[serde(flatten)]
    case: TicketView<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct CaseList<'a> {
    /// Cases in this page.
    count: usize,
    /// Cases matching the filters, in all.
    total: usize,
    /// Newest first.
    reports: Vec<CaseView<'a>>,
}

/// An admin's change (JSON merge patch): omit a field to leave it; `"reply": null` removes the reply.
#[derive(utoipa::ToSchema)]
#[schema(examples(json!({"status": "resolved", "reply": "已联系驿站，恢复开放"})))]
#[allow(dead_code)] // only read by the OpenAPI derive
struct CasePatch {
    #[schema(value_type = Option<CaseStatus>)]
    status: Option<String>,
    /// Shown to the rider; trimmed; an empty string removes it.
    #[schema(max_length = 500)]
    reply: Option<String>,
}

/// The path as logged: a ticket is the key to a rider's case (and, with the station, to who complained about
/// what), so it stays out of the logs.
pub(super) fn log_path(path: &str) -> &str {
    if path.starts_with("/api/v1/tickets/") {
        "/api/v1/tickets/{ticket}"
    } else {
        path
    }
}

fn ticket_view<'a>(c: &'a Case, snap: &'a Snapshot) -> TicketView<'a> {
    TicketView {
        ticket: &c.ticket,
        station_id: &c.station_id,
        station_name: snap.get(&c.station_id).map(|s| s.name()),
        reason: c.reason,
        comment: c.comment.as_deref(),
        status: c.status,
        reply: c.reply.as_deref(),
        created_at: &c.created_at,
        updated_at: &c.updated_at,
        history: c
            .history
            .iter()
            .map(|e| Step {
                status: e.status,
                at: &e.at,
                reply: e.reply.as_deref(),
            })
            .collect(),
    }
}

fn case_view<'a>(c: &'a Case, snap: &'a Snapshot) -> CaseView<'a> {
    CaseView {
        id: &c.id,
        case: ticket_view(c, snap),
    }
}

#[utoipa::path(
    get, path = "/api/v1/tickets/{ticket}", operation_id = "getTicket", tag = "reports",
    summary = "Follow a report by its ticket (查询办理进度)",
    description = "Anyone holding the ticket (from the report's 202 answer) may read the case: its status, the admins' reply \
        and every step. Letters may be given in any case, with or without the dashes. A resolved or rejected case stays \
        readable for 180 days after its last change; any case is kept at most 365 days after it was filed. Then it is \
        deleted and its ticket answers 404.",
    params(("ticket" = String, Path, description = "The ticket, e.g. `K7Q2-M9XD-3FPA`.", example = "K7Q2-M9XD-3FPA")),
    responses((status = 200, description = "The case.", content_type = "application/json", body = TicketView),
        (status = 400, response = doc::BadRequest),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable))
)]
pub async fn ticket(
    State(app): State<AppState>,
    ticket: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    Params::parse(query.as_deref())?.only(&[])?;
    let not_found = || ApiError::NotFound("no report has this ticket (it may have expired)".into());
    let Ok(Path(ticket)) = ticket else {
        return Err(not_found());
    };
    let reports = app.reports.clone();
    let case = blocking("ticket", move || reports.log.by_ticket(&ticket))
        .await?
        .ok_or_else(not_found)?;
    let snap = app.live.snapshot();
    Ok(private(axum::Json(ticket_view(&case, &snap))))
}

/// `status=received,in_progress`: the statuses asked for, or a 400 naming the bad one.
fn statuses(p: &Params) -> ApiResult<Vec<Status>> {
    let Some(v) = p.get("status").map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(vec![Status::Received, Status::InProgress]);
    };
    v.split(',')
        .map(|s| {
            Status::parse(s.trim()).ok_or_else(|| {
                ApiError::param(
                    "status",
                    format!(
                        "status must be a comma-separated list of {}, got {s:?}",
                        Status::KEYS
                    ),
                )
            })
        })
        .collect()
}

#[utoipa::path(
    get, path = "/api/v1/reports", operation_id = "listReports", tags = ["admin", "reports"],
    summary = "Cases, newest first (filter by status, station, district)",
    security(("bearerAuth" = [])),
    params(("status" = Option<String>, Query, description = "Comma-separated statuses (`received`, `in_progress`, `resolved`, `rejected`); default `received,in_progress`.", example = "received,in_progress"),
        ("station_id" = Option<String>, Query, description = "Only this station's cases."),
        ("district" = Option<String>, Query, description = "Only cases of stations in this district (the station's `district` now).", example = "朝阳区"),
        ("limit" = Option<usize>, Query, description = "Page size, 1..=1000 (default 100).", minimum = 1, maximum = 1000),
        ("offset" = Option<usize>, Query, description = "Cases to skip (default 0).")),
    responses((status = 200, description = "A page of cases, with the total.", content_type = "application/json", body = CaseList),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 429, response = doc::TooManyRequests),
        (status = 503, response = doc::Unavailable))
)]
pub async fn list(
    DistrictAdmin(who): DistrictAdmin,
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let p = Params::parse(query.as_deref())?;
    p.only(&LIST_PARAMS)?;
    let statuses = statuses(&p)?;
    let station = p
        .get("station_id")
        .map(str::to_owned)
        .filter(|s| !s.is_empty());
    let district = p
        .get("district")
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    let limit = p.usize_in("limit", 1, MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT)?;
    let offset = p.usize_in("offset", 0, usize::MAX, 0)?;
    let snap = app.live.snapshot();
    let (reports, filter_snap) = (app.reports.clone(), snap.clone());
    let (total, page) = blocking("list reports", move || {
        let keep = |c: &Case| {
            let of = || filter_snap.get(&c.station_id).and_then(|s| s.district());
            who.covers(of())
                && statuses.contains(&c.status)
                && station.as_ref().is_none_or(|s| *s == c.station_id)
                && district.as_ref().is_none_or(|d| {
                    filter_snap.get(&c.station_id).and_then(|s| s.district()) == Some(d.as_str())
                })
        };
        reports.log.list(keep, offset, limit)
    })
    .await?;
    let reports: Vec<CaseView> = page.iter().map(|c| case_view(c, &snap)).collect();
    Ok(private(axum::Json(CaseList {
        count: reports.len(),
        total,
        reports,
    })))
}

/// The body of a PATCH: a JSON object with `status` and/or `reply`, nothing else.
fn parse_patch(bytes: &[u8]) -> ApiResult<Patch> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be JSON {{\"status\": …, \"reply\": …}}: {e}"
        ))
    })?;
    let Some(obj) = v.as_object() else {
        return Err(ApiError::BadRequest(
            "the body must be a JSON object {\"status\": …, \"reply\": …}".into(),
        ));
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "status" | "reply"))
    {
        return Err(ApiError::BadRequest(format!(
            "unknown field {k:?}: a report's change takes only status and reply"
        )));
    }
    Patch::from_json(obj.get("status"), obj.get("reply")).map_err(store_error)
}

#[utoipa::path(
    patch, path = "/api/v1/reports/{id}", operation_id = "updateReport", tags = ["admin", "reports"],
    summary = "Move a case along and reply to its rider",
    description = format!("A JSON merge patch of `status` and `reply` (at most {MAX_REPLY_CHARS} characters). Statuses go \
        `received` → `in_progress` → `resolved` or `rejected` (also straight from `received`); a resolved or rejected case may \
        be reopened to `received` or `in_progress`. Any other move, an unknown status or a reply too long is a 422 that changes \
        nothing. Every change adds a `history` step (with the reply in force after it); a patch that changes nothing adds none. \
        Durable before the 200."),
    security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "The case id, e.g. `r12`.", example = "r12")),
    request_body(content(
        (CasePatch = "application/merge-patch+json"),
        (CasePatch = "application/json"))),
    responses((status = 200, description = "The case after the change.", content_type = "application/json", body = CaseView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 429, response = doc::TooManyRequests),
        (status = 500, response = doc::InternalError),
        (status = 507, response = doc::InsufficientStorage),
        (status = 503, response = doc::Unavailable))
)]
pub async fn update(
    DistrictAdmin(who): DistrictAdmin,
    State(app): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Response> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::NotFound("no report with this id".into()));
    };
    require_json(&headers, &["application/merge-patch+json"])?;
    let bytes = read_limited(body, MAX_BODY, || {
        ApiError::PayloadTooLarge(format!("a report change is at most {MAX_BODY} bytes"))
    })
    .await?;
    let patch = parse_patch(&bytes)?;
    let snap = app.live.snapshot();
    if who.districts.is_some() {
        // A district token moves only its districts' cases; another district's case is as good as unknown.
        let reports = app.reports.clone();
        let target = id.clone();
        let station = blocking("find report", move || {
            let (_, page) = reports.log.list(|c| c.id == target, 0, 1);
            page.into_iter().next().map(|c| c.station_id)
        })
        .await?;
        let district = station.as_deref().and_then(|s| snap.get(s)?.district());
        if station.is_none() || !who.covers(district) {
            return Err(ApiError::NotFound(format!("no report with id {id:?}")));
        }
    }
    let reports = app.reports.clone();
    let case = blocking("update report", move || reports.log.update(&id, &patch))
        .await?
        .map_err(store_error)?;
    let detail = format!(
        "report {} of {}: {}",
        case.id,
        case.station_id,
        case.status.key()
    );
    record(&app, &who, "case", Change::default(), detail).await;
    Ok(private(axum::Json(case_view(&case, &snap))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tickets_stay_out_of_the_logs() {
        assert_eq!(
            super::log_path("/api/v1/tickets/K7Q2-M9XD-3FPA"),
            "/api/v1/tickets/{ticket}"
        );
        assert_eq!(super::log_path("/api/v1/reports/r1"), "/api/v1/reports/r1");
    }
}
