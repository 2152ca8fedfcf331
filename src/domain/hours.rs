//! Opening hours: the only home of "open now". An expression is parsed once per dataset, evaluated at most
//! once per minute for all stations that share it ([`HoursTable::open_set`]), and the index only ever sees the
//! resulting open bits, never an [`Hours`].

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;
use opening_hours::OpeningHours;

/// A parsed OpenStreetMap `opening_hours` value.
#[derive(Debug, Clone)]
pub struct Hours {
    raw: Box<str>,
    oh: OpeningHours,
    always_open: bool,
    /// Normalises to a constant open state: open at every instant, proven without a scan.
    constant_open: bool,
}

/// The instant from which the `24h` flag is decided (2026-01-01T00:00, local wall-clock time): fixed, so that
/// the flag depends on the dataset's content only.
const ALWAYS_OPEN_PROBE_SECS: i64 = 1_767_225_600;
/// When normalisation cannot show an expression to be constant, it counts as open at all times if it stays open
/// for this long after the probe. (Asking the library for the next change instead scans day by day to the year
/// 10000: about a second for `Mo-Su`, over 30 s for a 1000-character expression.)
const ALWAYS_OPEN_HORIZON_DAYS: i64 = 731;
/// The horizon scan costs about rules × days: an expression with more rule sequences than this (after
/// normalisation) is not scanned, and so is flagged `24h` only if normalisation reduces it to a constant.
const ALWAYS_OPEN_MAX_SCAN_RULES: usize = 4;

/// Runs a call into the `opening-hours` crate, turning a panic inside it into `None`. The crate has internal
/// assertions and `expect`s on dates; whatever input reaches them, a request or an upload must not die of it.
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// `(open at all times, and that is exact)`: exact when the normalised expression is trivially constant, else
/// decided by a bounded scan (see [`ALWAYS_OPEN_HORIZON_DAYS`]).
fn open_at_all_times(oh: &OpeningHours) -> (bool, bool) {
    let Some(probe) =
        chrono::DateTime::from_timestamp(ALWAYS_OPEN_PROBE_SECS, 0).map(|t| t.naive_utc())
    else {
        return (false, false);
    };
    let normal = oh.normalize();
    let expr = normal.get_expression();
    if expr.is_constant() {
        let open = normal.is_open(probe);
        return (open, open);
    }
    if expr.rules.len() > ALWAYS_OPEN_MAX_SCAN_RULES {
        return (false, false);
    }
    let end = probe + chrono::TimeDelta::days(ALWAYS_OPEN_HORIZON_DAYS);
    let open = normal.iter_range(probe, end).next().is_some_and(|r| {
        r.kind == opening_hours::RuleKind::Open && r.range.start <= probe && r.range.end >= end
    });
    (open, false)
}

impl Hours {
    /// Longest accepted expression, in bytes of UTF-8 (the API description says so).
    pub const MAX_BYTES: usize = 1000;

    /// Parses the expression, and decides once whether it is open at all times (the `24h` filter): a rule like
    /// `24/7; 2026 Dec 25 off` is not. The cost is bounded: at most [`Self::MAX_BYTES`] bytes, and no unbounded search
    /// for the next change of state.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use yizhan::domain::Hours;
    ///
    /// let bank = Hours::parse("Mo-Fr 09:00-17:00").unwrap();
    /// let wednesday = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    /// assert!(bank.is_open(wednesday.and_hms_opt(10, 30, 0).unwrap()));
    /// assert!(!bank.is_open(wednesday.and_hms_opt(18, 0, 0).unwrap()));
    /// assert!(!bank.always_open() && Hours::parse("24/7").unwrap().always_open());
    /// assert!(Hours::parse("Mo-Xx 25:00").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, String> {
        let raw = s.trim();
        if raw.is_empty() {
            return Err("opening_hours is empty; omit it when the hours are unknown".into());
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(format!(
                "opening_hours is longer than {} characters",
                Self::MAX_BYTES
            ));
        }
        let cannot_evaluate = || {
            format!("cannot evaluate opening_hours {raw:?}: the expression is valid syntax but the evaluator fails on it; simplify it (e.g. \"Mo-Fr 09:00-18:00\")")
        };
        let oh = guarded(|| OpeningHours::from_str(raw))
            .ok_or_else(cannot_evaluate)?
            .map_err(|e| {
                let msg = e.to_string();
                let first = msg.lines().next().unwrap_or("syntax error").trim().to_owned();
                format!("cannot parse opening_hours {raw:?} (OpenStreetMap syntax, e.g. \"Mo-Fr 09:00-18:00\" or \"24/7\"): {first}")
            })?;
        let (always_open, constant_open) =
            guarded(|| open_at_all_times(&oh)).ok_or_else(cannot_evaluate)?;
        Ok(Hours {
            raw: raw.into(),
            oh,
            always_open,
            constant_open,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }
    pub fn always_open(&self) -> bool {
        self.always_open
    }
    /// Open at this local (wall-clock) time: `Some(true)` open, `Some(false)` closed or an `unknown` rule, `None`
    /// when the evaluator fails on this expression at this instant (then nobody knows). A constant expression
    /// (`24/7`) is open even outside the years 1900–9999 that the library evaluates.
    pub fn try_is_open(&self, local: NaiveDateTime) -> Option<bool> {
        if self.constant_open {
            return Some(true);
        }
        guarded(|| self.oh.is_open(local))
    }
    /// Open at this local (wall-clock) time. `Unknown` rules, and an evaluator failure, count as not open; use
    /// [`Hours::try_is_open`] to tell a failure apart.
    pub fn is_open(&self, local: NaiveDateTime) -> bool {
        self.try_is_open(local).unwrap_or(false)
    }
}

/// The minute at which `open_now` is asked, as local wall-clock time in the service's time zone.
///
/// Truncated to the minute: opening_hours has minute resolution, and it lets every request in the same minute
/// share one evaluation of all expressions (see [`HoursTable::open_set`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenAt {
    local: NaiveDateTime,
}

