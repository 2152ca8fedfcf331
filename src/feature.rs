//! The GeoJSON shape of a station: one serializer for API responses and for the stored dataset file, so that
//! what is stored, what is served and what an admin downloads can never drift apart.

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use crate::crs::Crs;
use crate::station::{Amenities, Station};

/// Per-response values added to a feature's properties.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra {
    /// `Some(v)` in responses (v itself may be unknown: `null`); `None` in the stored file.
    pub open_now: Option<Option<bool>>,
    pub distance_m: Option<f64>,
    pub along_m: Option<f64>,
}

/// Metres rounded to 0.1 m, as the contract asks.
pub fn round_dm(m: f64) -> f64 {
    (m * 10.0).round() / 10.0
}

struct AmenityKeys(Amenities);

impl Serialize for AmenityKeys {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for a in self.0.iter() {
            seq.serialize_element(a.key())?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Point {
    #[serde(rename = "type")]
    ty: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
struct Properties<'a> {
    name: &'a str,
    kind: &'static str,
    host_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    district: Option<&'a str>,
    amenities: AmenityKeys,
    #[serde(skip_serializing_if = "Option::is_none")]
    opening_hours: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_now: Option<Option<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    along_m: Option<f64>,
}

/// A station as a GeoJSON Feature, coordinates in `crs`.
#[derive(Serialize)]
pub struct Feature<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    id: &'a str,
    geometry: Point,
    properties: Properties<'a>,
}

impl<'a> Feature<'a> {
    pub fn new(s: &'a Station, crs: Crs, extra: Extra) -> Self {
        let (lon, lat) = crs.from_wgs84(s.position.lon(), s.position.lat());
        Feature {
            ty: "Feature",
            id: s.id(),
            geometry: Point {
                ty: "Point",
                coordinates: [lon, lat],
            },
            properties: Properties {
                name: s.name(),
                kind: s.kind.key(),
                host_type: s.host_type.key(),
                address: s.address(),
                district: s.district(),
                amenities: AmenityKeys(s.amenities),
                opening_hours: s.opening_hours(),
                phone: s.phone(),
                open_now: extra.open_now,
                distance_m: extra.distance_m.map(round_dm),
                along_m: extra.along_m.map(round_dm),
            },
        }
    }
}

/// The canonical stored form of a dataset: a WGS-84 FeatureCollection, one feature per line, in id order.
/// Its bytes define the dataset version.
pub fn write_collection<W: std::io::Write>(stations: &[Station], mut w: W) -> std::io::Result<()> {
    w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")?;
    for (i, s) in stations.iter().enumerate() {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut w, &Feature::new(s, Crs::Wgs84, Extra::default()))?;
    }
    w.write_all(b"\n]}\n")
}
