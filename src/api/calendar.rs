//! The holiday calendar (法定节假日与调休): anyone reads it, admins replace years of it. The calendar in force is
//! one atomic pointer, read by every request's extractor, so a PUT takes effect for the very next request.

use super::body::{read_limited, require_json};
use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::auth::Admin;
use super::error::{blocking, ApiError, ApiResult};
use super::extract::ClientAddr;
use super::openapi as doc;
use super::respond::{json, not_modified, IfNoneMatch};
use super::AppState;
use crate::domain::calendar::{Calendar, CalendarIssue, DayRules, RawYear};
use crate::store::{self, Backend};

/// Largest accepted calendar body: a century of schedules is under 100 KiB.
pub const MAX_BODY: usize = 256 * 1024;

/// The calendar in force and where it is stored.
pub struct Calendars {
    current: ArcSwap<DayRules>,
    store: Arc<dyn Backend>,
    /// One PUT at a time: each merges into the calendar the previous one stored.
    write: tokio::sync::Mutex<()>,
}

impl Calendars {
    /// The stored calendar of the data directory, or the built-in one if none was stored. A stored file that does
    /// not validate stops the start (it was written by us, so someone edited it by hand): serving with the
    /// wrong holidays would silently mislead riders.
    pub fn open(store: Arc<dyn Backend>) -> anyhow::Result<Calendars> {
        let calendar = match store::calendar::read(&*store)? {
            None => Calendar::builtin(),
            Some(bytes) => parse_stored(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", store::calendar::NAME))?,
        };
        Ok(Calendars {
            current: ArcSwap::from_pointee(DayRules::new(calendar)),
            store,
            write: tokio::sync::Mutex::new(()),
        })
    }

    /// Takes in a calendar another replica stored (the store's watcher calls this, blocking). A stored
    /// calendar that does not validate is logged and not taken in.
    pub fn sync(&self) {
        let stored = match store::calendar::read(&*self.store) {
            Ok(Some(b)) => b,
            Ok(None) => return,
            Err(e) => return tracing::debug!(error = %e, "calendar not re-read"),
        };
        match parse_stored(&stored) {
            Ok(c) if c != *self.current.load().calendar() => {
                self.current.store(Arc::new(DayRules::new(c)));
                tracing::info!("calendar changed by another replica");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "the stored calendar does not validate; keeping the one in force")
            }
        }
    }

    /// The calendar in force (one atomic load).
    pub fn rules(&self) -> Arc<DayRules> {
        self.current.load_full()
    }
}

fn parse_stored(bytes: &[u8]) -> Result<Calendar, String> {
    let body: CalendarBody = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    Calendar::validate(&body.years).map_err(|issues| {
        let list: Vec<String> = issues
            .iter()
            .map(|i| format!("{}: {}", i.field, i.message))
            .collect();
        list.join("; ")
    })
}

/// A calendar as sent in a PUT (and as stored).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"timezone": "Asia/Shanghai", "years": {"2027": {"holidays": ["2027-01-01"], "workdays": []}}})))]
struct CalendarBody {
    /// Optional; if given it must be the service's time zone (the dates are days there).
    #[serde(default)]
    timezone: Option<String>,
    /// By year (four digits, 2000..=2100). Each year named replaces that whole year; years not named are kept.
    #[schema(value_type = BTreeMap<String, YearDoc>)]
    years: BTreeMap<String, RawYear>,
}

/// One year's schedule.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // only read by the OpenAPI derive
struct YearDoc {
    /// Days off (`YYYY-MM-DD`, in that year), weekends inside a holiday stretch included: `PH` matches on them.
    #[schema(value_type = Vec<String>, format = Date)]
    holidays: Vec<String>,
    /// Make-up workdays (调休上班): a Saturday or Sunday, evaluated with Monday's rules.
    #[schema(value_type = Vec<String>, format = Date)]
    workdays: Vec<String>,
}

/// A refused calendar: `/problems/invalid-calendar` with every problem (`/problems/unprocessable` when the body
/// has the wrong shape, without `errors`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(examples(json!({"type": "/problems/invalid-calendar", "title": "Unprocessable Entity", "status": 422,
    "detail": "the calendar has 1 error(s); nothing was changed",
    "errors": [{"field": "years.2026.workdays[0]", "message": "2026-10-09 is a Fri: a make-up workday (调休上班) must be a Saturday or Sunday"}]})))]
#[allow(dead_code)] // only read by the OpenAPI derive
struct CalendarProblem {
    #[schema(format = "uri-reference")]
    r#type: String,
    title: String,
    status: u16,
    detail: String,
    #[schema(required = false)]
    errors: Vec<IssueDoc>,
}

/// One problem of a calendar body.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // only read by the OpenAPI derive
struct IssueDoc {
    /// Where: `years.2026`, `years.2026.holidays[3]`, `timezone`.
    #[schema(examples("years.2026.holidays[3]"))]
    field: String,
    message: String,
}

/// The calendar in force.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(examples(json!({"timezone": "Asia/Shanghai", "years": {"2026": {"holidays": ["2026-01-01", "2026-01-02", "2026-01-03"], "workdays": ["2026-01-04"]}}})))]
struct CalendarResponse {
    /// The zone in which the dates are days (the service's).
    timezone: &'static str,
    #[schema(value_type = BTreeMap<String, YearDoc>)]
    years: serde_json::Value,
}

fn response_body(app: &AppState, rules: &DayRules) -> CalendarResponse {
    CalendarResponse {
        timezone: app.settings.timezone.name(),
        years: rules.calendar().to_json_years(),
    }
}

