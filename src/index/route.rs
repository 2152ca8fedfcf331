//! Routes as chains of great-circle segments: where on a route a station is nearest, and boxes that bound the
//! corridor around each segment so the R-tree can find candidates without scanning every station, merged into
//! pieces about as long as the corridor is wide so that a station near a dense route is found a few times,
//! not once per segment.
//!
//! Everything is done on unit vectors: the distance from a point to a great-circle arc is the smaller of the
//! distances to its ends and, when the point's projection onto the arc's great circle falls inside the arc,
//! the angle to that circle. This is exact on the sphere, unlike a flat lon/lat line, which can be kilometres
//! off for a long segment.

use rstar::{Envelope, AABB};

use crate::geodesy::sphere::{
    angle, chord_for, cross, dot, norm, scale, unit_vector, EARTH_RADIUS_M, V,
};

/// Arcs longer than this are split for candidate search, so that their bounding boxes stay tight.
const PIECE_RAD: f64 = 0.01;
/// Segments this long (in radians) have no well-defined great circle near their antipodal ends; their
/// corridor is bounded by the whole sphere instead.
const NEAR_ANTIPODAL_RAD: f64 = 3.0;

/// Candidates within this many metres of the nearest are weighed as [`Route::locate`] weighs them all.
const NEAR_M: f64 = 1e-3;
/// [`Route::locate`]'s tie window: a point replaces the best only if nearer by more than this, in metres.
const TIE_M: f64 = 1e-6;
/// Covers the floating-point error of the bounds in [`Route::locate_within`] (each far below a micrometre).
const SLACK_M: f64 = 1e-3;
/// Extra reach of a piece's box beyond the query's, so that it holds every point a little past `max_m`.
const PIECE_PAD_M: f64 = 0.01;

/// A run of consecutive corridor boxes merged into one, searched once.
pub struct Piece {
    pub env: AABB<V>,
    /// First and last segment it bounds (inclusive).
    first: u32,
    last: u32,
    /// Length of its longest segment, metres.
    longest_m: f64,
    /// The chord of `max_m`, the reach it was made for.
    reach_chord: f64,
    /// The chord of its longest segment plus [`NEAR_M`], [`TIE_M`] and twice [`SLACK_M`].
    pad_chord: f64,
}

/// Buffers [`Route::locate_within`] reuses from one station to the next.
#[derive(Default)]
pub struct Scratch {
    near: Vec<u32>,
    points: Vec<Located>,
}

/// One step of [`Route::locate`]: `c` replaces the best only if nearer by more than [`TIE_M`].
fn consider(best: &mut Option<Located>, c: Located) {
    if best.is_none_or(|b| c.distance_m < b.distance_m - TIE_M) {
        *best = Some(c);
    }
}

/// Squared chord between two unit vectors.
fn chord2(a: V, b: V) -> f64 {
    let d = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    dot(d, d)
}

/// A route of at least two points.
pub struct Route {
    points: Vec<V>,
    /// Distance along the route, in metres, at each point.
    start_m: Vec<f64>,
}

/// Where a station is relative to a route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Located {
    /// Great-circle distance from the station to the route, metres.
    pub distance_m: f64,
    /// Distance along the route from its start to the route point nearest the station, metres.
    pub along_m: f64,
}

impl Route {
    /// `points` are WGS-84 `(lon, lat)`.
    pub fn new(points: &[(f64, f64)]) -> Route {
        let points: Vec<V> = points
            .iter()
            .map(|&(lon, lat)| unit_vector(lon, lat))
            .collect();
        let mut start_m = Vec::with_capacity(points.len());
        let mut acc = 0.0;
        for (i, p) in points.iter().enumerate() {
            if i > 0 {
                acc += angle(points[i - 1], *p) * EARTH_RADIUS_M;
            }
            start_m.push(acc);
        }
        Route { points, start_m }
    }

    pub fn segments(&self) -> usize {
        self.points.len().saturating_sub(1)
    }

    pub fn length_m(&self) -> f64 {
        self.start_m.last().copied().unwrap_or(0.0)
    }

    /// Nearest route point to `p` among the given segments (ascending). Equal distances (within 1 µm) go to
    /// the earliest point on the route.
    pub fn locate(&self, p: V, segments: impl IntoIterator<Item = u32>) -> Option<Located> {
        let mut best: Option<Located> = None;
        for s in segments {
            self.candidates(p, s as usize, |c| consider(&mut best, c));
        }
        best
    }

