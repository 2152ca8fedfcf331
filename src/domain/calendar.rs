//! China's statutory holidays and make-up workdays (法定节假日与调休), by year: what makes the `PH` selector of
//! `opening_hours` match, and which weekend days are worked as weekdays.
//!
//! The calendar is data, not code: the State Council publishes each year's schedule in the November before, so
//! admins replace years at runtime (`PUT /api/v1/calendar`) and every evaluation takes the calendar in force
//! through [`DayRules`]. The built-in years are the official notices, so a fresh install is right without setup.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use compact_calendar::CompactCalendar;
use opening_hours::{Context, ContextHolidays};
use serde::{Deserialize, Serialize};

/// The years a calendar may name: wide enough for any real schedule, narrow enough that a typo (`20026`) is
/// caught rather than stored.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// One year's schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Year {
    /// Days off (the whole 放假调休 stretch, weekends inside it included): `PH` matches on them.
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days worked in exchange (调休上班): evaluated with Monday's rules.
    pub workdays: BTreeSet<NaiveDate>,
}

/// Holidays and make-up workdays by year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

/// One thing wrong with a calendar body: where (`years.2026.workdays[1]`) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarIssue {
    pub field: String,
    pub message: String,
}

/// A year as sent: strings, so that each bad date gets its own message naming it (serde would stop at the first).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawYear {
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default)]
    pub workdays: Vec<String>,
}

impl Calendar {
    pub fn years(&self) -> &BTreeMap<i32, Year> {
        &self.years
    }

    /// Whether the calendar says anything about `year` (the `PH` warning of `yizhan validate`).
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The official schedules built in: 国务院办公厅 notices for 2025 (国办发明电〔2024〕12号) and 2026
    /// (国办发明电〔2025〕7号, 4 November 2025).
    pub fn builtin() -> Calendar {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        let span = |y, (m1, d1), (m2, d2)| {
            let (a, b): (NaiveDate, NaiveDate) = (d(y, m1, d1), d(y, m2, d2));
            a.iter_days().take_while(move |x| *x <= b)
        };
        let y2025 = Year {
            holidays: std::iter::once(d(2025, 1, 1))
                .chain(span(2025, (1, 28), (2, 4)))
                .chain(span(2025, (4, 4), (4, 6)))
                .chain(span(2025, (5, 1), (5, 5)))
                .chain(span(2025, (5, 31), (6, 2)))
                .chain(span(2025, (10, 1), (10, 8)))
                .collect(),
            workdays: [(1, 26), (2, 8), (4, 27), (9, 28), (10, 11)]
                .map(|(m, x)| d(2025, m, x))
                .into(),
        };
        let y2026 = Year {
            holidays: span(2026, (1, 1), (1, 3))
                .chain(span(2026, (2, 15), (2, 23)))
                .chain(span(2026, (4, 4), (4, 6)))
                .chain(span(2026, (5, 1), (5, 5)))
                .chain(span(2026, (6, 19), (6, 21)))
                .chain(span(2026, (9, 25), (9, 27)))
                .chain(span(2026, (10, 1), (10, 7)))
                .collect(),
            workdays: [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]
                .map(|(m, x)| d(2026, m, x))
                .into(),
        };
        Calendar {
            years: BTreeMap::from([(2025, y2025), (2026, y2026)]),
        }
    }

    /// Checks years as sent and builds them, or lists every problem: a year 2000..=2100, real `YYYY-MM-DD`
    /// dates inside the year they are listed under, no date both a holiday and a workday, and workdays on a
    /// Saturday or Sunday (a weekday is a workday anyway, so listing one is a mistake worth catching).
    pub fn validate(raw: &BTreeMap<String, RawYear>) -> Result<Calendar, Vec<CalendarIssue>> {
        let mut issues = Vec::new();
        let mut years = BTreeMap::new();
        for (key, y) in raw {
            let field = format!("years.{key}");
            let year = match key.parse::<i32>() {
                Ok(n) if key.len() == 4 && (FIRST_YEAR..=LAST_YEAR).contains(&n) => n,
                _ => {
                    issues.push(CalendarIssue {
                        field,
                        message: format!("{key:?} is not a year from {FIRST_YEAR} to {LAST_YEAR} (write it as four digits, e.g. \"2026\")"),
                    });
                    continue;
                }
            };
            let holidays = dates(&y.holidays, year, &format!("{field}.holidays"), &mut issues);
            let workdays = dates(&y.workdays, year, &format!("{field}.workdays"), &mut issues);
            for (i, (date, _)) in workdays.iter().enumerate() {
                if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                    issues.push(CalendarIssue {
                        field: format!("{field}.workdays[{}]", workdays[i].1),
                        message: format!("{date} is a {}: a make-up workday (调休上班) must be a Saturday or Sunday", date.weekday()),
                    });
                }
                if holidays.iter().any(|(h, _)| h == date) {
                    issues.push(CalendarIssue {
                        field: format!("{field}.workdays[{}]", workdays[i].1),
                        message: format!("{date} is listed both as a holiday and as a workday"),
                    });
                }
            }
            years.insert(
                year,
                Year {
                    holidays: holidays.into_iter().map(|(d, _)| d).collect(),
                    workdays: workdays.into_iter().map(|(d, _)| d).collect(),
                },
            );
        }
        if issues.is_empty() {
            Ok(Calendar { years })
        } else {
            Err(issues)
        }
    }

    /// This calendar with the years of `other` replacing its own (the others kept): what a PUT does.
    pub fn merged(&self, other: Calendar) -> Calendar {
        let mut years = self.years.clone();
        years.extend(other.years);
        Calendar { years }
    }

    /// The stored form (and the `years` of the GET body): `{"2026":{"holidays":[…],"workdays":[…]}}`.
    pub fn to_json_years(&self) -> serde_json::Value {
        serde_json::to_value(&self.years).unwrap_or_default()
    }
}

