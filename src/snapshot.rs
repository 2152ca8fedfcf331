//! One immutable, indexed dataset version: the stations in id order, their R-trees and opening-hours table,
//! and the queries over them.
//!
//! A snapshot is built once per accepted upload and then only read; readers hold an `Arc` to the version they
//! started with, so an upload never blocks or disturbs a query in flight.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::query::lower_chars;
use crate::domain::texts::pack_texts;
use crate::domain::{Amenities, Amenity, Filter, Hours, HoursTable, OpenAt, OpenSet, Station};
use crate::index::{
    AlongHit, AlongQuery, BBox, Candidates, Entry, Hit, Index, Nearest, Route, TextIndex,
};
use crate::overlay::StateView;

pub struct Snapshot {
    /// Sorted by id, unique: position in this vector is id order, and lookups are binary searches.
    stations: Vec<Station>,
    index: Index,
    /// Per character, the stations whose name or address has it: `q` without a walk of every station.
    text: TextIndex,
    hours: HoursTable,
    version: String,
    amenity_counts: Vec<(Amenity, usize)>,
    /// Stations open at all times (the `24h` filter token).
    always_open_count: usize,
}

/// One page of a list query.
pub struct Page {
    pub indices: Vec<u32>,
    pub total: usize,
}

impl Snapshot {
    /// `stations` must have unique ids (the importer guarantees it); they are sorted here.
    pub fn new(mut stations: Vec<Station>, version: String) -> Snapshot {
        stations.sort_unstable_by(|a, b| a.id().cmp(b.id()));
        // A vector grown by pushes may hold up to twice its length: megabytes at a million stations.
        stations.shrink_to_fit();
        pack_texts(&mut stations);
        let (hours, hours_ids) = HoursTable::new(stations.iter().map(|s| s.hours.as_ref()));
        let entries = stations.iter().zip(hours_ids).map(|(s, h)| Entry {
            lon: s.position.lon(),
            lat: s.position.lat(),
            amenities: s.amenities,
            hours: h,
        });
        let index = Index::build(entries, hours.always_open());
        let text = TextIndex::build(stations.len(), |i, out| {
            let s = &stations[i as usize];
            lower_chars(s.name(), out);
            if let Some(a) = s.address() {
                lower_chars(a, out);
            }
        });
        let count = |flags: Amenities| {
            stations
                .iter()
                .filter(|s| s.amenities.has_all(flags))
                .count()
        };
        let amenity_counts = Amenity::ALL
            .iter()
            .map(|&a| (a, count(std::iter::once(a).collect())))
            .collect();
        let always_open_count = count(Amenities::ALWAYS_OPEN);
        Snapshot {
            stations,
            index,
            text,
            hours,
            version,
            amenity_counts,
            always_open_count,
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
    pub fn always_open_count(&self) -> usize {
        self.always_open_count
    }

    /// The distinct parsed hours in use, for reuse when a merged upload is validated.
    pub fn hours_in_use(&self) -> HashMap<String, Arc<Hours>> {
        self.hours.in_use()
    }

    /// Every expression's state at `at`'s minute (cached for the minute).
    pub fn open_set(&self, at: &OpenAt) -> Arc<OpenSet> {
        self.hours.open_set(at)
    }

    /// Station `idx`'s `open_now` in `set` (`None`: hours unknown or not decidable).
    pub fn open_now(&self, idx: u32, set: &OpenSet) -> Option<bool> {
        set.state(self.index.hours_id(idx))
    }

    /// Station `idx`'s `next_change_at` in `set` (`None`: unknown or always-open hours, or no change within
    /// the horizon).
    pub fn next_change_at(
        &self,
        idx: u32,
        set: &OpenSet,
    ) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        set.next_change_at(self.index.hours_id(idx))
    }

    /// The first moment at or after local time `from` at which station `idx` is open by its hours, within the
    /// horizon of `set` (what ends a closure on its `reopens_on`).
    pub fn next_open_at_or_after(
        &self,
        idx: u32,
        set: &OpenSet,
        from: chrono::NaiveDateTime,
    ) -> Option<chrono::NaiveDateTime> {
        match self.index.hours_id(idx) {
            crate::domain::NO_HOURS => None,
            expr => set.next_open_at_or_after(expr, from),
        }
    }

    /// The open bits by expression id that an `open_now` (or `open_for`) filter needs, or `None` without one.
    fn open_filter(&self, filter: &Filter, at: &OpenAt) -> Option<Arc<[bool]>> {
        filter
            .wants_open()
            .then(|| self.open_set(at).filter_bits(filter.open_for))
    }

    /// Whether station `idx` passes `filter`; `bits` must be given when the filter asks for `open_now`.
    fn admits(&self, filter: &Filter, idx: u32, bits: Option<&[bool]>, more: &More) -> bool {
        let open = || {
            bits.and_then(|b| b.get(self.index.hours_id(idx) as usize))
                .copied()
                .unwrap_or(false)
        };
        filter.admits(self.station(idx), open) && more.admits(idx)
    }

    /// The `k` nearest matching stations to `(lon, lat)` (WGS-84), within `max_distance_m` if given.
    pub fn nearest(
        &self,
        (lon, lat): (f64, f64),
        k: usize,
        max_distance_m: Option<f64>,
        filter: &Filter,
        at: &OpenAt,
        states: &StateView,
    ) -> Vec<Hit> {
        let q = Nearest {
            lon,
            lat,
            k,
            max_distance_m,
            required: filter.required,
        };
        let set = self.open_filter(filter, at);
        let bits = set.as_deref();
        let more = More::new(filter, at, states);
        // The index answers amenities and `open_now` from its own leaves; only a text filter needs the
        // station itself (loading it is a cache miss per candidate), and closures and confirmations the state.
        let cands = self.candidates(filter);
        if let Candidates::Few(few) = &cands {
            // Common matches near the point: the walk finds them at once. Rare or far: after a few times as
            // many stations as there are candidates, measuring the candidates is cheaper.
            let budget = few.len().saturating_mul(2).saturating_add(64);
            let walked = (!few.is_empty()).then(|| {
                self.index.nearest_within(&q, bits, budget, |i| {
                    cands.contains(i) && more.admits(i) && filter.text_matches(self.station(i))
                })
            });
            if let Some(Some(hits)) = walked {
                return hits;
            }
            let matching = few
                .iter()
                .filter(|&&i| self.admits(filter, i, bits, &more))
                .map(|&i| {
                    let p = self.station(i).position;
                    (i, p.lon(), p.lat())
                });
            return self.index.nearest_among(&q, matching);
        }
        if filter.text.is_none() && more.is_none() {
            return self.index.nearest(&q, bits, |_| true);
        }
        self.index.nearest(&q, bits, |i| {
            cands.contains(i) && more.admits(i) && filter.text_matches(self.station(i))
        })
    }

    /// The stations that may pass the text filter, from the text index ([`Candidates::All`] without one).
    fn candidates(&self, filter: &Filter) -> Candidates {
        match &filter.text {
            Some(t) => self.text.candidates(t),
            None => Candidates::All,
        }
    }

    /// Heap bytes of the text index (for the memory figures in docs/BENCHMARKS.md).
    pub fn text_index_bytes(&self) -> usize {
        self.text.heap_bytes()
    }

    /// Matching stations within `max_distance_m` of `route`, in the order a rider meets them, at most `limit`.
    pub fn along(
        &self,
        route: &Route,
        max_distance_m: f64,
        limit: usize,
        filter: &Filter,
        at: &OpenAt,
        states: &StateView,
    ) -> Vec<AlongHit> {
        let q = AlongQuery {
            max_distance_m,
            limit,
            required: filter.required,
        };
        let set = self.open_filter(filter, at);
        let more = More::new(filter, at, states);
        let cands = self.candidates(filter);
        self.index.along(route, &q, |i| {
            cands.contains(i) && self.admits(filter, i, set.as_deref(), &more)
        })
    }

    /// Stations in `bbox` (or all) that match, in id order, paged.
    pub fn list(
        &self,
        bbox: Option<&BBox>,
        filter: &Filter,
        at: &OpenAt,
        states: &StateView,
        offset: usize,
        limit: usize,
    ) -> Page {
        let set = self.open_filter(filter, at);
        let more = More::new(filter, at, states);
        let cands = self.candidates(filter);
        let keep = |i: &u32| cands.contains(*i) && self.admits(filter, *i, set.as_deref(), &more);
        let all: Vec<u32> = match (bbox, &cands) {
            (Some(b), _) => self
                .index
                .in_bbox(b, filter.required)
                .into_iter()
                .filter(|i| keep(i))
                .collect(),
            (None, Candidates::Few(few)) => few.iter().copied().filter(|i| keep(i)).collect(),
            (None, _) => (0..self.stations.len() as u32)
                .filter(|i| keep(i))
                .collect(),
        };
        let total = all.len();
        let indices = all.into_iter().skip(offset).take(limit).collect();
        Page { indices, total }
    }
}
/// The conditions that depend on station state rather than on the station: not closed (with `open_now`),
/// confirmed recently enough.
struct More<'a> {
    closed: Vec<u32>,
    verified: Option<(&'a StateView, chrono::DateTime<chrono::Utc>)>,
}

impl<'a> More<'a> {
    fn new(filter: &Filter, at: &OpenAt, states: &'a StateView) -> More<'a> {
        let closed = if filter.wants_open() {
            states.closed_on(at.local().date())
        } else {
            Vec::new()
        };
        More {
            closed,
            verified: filter.verified_since.map(|t| (states, t)),
        }
    }

    /// Nothing to check: the fast path.
    fn is_none(&self) -> bool {
        self.closed.is_empty() && self.verified.is_none()
    }

    fn admits(&self, idx: u32) -> bool {
        (self.closed.is_empty() || self.closed.binary_search(&idx).is_err())
            && self.verified.is_none_or(|(v, t)| v.verified_since(idx, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{HostType, Kind, Position, StationId, Texts};
    use proptest::prelude::*;

    const HOURS: [&str; 5] = [
        "24/7",
        "Mo-Fr 09:00-18:00",
        "Mo-Su 08:00-22:00",
        "Mo-Sa 10:00-20:00; Su off",
        "Mo-Su 02:00-04:00",
    ];

    fn dataset(rows: &[((f64, f64), usize, u16)]) -> Snapshot {
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
        Snapshot::new(stations, "test".into())
    }

    /// Stations at the given places with the given names and addresses, none with hours.
    /// A station of [`named`]: position, name, address, amenity bits.
    type Row = ((f64, f64), String, Option<String>, u16);

    fn named(rows: &[Row]) -> Snapshot {
        let stations = rows
            .iter()
            .enumerate()
            .map(|(i, ((lon, lat), name, address, bits))| {
                let id = StationId::parse(&format!("s{i:05}")).unwrap();
                let texts = Texts {
                    name,
                    address: address.as_deref(),
                    ..Texts::default()
                };
                let p = Position::new(*lon, *lat).unwrap();
                Station::new(
                    &id,
                    texts,
                    Kind::Station,
                    HostType::Bank,
                    Amenities::from_bits(*bits),
                    None,
                    p,
                )
            })
            .collect();
        Snapshot::new(stations, "test".into())
    }

    /// Names from a few pieces, so that queries hit often, rarely or never: CJK, mixed case, ASCII and
    /// non-ASCII capitals (Turkish İ, final sigma, ß, Kelvin sign, fullwidth).
    fn words() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("驿站"),
            Just("驿站"),
            Just("北京"),
            Just("海淀"),
            Just("朝阳路"),
            Just("A"),
            Just("a"),
            Just("Bank"),
            Just("İ"),
            Just("i"),
            Just("ΟΔΟΣ"),
            Just("σ"),
            Just("ß"),
            Just("ẞ"),
            Just("\u{212A}"),
            Just("k"),
            Just("Ａ"),
            Just(" "),
            Just("7"),
            Just("Zz"),
            Just("鑫"),
        ];
        prop::collection::vec(piece, 1..6).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]
        /// `q` answered from the text index's candidates (few) or by the walk (many) gives exactly the
        /// brute-force answer for nearest and list, and the unindexed walk's for along.
        #[test]
        fn text_search_matches_brute_force(
            rows in prop::collection::vec(((116.0f64..117.0, 39.5f64..40.5), words(), prop::option::of(words()), 0u16..4), 1..250),
            (lon, lat) in (116.0f64..117.0, 39.5f64..40.5),
            q in words(), cut in 0usize..4, k in 1usize..30, bits in 0u16..3, max in prop::option::of(1_000f64..60_000.0),
        ) {
            let ds = named(&rows);
            let q: String = q.chars().skip(cut).collect::<String>().to_lowercase();
            let filter = Filter { required: Amenities::from_bits(bits), text: Some(q.clone()), ..Filter::default() };
            let at = OpenAt::new(chrono::Utc::now(), chrono_tz::Asia::Shanghai, crate::domain::DayRules::none());
            let states = StateView::default();
            let matching: Vec<u32> = ds.stations().iter().enumerate()
                .filter(|(_, s)| s.amenities.has_all(filter.required)
                    && (s.name().to_lowercase().contains(&q) || s.address().is_some_and(|a| a.to_lowercase().contains(&q))))
                .map(|(i, _)| i as u32)
                .collect();
            let got: Vec<(u32, f64)> = ds.nearest((lon, lat), k, max, &filter, &at, &states).iter().map(|h| (h.idx, h.distance_m)).collect();
            let mut want: Vec<(u32, f64)> = matching.iter()
                .map(|&i| { let p = ds.station(i).position; (i, crate::geodesy::sphere::haversine_m(lon, lat, p.lon(), p.lat())) })
                .filter(|w| max.is_none_or(|m| w.1 <= m))
                .collect();
            want.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            want.truncate(k);
            prop_assert_eq!(got, want);
            let page = ds.list(None, &filter, &at, &states, 0, usize::MAX);
            prop_assert_eq!(&page.indices, &matching);
            let bbox = BBox { min_lon: 116.2, min_lat: 39.7, max_lon: 116.8, max_lat: 40.3 };
            let inside: Vec<u32> = matching.iter().copied()
                .filter(|&i| { let p = ds.station(i).position; bbox.contains(p.lon(), p.lat()) })
                .collect();
            prop_assert_eq!(ds.list(Some(&bbox), &filter, &at, &states, 0, usize::MAX).indices, inside);
            let route = Route::new(&[(116.1, 39.6), (lon, lat), (116.9, 40.4)]);
            let got = ds.along(&route, 5_000.0, 50, &filter, &at, &states);
            let aq = AlongQuery { max_distance_m: 5_000.0, limit: 50, required: filter.required };
            let want = ds.index.along(&route, &aq, |i| filter.text_matches(ds.station(i)));
            prop_assert_eq!(got, want);
        }
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
            let filter = Filter { required: Amenities::from_bits(bits), open_now: true, ..Filter::default() };
            let got: Vec<u32> = ds.nearest((lon, lat), k, None, &filter, &OpenAt::new(at, tz, crate::domain::DayRules::none()), &StateView::default()).iter().map(|h| h.idx).collect();
            let local = at.with_timezone(&tz).naive_local();
            let mut want: Vec<(f64, u32)> = ds.stations().iter().enumerate()
                .filter(|(_, s)| s.amenities.has_all(filter.required) && s.hours.as_ref().and_then(|h| h.try_is_open(local)) == Some(true))
                .map(|(i, s)| (crate::geodesy::sphere::haversine_m(lon, lat, s.position.lon(), s.position.lat()), i as u32))
                .collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            want.truncate(k);
            prop_assert_eq!(got, want.into_iter().map(|w| w.1).collect::<Vec<_>>());
        }
    }
}
