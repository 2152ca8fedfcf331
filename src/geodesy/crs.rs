//! China's web-map coordinate systems.
//!
//! GPS gives WGS-84; Amap and Tencent draw GCJ-02 (an obfuscated offset of a few hundred metres inside mainland
//! China); Baidu draws BD-09 (a further rotation of GCJ-02). Stations are always stored in WGS-84, and these
//! functions convert at the edges of the API. The forward formulas are the standard published ones; the
//! GCJ-02 inverse is iterative because the one-step inverse is off by up to ~3.4 m in Beijing.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

/// Semi-major axis and eccentricity² of Krasovsky 1940, which the GCJ-02 formulas use.
const A: f64 = 6_378_245.0;
#[allow(clippy::excessive_precision)] // the published constant, verbatim
const EE: f64 = 0.006_693_421_622_965_943_23;
const X_PI: f64 = PI * 3000.0 / 180.0;

/// A coordinate reference system that clients may speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Crs {
    /// GPS and RFC 7946: the canonical form.
    #[default]
    Wgs84,
    /// Amap, Tencent.
    Gcj02,
    /// Baidu.
    Bd09,
}

/// The names accepted in `crs=`, for error messages.
pub const CRS_NAMES: &str = "wgs84, gcj02, bd09";

impl Crs {
    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    /// Converts a WGS-84 `(lon, lat)` into this system.
    ///
    /// ```
    /// use yizhan::geodesy::crs::Crs;
    /// // A published vector: WGS-84 (116.404, 39.915) is GCJ-02 (116.41024449916938, 39.91640428150164).
    /// let (lon, lat) = Crs::Gcj02.from_wgs84(116.404, 39.915);
    /// assert!((lon - 116.41024449916938).abs() < 1e-9 && (lat - 39.91640428150164).abs() < 1e-9);
    /// // And back, exactly (the inverse is iterative, not the one-step formula that is metres off).
    /// let (x, y) = Crs::Gcj02.to_wgs84(lon, lat);
    /// assert!((x - 116.404).abs() < 1e-9 && (y - 39.915).abs() < 1e-9);
    /// ```
    pub fn from_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 => (lon, lat),
            Crs::Gcj02 => wgs84_to_gcj02(lon, lat),
            // Like GCJ-02, BD-09 leaves points outside China where they are (contract: not shifted).
            Crs::Bd09 if out_of_china(lon, lat) => (lon, lat),
            Crs::Bd09 => {
                let (x, y) = wgs84_to_gcj02(lon, lat);
                gcj02_to_bd09(x, y)
            }
        }
    }

    /// Converts a `(lon, lat)` in this system into WGS-84.
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 => (lon, lat),
            Crs::Gcj02 => gcj02_to_wgs84(lon, lat),
            Crs::Bd09 if out_of_china(lon, lat) => (lon, lat),
            Crs::Bd09 => {
                let (x, y) = bd09_to_gcj02_exact(lon, lat);
                gcj02_to_wgs84(x, y)
            }
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown name in `crs=`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown crs {0:?}; use one of {CRS_NAMES}")]
pub struct UnknownCrs(pub String);

impl FromStr for Crs {
    type Err = UnknownCrs;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" | "wgs-84" | "epsg:4326" => Ok(Crs::Wgs84),
            "gcj02" | "gcj-02" => Ok(Crs::Gcj02),
            "bd09" | "bd-09" | "bd09ll" => Ok(Crs::Bd09),
            _ => Err(UnknownCrs(s.to_owned())),
        }
    }
}

/// The rough rectangle that the GCJ-02 obfuscation applies to. Everything else is passed through unshifted,
/// as every published implementation does.
pub fn out_of_china(lon: f64, lat: f64) -> bool {
    !(73.66 < lon && lon < 135.05 && 3.86 < lat && lat < 53.55)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// The GCJ-02 offset `(dlon, dlat)` at a WGS-84 point inside China.
fn gcj02_delta(lon: f64, lat: f64) -> (f64, f64) {
    let dlat = transform_lat(lon - 105.0, lat - 35.0);
    let dlon = transform_lon(lon - 105.0, lat - 35.0);
    let radlat = lat / 180.0 * PI;
    let magic = 1.0 - EE * radlat.sin() * radlat.sin();
    let sq = magic.sqrt();
    let dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sq) * PI);
    let dlon = (dlon * 180.0) / (A / sq * radlat.cos() * PI);
    (dlon, dlat)
}

pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (dlon, dlat) = gcj02_delta(lon, lat);
    (lon + dlon, lat + dlat)
}

