//! The spatial index: exact great-circle nearest-k and lon/lat box queries, everywhere on Earth.
//!
//! Stations are indexed as 3-D unit vectors. The straight-line (chord) distance between two unit vectors grows
//! monotonically with the great-circle angle between them, so an ordinary Euclidean R-tree in 3-D gives
//! great-circle order exactly, with no special cases at the antimeridian or the poles (unlike a lon/lat tree).
//!
//! Filters: a best-first walk of the main tree that skips non-matching stations is fine while matches are
//! common, but degrades to a scan of the neighbourhood when they are rare (≈ k / selectivity visits). So every
//! selective flag (an amenity or the derived 24h flag held by at most [`SELECTIVE_SHARE`] of the stations) gets a
//! tree of its own, and a filtered query walks the tree of its rarest flag.

use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};

use std::collections::HashMap;
use std::sync::Arc;

use crate::route::Route;
use crate::station::{haversine_m, Amenities, Hours, Station, EARTH_RADIUS_M};

/// A flag gets its own tree when at most this share of stations has it.
pub const SELECTIVE_SHARE: f64 = 0.25;

type Entry = GeomWithData<[f64; 3], u32>;

/// The unit vector of a lon/lat position.
pub fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (lo, la) = (lon.to_radians(), lat.to_radians());
    let c = la.cos();
    [c * lo.cos(), c * lo.sin(), la.sin()]
}

/// The squared chord length between two unit vectors at great-circle distance `metres`.
fn chord2_for(metres: f64) -> f64 {
    let half_angle = (metres / (2.0 * EARTH_RADIUS_M)).min(std::f64::consts::FRAC_PI_2);
    let c = 2.0 * half_angle.sin();
    c * c
}

/// A lon/lat box, edges inclusive. `min_lon > max_lon` means the box crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let in_lon = if self.min_lon <= self.max_lon {
            self.min_lon <= lon && lon <= self.max_lon
        } else {
            lon >= self.min_lon || lon <= self.max_lon
        };
        in_lon && self.min_lat <= lat && lat <= self.max_lat
    }

    /// The box as one or two boxes that do not cross the antimeridian.
    fn parts(&self) -> Vec<(f64, f64)> {
        if self.min_lon <= self.max_lon {
            vec![(self.min_lon, self.max_lon)]
        } else {
            vec![(self.min_lon, 180.0), (-180.0, self.max_lon)]
        }
    }
}

/// Range of cos and sin over the longitudes `[l0, l1]` (degrees, `-180 ≤ l0 ≤ l1 ≤ 180`): the ends, widened to
/// ±1 where the interval contains a turning point.
fn trig_range(l0: f64, l1: f64) -> ((f64, f64), (f64, f64)) {
    let (a, b) = (l0.to_radians(), l1.to_radians());
    let (mut cmin, mut cmax) = (a.cos().min(b.cos()), a.cos().max(b.cos()));
    let (mut smin, mut smax) = (a.sin().min(b.sin()), a.sin().max(b.sin()));
    if l0 <= 0.0 && 0.0 <= l1 {
        cmax = 1.0;
    }
    if l0 <= -180.0 || l1 >= 180.0 {
        cmin = -1.0;
    }
    if l0 <= 90.0 && 90.0 <= l1 {
        smax = 1.0;
    }
    if l0 <= -90.0 && -90.0 <= l1 {
        smin = -1.0;
    }
    ((cmin, cmax), (smin, smax))
}

fn product_range((a0, a1): (f64, f64), (b0, b1): (f64, f64)) -> (f64, f64) {
    let p = [a0 * b0, a0 * b1, a1 * b0, a1 * b1];
    (
        p.iter().copied().fold(f64::INFINITY, f64::min),
        p.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    )
}

