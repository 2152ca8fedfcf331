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

use rstar::AABB;

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use crate::route::Route;
use crate::station::{haversine_m, Amenities, Hours, Station, EARTH_RADIUS_M};

/// A flag gets its own tree when at most this share of stations has it.
pub const SELECTIVE_SHARE: f64 = 0.25;

/// An opening-hours expression gets its own tree when at most this share of stations has it. Whenever a larger
/// expression is open, the open stations are at least this share, and the main (or flag) tree walked with the
/// `open_now` test finds k of them among ≈ k / share candidates (200 for k = 10): fast enough, so only the
/// small expressions, which can make up the whole open set at night, need trees. Trees for every expression
/// would cost as much memory again as the main tree.
pub const HOURS_TREE_SHARE: f64 = 0.05;

/// The unit vector of a lon/lat position.
pub fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (lo, la) = (lon.to_radians(), lat.to_radians());
    let c = la.cos();
    [c * lo.cos(), c * lo.sin(), la.sin()]
}

/// The chord between two unit vectors at great-circle distance `metres`.
fn chord_for(metres: f64) -> f64 {
    let half_angle = (metres / (2.0 * EARTH_RADIUS_M)).min(std::f64::consts::FRAC_PI_2);
    2.0 * half_angle.sin()
}

/// How far (as a chord on the unit sphere) a tree's `f32` distance may be from the exact chord to a station:
/// the stored point and the query are each within √3 · 2⁻²⁴ ≈ 1.04e-7 of their exact unit vectors, and the
/// `f32` arithmetic of the squared distance adds a relative error of a few 2⁻²⁴ on chords of at most 2, so
/// under 5e-7 in all (3 m on the Earth). Padded 2× so that the `f64` rounding of `haversine_m` can never turn a
/// lower bound into an overestimate; the price is a few more candidates re-ranked.
const F32_SLACK: f64 = 1e-6;

/// The R-trees: `rstar` over unit vectors stored as `f32`.
///
/// `f32` because rstar keeps every point inside a node enum the size of a parent node (an envelope and a
/// `Vec`): 72 bytes a point at `f64`, 48 at `f32` — about 30 MB less per million stations and per tree.
/// Distances come back in `f32`, so the order in which [`Search`] yields points is only approximately the
/// great-circle order; [`Index::nearest`] re-ranks with the exact `f64` distance and stops only when the
/// bound, less [`F32_SLACK`], passes the k-th exact distance.
mod tree {
    use rstar::primitives::GeomWithData;
    use rstar::{RTree, AABB};

    use super::*;

