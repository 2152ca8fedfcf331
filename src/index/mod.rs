//! The spatial index: exact great-circle nearest-k, lon/lat box and along-a-route queries, everywhere on Earth.
//!
//! Stations are indexed as 3-D unit vectors (see [`crate::geodesy::sphere`]): an ordinary Euclidean R-tree in
//! 3-D then gives great-circle order exactly, with no special cases at the antimeridian or the poles.
//!
//! Filters: a best-first walk of the main tree that skips non-matching stations is fine while matches are
//! common, but degrades to a scan of the neighbourhood when they are rare (≈ k / selectivity visits). So every
//! selective flag (an amenity or the derived 24h flag held by at most [`SELECTIVE_SHARE`] of the stations) gets a
//! tree of its own, and a filtered query walks the tree of its rarest flag.
//!
//! The index knows stations only as [`Entry`]s: a position, flags and an opening-hours expression id. Whether
//! an expression is open is decided elsewhere ([`crate::domain::hours`]) and handed in as one bit per id.

mod along;
mod bbox;
mod envelope;
mod nearest;
pub mod route;
mod text;
mod tree;

pub use along::{AlongHit, AlongQuery};
pub use envelope::BBox;
pub use nearest::{Hit, Nearest};
pub use route::Route;
pub use text::{Candidates, TextIndex};

use crate::domain::Amenities;
use tree::{Item, Tree};

/// A flag gets its own tree when at most this share of stations has it.
pub const SELECTIVE_SHARE: f64 = 0.25;

/// An opening-hours expression gets its own tree when at most this share of stations has it. Whenever a larger
/// expression is open, the open stations are at least this share, and the main (or flag) tree walked with the
/// `open_now` test finds k of them among ≈ k / share candidates (200 for k = 10): fast enough, so only the
/// small expressions, which can make up the whole open set at night, need trees. Trees for every expression
/// would cost as much memory again as the main tree.
pub const HOURS_TREE_SHARE: f64 = 0.05;

/// What the index holds of one station.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    /// WGS-84 degrees.
    pub lon: f64,
    pub lat: f64,
    /// Amenities and the derived 24h flag.
    pub amenities: Amenities,
    /// The station's opening-hours expression id, or [`crate::domain::NO_HOURS`].
    pub hours: u32,
}

/// The R-trees over one dataset. Entries keep the order they were given in (a station's position there is its
/// index in every answer).
pub struct Index {
    main: Tree,
    /// Trees for selective flags: `(flag bits, tree)`.
    selective: Vec<(Amenities, Tree)>,
    /// Per expression id: open at all times (its stations are in the 24h flag's tree).
    always_open: Vec<bool>,
    /// Each station's expression id.
    hours_id: Vec<u32>,
    /// Per expression, a tree of its stations when it is selective. At 3 a.m. only a few expressions are
    /// open; an `open_now` query then walks just their trees at once, instead of skipping through every closed
    /// station around it. Expressions open at all times have none: their stations are the 24h flag's tree.
    by_hours: Vec<Option<Tree>>,
}

impl Index {
    /// Bulk-loads the trees (`O(n log n)`). `always_open[e]` says whether expression `e` is open at all times.
    ///
    /// ```
    /// use yizhan::domain::{Amenities, NO_HOURS};
    /// use yizhan::index::{Entry, Index, Nearest};
    ///
    /// let at = |lon, lat| Entry { lon, lat, amenities: Amenities::default(), hours: NO_HOURS };
    /// // Tian'anmen, the Bird's Nest, Beijing West station.
    /// let index = Index::build(vec![at(116.3975, 39.9087), at(116.3972, 39.9929), at(116.3220, 39.8950)], vec![]);
    /// let q = Nearest { lon: 116.39, lat: 39.91, k: 2, max_distance_m: None, required: Amenities::default() };
    /// let hits = index.nearest(&q, None, |_| true);
    /// assert_eq!(hits.iter().map(|h| h.idx).collect::<Vec<_>>(), vec![0, 2]);
    /// assert!((hits[0].distance_m - 655.8).abs() < 0.1, "{}", hits[0].distance_m);
    /// ```
    pub fn build(entries: impl IntoIterator<Item = Entry>, always_open: Vec<bool>) -> Index {
        let mut hours_id = Vec::new();
        let items: Vec<Item> = entries
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                hours_id.push(e.hours);
                Item::new(&e, i as u32)
            })
            .collect();
        hours_id.shrink_to_fit();
        let n = items.len();
        let selective_size =
            |count: usize| count > 0 && (count as f64) <= SELECTIVE_SHARE * n as f64;
        let mut selective = Vec::new();
        for bit in 0..16u16 {
            let flag = Amenities::from_bits(1 << bit);
            let count = items
                .iter()
                .filter(|e| e.leaf.amenities.has_all(flag))
                .count();
            if selective_size(count) {
                let sub: Vec<Item> = items
                    .iter()
                    .filter(|e| e.leaf.amenities.has_all(flag))
                    .copied()
                    .collect();
                selective.push((flag, Tree::build(sub)));
            }
        }
        let mut counts = vec![0usize; always_open.len()];
        for &h in &hours_id {
            if let Some(c) = counts.get_mut(h as usize) {
                *c += 1;
            }
        }
        let wanted: Vec<bool> = always_open
            .iter()
            .zip(&counts)
            .map(|(&always, &c)| !always && c > 0 && (c as f64) <= HOURS_TREE_SHARE * n as f64)
            .collect();
        let mut members: Vec<Vec<Item>> = counts
            .iter()
            .zip(&wanted)
            .map(|(&c, &w)| Vec::with_capacity(if w { c } else { 0 }))
            .collect();
        for (e, &h) in items.iter().zip(&hours_id) {
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
            main: Tree::build(items),
            selective,
            always_open,
            hours_id,
            by_hours,
        }
    }

    /// A station's expression id, or [`crate::domain::NO_HOURS`].
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
                _ if self.always_open.get(e) == Some(&true) => always = true,
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
}

#[cfg(test)]
mod tests;