/// A 3-D box that contains every unit vector of the lon/lat box part, padded against rounding; candidates are
/// then checked exactly against their stored lon/lat.
fn envelope_3d(l0: f64, l1: f64, min_lat: f64, max_lat: f64) -> AABB<[f64; 3]> {
    const PAD: f64 = 1e-9;
    let (cos_lon, sin_lon) = trig_range(l0, l1);
    let (p0, p1) = (min_lat.to_radians(), max_lat.to_radians());
    let cos_lat_max = if p0 <= 0.0 && 0.0 <= p1 {
        1.0
    } else {
        p0.cos().max(p1.cos())
    };
    let cos_lat = (p0.cos().min(p1.cos()).max(0.0), cos_lat_max);
    let (x0, x1) = product_range(cos_lat, cos_lon);
    let (y0, y1) = product_range(cos_lat, sin_lon);
    let (z0, z1) = (p0.sin(), p1.sin());
    AABB::from_corners(
        [x0 - PAD, y0 - PAD, z0 - PAD],
        [x1 + PAD, y1 + PAD, z1 + PAD],
    )
}

/// The R-trees over one dataset. Holds positions in stations' order (their index is the entry's data); it
/// knows nothing of what stations mean beyond their position, flags and which opening-hours expression they
/// share.
pub struct Index {
    main: RTree<Entry>,
    /// Trees for selective flags: `(flag bits, number of stations with it, tree)`.
    selective: Vec<(Amenities, usize, RTree<Entry>)>,
    /// The distinct opening-hours expressions; a station's expression id indexes this.
    hours: Vec<Arc<Hours>>,
    /// Each station's expression id, or [`NO_HOURS`].
    hours_id: Vec<u32>,
    /// Per expression: its number of stations and, when selective, a tree of them. At 3 a.m. only a few
    /// expressions are open; an `open_now` query then walks just their trees, merged, instead of skipping
    /// through every closed station around it.
    by_hours: Vec<(usize, Option<RTree<Entry>>)>,
}

/// The expression id of a station with unknown hours.
pub const NO_HOURS: u32 = u32::MAX;

/// Where a nearest query takes its candidates from, nearest first.
enum Source<'a> {
    Tree(&'a RTree<Entry>),
    Merge(Vec<&'a RTree<Entry>>),
}

/// A candidate from one of several trees, ordered so that a `BinaryHeap` pops the nearest first.
struct Next {
    c2: f64,
    idx: u32,
    tree: usize,
}
impl PartialEq for Next {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == std::cmp::Ordering::Equal
    }
}
impl Eq for Next {}
impl PartialOrd for Next {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Next {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        o.c2.total_cmp(&self.c2).then(o.idx.cmp(&self.idx))
    }
}

/// Nearest-first candidates `(station, squared chord)` merged from several trees.
fn merged<'a>(trees: &[&'a RTree<Entry>], q: [f64; 3]) -> impl Iterator<Item = (u32, f64)> + 'a {
    let mut iters: Vec<_> = trees
        .iter()
        .map(|t| t.nearest_neighbor_iter_with_distance_2(&q))
        .collect();
    let mut heap = std::collections::BinaryHeap::new();
    for (tree, it) in iters.iter_mut().enumerate() {
        if let Some((e, c2)) = it.next() {
            heap.push(Next {
                c2,
                idx: e.data,
                tree,
            });
        }
    }
    std::iter::from_fn(move || {
        let top = heap.pop()?;
        if let Some((e, c2)) = iters[top.tree].next() {
            heap.push(Next {
                c2,
                idx: e.data,
                tree: top.tree,
            });
        }
        Some((top.idx, top.c2))
    })
}

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

/// Stations near a route: within `max_distance_m` of it, with every flag in `required`, at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct AlongQuery {
    pub max_distance_m: f64,
    pub limit: usize,
    pub required: Amenities,
}

/// One station along a route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlongHit {
    pub idx: u32,
    pub distance_m: f64,
    pub along_m: f64,
}

/// One nearest answer: the station's position in the dataset and its distance in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub idx: u32,
    pub distance_m: f64,
}

