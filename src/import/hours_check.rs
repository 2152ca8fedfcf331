//! Remarks on opening hours for `yizhan validate`: hours that can never be open, and `PH` when no calendar
//! says which days are holidays. Warnings, not errors: the file is still valid.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::domain::{Calendar, DayRules, Station};

/// How many station ids a warning names.
const LISTED: usize = 5;

/// The warnings for `stations`' hours, judged with the built-in calendar on `today`.
pub fn hours_warnings(stations: &[Station], today: NaiveDate) -> Vec<String> {
    let calendar = Calendar::builtin();
    let rules = DayRules::new(calendar.clone());
    // By expression text: each distinct expression is judged once, and the ids of its stations listed.
    let mut by_hours: BTreeMap<&str, (&crate::domain::Hours, Vec<&str>)> = BTreeMap::new();
    for s in stations {
        if let Some(h) = s.hours.as_deref() {
            by_hours
                .entry(h.as_str())
                .or_insert((h, Vec::new()))
                .1
                .push(s.id());
        }
    }
    let mut out = Vec::new();
    for (raw, (h, ids)) in &by_hours {
        if h.never_open(&rules) {
            out.push(format!(
                "opening_hours {raw:?} is never open, so {} station(s) never show as open (e.g. {}); if a station is closed for now, mark it temporarily_closed instead",
                ids.len(),
                listed(ids)
            ));
        }
    }
    let (year, next) = (today.year(), today.year() + 1);
    if !calendar.covers(year) && !calendar.covers(next) {
        let ph: Vec<&str> = by_hours
            .values()
            .filter(|(h, _)| h.uses_public_holidays())
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        if !ph.is_empty() {
            let known: Vec<String> = calendar.years().keys().map(|y| y.to_string()).collect();
            out.push(format!(
                "{} station(s) use PH in opening_hours (e.g. {}), but the built-in calendar covers only {}: PH matches no day in {year} or {next} until an admin sends that year's schedule (PUT /api/v1/calendar)",
                ph.len(),
                listed(&ph),
                known.join(", ")
            ));
        }
    }
    out
}

fn listed(ids: &[&str]) -> String {
    let mut s: Vec<String> = ids.iter().take(LISTED).map(|i| format!("{i:?}")).collect();
    if ids.len() > LISTED {
        s.push("…".into());
    }
    s.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Amenities, HostType, Hours, Kind, Position, StationId, Texts};
    use std::sync::Arc;

    fn station(id: &str, hours: &str) -> Station {
        Station::new(
            &StationId::parse(id).unwrap(),
            Texts {
                name: "n",
                ..Texts::default()
            },
            Kind::Station,
            HostType::Bank,
            Amenities::default(),
            Some(Arc::new(Hours::parse(hours).unwrap())),
            Position::new(116.4, 39.9).unwrap(),
        )
    }

    #[test]
    fn never_open_hours_and_uncovered_ph_are_warned_about() {
        let stations = [
            station("a", "off"),
            station("b", "Mo-Su off"),
            station("c", "Mo-Fr 09:00-17:00; PH off"),
            station("d", "24/7"),
            station("e", "PH 10:00-12:00"),
        ];
        let in_2026 = hours_warnings(&stations, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        assert_eq!(in_2026.len(), 2, "{in_2026:?}");
        assert!(in_2026[0].contains("\"Mo-Su off\"") && in_2026[0].contains("\"b\""));
        assert!(in_2026[1].contains("\"off\"") && in_2026[1].contains("\"a\""));
        // 2028: the built-in calendar covers neither 2028 nor 2029.
        let in_2028 = hours_warnings(&stations, NaiveDate::from_ymd_opt(2028, 6, 1).unwrap());
        assert_eq!(in_2028.len(), 3, "{in_2028:?}");
        assert!(in_2028[2].contains("2 station(s) use PH") && in_2028[2].contains("2025, 2026"));
        // The year before the last built-in one still has it as "next year".
        let in_2025 = hours_warnings(&stations, NaiveDate::from_ymd_opt(2025, 6, 1).unwrap());
        assert_eq!(in_2025.len(), 2);
    }
}
