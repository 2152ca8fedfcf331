//! Stations along a route, in the order a rider meets them.

use super::route::Route;
use super::Index;
use crate::domain::Amenities;
use crate::geodesy::sphere::unit_vector;

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

impl Index {
    /// Stations within `max_m` of `route` that have every flag in `required` and pass `matches`, ordered as a
    /// rider meets them: by distance along the route, then distance from it, then id; at most `limit`.
    /// Candidates come from the R-tree, one corridor box per (piece of a) segment; each candidate is then
    /// measured exactly against just the segments whose boxes found it, which include every segment within
    /// `max_m` of it.
    pub fn along(
        &self,
        route: &Route,
        q: &AlongQuery,
        mut matches: impl FnMut(u32) -> bool,
    ) -> Vec<AlongHit> {
        let tree = self.rarest_flag_tree(q.required);
        // (station, segment, position) for every station with the flags that a segment's box found.
        let mut pairs: Vec<(u32, u32, (f64, f64))> = Vec::new();
        for (seg, env) in route.corridor(q.max_distance_m) {
            tree.locate(env.lower(), env.upper(), |leaf| {
                if leaf.amenities.has_all(q.required) {
                    pairs.push((leaf.idx, seg, (leaf.lon, leaf.lat)));
                }
            });
        }
        pairs.sort_unstable_by_key(|&(idx, seg, _)| (idx, seg));
        pairs.dedup_by_key(|&mut (idx, seg, _)| (idx, seg));
        let mut hits = Vec::new();
        for group in pairs.chunk_by(|x, y| x.0 == y.0) {
            let (idx, _, (lon, lat)) = group[0];
            let p = unit_vector(lon, lat);
            let Some(at) = route.locate(p, group.iter().map(|&(_, seg, _)| seg)) else {
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