impl Index {
    /// Bulk-loads the trees (`O(n log n)`, far faster than inserting one by one).
    pub fn build(stations: &[Station]) -> Index {
        let entries: Vec<Entry> = stations
            .iter()
            .enumerate()
            .map(|(i, s)| Entry::new(unit_vector(s.position.lon(), s.position.lat()), i as u32))
            .collect();
        let n = stations.len();
        let mut selective = Vec::new();
        for bit in 0..16u16 {
            let flag = Amenities::from_bits(1 << bit);
            let count = stations
                .iter()
                .filter(|s| s.amenities.has_all(flag))
                .count();
            if count > 0 && (count as f64) <= SELECTIVE_SHARE * n as f64 {
                let sub: Vec<Entry> = entries
                    .iter()
                    .filter(|e| stations[e.data as usize].amenities.has_all(flag))
                    .copied()
                    .collect();
                selective.push((flag, count, RTree::bulk_load(sub)));
            }
        }
        let mut ids: HashMap<&str, u32> = HashMap::new();
        let mut hours: Vec<Arc<Hours>> = Vec::new();
        let hours_id: Vec<u32> = stations
            .iter()
            .map(|s| match &s.hours {
                None => NO_HOURS,
                Some(h) => *ids.entry(h.as_str()).or_insert_with(|| {
                    hours.push(h.clone());
                    (hours.len() - 1) as u32
                }),
            })
            .collect();
        let mut members: Vec<Vec<Entry>> = vec![Vec::new(); hours.len()];
        for (e, &h) in entries.iter().zip(&hours_id) {
            if h != NO_HOURS {
                members[h as usize].push(*e);
            }
        }
        let by_hours = members
            .into_iter()
            .map(|m| {
                let count = m.len();
                let tree =
                    ((count as f64) <= SELECTIVE_SHARE * n as f64).then(|| RTree::bulk_load(m));
                (count, tree)
            })
            .collect();
        Index {
            main: RTree::bulk_load(entries),
            selective,
            hours,
            hours_id,
            by_hours,
        }
    }

    /// The distinct opening-hours expressions, by expression id.
    pub fn hours(&self) -> &[Arc<Hours>] {
        &self.hours
    }

    /// A station's expression id, or [`NO_HOURS`].
    pub fn hours_id(&self, idx: u32) -> u32 {
        self.hours_id[idx as usize]
    }

