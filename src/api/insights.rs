//! Demand and coverage insights (admin): the recording hooks the reads call, the minute flush to the store, and
//! the two reports. Only H3 cells (resolution 8) × hours are kept; nothing below the k-anonymity floor
//! ([`MIN_COUNT`] searches) leaves (docs/PRIVACY.md).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::auth::Admin;
use super::error::{blocking, ApiError, ApiResult};
use super::extract::{INSIGHTS_COVERAGE_PARAMS, INSIGHTS_DEMAND_PARAMS};
use super::openapi as doc;
use super::params::Params;
use super::respond::private;
use super::{App, AppState};
use crate::domain::{Filter, OpenAt};
use crate::index::Hit;
use crate::insights::{self, Aggregate, Counts, Demand, Range, MIN_COUNT, UNMET_RADIUS_M};
use crate::live::Current;
use crate::store::{self, Backend};

/// Days a report covers when `from` is not given: four weeks, so every hour of the week is seen four times.
pub const DEFAULT_DAYS: u32 = 28;

/// The demand counts and where they are stored.
pub struct Insights {
    /// `None` with `--insights off`: nothing is recorded (stored counts are still shown).
    recorder: Option<Demand>,
    /// The totals shown; with recording on, the recorder's own.
    demand: Demand,
    store: Arc<dyn Backend>,
    /// This replica's blob in the store.
    name: String,
    /// Counts moved into the totals since the last write.
    dirty: AtomicBool,
}

impl Insights {
    /// Loads the stored counts of `dir`. A damaged file is logged and set aside (counts start again), never a
    /// reason not to serve.
    pub fn open(store: Arc<dyn Backend>, tz: chrono_tz::Tz, on: bool) -> anyhow::Result<Insights> {
        let demand = Demand::new(tz);
        let name = store::insights::own_name(&*store)?;
        if let Some(bytes) = store::insights::read(&*store, &name)? {
            let mut stored = Aggregate::default();
            match stored.decode_into(&bytes) {
                Ok(()) => demand.load(&stored),
                Err(e) => {
                    tracing::warn!(error = %e, "the stored insights counts are damaged; starting from zero")
                }
            }
        }
        let (recorder, demand) = if on {
            (Some(demand), Demand::new(tz))
        } else {
            (None, demand)
        };
        Ok(Insights {
            recorder,
            demand,
            store,
            name,
            dirty: AtomicBool::new(false),
        })
    }

    /// The totals (the recorder's when recording).
    fn demand(&self) -> &Demand {
        self.recorder.as_ref().unwrap_or(&self.demand)
    }

    /// `f` of every replica's totals added up (this one's settled first). Blocking (the store).
    fn with_all_totals<R>(&self, f: impl FnOnce(&Aggregate) -> R) -> R {
        self.settle();
        let others = match store::insights::others(&*self.store, &self.name) {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "other replicas' demand counts not read; showing this one's");
                Vec::new()
            }
        };
        if others.is_empty() {
            return self.demand().with_totals(f);
        }
        let mut all = Aggregate::default();
        self.demand().with_totals(|t| all.merge(t));
        for bytes in others {
            if let Err(e) = all.decode_into(&bytes) {
                tracing::warn!(error = %e, "a replica's stored demand counts are damaged; left out");
            }
        }
        f(&all)
    }

    /// Moves pending records into the totals (memory only).
    fn settle(&self) {
        if !self.demand().flush().is_empty() {
            self.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// Settles and writes the totals to the store if anything changed. Blocking (disk); once a minute and at
    /// shutdown.
    pub fn persist(&self) {
        self.settle();
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return;
        }
        let bytes = self.demand().with_totals(Aggregate::encode);
        if let Err(e) = store::insights::write(&*self.store, &self.name, &bytes) {
            self.dirty.store(true, Ordering::Relaxed);
            tracing::error!(error = %e, "could not store the insights counts");
        }
    }
}

