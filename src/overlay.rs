//! Station state joined to one snapshot: by station position, so that a query can skip closed stations and a
//! response can show each station's state without looking ids up.
//!
//! Built (under the write lock) whenever the snapshot or any station's state changes, and published together
//! with its snapshot, so a reader never pairs a view with the wrong snapshot's positions.

use std::hash::{Hash, Hasher};

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::StationState;

#[derive(Default)]
pub struct StateView {
    /// Stations with a state, by position (sorted).
    by_idx: Vec<(u32, StationState)>,
    /// Stations whose status is `temporarily_closed`, by position (sorted), with their reopening day.
    closures: Vec<(u32, Option<NaiveDate>)>,
    /// A content hash of every station's state: part of the read ETags.
    digest: u64,
}

impl StateView {
    /// The states (by station id) of the stations a snapshot holds (`position_of` finds them in it); states of
    /// ids it does not hold are kept by the caller (a rollback may bring the station back) but not shown.
    pub fn new<'a>(
        position_of: impl Fn(&str) -> Option<u32>,
        states: impl Iterator<Item = (&'a str, &'a StationState)>,
    ) -> StateView {
        let mut digest = 0u64;
        let mut by_idx: Vec<(u32, StationState)> = states
            .filter(|(_, s)| !s.is_default())
            .filter_map(|(id, s)| {
                let idx = position_of(id)?;
                let mut h = std::collections::hash_map::DefaultHasher::new();
                id.hash(&mut h);
                s.hash(&mut h);
                digest ^= h.finish();
                Some((idx, s.clone()))
            })
            .collect();
        by_idx.sort_unstable_by_key(|(i, _)| *i);
        let closures = by_idx
            .iter()
            .filter(|(_, s)| s.status == crate::domain::Status::TemporarilyClosed)
            .map(|(i, s)| (*i, s.reopens_on))
            .collect();
        StateView {
            by_idx,
            closures,
            digest,
        }
    }

    /// Station `idx`'s state, if it has one other than the default.
    pub fn get(&self, idx: u32) -> Option<&StationState> {
        self.by_idx
            .binary_search_by_key(&idx, |(i, _)| *i)
            .ok()
            .map(|n| &self.by_idx[n].1)
    }

    /// Positions of the stations closed on `today`, sorted (usually none).
    pub fn closed_on(&self, today: NaiveDate) -> Vec<u32> {
        self.closures
            .iter()
            .filter(|(_, reopens)| reopens.is_none_or(|d| today < d))
            .map(|(i, _)| *i)
            .collect()
    }

    /// Whether station `idx` was confirmed at or after `since`.
    pub fn verified_since(&self, idx: u32, since: DateTime<Utc>) -> bool {
        self.get(idx).is_some_and(|s| s.verified_since(since))
    }

    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// Stations with a state.
    pub fn len(&self) -> usize {
        self.by_idx.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_idx.is_empty()
    }
}