    /// The cheapest candidate source: the main tree, the tree of the rarest required flag, or (for `open_now`,
    /// given which expressions are open) the merged trees of the open expressions, whichever holds fewest.
    fn source(&self, required: Amenities, open: Option<&[bool]>) -> Source<'_> {
        let (flag_tree, flag_count) = self.rarest_flag_tree(required);
        if let Some(open) = open {
            let mut trees = Vec::new();
            let mut count = 0;
            for (e, _) in open.iter().enumerate().filter(|(_, o)| **o) {
                match self.by_hours.get(e) {
                    Some((c, Some(tree))) => {
                        count += c;
                        trees.push(tree);
                    }
                    // An open expression without a tree of its own: the open set is not selective.
                    _ => return Source::Tree(flag_tree),
                }
            }
            if count < flag_count {
                return Source::Merge(trees);
            }
        }
        Source::Tree(flag_tree)
    }

    /// The tree to walk for stations that need all of `required`, and its size: the tree of the rarest
    /// selective flag among them, or the main tree.
    fn rarest_flag_tree(&self, required: Amenities) -> (&RTree<Entry>, usize) {
        self.selective
            .iter()
            .filter(|(flag, _, _)| required.has_all(*flag))
            .min_by_key(|(_, count, _)| *count)
            .map(|(_, count, tree)| (tree, *count))
            .unwrap_or((&self.main, self.main.size()))
    }

    /// The answer to `q` among the stations that also pass `matches`: nearest first, stations at the same
    /// distance by id (stations are in id order, so by index).
    pub fn nearest(
        &self,
        stations: &[Station],
        q: &Nearest,
        open: Option<&[bool]>,
        mut matches: impl FnMut(u32) -> bool,
    ) -> Vec<Hit> {
        let Nearest {
            lon,
            lat,
            k,
            max_distance_m,
            required,
        } = *q;
        if k == 0 {
            return Vec::new();
        }
        let qv = unit_vector(lon, lat);
        let candidates: Box<dyn Iterator<Item = (u32, f64)>> = match self.source(required, open) {
            Source::Tree(t) => Box::new(
                t.nearest_neighbor_iter_with_distance_2(&qv)
                    .map(|(e, c2)| (e.data, c2)),
            ),
            Source::Merge(trees) => Box::new(merged(&trees, qv)),
        };
        // A hair wider than the exact bound, so rounding never drops a station that the exact check keeps.
        let max_c2 = max_distance_m
            .map(|m| chord2_for(m) * (1.0 + 1e-9) + 1e-18)
            .unwrap_or(f64::INFINITY);
        let mut found: Vec<(u32, f64)> = Vec::with_capacity(k + 4);
        let mut kth_c2 = f64::INFINITY;
        for (idx, c2) in candidates {
            if c2 > max_c2 || c2 > kth_c2 {
                break;
            }
            let s = &stations[idx as usize];
            if !s.amenities.has_all(required) || !matches(idx) {
                continue;
            }
            found.push((idx, c2));
            if found.len() == k {
                // Keep collecting stations at exactly this distance: they tie, and the id decides.
                kth_c2 = c2;
            }
        }
        let mut hits: Vec<Hit> = found
            .into_iter()
            .map(|(idx, _)| {
                let p = stations[idx as usize].position;
                Hit {
                    idx,
                    distance_m: haversine_m(lon, lat, p.lon(), p.lat()),
                }
            })
            .filter(|h| max_distance_m.is_none_or(|m| h.distance_m <= m))
            .collect();
        hits.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.idx.cmp(&b.idx))
        });
        hits.truncate(k);
        hits
    }

    /// Indices of the stations inside `bbox` that have every flag in `required`, ascending (id order).
    pub fn in_bbox(&self, stations: &[Station], bbox: &BBox, required: Amenities) -> Vec<u32> {
        let (tree, _) = self.rarest_flag_tree(required);
        let mut out: Vec<u32> = Vec::new();
        for (l0, l1) in bbox.parts() {
            let env = envelope_3d(l0, l1, bbox.min_lat, bbox.max_lat);
            out.extend(tree.locate_in_envelope(&env).map(|e| e.data).filter(|&i| {
                let s = &stations[i as usize];
                s.amenities.has_all(required) && bbox.contains(s.position.lon(), s.position.lat())
            }));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Stations within `max_m` of `route` that have every flag in `required` and pass `matches`, ordered as a
    /// rider meets them: by distance along the route, then distance from it, then id; at most `limit`.
    /// Candidates come from the R-tree, one corridor box per (piece of a) segment; each candidate is then
    /// measured exactly against just the segments whose boxes found it, which include every segment within
    /// `max_m` of it.
    pub fn along(
        &self,
        stations: &[Station],
        route: &Route,
        q: &AlongQuery,
        mut matches: impl FnMut(u32) -> bool,
    ) -> Vec<AlongHit> {
        let (tree, _) = self.rarest_flag_tree(q.required);
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (seg, env) in route.corridor(q.max_distance_m) {
            pairs.extend(tree.locate_in_envelope(&env).map(|e| (e.data, seg)));
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut hits = Vec::new();
        for group in pairs.chunk_by(|x, y| x.0 == y.0) {
            let idx = group[0].0;
            let s = &stations[idx as usize];
            if !s.amenities.has_all(q.required) {
                continue;
            }
            let p = unit_vector(s.position.lon(), s.position.lat());
            let Some(at) = route.locate(p, group.iter().map(|&(_, seg)| seg)) else {
                continue;
            };
            if at.distance_m <= q.max_distance_m && matches(idx) {
                hits.push(AlongHit {
                    idx,
                    distance_m: at.distance_m,
                    along_m: at.along_m,
                });
            }
        }
        hits.sort_by(|a, b| {
            a.along_m
                .total_cmp(&b.along_m)
                .then(a.distance_m.total_cmp(&b.distance_m))
                .then(a.idx.cmp(&b.idx))
        });
        hits.truncate(q.limit);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::station::{HostType, Kind, Position, StationId, Texts};
    use proptest::prelude::*;

    fn station(i: usize, lon: f64, lat: f64, bits: u16) -> Station {
        let id = StationId::parse(&format!("s{i:06}")).unwrap();
        let texts = Texts {
            name: "n",
            ..Texts::default()
        };
        let p = Position::new(lon, lat).unwrap();
        Station::new(
            &id,
            texts,
            Kind::Station,
            HostType::Bank,
            Amenities::from_bits(bits),
            None,
            p,
        )
    }

    fn q(lon: f64, lat: f64, k: usize, bits: u16) -> Nearest {
        Nearest {
            lon,
            lat,
            k,
            max_distance_m: None,
            required: Amenities::from_bits(bits),
        }
    }

    fn brute_nearest(
        st: &[Station],
        lon: f64,
        lat: f64,
        k: usize,
        maxd: Option<f64>,
        req: Amenities,
    ) -> Vec<(f64, u32)> {
        let mut rows: Vec<(f64, u32)> = st
            .iter()
            .enumerate()
            .filter(|(_, s)| s.amenities.has_all(req))
            .map(|(i, s)| {
                (
                    haversine_m(lon, lat, s.position.lon(), s.position.lat()),
                    i as u32,
                )
            })
            .filter(|(d, _)| maxd.is_none_or(|m| *d <= m))
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        rows.truncate(k);
        rows
    }

    /// Points anywhere on Earth (uniform on the sphere), bunched at the antimeridian and the poles, and with
    /// exact duplicates, which are where lon/lat indexes and tie-breaking go wrong.
    fn point() -> impl Strategy<Value = (f64, f64)> {
        prop_oneof![
            (-180.0f64..=180.0, -1.0f64..=1.0).prop_map(|(lon, z)| (lon, z.asin().to_degrees())),
            (
                prop_oneof![179.0f64..=180.0, -180.0f64..=-179.0],
                -60.0f64..60.0
            ),
            (
                -180.0f64..=180.0,
                prop_oneof![89.0f64..=90.0, -90.0f64..=-89.0]
            ),
            (116.0f64..117.0, 39.5f64..40.5),
            Just((116.4, 39.9)),
            Just((180.0, 0.0)),
            Just((-180.0, 0.0)),
            Just((0.0, 90.0)),
        ]
    }

    fn dataset() -> impl Strategy<Value = Vec<Station>> {
        prop::collection::vec((point(), 0u16..1024, prop::bool::weighted(0.1)), 1..400).prop_map(
            |v| {
                v.into_iter()
                    .enumerate()
                    .map(|(i, ((lon, lat), bits, rare))| {
                        station(i, lon, lat, bits | if rare { 1 << 15 } else { 0 })
                    })
                    .collect()
            },
        )
    }

    fn assert_same(got: &[Hit], want: &[(f64, u32)]) -> Result<(), TestCaseError> {
        prop_assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            // Same station, or a different one at the same distance (float noise between equal distances).
            prop_assert!(
                g.idx == w.1 || (g.distance_m - w.0).abs() < 1e-6,
                "got {:?} want {:?}",
                got,
                want
            );
            prop_assert!((g.distance_m - w.0).abs() < 1e-6);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

        #[test]
        fn nearest_matches_brute_force(st in dataset(), (lon, lat) in point(), k in 1usize..40,
                                       maxd in prop::option::of(1.0f64..2.5e7), bits in prop_oneof![Just(0u16), 0u16..16, Just(1u16 << 15), Just(1u16 | 1 << 15)]) {
            let idx = Index::build(&st);
            let req = Amenities::from_bits(bits);
            let got = idx.nearest(&st, &Nearest { lon, lat, k, max_distance_m: maxd, required: req }, None, |_| true);
            assert_same(&got, &brute_nearest(&st, lon, lat, k, maxd, req))?;
        }

        #[test]
        fn along_matches_brute_force(st in dataset(), path in prop::collection::vec(point(), 2..6),
                                     max_m in prop_oneof![1.0f64..2_000.0, 1.0f64..3_000_000.0], bits in prop_oneof![Just(0u16), 0u16..8]) {
            let idx = Index::build(&st);
            let route = Route::new(&path);
            let req = Amenities::from_bits(bits);
            let q = AlongQuery { max_distance_m: max_m, limit: usize::MAX, required: req };
            let got: Vec<u32> = idx.along(&st, &route, &q, |_| true).iter().map(|h| h.idx).collect();
            let all: Vec<u32> = (0..route.segments() as u32).collect();
            let mut want: Vec<(f64, f64, u32)> = st.iter().enumerate()
                .filter(|(_, s)| s.amenities.has_all(req))
                .filter_map(|(i, s)| {
                    let at = route.locate(unit_vector(s.position.lon(), s.position.lat()), all.iter().copied())?;
                    (at.distance_m <= max_m).then_some((at.along_m, at.distance_m, i as u32))
                })
                .collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
            prop_assert_eq!(got, want.into_iter().map(|w| w.2).collect::<Vec<_>>());
        }

        #[test]
        fn nearest_with_predicate(st in dataset(), (lon, lat) in point(), k in 1usize..20, m in 2u32..7) {
            let idx = Index::build(&st);
            let got = idx.nearest(&st, &Nearest { lon, lat, k, max_distance_m: None, required: Amenities::default() }, None, |i| i % m == 0);
            let mut want = brute_nearest(&st, lon, lat, usize::MAX, None, Amenities::default());
            want.retain(|(_, i)| i % m == 0);
            want.truncate(k);
            assert_same(&got, &want)?;
        }

        #[test]
        fn bbox_matches_brute_force(st in dataset(), a in -180.0f64..=180.0, c in -180.0f64..=180.0,
                                    b in -90.0f64..=90.0, h in 0.0f64..180.0, bits in prop_oneof![Just(0u16), 0u16..8, Just(1u16 << 15)]) {
            let bbox = BBox { min_lon: a, min_lat: b, max_lon: c, max_lat: (b + h).min(90.0) };
            let idx = Index::build(&st);
            let req = Amenities::from_bits(bits);
            let got = idx.in_bbox(&st, &bbox, req);
            let want: Vec<u32> = st.iter().enumerate()
                .filter(|(_, s)| s.amenities.has_all(req) && bbox.contains(s.position.lon(), s.position.lat()))
                .map(|(i, _)| i as u32).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn bbox_edges_are_inclusive(lon in -180.0f64..=180.0, lat in -90.0f64..=90.0) {
            let st = vec![station(0, lon, lat, 0)];
            let idx = Index::build(&st);
            let bbox = BBox { min_lon: lon, min_lat: lat, max_lon: lon, max_lat: lat };
            prop_assert_eq!(idx.in_bbox(&st, &bbox, Amenities::default()), vec![0]);
        }
    }

    #[test]
    fn ties_at_one_point_are_broken_by_id() {
        let st: Vec<Station> = (0..10).map(|i| station(i, 116.4, 39.9, 0)).collect();
        let idx = Index::build(&st);
        let got: Vec<u32> = idx
            .nearest(&st, &q(116.41, 39.9, 3, 0), None, |_| true)
            .iter()
            .map(|h| h.idx)
            .collect();
        assert_eq!(got, vec![0, 1, 2]);
    }

    #[test]
    fn antimeridian_neighbours_are_near() {
        let st = vec![
            station(0, 179.9999, 0.0, 0),
            station(1, -170.0, 0.0, 0),
            station(2, 170.0, 0.0, 0),
        ];
        let idx = Index::build(&st);
        let got = idx.nearest(&st, &q(-179.9999, 0.0, 1, 0), None, |_| true);
        assert_eq!(got[0].idx, 0);
        assert!((got[0].distance_m - 22.239).abs() < 0.01, "{got:?}");
    }

    #[test]
    fn selective_flag_gets_its_own_tree() {
        let st: Vec<Station> = (0..1000)
            .map(|i| {
                station(
                    i,
                    (i as f64) * 0.01,
                    0.0,
                    if i % 100 == 0 { 1 << 9 } else { 1 },
                )
            })
            .collect();
        let idx = Index::build(&st);
        assert_eq!(idx.selective.len(), 1);
        let got = idx.nearest(&st, &q(5.5, 0.0, 2, 1 << 9), None, |_| true);
        assert_eq!(
            got.iter().map(|h| h.idx).collect::<Vec<_>>(),
            vec![500, 600]
        );
    }
}
