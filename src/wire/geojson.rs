//! Every GeoJSON writer: a station as a Feature, the FeatureCollection envelopes of the read responses, and the
//! stored dataset file. One serializer for all of them, so that what is stored, what is served and what an
//! admin downloads can never drift apart.

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use chrono::{NaiveDate, Utc};

use super::instant::write_instant;
use crate::domain::{Amenities, Station, Status};
use crate::geodesy::crs::Crs;

/// Per-response values added to a feature's properties.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra<'a> {
    /// `Some(v)` in responses (v itself may be unknown: `null`); `None` in the stored file.
    pub open_now: Option<Option<bool>>,
    /// `Some(v)` in responses: when `open_now` next flips (`null`: never within the horizon, or unknown).
    pub next_change_at: Option<Option<DateTime<FixedOffset>>>,
    pub distance_m: Option<f64>,
    pub along_m: Option<f64>,
    /// The station's state as read on the response's day; `None` in the stored file (state is not part of a
    /// dataset version).
    pub state: Option<StateOut<'a>>,
}

/// A station's state as a response shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StateOut<'a> {
    /// The status on the response's day: a closure whose `reopens_on` has come reads as open.
    pub status: Status,
    /// Only while closed.
    pub status_note: Option<&'a str>,
    /// Only while closed.
    pub reopens_on: Option<NaiveDate>,
    pub verified_at: Option<DateTime<Utc>>,
    /// Reports that are received or in progress; `None` in a download (it is not the station's data).
    pub open_reports: Option<u32>,
}

/// An instant as the API writes it: RFC 3339, UTC, whole seconds.
fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

struct Stamp(DateTime<Utc>);

impl Serialize for Stamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339(&self.0))
    }
}

/// Metres rounded to 0.1 m, as the contract asks.
pub fn round_dm(m: f64) -> f64 {
    (m * 10.0).round() / 10.0
}

struct AmenityKeys(Amenities);

/// The JSON array of a set's amenity keys. Ten amenities make 1,024 sets, so each array is written once (≈ 40 KB
/// in all) and a feature copies its own in one go instead of writing and escape-checking each key.
fn amenities_json(a: Amenities) -> &'static [u8] {
    static TABLE: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    const SETS: usize = 1 << crate::domain::Amenity::ALL.len();
    let table = TABLE.get_or_init(|| {
        (0..SETS)
            .map(|bits| {
                let keys: Vec<&str> = Amenities::from_bits(bits as u16)
                    .iter()
                    .map(|a| a.key())
                    .collect();
                serde_json::to_vec(&keys).unwrap_or_default()
            })
            .collect()
    });
    let bits = usize::from(a.bits()) & (SETS - 1);
    table.get(bits).map_or(b"[]", Vec::as_slice)
}

/// An instant as RFC 3339 to the second with its offset (`2026-10-08T09:00:00+08:00`): the zone's wall-clock
/// time is what a rider reads.
#[derive(Debug, Clone, Copy)]
struct Rfc3339(DateTime<FixedOffset>);

impl Rfc3339 {
    /// Appends the text (see [`write_instant`]), through chrono for years outside 0000–9999 or offsets with
    /// seconds.
    fn write(&self, out: &mut Vec<u8>) {
        let off = self.0.offset().local_minus_utc();
        if !write_instant(out, self.0.timestamp(), off, false) {
            out.extend_from_slice(
                self.0
                    .to_rfc3339_opts(SecondsFormat::Secs, false)
                    .as_bytes(),
            );
        }
    }
}

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = Vec::with_capacity(25);
        self.write(&mut buf);
        s.serialize_str(std::str::from_utf8(&buf).unwrap_or_default())
    }
}

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
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reopens_on: Option<String>,
    /// `Some(None)`: never confirmed (`null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    verified_at: Option<Option<Stamp>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_reports: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_now: Option<Option<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_change_at: Option<Option<Rfc3339>>,
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
    pub fn new(s: &'a Station, crs: Crs, extra: Extra<'a>) -> Self {
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
                status: extra.state.map(|st| st.status.key()),
                status_note: extra.state.and_then(|st| st.status_note),
                reopens_on: extra
                    .state
                    .and_then(|st| st.reopens_on)
                    .map(|d| d.to_string()),
                verified_at: extra.state.map(|st| st.verified_at.map(Stamp)),
                open_reports: extra.state.and_then(|st| st.open_reports),
                open_now: extra.open_now,
                next_change_at: extra.next_change_at.map(|n| n.map(Rfc3339)),
                distance_m: extra.distance_m.map(round_dm),
                along_m: extra.along_m.map(round_dm),
            },
        }
    }
}