/// The iterative inverse: Newton-like fixed-point steps until the forward transform of the estimate lands on
/// the input to better than 1e-10° (≈ 0.01 mm); converges in a handful of steps because the offset varies slowly.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (mut x, mut y) = (lon, lat);
    // Start from the one-step inverse.
    let (dx, dy) = gcj02_delta(lon, lat);
    x -= dx;
    y -= dy;
    for _ in 0..30 {
        let (fx, fy) = wgs84_to_gcj02(x, y);
        let (ex, ey) = (fx - lon, fy - lat);
        if ex.abs() < 1e-12 && ey.abs() < 1e-12 {
            break;
        }
        x -= ex;
        y -= ey;
    }
    (x, y)
}

pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let t = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * t.cos() + 0.0065, z * t.sin() + 0.006)
}

pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - 0.0065;
    let y = lat - 0.006;
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let t = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    (z * t.cos(), z * t.sin())
}

/// The BD-09 inverse refined like the GCJ-02 one: the published one-step inverse is off by up to ~1e-6°
/// (≈ 10 cm) and far more at the edges of China.
pub fn bd09_to_gcj02_exact(lon: f64, lat: f64) -> (f64, f64) {
    let (mut x, mut y) = bd09_to_gcj02(lon, lat);
    for _ in 0..30 {
        let (fx, fy) = gcj02_to_bd09(x, y);
        let (ex, ey) = (fx - lon, fy - lat);
        if ex.abs() < 1e-12 && ey.abs() < 1e-12 {
            break;
        }
        x -= ex;
        y -= ey;
    }
    (x, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published vectors in `shared/crs-test-vectors.json`, copied here so the unit tests run without it;
    /// `tests/crs_vectors.rs` also reads the shared file when it is present.
    fn close(a: (f64, f64), b: (f64, f64), tol: f64) -> bool {
        (a.0 - b.0).abs() < tol && (a.1 - b.1).abs() < tol
    }

    #[test]
    fn forward_vectors() {
        assert!(close(
            wgs84_to_gcj02(116.404, 39.915),
            (116.41024449916938, 39.91640428150164),
            1e-12
        ));
        assert!(close(
            wgs84_to_gcj02(116.377817, 39.911954),
            (116.38404722455657, 39.91334545536069),
            1e-12
        ));
        assert!(close(
            wgs84_to_gcj02(121.5272106, 31.1774276),
            (121.531541859215, 31.17530398364597),
            1e-12
        ));
        assert!(close(
            gcj02_to_bd09(116.404, 39.915),
            (116.41036949371029, 39.92133699351021),
            1e-12
        ));
        assert!(close(
            bd09_to_gcj02(116.404, 39.915),
            (116.39762729119315, 39.90865673957631),
            1e-12
        ));
        assert!(close(
            Crs::Bd09.from_wgs84(116.404, 39.915),
            (116.41662724378733, 39.922699552216216),
            1e-12
        ));
    }

    #[test]
    fn iterative_inverse_is_exact() {
        let got = gcj02_to_wgs84(116.404, 39.915);
        assert!(
            close(got, (116.39775575457485, 39.913596235609404), 1e-10),
            "{got:?}"
        );
        // and it round-trips to well under a centimetre (1e-7° ≈ 1 cm)
        let back = wgs84_to_gcj02(got.0, got.1);
        assert!(close(back, (116.404, 39.915), 1e-10));
    }

    #[test]
    fn outside_china_is_unchanged() {
        for (x, y) in [(2.3522, 48.8566), (-74.006, 40.7128), (151.2093, -33.8688)] {
            for crs in [Crs::Wgs84, Crs::Gcj02, Crs::Bd09] {
                assert_eq!(crs.from_wgs84(x, y), (x, y));
                assert_eq!(crs.to_wgs84(x, y), (x, y));
            }
        }
    }

    #[test]
    fn parse_names() {
        assert_eq!("GCJ02".parse::<Crs>(), Ok(Crs::Gcj02));
        assert_eq!("bd09".parse::<Crs>(), Ok(Crs::Bd09));
        assert!("utm".parse::<Crs>().is_err());
    }

    proptest::proptest! {
        #[test]
        fn roundtrip_inside_china(lon in 74.0f64..135.0, lat in 4.0f64..53.5) {
            for crs in [Crs::Gcj02, Crs::Bd09] {
                let (x, y) = crs.from_wgs84(lon, lat);
                let (bx, by) = crs.to_wgs84(x, y);
                // 1e-7° is about a centimetre
                proptest::prop_assert!((bx - lon).abs() < 1e-7 && (by - lat).abs() < 1e-7, "{crs} {lon},{lat} -> {bx},{by}");
            }
        }
    }
}