    /// The points of segment `s` that may be nearest `p`, in the order [`Route::locate`] weighs them: its
    /// start, its end, and the foot of the perpendicular when that falls inside the arc.
    fn candidates(&self, p: V, s: usize, mut f: impl FnMut(Located)) {
        let (a, b) = (self.points[s], self.points[s + 1]);
        let start = self.start_m[s];
        let seg = angle(a, b);
        let at = |distance_m: f64, along_m: f64| Located {
            distance_m,
            along_m,
        };
        f(at(angle(p, a) * EARTH_RADIUS_M, start));
        f(at(
            angle(p, b) * EARTH_RADIUS_M,
            start + seg * EARTH_RADIUS_M,
        ));
        let n = cross(a, b);
        let nn = norm(n);
        if seg > 0.0 && nn > 1e-15 {
            let n = scale(n, 1.0 / nn);
            let d = dot(p, n);
            let q = [p[0] - d * n[0], p[1] - d * n[1], p[2] - d * n[2]];
            let qn = norm(q);
            if qn > 0.0 {
                let q = scale(q, 1.0 / qn);
                let (aq, qb) = (angle(a, q), angle(q, b));
                if (aq + qb - seg).abs() < 1e-12 {
                    f(at(
                        d.clamp(-1.0, 1.0).asin().abs() * EARTH_RADIUS_M,
                        start + aq * EARTH_RADIUS_M,
                    ));
                }
            }
        }
    }

    /// The corridor boxes for `max_m` (plus [`PIECE_PAD_M`]), merged run by run into pieces that each bound
    /// about `max(max_m, 100 m)` of route: searching a piece once finds what its boxes would, without
    /// finding a station once per 25 m segment of a 5 km corridor.
    pub fn pieces(&self, max_m: f64) -> Vec<Piece> {
        let target = max_m.max(100.0);
        let mut out: Vec<Piece> = Vec::new();
        let mut grown = f64::INFINITY;
        for (seg, env, len) in self.corridor(max_m + PIECE_PAD_M) {
            let s = seg as usize;
            let seg_m = angle(self.points[s], self.points[s + 1]) * EARTH_RADIUS_M;
            match out.last_mut() {
                Some(pc) if grown + len <= target => {
                    pc.env = pc.env.merged(&env);
                    pc.last = seg;
                    pc.longest_m = pc.longest_m.max(seg_m);
                    grown += len;
                }
                _ => {
                    out.push(Piece {
                        env,
                        first: seg,
                        last: seg,
                        longest_m: seg_m,
                        reach_chord: chord_for(max_m),
                        pad_chord: 0.0,
                    });
                    grown = len;
                }
            }
        }
        for pc in &mut out {
            pc.pad_chord = chord_for(NEAR_M + TIE_M + 2.0 * SLACK_M + pc.longest_m);
        }
        out
    }

    /// The nearest route point to `p` if it is within `max_m`, exactly as `locate(p, 0..segments)` finds it
    /// (ties included), given `found`: the pieces (from [`Route::pieces`] for `max_m`) whose boxes hold `p`.
    ///
    /// Why it is exact: let m be the nearest distance. Every segment with a point within `max_m` + 1 cm of
    /// `p` is in a found piece, and a segment whose start is farther than U + [`NEAR_M`] + [`TIE_M`] + its
    /// length (U: the nearer of the nearest vertex and `max_m`, ≥ m when m ≤ `max_m`, the only case that
    /// matters) has every point farther than m + NEAR_M + TIE_M. The rest are weighed; if none of their
    /// points falls in (m + NEAR_M, m + NEAR_M + TIE_M], the first point within m + NEAR_M replaces any
    /// farther best, no farther point replaces it, and the points within m + NEAR_M are weighed in route
    /// order as `locate` weighs them. Otherwise (never seen) it weighs every segment.
    pub fn locate_within(
        &self,
        p: V,
        pieces: &[Piece],
        found: &[u32],
        max_m: f64,
        scratch: &mut Scratch,
    ) -> Option<Located> {
        let segs = |k: &u32| pieces[*k as usize].first..=pieces[*k as usize].last + 1;
        let nearest_vertex = found
            .iter()
            .flat_map(segs)
            .map(|v| chord2(p, self.points[v as usize]));
        let c2 = nearest_vertex.fold(f64::INFINITY, f64::min);
        // Chords, not angles (no trigonometry per station): the chord is subadditive, so the chord of
        // U + pad is at most chord(U) + chord(pad), and chord(U) is the nearest vertex's chord (or max_m's).
        let u_chord = c2.sqrt().min(pieces[found[0] as usize].reach_chord);
        scratch.near.clear();
        for &k in found {
            let pc = &pieces[k as usize];
            let reach = u_chord + pc.pad_chord;
            let reach2 = if reach >= 2.0 {
                f64::INFINITY
            } else {
                reach * reach
            };
            let near =
                (pc.first..=pc.last).filter(|&s| chord2(p, self.points[s as usize]) <= reach2);
            scratch.near.extend(near);
        }
        scratch.near.sort_unstable();
        scratch.near.dedup();
        scratch.points.clear();
        for &s in &scratch.near {
            self.candidates(p, s as usize, |c| scratch.points.push(c));
        }
        let m = scratch
            .points
            .iter()
            .map(|c| c.distance_m)
            .fold(f64::INFINITY, f64::min);
        if m > max_m {
            return None;
        }
        let gap = |c: &Located| c.distance_m > m + NEAR_M && c.distance_m <= m + NEAR_M + TIE_M;
        let best = if scratch.points.iter().any(gap) {
            self.locate(p, 0..self.segments() as u32)
        } else {
            let mut best = None;
            scratch.points.iter().for_each(|&c| consider(&mut best, c));
            best
        };
        best.filter(|b| b.distance_m <= max_m)
    }

