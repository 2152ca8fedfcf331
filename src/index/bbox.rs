//! Stations inside a lon/lat box.

use super::envelope::{envelope_3d, BBox};
use super::Index;
use crate::domain::Amenities;

impl Index {
    /// Indices of the stations inside `bbox` that have every flag in `required`, ascending (id order).
    pub fn in_bbox(&self, bbox: &BBox, required: Amenities) -> Vec<u32> {
        let tree = self.rarest_flag_tree(required);
        let mut out: Vec<u32> = Vec::new();
        for (l0, l1) in bbox.parts() {
            let env = envelope_3d(l0, l1, bbox.min_lat, bbox.max_lat);
            tree.locate(env.lower(), env.upper(), |leaf| {
                if leaf.amenities.has_all(required) && bbox.contains(leaf.lon, leaf.lat) {
                    out.push(leaf.idx);
                }
            });
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
