//! Nearest-k: a best-first walk of the cheapest tree with an exact re-rank.

use super::tree::{Leaf, Search, F32_SLACK};
use super::Index;
use crate::domain::Amenities;
use crate::geodesy::sphere::{chord_for, haversine_m, unit_vector};

/// A nearest-k question: the `k` nearest stations to `(lon, lat)` (WGS-84) that have every flag in `required`,
/// within `max_distance_m` if given.
#[derive(Debug, Clone, Copy)]
pub struct Nearest {
    pub lon: f64,
    pub lat: f64,
    pub k: usize,
    pub max_distance_m: Option<f64>,
    pub required: Amenities,
}

/// One nearest answer: the station's position in the dataset and its distance in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub idx: u32,
    pub distance_m: f64,
}

impl Index {
    /// The answer to `q` among the stations that also pass `matches`: nearest first, stations at the same
    /// distance by id (stations are in id order, so by index).
    ///
    /// The trees yield candidates by their `f32` points; each is measured exactly (`haversine_m`) and the walk
    /// stops once the trees' lower bound, less [`F32_SLACK`], is past the k-th exact distance, so the answer
    /// is the exact one.
    pub fn nearest(
        &self,
        q: &Nearest,
        open: Option<&[bool]>,
        matches: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        self.nearest_within(q, open, usize::MAX, matches)
            .unwrap_or_default()
    }

    /// [`Index::nearest`], giving up (`None`) once the walk has met more than `budget` stations: a text search
    /// tries the walk first (quick when matches are common nearby) and answers from its candidates otherwise.
    pub fn nearest_within(
        &self,
        q: &Nearest,
        open: Option<&[bool]>,
        budget: usize,
        mut matches: impl FnMut(u32) -> bool,
    ) -> Option<Vec<Hit>> {
        let Nearest {
            lon,
            lat,
            k,
            max_distance_m,
            required,
        } = *q;
        if k == 0 {
            return Some(Vec::new());
        }
        let qv = unit_vector(lon, lat);
        let candidates = Search::new(self.source(required, open), qv);
        // Chords are compared a hair wider than exact, so rounding never stops the walk too early.
        let widen = |m: f64| chord_for(m) * (1.0 + 1e-12) + 1e-15;
        let max_chord = max_distance_m.map(widen).unwrap_or(f64::INFINITY);
        let mut hits: Vec<Hit> = Vec::with_capacity(k + 1);
        let mut kth_chord = f64::INFINITY;
        for (met, (leaf, c2)) in candidates.enumerate() {
            if met >= budget {
                return None;
            }
            let bound = c2.sqrt() - F32_SLACK;
            if bound > max_chord || bound > kth_chord {
                break;
            }
            let idx = leaf.idx;
            if !leaf.amenities.has_all(required) {
                continue;
            }
            // The caller's predicate decides; this only skips closed stations without loading them.
            if let Some(open) = open {
                let h = match leaf.hours {
                    Leaf::HOURS_ELSEWHERE => self.hours_id(idx),
                    h => u32::from(h),
                };
                if !open.get(h as usize).copied().unwrap_or(false) {
                    continue;
                }
            }
            let distance_m = haversine_m(lon, lat, leaf.lon, leaf.lat);
            if max_distance_m.is_some_and(|m| distance_m > m) {
                continue;
            }
            let hit = Hit { idx, distance_m };
            let before = |a: &Hit, b: &Hit| {
                a.distance_m
                    .total_cmp(&b.distance_m)
                    .then(a.idx.cmp(&b.idx))
            };
            if hits.len() == k && before(&hit, &hits[k - 1]).is_ge() {
                continue;
            }
            // The (costlier, caller's) predicate last: only for stations that would enter the answer.
            if !matches(idx) {
                continue;
            }
            let at = hits.partition_point(|h| before(h, &hit).is_lt());
            hits.insert(at, hit);
            if hits.len() > k {
                hits.pop();
            }
            if hits.len() == k {
                kth_chord = widen(hits[k - 1].distance_m);
            }
        }
        Some(hits)
    }
}

impl Index {
    /// The answer to `q` among `candidates` (`(index, lon, lat)`, each already known to match, in any order):
    /// measured one by one, for a text search that leaves few stations. Same order and ties as
    /// [`Index::nearest`]; `q.required` is the caller's to check.
    pub fn nearest_among(
        &self,
        q: &Nearest,
        candidates: impl Iterator<Item = (u32, f64, f64)>,
    ) -> Vec<Hit> {
        let mut hits: Vec<Hit> = candidates
            .map(|(idx, lon, lat)| Hit {
                idx,
                distance_m: haversine_m(q.lon, q.lat, lon, lat),
            })
            .filter(|h| q.max_distance_m.is_none_or(|m| h.distance_m <= m))
            .collect();
        hits.sort_unstable_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.idx.cmp(&b.idx))
        });
        hits.truncate(q.k);
        hits
    }
}
