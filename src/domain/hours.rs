//! Opening hours: the only home of "open now". An expression is parsed once per dataset, evaluated at most
//! once per minute and calendar for all stations that share it ([`HoursTable::open_set`]), and the index only
//! ever sees the resulting open bits, never an [`Hours`].
//!
//! The calendar ([`DayRules`]) makes `PH` match on statutory holidays and evaluates a make-up workday with
//! Monday's rules. "Open now", the next change and `open_for` all come from one definition ([`Hours::state_at`]),
//! so they cannot disagree (a property test scans minute by minute to hold them to it).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use chrono::{DateTime, FixedOffset, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use opening_hours::{OpeningHours, RuleKind};

use super::calendar::DayRules;

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
    /// (`24/7`) is open even outside the years 1900–9999 that the library evaluates. No holidays: see
    /// [`Hours::state_at`] for the calendar's.
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

    /// Whether the expression is open at no instant of the two years from the probe (2026–2027) under `rules`:
    /// `off`, `Mo-Su off`, or `PH 10:00-12:00` with no holidays: surely a mistake, worth a warning. An
    /// expression with more rules than the horizon scan takes is not judged (`false`).
    pub fn never_open(&self, rules: &DayRules) -> bool {
        if self.always_open {
            return false;
        }
        let Some(probe) =
            DateTime::from_timestamp(ALWAYS_OPEN_PROBE_SECS, 0).map(|t| t.naive_utc())
        else {
            return false;
        };
        let oh = self.with_calendar(rules);
        guarded(|| {
            if oh.get_expression().rules.len() > ALWAYS_OPEN_MAX_SCAN_RULES {
                return false;
            }
            let end = probe + TimeDelta::days(ALWAYS_OPEN_HORIZON_DAYS);
            !oh.iter_range(probe, end).any(|r| r.kind == RuleKind::Open)
        })
        .unwrap_or(false)
    }

    /// Whether the expression names the public-holiday selector `PH` (which needs a calendar to mean anything).
    pub fn uses_public_holidays(&self) -> bool {
        self.raw
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == "PH")
    }

    /// The expression with the calendar's holidays attached, so that `PH` matches on them.
    fn with_calendar(&self, rules: &DayRules) -> OpeningHours {
        self.oh.clone().with_context(rules.context().clone())
    }

    /// Like [`Hours::try_is_open`], under a calendar: `PH` matches on its holidays, and a make-up workday is
    /// evaluated at the same wall-clock time on the Monday whose rules it takes ([`DayRules::rules_day`]).
    pub fn state_at(&self, local: NaiveDateTime, rules: &DayRules) -> Option<bool> {
        if self.constant_open {
            return Some(true);
        }
        let oh = self.with_calendar(rules);
        let t = rules.rules_day(local.date()).and_time(local.time());
        guarded(|| oh.is_open(t))
    }

    /// The first moment after `from` and at most `last` at which [`Hours::state_at`]'s "open" flips, or `None`
    /// (no flip by `last`, open at all times, or the evaluator fails). Asks the library for the state
    /// intervals rather than scanning minutes: one pass over the stretches of ordinary days, and one per
    /// make-up workday, evaluated on its Monday and shifted back.
    pub fn next_change(
        &self,
        from: NaiveDateTime,
        last: NaiveDateTime,
        rules: &DayRules,
    ) -> Option<NaiveDateTime> {
        if self.constant_open {
            return None;
        }
        let open = self.state_at(from, rules)?;
        let oh = self.with_calendar(rules);
        guarded(|| first_flip(&oh, open, from, last, rules)).flatten()
    }

    /// The first moment at or after `from` (and at most `last`) at which the expression is open: `from` itself
    /// if open then. What a caller needs to combine the hours with a closure ("closed until D": ask from D 00:00).
    pub fn next_open_at_or_after(
        &self,
        from: NaiveDateTime,
        last: NaiveDateTime,
        rules: &DayRules,
    ) -> Option<NaiveDateTime> {
        match self.state_at(from, rules)? {
            true => Some(from),
            false => self.next_change(from, last, rules),
        }
    }
}