/// The body as bytes, its ETag, and the response.
fn respond(app: &AppState, rules: &DayRules, inm: Option<&IfNoneMatch>) -> Response {
    let body = response_body(app, rules);
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let tag = store::version_of(&bytes);
    if let Some(r) = inm.and_then(|i| not_modified(i, &tag)) {
        return r;
    }
    json(&tag, &body)
}

#[utoipa::path(
    get, path = "/api/v1/calendar", operation_id = "getCalendar", tag = "stations",
    summary = "Statutory holidays and make-up workdays (法定节假日与调休)",
    description = "The calendar `open_now`, `open_for` and `next_change_at` are evaluated with: on a date in `holidays` the \
        `PH` selector of `opening_hours` matches; a date in `workdays` is evaluated with Monday's rules (the same wall-clock \
        time on the nearest Monday that is neither a holiday nor a workday). Built in: the State Council's schedules for 2025 and 2026.",
    params(("If-None-Match" = Option<String>, Header, nullable = false, example = "\"3f2a9c0e1b7d4a55\"",
            description = "The `ETag` of a calendar you hold. If it is still current the answer is 304 with no body.")),
    responses((status = 200, description = "The calendar in force.", content_type = "application/json", body = CalendarResponse,
            headers(("ETag" = String, description = "A hash of the calendar, quoted (strong)."),
            ("Cache-Control" = String, description = "`public, max-age=30`: cache briefly, then revalidate with `If-None-Match`."),
            ("X-Request-Id" = String, description = "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem."))),
        (status = 304, response = doc::NotModified),
        (status = 503, response = doc::Unavailable))
)]
pub async fn get(State(app): State<AppState>, inm: IfNoneMatch) -> Response {
    respond(&app, &app.calendar.rules(), Some(&inm))
}

#[utoipa::path(
    put, path = "/api/v1/calendar", operation_id = "putCalendar", tag = "admin",
    summary = "Replace years of the calendar",
    description = "Each year named replaces that whole year; the others are kept. Every problem is listed at once (422, nothing \
        changed): a year outside 2000..=2100, a date that is not `YYYY-MM-DD` or not in the year it is listed under, a date both \
        a holiday and a workday, a workday that is not a Saturday or Sunday. Stored durably before the 200; the next request is \
        evaluated with it.",
    security(("bearerAuth" = [])),
    request_body(content = CalendarBody, content_type = "application/json"),
    responses((status = 200, description = "The calendar now in force.", content_type = "application/json", body = CalendarResponse,
            headers(("ETag" = String, description = "A hash of the calendar, quoted (strong)."))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, description = "The calendar was read but not accepted: `errors` lists every problem. Nothing was changed.",
            content_type = "application/problem+json", body = CalendarProblem),
        (status = 429, response = doc::TooManyRequests),
        (status = 500, response = doc::InternalError),
        (status = 507, response = doc::InsufficientStorage),
        (status = 503, response = doc::Unavailable))
)]
pub async fn put(
    Admin(who): Admin,
    ClientAddr(client): ClientAddr,
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let update = read_update(&app, &headers, body).await?;
    let cal = &app.calendar;
    let _one_at_a_time = cal.write.lock().await;
    let merged = cal.current.load().calendar().merged(update);
    let rules = DayRules::new(merged);
    let bytes = serde_json::to_vec(&response_body(&app, &rules))
        .map_err(|e| ApiError::Internal(format!("serialising the calendar: {e}")))?;
    let store = cal.store.clone();
    blocking("calendar", move || store::calendar::write(&*store, &bytes))
        .await?
        .map_err(ApiError::from_store)?;
    let rules = Arc::new(rules);
    cal.current.store(rules.clone());
    tracing::info!(%client, years = rules.calendar().years().len(), "calendar replaced");
    let detail = format!("{} year(s) in force", rules.calendar().years().len());
    super::audit::record(&app, &who, "calendar", Default::default(), detail).await;
    Ok(super::respond::private(respond(&app, &rules, None)))
}

/// The PUT body read and checked: JSON only, within [`MAX_BODY`], valid years.
async fn read_update(app: &AppState, headers: &HeaderMap, body: Body) -> ApiResult<Calendar> {
    require_json(headers, &[])?;
    let bytes = read_limited(body, MAX_BODY, || {
        ApiError::PayloadTooLarge(format!(
            "a calendar body is at most {} KiB",
            MAX_BODY / 1024
        ))
    })
    .await?;
    let body: CalendarBody = serde_json::from_slice(&bytes).map_err(|e| {
        let msg = format!("the calendar is not valid: {e}; expected {{\"years\":{{\"2026\":{{\"holidays\":[\"2026-10-01\"],\"workdays\":[\"2026-10-10\"]}}}}}}");
        if e.is_data() {
            ApiError::Unprocessable(msg)
        } else {
            ApiError::BadRequest(msg)
        }
    })?;
    let mut issues = Vec::new();
    let tz = app.settings.timezone.name();
    if let Some(given) = body.timezone.as_deref().filter(|t| *t != tz) {
        issues.push(CalendarIssue {
            field: "timezone".into(),
            message: format!("the calendar's dates are days in the service's time zone {tz}, not {given:?}; omit timezone or send {tz:?}"),
        });
    }
    if body.years.is_empty() {
        issues.push(CalendarIssue {
            field: "years".into(),
            message: "name at least one year to replace, e.g. {\"2027\":{\"holidays\":[…],\"workdays\":[…]}}".into(),
        });
    }
    match Calendar::validate(&body.years) {
        Ok(c) if issues.is_empty() => Ok(c),
        Ok(_) => Err(ApiError::InvalidCalendar(issues)),
        Err(more) => {
            issues.extend(more);
            Err(ApiError::InvalidCalendar(issues))
        }
    }
}