    /// Boxes (with their segment and the length in metres of the part of it they bound) that together contain
    /// every unit vector within `max_m` of the route. Each arc is split into pieces of at most [`PIECE_RAD`];
    /// a piece lies within its chord's box widened by its sagitta, and the corridor around it within that box
    /// widened by the chord of `max_m`.
    pub fn corridor(&self, max_m: f64) -> Vec<(u32, AABB<V>, f64)> {
        let reach = 2.0
            * (max_m / (2.0 * EARTH_RADIUS_M))
                .min(std::f64::consts::FRAC_PI_2)
                .sin();
        let mut out = Vec::new();
        for s in 0..self.segments() {
            let (a, b) = (self.points[s], self.points[s + 1]);
            let theta = angle(a, b);
            if theta >= NEAR_ANTIPODAL_RAD {
                out.push((
                    s as u32,
                    AABB::from_corners([-2.0; 3], [2.0; 3]),
                    theta * EARTH_RADIUS_M,
                ));
                continue;
            }
            let pieces = (theta / PIECE_RAD).ceil().max(1.0) as usize;
            let step = theta / pieces as f64;
            let sagitta = 1.0 - (step / 2.0).cos();
            let pad = reach + sagitta + 1e-9;
            let at = |t: f64| -> V {
                if theta == 0.0 {
                    return a;
                }
                let (wa, wb) = (((1.0 - t) * theta).sin(), (t * theta).sin());
                let st = theta.sin();
                [
                    (wa * a[0] + wb * b[0]) / st,
                    (wa * a[1] + wb * b[1]) / st,
                    (wa * a[2] + wb * b[2]) / st,
                ]
            };
            let mut prev = a;
            for i in 1..=pieces {
                let next = if i == pieces {
                    b
                } else {
                    at(i as f64 / pieces as f64)
                };
                let lo = [
                    prev[0].min(next[0]) - pad,
                    prev[1].min(next[1]) - pad,
                    prev[2].min(next[2]) - pad,
                ];
                let hi = [
                    prev[0].max(next[0]) + pad,
                    prev[1].max(next[1]) + pad,
                    prev[2].max(next[2]) + pad,
                ];
                out.push((s as u32, AABB::from_corners(lo, hi), step * EARTH_RADIUS_M));
                prev = next;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy::sphere::haversine_m;

    #[test]
    fn distance_to_a_meridian_segment() {
        let r = Route::new(&[(116.0, 39.0), (116.0, 40.0)]);
        let p = unit_vector(116.01, 39.5);
        let got = r.locate(p, [0]).unwrap();
        // On a meridian the foot of the perpendicular is at nearly the same latitude.
        let foot = haversine_m(116.0, 39.0, 116.0, 39.5);
        assert!((got.along_m - foot).abs() < 1.0, "{got:?}");
        assert!(
            (got.distance_m - haversine_m(116.0, 39.5, 116.01, 39.5)).abs() < 0.5,
            "{got:?}"
        );
    }

    #[test]
    fn a_long_east_west_segment_follows_the_great_circle_not_the_parallel() {
        // From (0, 60) to (90, 60): the great circle bulges north to atan(tan 60° / cos 45°) ≈ 67.79° at lon 45.
        let r = Route::new(&[(0.0, 60.0), (90.0, 60.0)]);
        let on_parallel = r.locate(unit_vector(45.0, 60.0), [0]).unwrap();
        assert!(on_parallel.distance_m > 600_000.0, "{on_parallel:?}");
        let near_vertex = r.locate(unit_vector(45.0, 67.79), [0]).unwrap();
        assert!(near_vertex.distance_m < 10_000.0, "{near_vertex:?}");
    }

    proptest::proptest! {
        /// Against a brute force that knows nothing of projections: the minimum haversine distance to
        /// 4,000 points sampled along the arc (by spherical interpolation).
        #[test]
        fn locate_agrees_with_dense_sampling(a in (-180.0f64..180.0, -80.0f64..80.0), d in (-2.0f64..2.0, -2.0f64..2.0),
                                              p in (-3.0f64..3.0, -3.0f64..3.0)) {
            let b = (((a.0 + d.0 + 540.0) % 360.0) - 180.0, (a.1 + d.1).clamp(-89.0, 89.0));
            let q = (((a.0 + p.0 + 540.0) % 360.0) - 180.0, (a.1 + p.1).clamp(-89.9, 89.9));
            let r = Route::new(&[a, b]);
            let got = r.locate(unit_vector(q.0, q.1), [0]).unwrap();
            let (va, vb) = (unit_vector(a.0, a.1), unit_vector(b.0, b.1));
            let th = angle(va, vb);
            let mut best = (f64::INFINITY, 0.0);
            for i in 0..=4000 {
                let t = i as f64 / 4000.0;
                let m = if th < 1e-12 { va } else {
                    let (wa, wb) = (((1.0 - t) * th).sin() / th.sin(), (t * th).sin() / th.sin());
                    [wa * va[0] + wb * vb[0], wa * va[1] + wb * vb[1], wa * va[2] + wb * vb[2]]
                };
                let (lon, lat) = (m[1].atan2(m[0]).to_degrees(), m[2].asin().to_degrees());
                let dist = haversine_m(q.0, q.1, lon, lat);
                if dist < best.0 { best = (dist, t * th * EARTH_RADIUS_M); }
            }
            let spacing = th * EARTH_RADIUS_M / 4000.0;
            proptest::prop_assert!(got.distance_m <= best.0 + 1e-3, "{got:?} vs {best:?}");
            proptest::prop_assert!(got.distance_m >= best.0 - spacing, "{got:?} vs {best:?}");
            proptest::prop_assert!((got.along_m - best.1).abs() <= spacing + 1.0 || (got.distance_m - best.0).abs() < 1.0, "{got:?} vs {best:?}");
        }
    }

    #[test]
    fn ties_go_to_the_earliest_point() {
        // Out and back: the station is equally near both legs.
        let r = Route::new(&[(116.0, 39.0), (116.0, 39.1), (116.0, 39.0)]);
        let got = r.locate(unit_vector(116.001, 39.05), [0, 1]).unwrap();
        assert!(got.along_m < r.length_m() / 2.0, "{got:?}");
    }

    #[test]
    fn the_corridor_contains_every_point_within_reach() {
        let r = Route::new(&[(170.0, -10.0), (-170.0, 10.0), (-170.0, 80.0), (10.0, 80.0)]);
        let boxes = r.corridor(5_000.0);
        for i in 0..2000 {
            let t = i as f64 / 2000.0;
            // points on the segments, nudged sideways by up to ~4.9 km
            for s in 0..r.segments() {
                let (a, b) = (r.points[s], r.points[s + 1]);
                let th = angle(a, b);
                let (wa, wb) = (((1.0 - t) * th).sin() / th.sin(), (t * th).sin() / th.sin());
                let m = [
                    wa * a[0] + wb * b[0],
                    wa * a[1] + wb * b[1],
                    wa * a[2] + wb * b[2],
                ];
                let lat = m[2].asin().to_degrees() + 0.044 * ((i % 3) as f64 - 1.0);
                let lon = m[1].atan2(m[0]).to_degrees();
                let p = unit_vector(lon, lat);
                if r.locate(p, 0..r.segments() as u32).unwrap().distance_m <= 5_000.0 {
                    assert!(boxes.iter().any(|(_, bx, _)| {
                        let (lo, hi) = (bx.lower(), bx.upper());
                        (0..3).all(|k| lo[k] <= p[k] && p[k] <= hi[k])
                    }));
                }
            }
        }
    }
}