impl Feature<'_> {
    /// Appends exactly the bytes `serde_json::to_writer(self)` would (a test holds the two equal), but copies
    /// strings that need no escaping in one go: a nearest-10 response is ≈ 4.5 KB, mostly CJK names and
    /// addresses, and serde's byte-at-a-time escaping of them was the largest single cost of a read request.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"type\":\"Feature\",\"id\":");
        write_str(out, self.id);
        out.extend_from_slice(b",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
        write_f64(out, self.geometry.coordinates[0]);
        out.push(b',');
        write_f64(out, self.geometry.coordinates[1]);
        let p = &self.properties;
        out.extend_from_slice(b"]},\"properties\":{\"name\":");
        write_str(out, p.name);
        out.extend_from_slice(b",\"kind\":");
        write_str(out, p.kind);
        out.extend_from_slice(b",\"host_type\":");
        write_str(out, p.host_type);
        write_opt_str(out, b",\"address\":", p.address);
        write_opt_str(out, b",\"district\":", p.district);
        out.extend_from_slice(b",\"amenities\":");
        out.extend_from_slice(amenities_json(p.amenities.0));
        write_opt_str(out, b",\"opening_hours\":", p.opening_hours);
        write_opt_str(out, b",\"phone\":", p.phone);
        write_opt_str(out, b",\"status\":", p.status);
        write_opt_str(out, b",\"status_note\":", p.status_note);
        write_opt_str(out, b",\"reopens_on\":", p.reopens_on.as_deref());
        match &p.verified_at {
            None => {}
            Some(None) => out.extend_from_slice(b",\"verified_at\":null"),
            Some(Some(t)) => {
                out.extend_from_slice(b",\"verified_at\":\"");
                if !write_instant(out, t.0.timestamp(), 0, true) {
                    out.extend_from_slice(rfc3339(&t.0).as_bytes());
                }
                out.push(b'"');
            }
        }
        if let Some(n) = p.open_reports {
            out.extend_from_slice(b",\"open_reports\":");
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        }
        if let Some(open) = p.open_now {
            out.extend_from_slice(match open {
                Some(true) => b",\"open_now\":true",
                Some(false) => b",\"open_now\":false",
                None => b",\"open_now\":null",
            });
        }
        if let Some(next) = p.next_change_at {
            out.extend_from_slice(b",\"next_change_at\":");
            match next {
                Some(t) => {
                    out.push(b'"');
                    t.write(out);
                    out.push(b'"');
                }
                None => out.extend_from_slice(b"null"),
            }
        }
        if let Some(d) = p.distance_m {
            out.extend_from_slice(b",\"distance_m\":");
            write_f64(out, d);
        }
        if let Some(d) = p.along_m {
            out.extend_from_slice(b",\"along_m\":");
            write_f64(out, d);
        }
        out.extend_from_slice(b"}}");
    }
}

fn write_opt_str(out: &mut Vec<u8>, key: &[u8], v: Option<&str>) {
    if let Some(v) = v {
        out.extend_from_slice(key);
        write_str(out, v);
    }
}

/// A JSON string as serde_json writes it.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        let mut ser = serde_json::Serializer::new(&mut *out);
        // Writing into a Vec cannot fail, and a &str always serialises.
        let _ = s.serialize(&mut ser);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// A number as serde_json writes an f64 (shortest round-trip digits; `null` when not finite).
pub fn write_f64(out: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(x).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Whether serde_json would escape any byte of `b` (`"`, `\\` or a control character below 0x20), eight
/// bytes at a time: CJK text is all bytes ≥ 0x80 and never needs it.
fn needs_escape(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // Exact as a yes/no answer: some byte of v is zero.
    let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI != 0;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        let below_space = x.wrapping_sub(LO * 0x20) & !x & HI != 0;
        if below_space
            || has_zero(x ^ (LO * u64::from(b'"')))
            || has_zero(x ^ (LO * u64::from(b'\\')))
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&c| c < 0x20 || c == b'"' || c == b'\\')
}

