//! Query-string parsing with messages that name the parameter and what it accepts.
//!
//! Parsed by hand rather than with serde's `Query`, whose rejections are plain text and name no parameter.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::error::{ApiError, ApiResult};
use crate::domain::{Amenities, Amenity};
use crate::geodesy::crs::{Crs, CRS_NAMES};
use crate::index::BBox;

/// The filter token for "open at all times", accepted beside the amenity keys.
pub const TOKEN_24H: &str = "24h";
/// Longest accepted `q`, in characters.
pub const MAX_Q_CHARS: usize = 200;
/// Fewest points in an along `path`.
pub const MIN_PATH_POINTS: usize = 2;

/// Borrows from the query string: most values need no percent-decoding, so most requests copy nothing.
pub struct Params<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Params<'a> {
    /// Splits the query string. A parameter given twice is an error rather than a silent choice of one.
    pub fn parse(raw: Option<&'a str>) -> ApiResult<Params<'a>> {
        let mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(8);
        for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if pairs.iter().any(|(seen, _)| *seen == k) {
                return Err(ApiError::param(
                    &k,
                    format!("parameter {k} is given more than once"),
                ));
            }
            pairs.push((k, v));
        }
        Ok(Params { pairs })
    }

    /// An error naming the first parameter not in `known` (a misspelt `amenity=` must not silently return
    /// unfiltered results), listing the known ones.
    pub fn only(&self, known: &[&str]) -> ApiResult<()> {
        match self
            .pairs
            .iter()
            .find(|(k, _)| !known.contains(&k.as_ref()))
        {
            None => Ok(()),
            Some((k, _)) => Err(ApiError::param(
                k,
                format!(
                    "unknown parameter {k:?}; this endpoint takes {}",
                    known.join(", ")
                ),
            )),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_ref())
    }

    /// A present, non-blank value.
    fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn f64_in(&self, name: &str, min: f64, max: f64) -> ApiResult<Option<f64>> {
        let Some(v) = self.value(name) else {
            return Ok(None);
        };
        let range = || format!("{name} must be a number from {min} to {max}, got {v:?}");
        let x: f64 = v.parse().map_err(|_| ApiError::param(name, range()))?;
        if !x.is_finite() || x < min || x > max {
            return Err(ApiError::param(name, range()));
        }
        Ok(Some(x))
    }

    pub fn required_f64(&self, name: &str, min: f64, max: f64) -> ApiResult<f64> {
        self.f64_in(name, min, max)?.ok_or_else(|| {
            ApiError::param(
                name,
                format!("{name} is required: a number from {min} to {max}"),
            )
        })
    }

    pub fn positive_f64(&self, name: &str, max: f64) -> ApiResult<Option<f64>> {
        let Some(v) = self.value(name) else {
            return Ok(None);
        };
        let msg = || {
            format!("{name} must be a number of metres greater than 0 and at most {max}, got {v:?}")
        };
        let x: f64 = v.parse().map_err(|_| ApiError::param(name, msg()))?;
        if !x.is_finite() || x <= 0.0 || x > max {
            return Err(ApiError::param(name, msg()));
        }
        Ok(Some(x))
    }

    pub fn usize_in(&self, name: &str, min: usize, max: usize, default: usize) -> ApiResult<usize> {
        let Some(v) = self.value(name) else {
            return Ok(default);
        };
        let msg = || format!("{name} must be a whole number from {min} to {max}, got {v:?}");
        let n: usize = v.parse().map_err(|_| ApiError::param(name, msg()))?;
        if n < min || n > max {
            return Err(ApiError::param(name, msg()));
        }
        Ok(n)
    }

    pub fn bool(&self, name: &str) -> ApiResult<bool> {
        match self.value(name).map(str::to_ascii_lowercase).as_deref() {
            None | Some("false") | Some("0") | Some("no") => Ok(false),
            Some("true") | Some("1") | Some("yes") => Ok(true),
            Some(other) => Err(ApiError::param(
                name,
                format!("{name} must be true or false, got {other:?}"),
            )),
        }
    }

    pub fn crs(&self) -> ApiResult<Crs> {
        match self.value("crs") {
            None => Ok(Crs::Wgs84),
            Some(v) => v.parse().map_err(|_| {
                ApiError::param("crs", format!("crs must be one of {CRS_NAMES}, got {v:?}"))
            }),
        }
    }

    /// `amenities=water,charging,24h`: all must hold. Chinese labels are accepted as aliases.
    pub fn amenities(&self) -> ApiResult<Amenities> {
        let mut set = Amenities::default();
        let Some(v) = self.value("amenities") else {
            return Ok(set);
        };
        for token in v
            .split([',', '，'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if token.eq_ignore_ascii_case(TOKEN_24H) || token == "24小时" {
                set = set.union(Amenities::ALWAYS_OPEN);
                continue;
            }
            match Amenity::parse(token) {
                Ok(a) => set.insert(a),
                Err(_) => {
                    return Err(ApiError::param(
                        "amenities",
                        format!(
                            "unknown amenity {token:?} in amenities; valid: {}, {TOKEN_24H}",
                            Amenity::keys()
                        ),
                    ))
                }
            }
        }
        Ok(set)
    }

    /// `at` (RFC 3339) or now.
    pub fn at(&self) -> ApiResult<DateTime<Utc>> {
        match self.value("at") {
            None => Ok(Utc::now()),
            Some(v) => DateTime::parse_from_rfc3339(v).map(|t| t.with_timezone(&Utc)).map_err(|_| {
                ApiError::param("at", format!("at must be an RFC 3339 time such as 2026-11-25T10:30:00+08:00, got {v:?}"))
            }),
        }
    }

    /// `q`: lower-cased for case-insensitive matching.
    pub fn text(&self) -> ApiResult<Option<String>> {
        let Some(v) = self.value("q") else {
            return Ok(None);
        };
        if v.chars().count() > MAX_Q_CHARS {
            return Err(ApiError::param(
                "q",
                format!("q is longer than {MAX_Q_CHARS} characters"),
            ));
        }
        Ok(Some(v.to_lowercase()))
    }

    /// `path=lng,lat;lng,lat;…` (Amap style) with 2..=`max_points` points, converted from `crs` to WGS-84.
    pub fn path(&self, crs: Crs, max_points: usize) -> ApiResult<Vec<(f64, f64)>> {
        let v = self.value("path").ok_or_else(|| {
            ApiError::param(
                "path",
                format!("path is required: lng,lat pairs joined by ';', 2 to {max_points} points"),
            )
        })?;
        let msg = |why: String| {
            ApiError::param(
                "path",
                format!("path must be lng,lat pairs joined by ';' (2 to {max_points} points, longitudes in [-180, 180], latitudes in [-90, 90]): {why}"),
            )
        };
        let mut points = Vec::new();
        for (i, pair) in v
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            if i >= max_points {
                return Err(msg(format!("more than {max_points} points")));
            }
            let mut it = pair.split(',').map(|x| x.trim().parse::<f64>());
            let (Some(Ok(lon)), Some(Ok(lat)), None) = (it.next(), it.next(), it.next()) else {
                return Err(msg(format!("point {i} {pair:?} is not lng,lat")));
            };
            if !lon.is_finite()
                || !lat.is_finite()
                || !(-180.0..=180.0).contains(&lon)
                || !(-90.0..=90.0).contains(&lat)
            {
                return Err(msg(format!("point {i} {pair:?} is out of range")));
            }
            points.push(crs.to_wgs84(lon, lat));
        }
        if points.len() < MIN_PATH_POINTS {
            return Err(msg(format!("{} point(s) given", points.len())));
        }
        Ok(points)
    }

    /// `bbox=minLon,minLat,maxLon,maxLat`, converted from `crs` to WGS-84 corner by corner.
    pub fn bbox(&self, crs: Crs) -> ApiResult<Option<BBox>> {
        let Some(v) = self.value("bbox") else {
            return Ok(None);
        };
        let msg = |why: &str| {
            ApiError::param(
                "bbox",
                format!("bbox must be minLon,minLat,maxLon,maxLat with longitudes in [-180, 180], latitudes in [-90, 90] and minLat <= maxLat ({why}); got {v:?}"),
            )
        };
        let nums: Vec<f64> = v
            .split(',')
            .map(|s| s.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| msg("not four numbers"))?;
        let [a, b, c, d] = nums[..] else {
            return Err(msg("not four numbers"));
        };
        if ![a, b, c, d].iter().all(|x| x.is_finite()) {
            return Err(msg("not finite"));
        }
        if !(-180.0..=180.0).contains(&a) || !(-180.0..=180.0).contains(&c) {
            return Err(msg("longitude out of range"));
        }
        if !(-90.0..=90.0).contains(&b) || !(-90.0..=90.0).contains(&d) {
            return Err(msg("latitude out of range"));
        }
        if b > d {
            return Err(msg("minLat is greater than maxLat"));
        }
        let (min_lon, min_lat) = crs.to_wgs84(a, b);
        let (max_lon, max_lat) = crs.to_wgs84(c, d);
        Ok(Some(BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(q: &str) -> Params<'_> {
        Params::parse(Some(q)).unwrap()
    }

    #[test]
    fn numbers_reject_nan_inf_and_out_of_range() {
        for q in ["lat=NaN", "lat=inf", "lat=1e999", "lat=91", "lat=abc"] {
            assert!(p(q).f64_in("lat", -90.0, 90.0).is_err(), "{q}");
        }
        assert_eq!(
            p("lat=-90").f64_in("lat", -90.0, 90.0).unwrap(),
            Some(-90.0)
        );
        assert!(p("k=99999999999999999999")
            .usize_in("k", 1, 100, 5)
            .is_err());
        assert_eq!(p("").usize_in("k", 1, 100, 5).unwrap(), 5);
    }

    #[test]
    fn duplicates_are_rejected() {
        assert!(Params::parse(Some("k=1&k=2")).is_err());
    }

    #[test]
    fn amenities_with_24h_and_aliases() {
        let a = p("amenities=water,24h,充电").amenities().unwrap();
        assert!(
            a.has_all(Amenities::ALWAYS_OPEN)
                && a.contains(Amenity::Water)
                && a.contains(Amenity::Charging)
        );
        let err = p("amenities=unicorn").amenities().unwrap_err().to_string();
        assert!(err.contains("water") && err.contains("24h"), "{err}");
    }

    #[test]
    fn path_forms() {
        assert_eq!(
            p("path=116.3,39.9;116.4,39.95")
                .path(Crs::Wgs84, 2000)
                .unwrap()
                .len(),
            2
        );
        for bad in [
            "path=116.3,39.9",
            "path=abc",
            "path=116.3,39.9;200,39.9",
            "path=1,2,3;4,5",
            "",
            "path=1,2;3,NaN",
        ] {
            assert!(p(bad).path(Crs::Wgs84, 2000).is_err(), "{bad}");
        }
        assert!(p("path=1,2;3,4;5,6").path(Crs::Wgs84, 2).is_err());
    }

    #[test]
    fn bbox_forms() {
        assert!(p("bbox=1,2,3").bbox(Crs::Wgs84).is_err());
        assert!(p("bbox=0,50,10,40").bbox(Crs::Wgs84).is_err());
        assert!(p("bbox=0,-95,10,40").bbox(Crs::Wgs84).is_err());
        assert!(p("bbox=170,-10,-170,10")
            .bbox(Crs::Wgs84)
            .unwrap()
            .is_some());
    }
}
