//! The admins' "needs attention" list (未诉先办): stations nobody has confirmed for a long time, and stations
//! riders keep reporting closed. Both are read from what is already kept (station state, the report log), so
//! the list costs nothing until an admin asks for it.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::auth::Admin;
use super::error::{blocking, ApiResult};
use super::extract::ATTENTION_PARAMS;
use super::openapi as doc;
use super::params::Params;
use super::respond::private;
use super::AppState;

/// Days without a confirmation after which a station needs a look (issue 14: 90).
pub const DEFAULT_UNCONFIRMED_DAYS: usize = 90;
pub const MAX_UNCONFIRMED_DAYS: usize = 3650;
/// Open `closed` reports, filed within [`CLOSED_REPORT_DAYS`], that put a station on the list.
pub const MIN_CLOSED_REPORTS: u32 = 3;
pub const CLOSED_REPORT_DAYS: i64 = 7;
/// Default and largest number of unconfirmed stations listed (there may be thousands: `unconfirmed_total`
/// says how many).
pub const DEFAULT_ATTENTION_LIMIT: usize = 100;
pub const MAX_ATTENTION_LIMIT: usize = 1_000;

/// A station not confirmed within `unconfirmed_days`.
#[derive(Serialize, utoipa::ToSchema)]
struct Unconfirmed {
    #[schema(examples("bj-chy-00042"))]
    id: String,
    name: String,
    district: Option<String>,
    /// RFC 3339 (UTC, whole seconds, as on the stations) of the last confirmation, or `null` (never confirmed).
    #[schema(format = DateTime)]
    verified_at: Option<String>,
}

/// A station with many open `closed` reports.
#[derive(Serialize, utoipa::ToSchema)]
struct ReportedClosed {
    id: String,
    name: String,
    district: Option<String>,
    /// Open (`received` or `in_progress`) reports with reason `closed` filed in the last `reported_closed_days`.
    reports: u32,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Attention {
    /// The threshold used: not confirmed for this many days.
    unconfirmed_days: usize,
    /// All stations (in `district`, if given) not confirmed for `unconfirmed_days`.
    unconfirmed_total: usize,
    /// Never-confirmed stations first, then the longest unconfirmed; by id within a tie; at most `limit`.
    unconfirmed: Vec<Unconfirmed>,
    /// The window of the reports counted (days).
    reported_closed_days: i64,
    /// Reports needed to be listed.
    min_reports: u32,
    /// Most reports first, then by id; stations no longer in the dataset are left out.
    reported_closed: Vec<ReportedClosed>,
}

#[utoipa::path(
    get, path = "/api/v1/attention", operation_id = "getAttention", tags = ["admin", "reports"],
    summary = "Stations that need attention (未诉先办)",
    description = "Two lists for the admins to act on before riders complain: stations not confirmed (by their host or an \
        admin, `verified_at`) for `unconfirmed_days` days or never, and stations with at least 3 open reports of reason \
        `closed` filed in the last 7 days. Computed when asked, from the station state and the report log.",
    security(("bearerAuth" = [])),
    params(("unconfirmed_days" = Option<usize>, Query, description = "Not confirmed for this many days, 1..=3650 (default 90).", minimum = 1, maximum = 3650),
        ("district" = Option<String>, Query, description = "Only stations in this district.", example = "朝阳区"),
        ("limit" = Option<usize>, Query, description = "Unconfirmed stations listed, 1..=1000 (default 100).", minimum = 1, maximum = 1000)),
    responses((status = 200, description = "The two lists.", content_type = "application/json", body = Attention),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 429, response = doc::TooManyRequests),
        (status = 503, response = doc::Unavailable))
)]
pub async fn attention(
    Admin(who): Admin,
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let p = Params::parse(query.as_deref())?;
    p.only(&ATTENTION_PARAMS)?;
    let days = p.usize_in(
        "unconfirmed_days",
        1,
        MAX_UNCONFIRMED_DAYS,
        DEFAULT_UNCONFIRMED_DAYS,
    )?;
    let limit = p.usize_in("limit", 1, MAX_ATTENTION_LIMIT, DEFAULT_ATTENTION_LIMIT)?;
    let district = p
        .get("district")
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    let reports = app.reports.clone();
    let cur = app.live.current();
    let body = blocking("attention", move || {
        let snap = &cur.snapshot;
        // A district token sees only its districts' stations (and their reports).
        let in_district = |d: Option<&str>| {
            who.covers(d) && district.as_deref().is_none_or(|want| d == Some(want))
        };
        let since = Utc::now() - chrono::Duration::days(days as i64);
        let mut stale: Vec<(Option<DateTime<Utc>>, u32)> = (0..snap.len() as u32)
            .filter(|&i| in_district(snap.station(i).district()))
            .filter_map(|i| {
                let at = cur.states.get(i).and_then(|s| s.verified_at);
                at.is_none_or(|at| at < since).then_some((at, i))
            })
            .collect();
        // None sorts before Some: never-confirmed first; station positions are in id order.
        stale.sort_unstable();
        let unconfirmed_total = stale.len();
        let unconfirmed = stale
            .into_iter()
            .take(limit)
            .map(|(verified_at, i)| {
                let s = snap.station(i);
                Unconfirmed {
                    id: s.id().to_owned(),
                    name: s.name().to_owned(),
                    district: s.district().map(str::to_owned),
                    verified_at: verified_at
                        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                }
            })
            .collect();
        let reported_closed = reports
            .log
            .attention(MIN_CLOSED_REPORTS, CLOSED_REPORT_DAYS)
            .into_iter()
            .filter_map(|(id, n)| {
                let s = snap.get(&id)?;
                in_district(s.district()).then(|| ReportedClosed {
                    id,
                    name: s.name().to_owned(),
                    district: s.district().map(str::to_owned),
                    reports: n,
                })
            })
            .collect();
        Attention {
            unconfirmed_days: days,
            unconfirmed_total,
            unconfirmed,
            reported_closed_days: CLOSED_REPORT_DAYS,
            min_reports: MIN_CLOSED_REPORTS,
            reported_closed,
        }
    })
    .await?;
    Ok(private(axum::Json(body)))
}
