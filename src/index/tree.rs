//! The R-trees: `rstar` over unit vectors stored as `f32`.
//!
//! `f32` because rstar keeps every point inside a node enum the size of a parent node (an envelope and a
//! `Vec`): 72 bytes a point at `f64`, 48 at `f32` — about 30 MB less per million stations and per tree.
//! Distances come back in `f32`, so the order in which [`Search`] yields points is only approximately the
//! great-circle order; [`Index::nearest`](super::Index::nearest) re-ranks with the exact `f64` distance and stops only when the
//! bound, less [`F32_SLACK`], passes the k-th exact distance.

use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::Entry;
use crate::domain::Amenities;
use crate::geodesy::sphere::unit_vector;

/// How far (as a chord on the unit sphere) a tree's `f32` distance may be from the exact chord to a station:
/// the stored point and the query are each within √3 · 2⁻²⁴ ≈ 1.04e-7 of their exact unit vectors, and the
/// `f32` arithmetic of the squared distance adds a relative error of a few 2⁻²⁴ on chords of at most 2, so
/// under 5e-7 in all (3 m on the Earth). Padded 2× so that the `f64` rounding of `haversine_m` can never turn a
/// lower bound into an overestimate; the price is a few more candidates re-ranked.
pub(super) const F32_SLACK: f64 = 1e-6;

/// What a tree holds of a station: everything the nearest walk needs to rank and filter it, so that the
/// walk never loads the station itself (a cache miss per candidate was most of a query's time). Free in
/// memory: rstar's node enum is as large as a parent node (48 B) whatever the leaf, and this fits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Leaf {
    /// The exact WGS-84 position, for the exact re-rank.
    pub(super) lon: f64,
    pub(super) lat: f64,
    pub(super) idx: u32,
    pub(super) amenities: Amenities,
    /// The station's opening-hours expression id; [`Leaf::HOURS_ELSEWHERE`] when it has none or the id
    /// does not fit (then [`Index::hours_id`](super::Index::hours_id) has it).
    pub(super) hours: u16,
}

impl Leaf {
    pub(super) const HOURS_ELSEWHERE: u16 = u16::MAX;
}

/// A station's position in a tree, and its index in the dataset.
#[derive(Debug, Clone, Copy)]
pub(super) struct Item {
    pub(super) p: [f32; 3],
    pub(super) leaf: Leaf,
}

impl Item {
    pub(super) fn new(e: &Entry, idx: u32) -> Item {
        let (lon, lat, hours_id) = (e.lon, e.lat, e.hours);
        Item {
            p: unit_vector(lon, lat).map(|x| x as f32),
            leaf: Leaf {
                lon,
                lat,
                idx,
                amenities: e.amenities,
                hours: u16::try_from(hours_id)
                    .ok()
                    .filter(|&h| h != Leaf::HOURS_ELSEWHERE)
                    .unwrap_or(Leaf::HOURS_ELSEWHERE),
            },
        }
    }
}

pub(super) struct Tree(RTree<GeomWithData<[f32; 3], Leaf>>);

impl Tree {
    /// Bulk loading (STR packing): `O(n log n)`, and far tighter nodes than inserting one by one.
    pub(super) fn build(items: Vec<Item>) -> Tree {
        Tree(RTree::bulk_load(
            items
                .into_iter()
                .map(|i| GeomWithData::new(i.p, i.leaf))
                .collect(),
        ))
    }

    pub(super) fn len(&self) -> usize {
        self.0.size()
    }

    /// Every point inside the box `[lo, hi]` widened by [`F32_SLACK`], so that no station whose exact
    /// position is inside is missed (the caller checks candidates exactly).
    pub(super) fn locate(&self, lo: [f64; 3], hi: [f64; 3], mut f: impl FnMut(&Leaf)) {
        let env = AABB::from_corners(
            lo.map(|x| (x - F32_SLACK) as f32),
            hi.map(|x| (x + F32_SLACK) as f32),
        );
        for p in self.0.locate_in_envelope(&env) {
            f(&p.data);
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
pub(super) struct Search<'a> {
    walks: Vec<Walk<'a>>,
    heap: BinaryHeap<Next>,
}

impl<'a> Search<'a> {
    pub(super) fn new(trees: Vec<&'a Tree>, q: [f64; 3]) -> Search<'a> {
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