/// Parses each string of `list` as a date inside `year`; bad ones become issues. Each date keeps its index
/// in `list`, for the messages that come later.
fn dates(
    list: &[String],
    year: i32,
    field: &str,
    issues: &mut Vec<CalendarIssue>,
) -> Vec<(NaiveDate, usize)> {
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let issue = |message| CalendarIssue {
            field: format!("{field}[{i}]"),
            message,
        };
        match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if s.len() == 10 && d.year() == year => out.push((d, i)),
            Ok(d) if s.len() == 10 => issues.push(issue(format!(
                "{d} is not in {year}: list it under \"{}\"",
                d.year()
            ))),
            _ => issues.push(issue(format!(
                "{s:?} is not a date: write YYYY-MM-DD, e.g. \"{year}-10-01\""
            ))),
        }
    }
    out
}

/// A calendar as evaluation uses it: the holidays in the `opening_hours` crate's form (so `PH` matches), the
/// make-up workdays, and a generation that changes whenever the calendar does, so per-minute caches can key
/// on it.
#[derive(Debug)]
pub struct DayRules {
    generation: u64,
    /// A hash of the calendar's content: the same calendar has the same digest in every process (ETags).
    digest: u64,
    calendar: Calendar,
    context: Context,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

/// FNV-1a over the calendar's JSON form: fixed, unlike std's hasher, across builds.
fn content_digest(calendar: &Calendar) -> u64 {
    calendar
        .to_json_years()
        .to_string()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

impl DayRules {
    /// Takes a generation no other calendar of this process has had, so caches keyed on it never mix two.
    pub fn new(calendar: Calendar) -> DayRules {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let generation = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let digest = content_digest(&calendar);
        let mut public = CompactCalendar::default();
        let mut holidays = BTreeSet::new();
        let mut workdays = BTreeSet::new();
        for y in calendar.years.values() {
            for d in &y.holidays {
                public.insert(*d);
                holidays.insert(*d);
            }
            workdays.extend(y.workdays.iter().copied());
        }
        let context = Context::default().with_holidays(ContextHolidays::new(
            Arc::new(public),
            Arc::new(CompactCalendar::default()),
        ));
        DayRules {
            generation,
            digest,
            calendar,
            context,
            holidays,
            workdays,
        }
    }

    /// No holidays and no workdays: plain weekday rules.
    pub fn none() -> Arc<DayRules> {
        Arc::new(DayRules::new(Calendar::default()))
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The content hash of this calendar (stable across restarts, unlike the generation).
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// The digest of the built-in calendar: reads under it keep the plain dataset version as their ETag.
    pub fn builtin_digest() -> u64 {
        static D: std::sync::LazyLock<u64> =
            std::sync::LazyLock::new(|| content_digest(&Calendar::builtin()));
        *D
    }
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }
    /// The `opening_hours` evaluation context: public holidays set, no school holidays.
    pub fn context(&self) -> &Context {
        &self.context
    }
    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.holidays.contains(&d)
    }

    /// The day whose rules apply on `d`: for a make-up workday, the nearest Monday that is neither a holiday nor
    /// itself a workday (the earlier one wins a tie), so that a rule like `Mo-Fr 09:00-17:00` opens and a `PH off`
    /// does not close; the nearest, so that date-range rules (`Jan-Jun`) see nearly the same date. Any other day
    /// is itself. Only the day's rules move: the wall-clock time stays, and what spills past midnight from the
    /// day before that Monday (`Su 22:00-02:00`) spills into the workday too.
    pub fn rules_day(&self, d: NaiveDate) -> NaiveDate {
        if !self.workdays.contains(&d) {
            return d;
        }
        let back = (d.weekday().num_days_from_monday()) as i64;
        let mut before = d - TimeDelta::days(back);
        let mut after = before + TimeDelta::days(7);
        // A few hundred weeks at most; a calendar covers ≤ 101 years, so a free Monday is always near.
        for _ in 0..1000 {
            let free = |m: NaiveDate| !self.holidays.contains(&m) && !self.workdays.contains(&m);
            let (db, da) = ((d - before).num_days(), (after - d).num_days());
            if free(before) && db <= da {
                return before;
            }
            if free(after) {
                return after;
            }
            if free(before) {
                return before;
            }
            before -= TimeDelta::days(7);
            after += TimeDelta::days(7);
        }
        d
    }

    /// Whether `d` is evaluated as another day (a make-up workday).
    pub fn is_workday(&self, d: NaiveDate) -> bool {
        self.workdays.contains(&d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn builtin_schedules_are_the_official_ones() {
        let c = Calendar::builtin();
        let y26 = &c.years()[&2026];
        assert_eq!(y26.holidays.len(), 3 + 9 + 3 + 5 + 3 + 3 + 7);
        for h in [
            "2026-01-01",
            "2026-02-15",
            "2026-02-23",
            "2026-10-07",
            "2026-06-19",
        ] {
            assert!(y26.holidays.contains(&d(h)), "{h}");
        }
        assert!(!y26.holidays.contains(&d("2026-10-08")));
        let w: Vec<String> = y26.workdays.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            w,
            [
                "2026-01-04",
                "2026-02-14",
                "2026-02-28",
                "2026-05-09",
                "2026-09-20",
                "2026-10-10"
            ]
        );
        let y25 = &c.years()[&2025];
        assert_eq!(y25.holidays.len(), 1 + 8 + 3 + 5 + 3 + 8);
        assert_eq!(y25.workdays.len(), 5);
        // Every built-in workday is a weekend day and no date is both: the built-in passes its own validation.
        let raw: BTreeMap<String, RawYear> = serde_json::from_value(c.to_json_years()).unwrap();
        assert_eq!(Calendar::validate(&raw).unwrap(), c);
    }

    #[test]
    fn validation_names_every_problem() {
        let raw: BTreeMap<String, RawYear> = serde_json::from_str(
            r#"{"2026":{"holidays":["2026-10-01","2027-01-01","2026-13-01","2026-10-10"],"workdays":["2026-10-09","2026-10-10"]},
                "1999":{"holidays":[]},"20x6":{}}"#,
        )
        .unwrap();
        let issues = Calendar::validate(&raw).unwrap_err();
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "years.1999",
                "years.2026.holidays[1]",
                "years.2026.holidays[2]",
                "years.2026.workdays[0]",
                "years.2026.workdays[1]",
                "years.20x6"
            ]
        );
        assert!(issues[1].message.contains("list it under \"2027\""));
        assert!(issues[3].message.contains("Saturday or Sunday"));
        assert!(issues[4].message.contains("both"));
    }

    #[test]
    fn a_put_replaces_the_years_it_names() {
        let raw: BTreeMap<String, RawYear> =
            serde_json::from_str(r#"{"2026":{"holidays":["2026-12-25"]},"2027":{}}"#).unwrap();
        let m = Calendar::builtin().merged(Calendar::validate(&raw).unwrap());
        assert_eq!(m.years().len(), 3);
        assert_eq!(m.years()[&2026].holidays.len(), 1);
        assert_eq!(m.years()[&2025], Calendar::builtin().years()[&2025]);
    }

    #[test]
    fn make_up_workdays_take_a_free_monday() {
        let r = DayRules::new(Calendar::builtin());
        // Sat 14 Feb 2026: that week's Monday (9 Feb) is free.
        assert_eq!(r.rules_day(d("2026-02-14")), d("2026-02-09"));
        // Sat 28 Feb: Monday 23 Feb is Spring Festival, Monday 2 Mar is two days away.
        assert_eq!(r.rules_day(d("2026-02-28")), d("2026-03-02"));
        // Sun 4 Jan 2026: Monday 29 Dec 2025 (6 days back) vs Monday 5 Jan (1 day on).
        assert_eq!(r.rules_day(d("2026-01-04")), d("2026-01-05"));
        assert_eq!(r.rules_day(d("2026-02-15")), d("2026-02-15"));
        assert!(r.is_holiday(d("2026-10-01")) && !r.is_holiday(d("2026-10-10")));
    }
}
