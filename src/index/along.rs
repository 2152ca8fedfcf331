//! Stations along a route, in the order a rider meets them.

use super::route::{Route, Scratch};
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
    /// Candidates come from the R-tree, one search per piece of route (a run of corridor boxes about
    /// `max_m` long); each candidate is then measured against the segments of the pieces that found it,
    /// exactly as against the whole route ([`Route::locate_within`]).
    pub fn along(
        &self,
        route: &Route,
        q: &AlongQuery,
        mut matches: impl FnMut(u32) -> bool,
    ) -> Vec<AlongHit> {
        let tree = self.rarest_flag_tree(q.required);
        let pieces = route.pieces(q.max_distance_m);
        // (station, piece, position) for every station with the flags that a piece's box found.
        let mut pairs: Vec<(u32, u32, (f64, f64))> = Vec::new();
        for (k, pc) in pieces.iter().enumerate() {
            tree.locate(pc.env.lower(), pc.env.upper(), |leaf| {
                if leaf.amenities.has_all(q.required) {
                    pairs.push((leaf.idx, k as u32, (leaf.lon, leaf.lat)));
                }
            });
        }
        pairs.sort_unstable_by_key(|&(idx, k, _)| (idx, k));
        let mut hits = Vec::new();
        let (mut found, mut scratch) = (Vec::new(), Scratch::default());
        for group in pairs.chunk_by(|x, y| x.0 == y.0) {
            let (idx, _, (lon, lat)) = group[0];
            found.clear();
            found.extend(group.iter().map(|&(_, k, _)| k));
            let p = unit_vector(lon, lat);
            let at = route.locate_within(p, &pieces, &found, q.max_distance_m, &mut scratch);
            if let Some(at) = at.filter(|_| matches(idx)) {
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