/// Records a nearest query: unmet unless a match lies within 1 km. The hits are nearest first and `k` only
/// cuts farther ones, so the first hit decides; only when `max_distance_m` < 1 km left none is a second,
/// 1-result search within 1 km needed.
pub(super) fn record_nearest(
    app: &App,
    cur: &Current,
    point: (f64, f64),
    max_distance_m: Option<f64>,
    filter: &Filter,
    at: &OpenAt,
    hits: &[Hit],
) {
    let Some(rec) = &app.insights.recorder else {
        return;
    };
    let unmet = match hits.first() {
        Some(h) => h.distance_m > UNMET_RADIUS_M,
        None if max_distance_m.is_some_and(|m| m < UNMET_RADIUS_M) => {
            !has_match_near(cur, point, filter, at)
        }
        None => true,
    };
    rec.record(point.0, point.1, unmet);
}

/// Records an along query in the cell of the route's first point: unmet unless a match lies within 1 km of
/// that point (where the rider is when asking).
pub(super) fn record_along(
    app: &App,
    cur: &Current,
    route: &[(f64, f64)],
    filter: &Filter,
    at: &OpenAt,
) {
    let (Some(rec), Some(&first)) = (&app.insights.recorder, route.first()) else {
        return;
    };
    rec.record(first.0, first.1, !has_match_near(cur, first, filter, at));
}

fn has_match_near(cur: &Current, point: (f64, f64), filter: &Filter, at: &OpenAt) -> bool {
    !cur.snapshot
        .nearest(point, 1, Some(UNMET_RADIUS_M), filter, at, &cur.states)
        .is_empty()
}

/// The days and floor a report asks for.
struct Ask {
    range: Range,
    from: NaiveDate,
    to: NaiveDate,
    min_count: u64,
    csv: bool,
}

fn days_since_epoch(d: NaiveDate) -> u32 {
    u32::try_from(d.num_days_from_ce() - 719_163).unwrap_or(0)
}

fn date_param(p: &Params, name: &str) -> ApiResult<Option<NaiveDate>> {
    p.get(name)
        .filter(|v| !v.is_empty())
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| {
                ApiError::param(name, format!("{name} must be a date YYYY-MM-DD, got {v:?}"))
            })
        })
        .transpose()
}

fn ask(p: &Params, app: &App) -> ApiResult<Ask> {
    let today = chrono::Utc::now()
        .with_timezone(&app.settings.timezone)
        .date_naive();
    let to = date_param(p, "to")?.unwrap_or(today);
    let from =
        date_param(p, "from")?.unwrap_or(to - chrono::Days::new(u64::from(DEFAULT_DAYS - 1)));
    if from > to {
        return Err(ApiError::param(
            "from",
            format!("from ({from}) is after to ({to})"),
        ));
    }
    let min_count = match p.get("min_count") {
        None | Some("") => MIN_COUNT,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n >= MIN_COUNT => n,
            _ => {
                return Err(ApiError::param(
                    "min_count",
                    format!("min_count must be a whole number of at least {MIN_COUNT} (the privacy floor), got {v:?}"),
                ))
            }
        },
    };
    let hour_of_week = match p.get("hour_of_week") {
        None | Some("") => None,
        Some(_) => Some(p.usize_in("hour_of_week", 0, 167, 0)? as u16),
    };
    let csv = match p.get("format") {
        None | Some("" | "geojson" | "json") => false,
        Some("csv") => true,
        Some(v) => {
            return Err(ApiError::param(
                "format",
                format!("format must be geojson or csv, got {v:?}"),
            ))
        }
    };
    Ok(Ask {
        range: Range {
            first_day: days_since_epoch(from),
            last_day: days_since_epoch(to),
            hour_of_week,
        },
        from,
        to,
        min_count,
        csv,
    })
}

fn share(c: Counts) -> f64 {
    if c.searches == 0 {
        0.0
    } else {
        (c.unmet as f64 / c.searches as f64 * 1000.0).round() / 1000.0
    }
}

/// A download: `private` (admin data) and named.
fn download(body: Vec<u8>, media: &'static str, name: &str) -> Response {
    let mut r = private(body.into_response());
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

pub(super) mod reports;
pub use reports::{coverage, demand};