/// The walk behind [`Hours::next_change`]: `open` is the state at `from`.
fn first_flip(
    oh: &OpeningHours,
    open: bool,
    from: NaiveDateTime,
    last: NaiveDateTime,
    rules: &DayRules,
) -> Option<NaiveDateTime> {
    let mut t = from;
    while t <= last {
        let day = t.date();
        let next_day = day.succ_opt()?.and_time(NaiveTime::MIN);
        // The stretch evaluated in one go: one make-up workday, or the ordinary days up to the next one.
        let (rules_day, stretch_end) = if rules.is_workday(day) {
            (rules.rules_day(day), next_day)
        } else {
            let mut end = next_day;
            while end <= last && !rules.is_workday(end.date()) {
                end = end.date().succ_opt()?.and_time(NaiveTime::MIN);
            }
            (day, end)
        };
        let shift = rules_day - day;
        // Past `last` by a minute, so that a flip exactly at `last` is seen.
        let end = stretch_end.min(last + TimeDelta::minutes(1));
        for r in oh.iter_range(t + shift, end + shift) {
            let at = (r.range.start - shift).max(t);
            if at > last {
                return None;
            }
            if (r.kind == RuleKind::Open) != open && at > from {
                return Some(at);
            }
        }
        t = stretch_end;
    }
    None
}

/// The minute at which `open_now` is asked, as local wall-clock time in the service's time zone, and the
/// calendar in force for the request.
///
/// Truncated to the minute: opening_hours has minute resolution, and it lets every request in the same minute
/// share one evaluation of all expressions (see [`HoursTable::open_set`]). The calendar travels with the
/// minute because an admin may replace it at any time: the next request must see the new one.
#[derive(Debug, Clone)]
pub struct OpenAt {
    local: NaiveDateTime,
    tz: Tz,
    rules: Arc<DayRules>,
}

/// How far ahead `next_change_at` looks (the contract's "at most 8 days").
pub const NEXT_CHANGE_HORIZON: TimeDelta = TimeDelta::days(8);

impl OpenAt {
    pub fn new(at: DateTime<Utc>, tz: Tz, rules: Arc<DayRules>) -> Self {
        let local = at.with_timezone(&tz).naive_local();
        OpenAt {
            local: local
                .with_second(0)
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(local),
            tz,
            rules,
        }
    }

    pub fn local(&self) -> NaiveDateTime {
        self.local
    }
    pub fn rules(&self) -> &Arc<DayRules> {
        &self.rules
    }

    /// A local wall-clock time of the service zone as an instant with its offset (`+08:00` in Beijing).
    pub fn zoned(&self, local: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
        zoned(self.tz, local)
    }
}

/// `local` in `tz` with its offset. A time a DST gap skips (none in Asia/Shanghai) is taken an hour later, past
/// the gap. Costs a few hundred nanoseconds (chrono-tz searches the zone's transitions): memoise it.
fn zoned(tz: Tz, local: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(local + TimeDelta::hours(1)))
                .earliest()
        })
        .map(|t| t.fixed_offset())
}

/// The expression id of a station with unknown hours.
pub const NO_HOURS: u32 = u32::MAX;

/// Most `open_for` durations whose bits one minute's [`OpenSet`] keeps (clients choose them; the page asks one).
const OPEN_FOR_KEPT: usize = 8;

/// What an [`OpenSet`] is for: the minute, the calendar generation and the zone.
type SetKey = (NaiveDateTime, u64, Tz);

/// The distinct opening-hours expressions of one dataset, by expression id, and the last minute's evaluation
/// of all of them.
pub struct HoursTable {
    exprs: Arc<[Arc<Hours>]>,
    /// The last [`HoursTable::open_set`], by minute and calendar generation.
    cache: Mutex<Option<(SetKey, Arc<OpenSet>)>>,
}

/// Every opening-hours expression evaluated at one minute under one calendar, by expression id; the next
/// changes and `open_for` bits are worked out on first use and kept, so a minute's requests share them.
pub struct OpenSet {
    at: NaiveDateTime,
    tz: Tz,
    rules: Arc<DayRules>,
    exprs: Arc<[Arc<Hours>]>,
    /// `None` where the expression cannot say (the `open_now: null` of a response).
    states: Vec<Option<bool>>,
    /// `states[e] == Some(true)`: what the `open_now` filter and the index take.
    open: Arc<[bool]>,
    /// Each expression's next change with the zone's offset: zoning costs more than a whole nearest query's
    /// index walk, so a minute's requests share it.
    next: Vec<OnceLock<Option<DateTime<FixedOffset>>>>,
    /// `(minutes, bits)` for the `open_for` durations asked this minute, newest last.
    open_for: RwLock<Vec<(u32, Arc<[bool]>)>>,
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

