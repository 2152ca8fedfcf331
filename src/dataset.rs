//! One immutable, indexed dataset version: the stations in id order, their R-trees, and the queries over them.
//!
//! A dataset is built once per accepted upload and then only read; readers hold an `Arc` to the version they
//! started with, so an upload never blocks or disturbs a query in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;

use crate::index::{AlongHit, AlongQuery, BBox, Hit, Index, Nearest};
use crate::route::Route;
use crate::station::{Amenities, Amenity, Hours, Station};

pub struct Dataset {
    /// Sorted by id, unique: position in this vector is id order, and lookups are binary searches.
    stations: Vec<Station>,
    index: Index,
    version: String,
    amenity_counts: Vec<(Amenity, usize)>,
    /// The last minute's [`Dataset::open_set`].
    open_cache: Mutex<Option<(NaiveDateTime, Arc<OpenSet>)>>,
}

/// Evaluates `open_now` at one instant, parsing nothing and evaluating each distinct expression at most once.
///
/// The instant is truncated to the minute: opening_hours has minute resolution, and it lets every request in
/// the same minute share one evaluation of all expressions (see [`Dataset::open_set`]).
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

    /// `None` when the hours are unknown, or cannot be evaluated at this instant. For one station; queries over
    /// many use the dataset's per-minute [`Dataset::open_set`].
    pub fn is_open(&self, s: &Station) -> Option<bool> {
        s.hours.as_ref()?.try_is_open(self.local)
    }
}

/// What a station must have to be listed.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Amenities and the derived 24h flag, all required.
    pub required: Amenities,
    /// Only stations whose hours say open at the evaluation instant.
    pub open_now: bool,
    /// Case-insensitive substring of name or address, already lower-cased.
    pub text: Option<String>,
}

impl Filter {
    /// `open_set` answers `open_now`; callers pass it whenever `open_now` is set (see [`Dataset::open_filter`]).
    fn matches(&self, ds: &Dataset, idx: u32, open_set: Option<&[bool]>) -> bool {
        let s = ds.station(idx);
        if !s.amenities.has_all(self.required) {
            return false;
        }
        if self.open_now {
            let is_open = open_set
                .and_then(|set| set.get(ds.index.hours_id(idx) as usize))
                .copied()
                .unwrap_or(false);
            if !is_open {
                return false;
            }
        }
        if let Some(t) = &self.text {
            let hit = |v: &str| v.to_lowercase().contains(t.as_str());
            if !hit(s.name()) && !s.address().is_some_and(hit) {
                return false;
            }
        }
        true
    }
}

/// Every opening-hours expression evaluated at one minute, by expression id.
pub struct OpenSet {
    /// `None` where the expression cannot say (the `open_now: null` of a response).
    states: Vec<Option<bool>>,
    /// `states[e] == Some(true)`: what the `open_now` filter and the index take.
    open: Vec<bool>,
}

/// One page of a list query.
pub struct Page {
    pub indices: Vec<u32>,
    pub total: usize,
}

impl Dataset {
    /// `stations` must have unique ids (the importer guarantees it); they are sorted here.
    pub fn new(mut stations: Vec<Station>, version: String) -> Dataset {
        stations.sort_unstable_by(|a, b| a.id().cmp(b.id()));
        // A vector grown by pushes may hold up to twice its length: megabytes at a million stations.
        stations.shrink_to_fit();
        crate::station::pack_texts(&mut stations);
        let index = Index::build(&stations);
        let amenity_counts = Amenity::ALL
            .iter()
            .map(|&a| {
                (
                    a,
                    stations.iter().filter(|s| s.amenities.contains(a)).count(),
                )
            })
            .collect();
        Dataset {
            stations,
            index,
            version,
            amenity_counts,
            open_cache: Mutex::new(None),
        }
    }