    /// What a tree holds of a station: everything the nearest walk needs to rank and filter it, so that the
    /// walk never loads the station itself (a cache miss per candidate was most of a query's time). Free in
    /// memory: rstar's node enum is as large as a parent node (48 B) whatever the leaf, and this fits.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Leaf {
        /// The exact WGS-84 position, for the exact re-rank.
        pub lon: f64,
        pub lat: f64,
        pub idx: u32,
        pub amenities: Amenities,
        /// The station's opening-hours expression id; [`Leaf::HOURS_ELSEWHERE`] when it has none or the id
        /// does not fit (then [`Index::hours_id`] has it).
        pub hours: u16,
    }

    impl Leaf {
        pub const HOURS_ELSEWHERE: u16 = u16::MAX;
    }

    /// A station's position in a tree, and its index in the dataset.
    #[derive(Debug, Clone, Copy)]
    pub struct Item {
        pub p: [f32; 3],
        pub leaf: Leaf,
    }

    impl Item {
        pub fn new(s: &Station, idx: u32, hours_id: u32) -> Item {
            let (lon, lat) = (s.position.lon(), s.position.lat());
            Item {
                p: unit_vector(lon, lat).map(|x| x as f32),
                leaf: Leaf {
                    lon,
                    lat,
                    idx,
                    amenities: s.amenities,
                    hours: u16::try_from(hours_id)
                        .ok()
                        .filter(|&h| h != Leaf::HOURS_ELSEWHERE)
                        .unwrap_or(Leaf::HOURS_ELSEWHERE),
                },
            }
        }
    }

    pub struct Tree(RTree<GeomWithData<[f32; 3], Leaf>>);

    impl Tree {
        /// Bulk loading (STR packing): `O(n log n)`, and far tighter nodes than inserting one by one.
        pub fn build(items: Vec<Item>) -> Tree {
            Tree(RTree::bulk_load(
                items
                    .into_iter()
                    .map(|i| GeomWithData::new(i.p, i.leaf))
                    .collect(),
            ))
        }

        pub fn len(&self) -> usize {
            self.0.size()
        }

        /// Every point inside the box `[lo, hi]` widened by [`F32_SLACK`], so that no station whose exact
        /// position is inside is missed (the caller checks candidates exactly).
        pub fn locate(&self, lo: [f64; 3], hi: [f64; 3], mut f: impl FnMut(u32)) {
            let env = AABB::from_corners(
                lo.map(|x| (x - F32_SLACK) as f32),
                hi.map(|x| (x + F32_SLACK) as f32),
            );
            for p in self.0.locate_in_envelope(&env) {
                f(p.data.idx);
            }
        }
    }

    /// A candidate from one of several trees, ordered so that a `BinaryHeap` pops the nearest first.
    struct Next {
        d2: f64,
        leaf: Leaf,
        tree: usize,
    }
    impl PartialEq for Next {
        fn eq(&self, o: &Self) -> bool {
            self.cmp(o) == Ordering::Equal
        }
    }
    impl Eq for Next {}
    impl PartialOrd for Next {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Next {
        fn cmp(&self, o: &Self) -> Ordering {
            o.d2.total_cmp(&self.d2)
                .then(o.leaf.idx.cmp(&self.leaf.idx))
        }
    }

    type Walk<'a> = Box<dyn Iterator<Item = (Leaf, f64)> + 'a>;

    /// Nearest-first walk of one tree, or of several merged (the trees of the open opening-hours
    /// expressions): yields `(station, squared chord to its stored point)`.
    pub struct Search<'a> {
        walks: Vec<Walk<'a>>,
        heap: BinaryHeap<Next>,
    }

    impl<'a> Search<'a> {
        pub fn new(trees: Vec<&'a Tree>, q: [f64; 3]) -> Search<'a> {
            let q = q.map(|x| x as f32);
            let mut walks: Vec<Walk<'a>> = trees
                .into_iter()
                .map(|t| {
                    Box::new(
                        t.0.nearest_neighbor_iter_with_distance_2(&q)
                            .map(|(p, d2)| (p.data, f64::from(d2))),
                    ) as Walk<'a>
                })
                .collect();
            let mut heap = BinaryHeap::with_capacity(walks.len());
            for (tree, w) in walks.iter_mut().enumerate() {
                if let Some((leaf, d2)) = w.next() {
                    heap.push(Next { d2, leaf, tree });
                }
            }
            Search { walks, heap }
        }
    }

    impl Iterator for Search<'_> {
        type Item = (Leaf, f64);
        fn next(&mut self) -> Option<(Leaf, f64)> {
            let top = self.heap.pop()?;
            if let Some((leaf, d2)) = self.walks[top.tree].next() {
                self.heap.push(Next {
                    d2,
                    leaf,
                    tree: top.tree,
                });
            }
            Some((top.leaf, top.d2))
        }
    }
}

use tree::{Item, Leaf, Search, Tree};

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
    main: Tree,
    /// Trees for selective flags: `(flag bits, tree)`.
    selective: Vec<(Amenities, Tree)>,
    /// The distinct opening-hours expressions; a station's expression id indexes this.
    hours: Vec<Arc<Hours>>,
    /// Each station's expression id, or [`NO_HOURS`].
    hours_id: Vec<u32>,
    /// Per expression, a tree of its stations when it is selective. At 3 a.m. only a few expressions are
    /// open; an `open_now` query then walks just their trees at once, instead of skipping through every closed
    /// station around it. Expressions open at all times have none: their stations are the 24h flag's tree.
    by_hours: Vec<Option<Tree>>,
}