/// The canonical stored form of a dataset: a WGS-84 FeatureCollection, one feature per line, in id order.
/// Its bytes define the dataset version.
pub fn write_collection<W: std::io::Write>(stations: &[Station], mut w: W) -> std::io::Result<()> {
    w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")?;
    let mut buf = Vec::with_capacity(1024);
    for (i, s) in stations.iter().enumerate() {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        buf.clear();
        Feature::new(s, Crs::Wgs84, Extra::default()).write_json(&mut buf);
        w.write_all(&buf)?;
    }
    w.write_all(b"\n]}\n")
}

/// The download form of a dataset with its stations' state: the stored form, with `status`, `status_note`,
/// `reopens_on` and `verified_at` added to each station that has a state, written `from` station `from`
/// on, at most `n` stations (so that a large dataset can be streamed in pieces). The pieces concatenated
/// equal the stored file when no station has a state, and an upload of them restores the same state.
pub fn write_collection_part<'a>(
    stations: &'a [Station],
    state_of: impl Fn(usize) -> Option<StateOut<'a>>,
    from: usize,
    n: usize,
    out: &mut Vec<u8>,
) {
    if from == 0 {
        out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[");
    }
    let end = (from + n).min(stations.len());
    for (i, s) in stations.iter().enumerate().take(end).skip(from) {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        let extra = Extra {
            state: state_of(i),
            ..Extra::default()
        };
        Feature::new(s, Crs::Wgs84, extra).write_json(out);
    }
    if end == stations.len() {
        out.extend_from_slice(b"\n]}\n");
    }
}

/// A read response's FeatureCollection, written straight into one buffer (see [`Feature::write_json`]): the
/// features, their `count`, the `total` of a paged list, the dataset version and, unless WGS-84, the crs.
pub fn write_response_collection(
    features: &[Feature<'_>],
    total: Option<usize>,
    dataset_version: &str,
    crs: Crs,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + 640 * features.len());
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[");
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        f.write_json(&mut out);
    }
    out.extend_from_slice(b"],\"count\":");
    out.extend_from_slice(itoa::Buffer::new().format(features.len()).as_bytes());
    if let Some(t) = total {
        out.extend_from_slice(b",\"total\":");
        out.extend_from_slice(itoa::Buffer::new().format(t).as_bytes());
    }
    out.extend_from_slice(b",\"dataset_version\":");
    write_str(&mut out, dataset_version);
    if crs != Crs::Wgs84 {
        out.extend_from_slice(b",\"crs\":");
        write_str(&mut out, crs.as_str());
    }
    out.push(b'}');
    out
}

/// One station's response: its Feature with the dataset version (and the crs unless WGS-84) beside it.
#[derive(Serialize)]
pub struct Single<'a> {
    #[serde(flatten)]
    pub feature: Feature<'a>,
    pub dataset_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crs: Option<&'static str>,
}

