//! Lon/lat boxes, and the 3-D boxes that bound their unit vectors for the R-tree.

use rstar::AABB;

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
    pub(super) fn parts(&self) -> Vec<(f64, f64)> {
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
pub(super) fn envelope_3d(l0: f64, l1: f64, min_lat: f64, max_lat: f64) -> AABB<[f64; 3]> {
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