impl OpenAt {
    pub fn new(at: DateTime<Utc>, tz: Tz) -> Self {
        let local = at.with_timezone(&tz).naive_local();
        OpenAt {
            local: local
                .with_second(0)
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(local),
        }
    }

    pub fn local(&self) -> NaiveDateTime {
        self.local
    }
}

/// The expression id of a station with unknown hours.
pub const NO_HOURS: u32 = u32::MAX;

/// The distinct opening-hours expressions of one dataset, by expression id, and the last minute's evaluation
/// of all of them.
pub struct HoursTable {
    exprs: Vec<Arc<Hours>>,
    /// The last minute's [`HoursTable::open_set`].
    cache: Mutex<Option<(NaiveDateTime, Arc<OpenSet>)>>,
}

/// Every opening-hours expression evaluated at one minute, by expression id.
pub struct OpenSet {
    /// `None` where the expression cannot say (the `open_now: null` of a response).
    states: Vec<Option<bool>>,
    /// `states[e] == Some(true)`: what the `open_now` filter and the index take.
    open: Vec<bool>,
}

impl OpenSet {
    /// Open or not by expression id: what the index filters on.
    pub fn bits(&self) -> &[bool] {
        &self.open
    }

    /// The `open_now` of a station with expression `expr`: `None` when its hours are unknown ([`NO_HOURS`])
    /// or cannot be evaluated at this minute.
    pub fn state(&self, expr: u32) -> Option<bool> {
        self.states.get(expr as usize).copied().flatten()
    }

    /// Open for certain: what the `open_now` filter keeps.
    pub fn is_open(&self, expr: u32) -> bool {
        self.open.get(expr as usize).copied().unwrap_or(false)
    }
}

impl HoursTable {
    /// The table of the stations' expressions (one `Option` per station: its hours, if known), and each
    /// station's expression id (or [`NO_HOURS`]), in order. Stations share parsed expressions by text, so
    /// each is evaluated once however many stations have it.
    pub fn new<'a>(
        stations: impl Iterator<Item = Option<&'a Arc<Hours>>>,
    ) -> (HoursTable, Vec<u32>) {
        let mut ids: HashMap<&str, u32> = HashMap::new();
        let mut exprs: Vec<Arc<Hours>> = Vec::new();
        let of_station = stations
            .map(|h| match h {
                None => NO_HOURS,
                Some(h) => *ids.entry(h.as_str()).or_insert_with(|| {
                    exprs.push(h.clone());
                    (exprs.len() - 1) as u32
                }),
            })
            .collect();
        let table = HoursTable {
            exprs,
            cache: Mutex::new(None),
        };
        (table, of_station)
    }

    /// Per expression id: open at all times (its stations carry the 24h flag).
    pub fn always_open(&self) -> Vec<bool> {
        self.exprs.iter().map(|h| h.always_open()).collect()
    }

    /// The distinct parsed hours, for reuse when a merged upload is validated.
    pub fn in_use(&self) -> HashMap<String, Arc<Hours>> {
        self.exprs
            .iter()
            .map(|h| (h.as_str().to_owned(), h.clone()))
            .collect()
    }

    /// Which expressions are open at `at`'s minute; cached for the minute, so that requests neither filter nor
    /// answer `open_now` by evaluating expressions (the opening_hours crate takes about a microsecond per
    /// expression, a tenth of a whole nearest query).
    pub fn open_set(&self, at: &OpenAt) -> Arc<OpenSet> {
        let minute = at.local();
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((when, set)) = cache.as_ref() {
                if *when == minute {
                    return set.clone();
                }
            }
        }
        // Evaluated outside the lock: requests for other minutes (clients choose `at`) must not queue here.
        let states: Vec<Option<bool>> = self.exprs.iter().map(|h| h.try_is_open(minute)).collect();
        let open = states.iter().map(|s| *s == Some(true)).collect();
        let set = Arc::new(OpenSet { states, open });
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((minute, set.clone()));
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_24_7_is_always_open_and_office_hours_are_not() {
        assert!(Hours::parse("24/7").unwrap().always_open());
        assert!(Hours::parse("Mo-Su 00:00-24:00").unwrap().always_open());
        let office = Hours::parse("Mo-Fr 09:00-18:00").unwrap();
        assert!(!office.always_open());
        let wed_1030 = NaiveDateTime::parse_from_str("2026-11-25 10:30", "%Y-%m-%d %H:%M").unwrap();
        let wed_0300 = NaiveDateTime::parse_from_str("2026-11-25 03:00", "%Y-%m-%d %H:%M").unwrap();
        let sun_1200 = NaiveDateTime::parse_from_str("2026-11-29 12:00", "%Y-%m-%d %H:%M").unwrap();
        assert!(office.is_open(wed_1030));
        assert!(!office.is_open(wed_0300));
        assert!(!office.is_open(sun_1200));
        assert!(Hours::parse("Mo-Xx 25:00-99:00").is_err());
        assert!(Hours::parse("").is_err());
    }
}