impl<'a> Single<'a> {
    pub fn new(feature: Feature<'a>, dataset_version: &'a str, crs: Crs) -> Self {
        Single {
            feature,
            dataset_version,
            crs: (crs != Crs::Wgs84).then_some(crs.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    #[test]
    fn the_download_in_pieces_is_the_stored_file_when_no_station_has_state() {
        let stations: Vec<Station> = (0..7)
            .map(|i| {
                let id = StationId::parse(&format!("s{i}")).unwrap();
                let texts = Texts {
                    name: "驿站",
                    ..Texts::default()
                };
                let p = Position::new(116.0 + f64::from(i) / 10.0, 39.9).unwrap();
                Station::new(
                    &id,
                    texts,
                    Kind::Station,
                    HostType::Bank,
                    Amenities::default(),
                    None,
                    p,
                )
            })
            .collect();
        let mut stored = Vec::new();
        write_collection(&stations, &mut stored).unwrap();
        for n in [1, 3, 7, 100] {
            let mut parts = Vec::new();
            let mut from = 0;
            while from < stations.len() || from == 0 {
                write_collection_part(&stations, |_| None, from, n, &mut parts);
                from += n;
            }
            assert_eq!(
                String::from_utf8(parts).unwrap(),
                String::from_utf8(stored.clone()).unwrap(),
                "n={n}"
            );
        }
    }

    use proptest::prelude::*;

    use super::*;
    use crate::domain::{HostType, Hours, Kind, Position, StationId, Texts};

    /// Text drawn to hit both paths of `write_str`: plain CJK/ASCII, and every character serde escapes,
    /// at every offset within and across the 8-byte words.
    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("驿站".to_string()),
                Just("a".to_string()),
                Just("\"".to_string()),
                Just("\\".to_string()),
                (0u8..0x20).prop_map(|c| char::from(c).to_string()),
                Just("\u{7f}".to_string()),
                Just("é".to_string()),
                Just("😀".to_string()),
                Just(" ".to_string()),
            ],
            0..40,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn write_json_is_byte_identical_to_serde(
            name in text(), address in prop::option::of(text()), district in prop::option::of(text()),
            phone in prop::option::of(text()), id_tail in "[a驿\"\\\\ é]{0,30}", bits in any::<u16>(),
            lon in -180.0f64..=180.0, lat in -90.0f64..=90.0, gcj in any::<bool>(),
            hours in prop::option::of(prop_oneof![Just("24/7"), Just("Mo-Fr 08:00-18:00")]),
            open in prop::option::of(prop::option::of(any::<bool>())),
            distance in prop::option::of(0.0f64..2.0e7), along in prop::option::of(0.0f64..2.0e7),
            state in prop::option::of((any::<bool>(), prop::option::of(text()), prop::option::of(0i64..100_000), prop::option::of(0i64..4_000_000_000), any::<u32>())),
            next in prop::option::of(prop::option::of(-70_000_000_000i64..300_000_000_000)),
            offset_min in prop_oneof![Just(480), -720i32..=840],
        ) {
            let zone = chrono::FixedOffset::east_opt(offset_min * 60).unwrap();
            let next_change_at = next.map(|n| n.map(|s| chrono::DateTime::from_timestamp(s, 0).unwrap().with_timezone(&zone)));
            if let Some(Some(t)) = next_change_at {
                let mut text = Vec::new();
                Rfc3339(t).write(&mut text);
                prop_assert_eq!(String::from_utf8(text).unwrap(), t.to_rfc3339_opts(SecondsFormat::Secs, false));
            }
            let id = StationId::parse(&format!("x{id_tail}y"));
            prop_assume!(id.is_ok(), "ids reject control characters");
            let id = id.unwrap();
            let hours = hours.map(|h| Arc::new(Hours::parse(h).unwrap()));
            let s = Station::new(
                &id,
                Texts { name: &format!("n{name}"), address: address.as_deref(), district: district.as_deref(), phone: phone.as_deref() },
                Kind::Station,
                HostType::Bank,
                Amenities::from_bits(bits),
                hours,
                Position::new(lon, lat).unwrap(),
            );
            let crs = if gcj { Crs::Gcj02 } else { Crs::Wgs84 };
            let note = state.as_ref().and_then(|st| st.1.clone());
            let state = state.map(|(closed, _, day, at, open_reports)| StateOut {
                status: if closed { Status::TemporarilyClosed } else { Status::Open },
                status_note: note.as_deref(),
                reopens_on: day.and_then(|d| NaiveDate::from_num_days_from_ce_opt(700_000 + d as i32)),
                verified_at: at.and_then(|t| DateTime::from_timestamp(t, 0)),
                open_reports: Some(open_reports).filter(|n| n % 2 == 0),
            });
            let f = Feature::new(&s, crs, Extra { open_now: open, next_change_at, distance_m: distance, along_m: along, state });
            let mut fast = Vec::new();
            f.write_json(&mut fast);
            prop_assert_eq!(String::from_utf8(fast).unwrap(), serde_json::to_string(&f).unwrap());
        }
    }

    #[test]
    fn needs_escape_finds_each_escaped_byte_at_every_position() {
        for len in 0..20 {
            let plain = vec![b'a'; len];
            assert!(!needs_escape(&plain));
            for pos in 0..len {
                for c in (0u8..0x20).chain([b'"', b'\\']) {
                    let mut b = plain.clone();
                    b[pos] = c;
                    assert!(needs_escape(&b), "byte {c:#x} at {pos} of {len}");
                }
                for c in [b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xa2, 0xdc, 0xff] {
                    let mut b = plain.clone();
                    b[pos] = c;
                    assert!(!needs_escape(&b), "byte {c:#x} at {pos} of {len}");
                }
            }
        }
    }
}
