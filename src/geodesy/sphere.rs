//! The sphere of the contract (R = 6 371 008.8 m): great-circle distances, and unit vectors with the few
//! vector operations the index and routes need.
//!
//! The index works on 3-D unit vectors because the straight-line (chord) distance between two of them grows
//! monotonically with the great-circle angle, so a Euclidean R-tree gives great-circle order exactly, with no
//! special cases at the antimeridian or the poles.

/// The sphere radius of the contract; the same value as `geo::Haversine`.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A point or direction in 3-D.
pub type V = [f64; 3];

/// Great-circle distance in metres on the sphere of the contract. Clamped so that antipodal points give πR
/// rather than NaN.
///
/// ```
/// use yizhan::geodesy::sphere::haversine_m;
/// // Tian'anmen to the Bird's Nest stadium: about 9.4 km.
/// let d = haversine_m(116.3975, 39.9087, 116.3972, 39.9929);
/// assert!((d - 9_363.0).abs() < 1.0, "{d}");
/// ```
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The unit vector of a lon/lat position (degrees).
pub fn unit_vector(lon: f64, lat: f64) -> V {
    let (lo, la) = (lon.to_radians(), lat.to_radians());
    let c = la.cos();
    [c * lo.cos(), c * lo.sin(), la.sin()]
}

/// The chord between two unit vectors at great-circle distance `metres`.
pub fn chord_for(metres: f64) -> f64 {
    let half_angle = (metres / (2.0 * EARTH_RADIUS_M)).min(std::f64::consts::FRAC_PI_2);
    2.0 * half_angle.sin()
}

pub fn dot(a: V, b: V) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn cross(a: V, b: V) -> V {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub fn norm(a: V) -> f64 {
    dot(a, a).sqrt()
}

pub fn scale(a: V, s: f64) -> V {
    [a[0] * s, a[1] * s, a[2] * s]
}

/// The angle between two unit vectors, stable for tiny and near-antipodal angles alike (`atan2` of the
/// cross and dot products, where `acos` of the dot product loses precision near 0 and π).
pub fn angle(a: V, b: V) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_matches_geo() {
        assert_eq!(EARTH_RADIUS_M, geo::Haversine.radius());
    }

    #[test]
    fn haversine_agrees_with_geo_and_handles_antipodes() {
        use geo::Distance;
        let ours = haversine_m(23.319941, 42.698334, 24.742168, 42.136097);
        let theirs = geo::Haversine.distance(
            geo::Point::new(23.319941, 42.698334),
            geo::Point::new(24.742168, 42.136097),
        );
        assert!((ours - theirs).abs() < 1e-6);
        let anti = haversine_m(0.0, 0.0, 180.0, 0.0);
        assert!((anti - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1e-6);
        assert!(haversine_m(10.0, 89.999_999_9, -170.0, 89.999_999_9).is_finite());
    }

    #[test]
    fn chord_and_angle_agree_with_haversine() {
        let (a, b) = ((116.3, 39.9), (116.5, 40.1));
        let d = haversine_m(a.0, a.1, b.0, b.1);
        let (ua, ub) = (unit_vector(a.0, a.1), unit_vector(b.0, b.1));
        assert!((angle(ua, ub) * EARTH_RADIUS_M - d).abs() < 1e-6);
        let chord = norm([ua[0] - ub[0], ua[1] - ub[1], ua[2] - ub[2]]);
        assert!((chord_for(d) - chord).abs() < 1e-12);
    }
}
