//! Opening hours under the calendar: hand-computed answers for the days that matter, and `next_change`
//! against a minute-by-minute scan.

use super::*;
use crate::domain::calendar::Calendar;
use proptest::prelude::*;

fn t(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn h(s: &str) -> Hours {
    Hours::parse(s).unwrap()
}

fn cn() -> DayRules {
    DayRules::new(Calendar::builtin())
}

/// `next_change` over the contract's horizon.
fn next(hours: &str, from: &str, rules: &DayRules) -> Option<NaiveDateTime> {
    let from = t(from);
    h(hours).next_change(from, from + NEXT_CHANGE_HORIZON, rules)
}

#[test]
fn hours_24_7_is_always_open_and_office_hours_are_not() {
    assert!(Hours::parse("24/7").unwrap().always_open());
    assert!(Hours::parse("Mo-Su 00:00-24:00").unwrap().always_open());
    let office = Hours::parse("Mo-Fr 09:00-18:00").unwrap();
    assert!(!office.always_open());
    assert!(office.is_open(t("2026-11-25 10:30")));
    assert!(!office.is_open(t("2026-11-25 03:00")));
    assert!(!office.is_open(t("2026-11-29 12:00")));
    assert!(Hours::parse("Mo-Xx 25:00-99:00").is_err());
    assert!(Hours::parse("").is_err());
}

#[test]
fn national_day_is_a_holiday() {
    let bank = h("Mo-Fr 09:00-17:00; PH off");
    // Thursday 1 October 2026, 10:00: a weekday, but 国庆节.
    assert_eq!(bank.state_at(t("2026-10-01 10:00"), &cn()), Some(false));
    // Without a calendar it is just a Thursday.
    assert_eq!(
        bank.state_at(t("2026-10-01 10:00"), &DayRules::none()),
        Some(true)
    );
    // The evening before the holiday: closed, and it opens again on Thursday 8 October (7 days 15 h later).
    assert_eq!(
        next("Mo-Fr 09:00-17:00; PH off", "2026-09-30 18:00", &cn()),
        Some(t("2026-10-08 09:00"))
    );
    // Saturday 10 October is a make-up workday: open, with Monday's hours.
    assert_eq!(bank.state_at(t("2026-10-10 10:00"), &cn()), Some(true));
    assert_eq!(
        next("Mo-Fr 09:00-17:00; PH off", "2026-10-09 17:30", &cn()),
        Some(t("2026-10-10 09:00"))
    );
    // A station that says nothing about PH keeps its weekday hours on the holiday.
    assert_eq!(
        h("Mo-Fr 09:00-17:00").state_at(t("2026-10-01 10:00"), &cn()),
        Some(true)
    );
    // `PH` as a selector opens on holidays only.
    assert_eq!(
        h("PH 10:00-16:00").state_at(t("2026-10-02 11:00"), &cn()),
        Some(true)
    );
    assert_eq!(
        h("PH 10:00-16:00").state_at(t("2026-10-08 11:00"), &cn()),
        Some(false)
    );
}

#[test]
fn spring_festival_eve_and_its_make_up_saturdays() {
    let bank = "Mo-Fr 09:00-17:00; PH off";
    // 除夕, Monday 16 February 2026: inside the 15–23 February holiday.
    assert_eq!(h(bank).state_at(t("2026-02-16 10:00"), &cn()), Some(false));
    // Friday 13 February at 16:00: open, closes at 17:00.
    assert_eq!(
        next(bank, "2026-02-13 16:00", &cn()),
        Some(t("2026-02-13 17:00"))
    );
    // Then Saturday 14 February is worked (调休上班): opens at 09:00 with Monday's rules, closes at 17:00,
    // and stays closed through the holiday until Tuesday 24 February: 9 days 16 h on, past the 8-day horizon.
    assert_eq!(
        next(bank, "2026-02-13 17:00", &cn()),
        Some(t("2026-02-14 09:00"))
    );
    assert_eq!(
        next(bank, "2026-02-14 10:00", &cn()),
        Some(t("2026-02-14 17:00"))
    );
    assert_eq!(next(bank, "2026-02-14 17:00", &cn()), None);
    let from = t("2026-02-14 17:00");
    let ten_days = from + TimeDelta::days(10);
    assert_eq!(
        h(bank).next_change(from, ten_days, &cn()),
        Some(t("2026-02-24 09:00"))
    );
    assert_eq!(
        next(bank, "2026-02-16 10:00", &cn()),
        Some(t("2026-02-24 09:00"))
    );
    // A make-up Saturday without any PH rule: open at 10:00 (an ordinary Saturday is not).
    let plain = h("Mo-Fr 09:00-17:00");
    assert_eq!(plain.state_at(t("2026-02-14 10:00"), &cn()), Some(true));
    assert_eq!(
        plain.state_at(t("2026-02-14 10:00"), &DayRules::none()),
        Some(false)
    );
    // Saturday 28 February too, though its week's Monday (23 February) is a holiday.
    assert_eq!(h(bank).state_at(t("2026-02-28 10:00"), &cn()), Some(true));
    // Saturday hours do not apply on a make-up Saturday: Monday's do.
    let sat_short = h("Mo-Fr 09:00-17:00; Sa 09:00-12:00");
    assert_eq!(sat_short.state_at(t("2026-02-14 15:00"), &cn()), Some(true));
}

#[test]
fn a_range_across_midnight() {
    let night = "Mo-Su 22:00-02:00";
    let r = DayRules::none();
    assert_eq!(h(night).state_at(t("2026-11-24 23:00"), &r), Some(true));
    assert_eq!(h(night).state_at(t("2026-11-25 01:59"), &r), Some(true));
    assert_eq!(h(night).state_at(t("2026-11-25 02:00"), &r), Some(false));
    assert_eq!(
        next(night, "2026-11-24 23:00", &r),
        Some(t("2026-11-25 02:00"))
    );
    assert_eq!(
        next(night, "2026-11-25 01:00", &r),
        Some(t("2026-11-25 02:00"))
    );
    assert_eq!(
        next(night, "2026-11-25 03:00", &r),
        Some(t("2026-11-25 22:00"))
    );
    assert_eq!(
        next(night, "2026-12-31 23:30", &cn()),
        Some(t("2027-01-01 02:00"))
    );
}

#[test]
fn always_open_and_unknown_hours_never_change() {
    assert_eq!(next("24/7", "2026-10-01 10:00", &cn()), None);
    assert_eq!(next("Mo-Su 00:00-24:00", "2026-10-01 10:00", &cn()), None);
    // `24/7; PH off` does close for the holiday.
    assert_eq!(
        next("24/7; PH off", "2026-09-30 18:00", &cn()),
        Some(t("2026-10-01 00:00"))
    );
    let a = Arc::new(h("Mo-Fr 09:00-17:00"));
    let (table, ids) = HoursTable::new([None, Some(&a)].into_iter());
    assert_eq!(ids, [NO_HOURS, 0]);
    let at = OpenAt::new(
        chrono::DateTime::parse_from_rfc3339("2026-11-25T10:30:00+08:00")
            .unwrap()
            .to_utc(),
        chrono_tz::Asia::Shanghai,
        Arc::new(cn()),
    );
    let set = table.open_set(&at);
    assert_eq!(
        (set.state(NO_HOURS), set.next_change(NO_HOURS)),
        (None, None)
    );
    assert_eq!(set.next_change(0), Some(t("2026-11-25 17:00")));
    assert_eq!(
        at.zoned(t("2026-11-25 17:00")).unwrap().to_rfc3339(),
        "2026-11-25T17:00:00+08:00"
    );
}

#[test]
fn the_horizon_is_eight_days() {
    let r = DayRules::none();
    let dec_off = "Mo-Su 09:00-17:00; Dec off";
    assert_eq!(
        next(dec_off, "2026-11-23 18:00", &r),
        Some(t("2026-11-24 09:00"))
    );
    // Closed all of December: the next opening (1 January) is past the horizon.
    assert_eq!(next(dec_off, "2026-11-30 18:00", &r), None);
    // A change exactly 8 days on is still seen; a minute later is not.
    let weekly = "We 10:00-11:00";
    assert_eq!(
        next(weekly, "2026-11-18 11:00", &r),
        Some(t("2026-11-25 10:00"))
    );
    let from = t("2026-11-17 10:00");
    assert_eq!(
        h(weekly).next_change(from, from + TimeDelta::days(8), &r),
        Some(t("2026-11-18 10:00"))
    );
    let from = t("2026-11-17 10:01");
    let last = from + TimeDelta::days(1) - TimeDelta::minutes(2);
    assert_eq!(h(weekly).next_change(from, last, &r), None);
}

#[test]
fn open_for_and_the_first_open_moment_after_a_closure() {
    let exprs: Vec<Arc<Hours>> = ["Mo-Fr 09:00-17:00; PH off", "24/7", "Mo-Su 16:50-17:10"]
        .iter()
        .map(|s| Arc::new(h(s)))
        .collect();
    let (table, _) = HoursTable::new(exprs.iter().map(Some));
    let at = |s: &str| {
        let utc = chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        OpenAt::new(utc, chrono_tz::Asia::Shanghai, Arc::new(cn()))
    };
    let set = table.open_set(&at("2026-11-25T16:55:00+08:00"));
    assert_eq!(&*set.filter_bits(None), &[true, true, true]);
    assert_eq!(&*set.filter_bits(Some(5)), &[true, true, true]);
    assert_eq!(&*set.filter_bits(Some(6)), &[false, true, true]);
    assert_eq!(&*set.filter_bits(Some(16)), &[false, true, false]);
    assert_eq!(&*set.filter_bits(Some(1440)), &[false, true, false]);
    // Closed until 8 October (reopens_on): the bank's first open moment from then is 09:00 that day.
    let set = table.open_set(&at("2026-10-02T12:00:00+08:00"));
    assert_eq!(
        set.next_open_at_or_after(0, t("2026-10-08 00:00")),
        Some(t("2026-10-08 09:00"))
    );
    assert_eq!(
        set.next_open_at_or_after(1, t("2026-10-08 00:00")),
        Some(t("2026-10-08 00:00"))
    );
    assert_eq!(
        set.next_open_at_or_after(0, t("2026-10-02 12:00")),
        Some(t("2026-10-08 09:00"))
    );
    // Closed until after the horizon: not known.
    assert_eq!(set.next_open_at_or_after(0, t("2026-10-20 00:00")), None);
}

/// Hours like those of the sample (scripts/gen_sample.py), with the forms that make next_change hard:
/// holidays, weekends, a range across midnight, an `unknown` rule, a month exception.
const SAMPLE_HOURS: [&str; 14] = [
    "Mo-Fr 09:00-17:00",
    "Mo-Fr 09:00-17:00; PH off",
    "Mo-Fr 09:00-17:00; Sa 09:00-12:00",
    "Mo-Fr 08:30-17:30; Sa 09:00-16:00; PH off",
    "Mo-Su 10:00-21:30",
    "Mo-Su 06:30-21:00; PH 09:00-15:00",
    "24/7",
    "24/7; PH off",
    "Mo-Su 22:00-02:00",
    "Sa,Su 20:00-04:00; PH 00:00-24:00",
    "Mo-Fr 09:00-12:00,13:30-18:00",
    "Mo-Su 08:00-20:00; Tu 12:00-14:00 unknown",
    "Mo-Su 09:00-17:00; Feb off",
    "We 10:00-11:00",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    /// `next_change` is the first minute of a minute-by-minute scan of `state_at` that differs from now, over
    /// the next 8 days, under the built-in calendar (dates across both built-in years and past them).
    #[test]
    fn next_change_agrees_with_a_minute_scan(
        e in 0..SAMPLE_HOURS.len(), day in 0i64..760, minute in 0i64..1440, with_calendar in any::<bool>(),
    ) {
        let hours = h(SAMPLE_HOURS[e]);
        let rules = if with_calendar { Arc::new(cn()) } else { DayRules::none() };
        let from = t("2025-01-01 00:00") + TimeDelta::days(day) + TimeDelta::minutes(minute);
        let last = from + NEXT_CHANGE_HORIZON;
        let now = hours.state_at(from, &rules);
        prop_assume!(now.is_some());
        let open = now == Some(true);
        let mut want = None;
        let mut m = from;
        while m < last {
            m += TimeDelta::minutes(1);
            if (hours.state_at(m, &rules) == Some(true)) != open {
                want = Some(m);
                break;
            }
        }
        prop_assert_eq!(hours.next_change(from, last, &rules), want, "{} from {}", SAMPLE_HOURS[e], from);
    }
}