    /// The last moment a change is looked for: this minute plus [`NEXT_CHANGE_HORIZON`].
    pub fn horizon(&self) -> NaiveDateTime {
        self.at + NEXT_CHANGE_HORIZON
    }

    /// When `open_now` of expression `expr` next flips, within the horizon (local time); `None` for unknown
    /// hours, hours open at all times, or no flip within 8 days. Worked out once per minute and expression.
    pub fn next_change(&self, expr: u32) -> Option<NaiveDateTime> {
        self.next_change_at(expr).map(|t| t.naive_local())
    }

    /// [`OpenSet::next_change`] with the zone's offset: the `next_change_at` of a response.
    pub fn next_change_at(&self, expr: u32) -> Option<DateTime<FixedOffset>> {
        let (h, cell) = (
            self.exprs.get(expr as usize)?,
            self.next.get(expr as usize)?,
        );
        *cell.get_or_init(|| {
            let local = h.next_change(self.at, self.horizon(), &self.rules)?;
            zoned(self.tz, local)
        })
    }

    /// The first open moment at or after `from` (not past the horizon): for a station closed until a date.
    pub fn next_open_at_or_after(&self, expr: u32, from: NaiveDateTime) -> Option<NaiveDateTime> {
        if from <= self.at {
            return self
                .is_open(expr)
                .then_some(self.at)
                .or_else(|| self.next_change(expr));
        }
        let h = self.exprs.get(expr as usize)?;
        h.next_open_at_or_after(from, self.horizon(), &self.rules)
    }

    /// The bits the `open_now` filter takes, or with `open_for` (minutes) those of the expressions open now
    /// and still open that many minutes on (no flip within them). Kept per duration for the minute.
    pub fn filter_bits(&self, open_for: Option<u32>) -> Arc<[bool]> {
        let Some(minutes) = open_for else {
            return self.open.clone();
        };
        let find = |kept: &[(u32, Arc<[bool]>)]| {
            kept.iter()
                .find(|(m, _)| *m == minutes)
                .map(|(_, bits)| bits.clone())
        };
        // Read-locked: every request of the minute with this duration only reads.
        if let Some(bits) = find(&self.open_for.read().unwrap_or_else(|p| p.into_inner())) {
            return bits;
        }
        let mut kept = self.open_for.write().unwrap_or_else(|p| p.into_inner());
        if let Some(bits) = find(&kept) {
            return bits;
        }
        let until = self.at + TimeDelta::minutes(i64::from(minutes));
        let bits: Arc<[bool]> = (0..self.open.len() as u32)
            .map(|e| self.is_open(e) && self.next_change(e).is_none_or(|c| c >= until))
            .collect();
        if kept.len() >= OPEN_FOR_KEPT {
            kept.remove(0);
        }
        kept.push((minutes, bits.clone()));
        bits
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
            exprs: exprs.into(),
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

    /// Which expressions are open at `at`'s minute under its calendar; cached for the minute and calendar, so
    /// that requests neither filter nor answer `open_now` by evaluating expressions (the opening_hours crate
    /// takes about a microsecond per expression, a tenth of a whole nearest query).
    pub fn open_set(&self, at: &OpenAt) -> Arc<OpenSet> {
        let key = (at.local(), at.rules.generation(), at.tz);
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((when, set)) = cache.as_ref() {
                if *when == key {
                    return set.clone();
                }
            }
        }
        // Evaluated outside the lock: requests for other minutes (clients choose `at`) must not queue here.
        let states: Vec<Option<bool>> = self
            .exprs
            .iter()
            .map(|h| h.state_at(key.0, &at.rules))
            .collect();
        let open = states.iter().map(|s| *s == Some(true)).collect();
        let set = Arc::new(OpenSet {
            at: key.0,
            tz: at.tz,
            rules: at.rules.clone(),
            exprs: self.exprs.clone(),
            next: (0..states.len()).map(|_| OnceLock::new()).collect(),
            states,
            open,
            open_for: RwLock::new(Vec::new()),
        });
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((key, set.clone()));
        set
    }
}

#[cfg(test)]
#[path = "hours_tests.rs"]
mod tests;
