//! A station's state as its host or an admin last knew it: open or temporarily closed (until when, and why),
//! and when someone last confirmed the listing.
//!
//! State is not part of a dataset version: hosts confirm hundreds of stations a day, and each confirmation
//! must neither create a version (pushing the admins' uploads out of the rollback history) nor make a
//! client re-download the dataset. It lives beside the dataset and is merged into every read.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Whether a station receives riders, as its host says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Open,
    TemporarilyClosed,
}

impl Status {
    pub const KEYS: &'static str = "open, temporarily_closed";

    pub fn key(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::TemporarilyClosed => "temporarily_closed",
        }
    }

    pub fn parse(s: &str) -> Result<Status, String> {
        match s.trim() {
            "open" => Ok(Status::Open),
            "temporarily_closed" => Ok(Status::TemporarilyClosed),
            other => Err(format!(
                "status must be one of {}, got {other:?}",
                Self::KEYS
            )),
        }
    }
}

/// The state of one station. The default (open, never confirmed) is what a station without any entry has.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct StationState {
    #[serde(default)]
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_note: Option<String>,
    /// From 00:00 of this day (service time zone) the station counts as open again, without anyone acting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopens_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<DateTime<Utc>>,
}

impl StationState {
    /// Closed on local date `today`: temporarily closed, and `reopens_on` (if any) not yet come.
    pub fn closed_on(&self, today: NaiveDate) -> bool {
        self.status == Status::TemporarilyClosed && self.reopens_on.is_none_or(|d| today < d)
    }

    /// The status a reader sees on `today`: a closure whose reopening day has come reads as open.
    pub fn status_on(&self, today: NaiveDate) -> Status {
        if self.closed_on(today) {
            Status::TemporarilyClosed
        } else {
            Status::Open
        }
    }

    /// Nothing to keep: the same as having no entry at all.
    pub fn is_default(&self) -> bool {
        *self == StationState::default()
    }

    /// Confirmed at or after `since`.
    pub fn verified_since(&self, since: DateTime<Utc>) -> bool {
        self.verified_at.is_some_and(|v| v >= since)
    }

    /// This state with `patch` applied.
    pub fn patched(&self, patch: &StatePatch) -> StationState {
        fn apply<T: Clone>(old: &Option<T>, new: &Option<Option<T>>) -> Option<T> {
            match new {
                None => old.clone(),
                Some(v) => v.clone(),
            }
        }
        StationState {
            status: match patch.status {
                None => self.status,
                Some(s) => s.unwrap_or_default(),
            },
            status_note: apply(&self.status_note, &patch.status_note),
            reopens_on: apply(&self.reopens_on, &patch.reopens_on),
            verified_at: apply(&self.verified_at, &patch.verified_at),
        }
    }
}

/// A change to a station's state, field by field: `None` keeps the field, `Some(None)` clears it (`null` in a
/// JSON merge patch), `Some(Some(v))` sets it. What uploads, PATCH and host confirmations all produce.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatePatch {
    pub status: Option<Option<Status>>,
    pub status_note: Option<Option<String>>,
    pub reopens_on: Option<Option<NaiveDate>>,
    pub verified_at: Option<Option<DateTime<Utc>>>,
}

impl StatePatch {
    pub fn is_empty(&self) -> bool {
        *self == StatePatch::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_closure_ends_on_its_reopening_day() {
        let st = StationState {
            status: Status::TemporarilyClosed,
            reopens_on: Some(day("2026-12-03")),
            ..StationState::default()
        };
        assert!(st.closed_on(day("2026-12-02")));
        assert!(!st.closed_on(day("2026-12-03")));
        assert_eq!(st.status_on(day("2026-12-03")), Status::Open);
        let open_ended = StationState {
            status: Status::TemporarilyClosed,
            ..StationState::default()
        };
        assert!(open_ended.closed_on(day("2099-01-01")));
        assert!(!StationState::default().closed_on(day("2026-12-02")));
    }

    #[test]
    fn a_patch_keeps_clears_or_sets_each_field() {
        let st = StationState {
            status: Status::TemporarilyClosed,
            status_note: Some("装修".into()),
            reopens_on: Some(day("2026-12-10")),
            verified_at: None,
        };
        let p = StatePatch {
            status_note: Some(None),
            reopens_on: Some(Some(day("2026-12-12"))),
            ..StatePatch::default()
        };
        let got = st.patched(&p);
        assert_eq!(got.status, Status::TemporarilyClosed);
        assert_eq!(got.status_note, None);
        assert_eq!(got.reopens_on, Some(day("2026-12-12")));
        let reset = got.patched(&StatePatch {
            status: Some(None),
            reopens_on: Some(None),
            ..StatePatch::default()
        });
        assert!(reset.is_default());
        assert!(Status::parse("closed").is_err());
    }
}