    pub fn version(&self) -> &str {
        &self.version
    }
    pub fn len(&self) -> usize {
        self.stations.len()
    }
    pub fn is_empty(&self) -> bool {
        self.stations.is_empty()
    }
    pub fn stations(&self) -> &[Station] {
        &self.stations
    }
    pub fn station(&self, idx: u32) -> &Station {
        &self.stations[idx as usize]
    }
    pub fn index(&self) -> &Index {
        &self.index
    }
    pub fn position_of(&self, id: &str) -> Option<u32> {
        self.stations
            .binary_search_by(|s| s.id().cmp(id))
            .ok()
            .map(|i| i as u32)
    }
    pub fn get(&self, id: &str) -> Option<&Station> {
        self.position_of(id).map(|i| self.station(i))
    }
    pub fn amenity_counts(&self) -> &[(Amenity, usize)] {
        &self.amenity_counts
    }

    /// The distinct parsed hours in use, for reuse when a merged upload is validated.
    pub fn hours_in_use(&self) -> HashMap<String, Arc<Hours>> {
        self.stations
            .iter()
            .filter_map(|s| s.hours.clone())
            .map(|h| (h.as_str().to_owned(), h))
            .collect()
    }

    /// Which opening-hours expressions are open at `open`'s minute; cached for the minute, so that requests
    /// neither filter nor answer `open_now` by evaluating expressions (the opening_hours crate takes about a
    /// microsecond per expression, a tenth of a whole nearest query).
    pub fn open_set(&self, open: &OpenAt) -> Arc<OpenSet> {
        let minute = open.local();
        {
            let cache = self.open_cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, set)) = cache.as_ref() {
                if *at == minute {
                    return set.clone();
                }
            }
        }
        // Evaluated outside the lock: requests for other minutes (clients choose `at`) must not queue here.
        let states: Vec<Option<bool>> = self
            .index
            .hours()
            .iter()
            .map(|h| h.try_is_open(minute))
            .collect();
        let open = states.iter().map(|s| *s == Some(true)).collect();
        let set = Arc::new(OpenSet { states, open });
        *self.open_cache.lock().unwrap_or_else(|p| p.into_inner()) = Some((minute, set.clone()));
        set
    }

    /// Station `idx`'s `open_now` in `set` (`None`: hours unknown or not decidable).
    pub fn open_now(&self, idx: u32, set: &OpenSet) -> Option<bool> {
        set.states
            .get(self.index.hours_id(idx) as usize)
            .copied()
            .flatten()
    }

    /// The open set an `open_now` filter needs, or `None` without one.
    fn open_filter(&self, filter: &Filter, open: &OpenAt) -> Option<Arc<OpenSet>> {
        filter.open_now.then(|| self.open_set(open))
    }

    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        max_distance_m: Option<f64>,
        filter: &Filter,
        open: &OpenAt,
    ) -> Vec<Hit> {
        let q = Nearest {
            lon,
            lat,
            k,
            max_distance_m,
            required: filter.required,
        };
        let set = self.open_filter(filter, open);
        let set = set.as_deref().map(|s| s.open.as_slice());
        // The index answers amenities and `open_now` from its own leaves; only a text filter needs the
        // station itself (loading it is a cache miss per candidate).
        if filter.text.is_none() {
            return self.index.nearest(&q, set, |_| true);
        }
        self.index
            .nearest(&q, set, |i| filter.matches(self, i, set))
    }

    /// Matching stations within `max_distance_m` of `route`, in the order a rider meets them, at most `limit`.
    pub fn along(
        &self,
        route: &Route,
        max_distance_m: f64,
        limit: usize,
        filter: &Filter,
        open: &OpenAt,
    ) -> Vec<AlongHit> {
        let q = AlongQuery {
            max_distance_m,
            limit,
            required: filter.required,
        };
        let set = self.open_filter(filter, open);
        let set = set.as_deref().map(|s| s.open.as_slice());
        self.index
            .along(&self.stations, route, &q, |i| filter.matches(self, i, set))
    }

    /// Stations in `bbox` (or all) that match, in id order, paged.
    pub fn list(
        &self,
        bbox: Option<&BBox>,
        filter: &Filter,
        open: &OpenAt,
        offset: usize,
        limit: usize,
    ) -> Page {
        let set = self.open_filter(filter, open);
        let set = set.as_deref().map(|s| s.open.as_slice());
        let keep = |i: &u32| filter.matches(self, *i, set);
        let all: Vec<u32> = match bbox {
            Some(b) => self
                .index
                .in_bbox(&self.stations, b, filter.required)
                .into_iter()
                .filter(|i| keep(i))
                .collect(),
            None => (0..self.stations.len() as u32)
                .filter(|i| keep(i))
                .collect(),
        };
        let total = all.len();
        let indices = all.into_iter().skip(offset).take(limit).collect();
        Page { indices, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::station::{HostType, Kind, Position, StationId, Texts};
    use proptest::prelude::*;

    const HOURS: [&str; 5] = [
        "24/7",
        "Mo-Fr 09:00-18:00",
        "Mo-Su 08:00-22:00",
        "Mo-Sa 10:00-20:00; Su off",
        "Mo-Su 02:00-04:00",
    ];

    fn dataset(rows: &[((f64, f64), usize, u16)]) -> Dataset {
        let hours: Vec<Arc<Hours>> = HOURS
            .iter()
            .map(|h| Arc::new(Hours::parse(h).unwrap()))
            .collect();
        let stations = rows
            .iter()
            .enumerate()
            .map(|(i, &((lon, lat), h, bits))| {
                let hours = hours.get(h).cloned();
                let always = if hours.as_deref().is_some_and(Hours::always_open) {
                    Amenities::ALWAYS_OPEN
                } else {
                    Amenities::default()
                };
                let id = StationId::parse(&format!("s{i:05}")).unwrap();
                let name = format!("Station {i}");
                let texts = Texts {
                    name: &name,
                    ..Texts::default()
                };
                let p = Position::new(lon, lat).unwrap();
                Station::new(
                    &id,
                    texts,
                    Kind::Station,
                    HostType::Bank,
                    Amenities::from_bits(bits).union(always),
                    hours,
                    p,
                )
            })
            .collect();
        Dataset::new(stations, "test".into())
    }

    proptest! {
        /// open_now takes the merged per-expression trees when the open set is small (at night), the main tree
        /// otherwise; either way the answer is the brute-force one.
        #[test]
        fn open_now_nearest_matches_brute_force(
            rows in prop::collection::vec(((116.0f64..117.0, 39.5f64..40.5), prop_oneof![Just(0usize), 1usize..6, 1usize..6, 1usize..6], 0u16..4), 1..300),
            (lon, lat) in (116.0f64..117.0, 39.5f64..40.5),
            hour in 0u32..24, day in 23u32..30, k in 1usize..30, bits in 0u16..4,
        ) {
            let ds = dataset(&rows);
            let at = chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap().and_hms_opt(hour, 17, 0).unwrap().and_utc();
            let tz = chrono_tz::Asia::Shanghai;
            let filter = Filter { required: Amenities::from_bits(bits), open_now: true, text: None };
            let got: Vec<u32> = ds.nearest(lon, lat, k, None, &filter, &OpenAt::new(at, tz)).iter().map(|h| h.idx).collect();
            let local = at.with_timezone(&tz).naive_local();
            let mut want: Vec<(f64, u32)> = ds.stations().iter().enumerate()
                .filter(|(_, s)| s.amenities.has_all(filter.required) && s.is_open_at(local) == Some(true))
                .map(|(i, s)| (crate::station::haversine_m(lon, lat, s.position.lon(), s.position.lat()), i as u32))
                .collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            want.truncate(k);
            prop_assert_eq!(got, want.into_iter().map(|w| w.1).collect::<Vec<_>>());
        }
    }
}