/// The expression id of a station with unknown hours.
pub const NO_HOURS: u32 = u32::MAX;

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
    /// Bulk-loads the trees (`O(n log n)`).
    pub fn build(stations: &[Station]) -> Index {
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
        let entries: Vec<Item> = stations
            .iter()
            .zip(&hours_id)
            .enumerate()
            .map(|(i, (s, &h))| Item::new(s, i as u32, h))
            .collect();
        let n = stations.len();
        let selective_size =
            |count: usize| count > 0 && (count as f64) <= SELECTIVE_SHARE * n as f64;
        let mut selective = Vec::new();
        for bit in 0..16u16 {
            let flag = Amenities::from_bits(1 << bit);
            let count = stations
                .iter()
                .filter(|s| s.amenities.has_all(flag))
                .count();
            if selective_size(count) {
                let sub: Vec<Item> = entries
                    .iter()
                    .filter(|e| e.leaf.amenities.has_all(flag))
                    .copied()
                    .collect();
                selective.push((flag, Tree::build(sub)));
            }
        }
        let mut counts = vec![0usize; hours.len()];
        for &h in &hours_id {
            if let Some(c) = counts.get_mut(h as usize) {
                *c += 1;
            }
        }
        let wanted: Vec<bool> = hours
            .iter()
            .zip(&counts)
            .map(|(h, &c)| !h.always_open() && c > 0 && (c as f64) <= HOURS_TREE_SHARE * n as f64)
            .collect();
        let mut members: Vec<Vec<Item>> = counts
            .iter()
            .zip(&wanted)
            .map(|(&c, &w)| Vec::with_capacity(if w { c } else { 0 }))
            .collect();
        for (e, &h) in entries.iter().zip(&hours_id) {
            if wanted.get(h as usize) == Some(&true) {
                members[h as usize].push(*e);
            }
        }
        let by_hours = members
            .into_iter()
            .zip(wanted)
            .map(|(m, w)| w.then(|| Tree::build(m)))
            .collect();
        Index {
            main: Tree::build(entries),
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
    /// given which expressions are open) the trees of the open expressions together, whichever holds fewest.
    fn source(&self, required: Amenities, open: Option<&[bool]>) -> Vec<&Tree> {
        let flag_tree = self.rarest_flag_tree(required);
        if let Some(open) = open {
            if let Some(trees) = self.open_trees(open) {
                if trees.iter().map(|t| t.len()).sum::<usize>() < flag_tree.len() {
                    return trees;
                }
            }
        }
        vec![flag_tree]
    }

    /// The trees that together hold exactly the stations of the open expressions; `None` when an open
    /// expression has no tree (then the open set is not selective).
    fn open_trees(&self, open: &[bool]) -> Option<Vec<&Tree>> {
        let mut trees = Vec::new();
        let mut always = false;
        for (e, _) in open.iter().enumerate().filter(|(_, o)| **o) {
            match self.by_hours.get(e) {
                Some(Some(tree)) => trees.push(tree),
                _ if self.hours.get(e).is_some_and(|h| h.always_open()) => always = true,
                _ => return None,
            }
        }
        if always {
            trees.push(self.flag_tree(Amenities::ALWAYS_OPEN)?);
        }
        Some(trees)
    }

    fn flag_tree(&self, flag: Amenities) -> Option<&Tree> {
        self.selective
            .iter()
            .find(|(f, _)| *f == flag)
            .map(|(_, t)| t)
    }

    /// The tree to walk for stations that need all of `required`: the tree of the rarest selective flag among
    /// them, or the main tree.
    fn rarest_flag_tree(&self, required: Amenities) -> &Tree {
        self.selective
            .iter()
            .filter(|(flag, _)| required.has_all(*flag))
            .map(|(_, tree)| tree)
            .min_by_key(|tree| tree.len())
            .unwrap_or(&self.main)
    }

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
        let candidates = Search::new(self.source(required, open), qv);
        // Chords are compared a hair wider than exact, so rounding never stops the walk too early.
        let widen = |m: f64| chord_for(m) * (1.0 + 1e-12) + 1e-15;
        let max_chord = max_distance_m.map(widen).unwrap_or(f64::INFINITY);
        let mut hits: Vec<Hit> = Vec::with_capacity(k + 1);
        let mut kth_chord = f64::INFINITY;
        for (leaf, c2) in candidates {
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
        hits
    }

    /// Indices of the stations inside `bbox` that have every flag in `required`, ascending (id order).
    pub fn in_bbox(&self, stations: &[Station], bbox: &BBox, required: Amenities) -> Vec<u32> {
        let tree = self.rarest_flag_tree(required);
        let mut out: Vec<u32> = Vec::new();
        for (l0, l1) in bbox.parts() {
            let env = envelope_3d(l0, l1, bbox.min_lat, bbox.max_lat);
            tree.locate(env.lower(), env.upper(), |i| {
                let s = &stations[i as usize];
                if s.amenities.has_all(required)
                    && bbox.contains(s.position.lon(), s.position.lat())
                {
                    out.push(i);
                }
            });
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
        let tree = self.rarest_flag_tree(q.required);
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for (seg, env) in route.corridor(q.max_distance_m) {
            tree.locate(env.lower(), env.upper(), |i| pairs.push((i, seg)));
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
            let got = idx.nearest(&Nearest { lon, lat, k, max_distance_m: maxd, required: req }, None, |_| true);
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
            let got = idx.nearest(&Nearest { lon, lat, k, max_distance_m: None, required: Amenities::default() }, None, |i| i % m == 0);
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

    /// Stations centimetres apart around any point of the Earth (poles and antimeridian included), some exact
    /// duplicates: the trees' `f32` points cannot tell them apart (≈ 0.5 m resolution), the exact re-rank must.
    fn crowd() -> impl Strategy<Value = (Vec<Station>, (f64, f64))> {
        let offset = prop_oneof![-3e-7f64..3e-7, Just(0.0)];
        (
            point(),
            prop::collection::vec((offset.clone(), offset.clone(), 0u16..4), 1..300),
            (offset.clone(), offset),
        )
            .prop_map(|((lon, lat), offs, (qx, qy))| {
                let at = |dx: f64, dy: f64| {
                    (
                        (lon + dx).clamp(-180.0, 180.0),
                        (lat + dy).clamp(-90.0, 90.0),
                    )
                };
                let st = offs
                    .iter()
                    .enumerate()
                    .map(|(i, &(dx, dy, bits))| {
                        let (x, y) = at(dx, dy);
                        station(i, x, y, bits)
                    })
                    .collect();
                (st, at(qx, qy))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

        #[test]
        fn nearest_in_a_crowd_matches_brute_force((st, (lon, lat)) in crowd(), k in 1usize..20,
                                                  maxd in prop::option::of(0.0f64..0.05), bits in 0u16..4) {
            let idx = Index::build(&st);
            let req = Amenities::from_bits(bits);
            let got = idx.nearest(&Nearest { lon, lat, k, max_distance_m: maxd, required: req }, None, |_| true);
            let want = brute_nearest(&st, lon, lat, k, maxd, req);
            let ids = |v: &[u32]| v.to_vec();
            prop_assert_eq!(ids(&got.iter().map(|h| h.idx).collect::<Vec<_>>()), ids(&want.iter().map(|w| w.1).collect::<Vec<_>>()));
            for (g, w) in got.iter().zip(&want) {
                prop_assert_eq!(g.distance_m, w.0);
            }
        }

        #[test]
        fn bbox_in_a_crowd_matches_brute_force((st, (lon, lat)) in crowd(), w in 0.0f64..4e-7, h in 0.0f64..4e-7) {
            let bbox = BBox { min_lon: lon, min_lat: lat, max_lon: (lon + w).min(180.0), max_lat: (lat + h).min(90.0) };
            let idx = Index::build(&st);
            let got = idx.in_bbox(&st, &bbox, Amenities::default());
            let want: Vec<u32> = st.iter().enumerate()
                .filter(|(_, s)| bbox.contains(s.position.lon(), s.position.lat()))
                .map(|(i, _)| i as u32).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn open_now_at_night_walks_the_open_expressions_and_the_24h_tree() {
        let parse = |h: &str| Arc::new(Hours::parse(h).unwrap());
        let (always, night, office) = (
            parse("24/7"),
            parse("Mo-Su 02:00-04:00"),
            parse("Mo-Fr 09:00-18:00"),
        );
        let st: Vec<Station> = (0..2000)
            .map(|i| {
                // 10 % always open, 2 % open at night (under HOURS_TREE_SHARE), the rest office hours.
                let (h, bits) = match (i % 10, i % 50) {
                    (0, _) => (always.clone(), Amenities::ALWAYS_OPEN.bits()),
                    (_, 1) => (night.clone(), 0),
                    _ => (office.clone(), 0),
                };
                let mut s = station(
                    i,
                    116.0 + (i % 50) as f64 * 0.01,
                    39.0 + (i / 50) as f64 * 0.01,
                    bits,
                );
                s.hours = Some(h);
                s
            })
            .collect();
        let idx = Index::build(&st);
        let three_am = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
            .unwrap()
            .and_hms_opt(3, 0, 0)
            .unwrap();
        let open: Vec<bool> = idx.hours().iter().map(|h| h.is_open(three_am)).collect();
        let trees = idx
            .open_trees(&open)
            .expect("every open expression has a tree");
        assert_eq!(trees.iter().map(|t| t.len()).sum::<usize>(), 240);
        let got: Vec<u32> = idx
            .nearest(&q(116.2, 39.2, 7, 0), Some(&open), |i| {
                open[idx.hours_id(i) as usize]
            })
            .iter()
            .map(|h| h.idx)
            .collect();
        let mut want = brute_nearest(&st, 116.2, 39.2, usize::MAX, None, Amenities::default());
        want.retain(|(_, i)| i % 10 == 0 || i % 50 == 1);
        want.truncate(7);
        assert_eq!(got, want.iter().map(|w| w.1).collect::<Vec<_>>());
    }

    #[test]
    fn ties_at_one_point_are_broken_by_id() {
        let st: Vec<Station> = (0..10).map(|i| station(i, 116.4, 39.9, 0)).collect();
        let idx = Index::build(&st);
        let got: Vec<u32> = idx
            .nearest(&q(116.41, 39.9, 3, 0), None, |_| true)
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
        let got = idx.nearest(&q(-179.9999, 0.0, 1, 0), None, |_| true);
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
        let got = idx.nearest(&q(5.5, 0.0, 2, 1 << 9), None, |_| true);
        assert_eq!(
            got.iter().map(|h| h.idx).collect::<Vec<_>>(),
            vec![500, 600]
        );
    }
}
