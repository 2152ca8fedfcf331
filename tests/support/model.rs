//! A model of the dataset built from plain JSON, and the answers computed from it by brute force: never from
//! the crate's code, so that a test compares the service with an independent reading of the contract.

#![allow(dead_code)]

use serde_json::{json, Value};

use super::rng::Rng;

pub const AMENITIES: [&str; 10] = [
    "water",
    "charging",
    "rest",
    "heating",
    "cooling",
    "medicine",
    "microwave",
    "toilet",
    "wifi",
    "discount_meal",
];

/// One Chinese alias per amenity key, in the same order.
pub const AMENITY_ZH: [&str; 10] = [
    "饮水",
    "充电",
    "休息",
    "取暖",
    "纳凉",
    "药箱",
    "微波炉",
    "厕所",
    "无线网",
    "优惠餐",
];

pub const HOURS: [Option<&str>; 6] = [
    None,
    Some("24/7"),
    Some("Mo-Fr 09:00-18:00"),
    Some("Mo-Su 08:00-22:00"),
    Some("Mo-Sa 10:00-20:00; Su off"),
    Some("Mo-Su 00:00-24:00"),
];

#[derive(Debug, Clone)]
pub struct MSt {
    pub id: String,
    /// Uploaded as a JSON integer.
    pub int_id: bool,
    pub lon: f64,
    pub lat: f64,
    pub name: String,
    pub address: Option<String>,
    pub amenities: Vec<&'static str>,
    /// Upload the amenities as Chinese aliases.
    pub zh_aliases: bool,
    pub hours: Option<&'static str>,
    pub kind: &'static str,
    pub host_type: &'static str,
}

impl MSt {
    pub fn new(id: &str, lon: f64, lat: f64) -> MSt {
        MSt {
            id: id.to_owned(),
            int_id: false,
            lon,
            lat,
            name: format!("Station {id}"),
            address: None,
            amenities: vec![],
            zh_aliases: false,
            hours: None,
            kind: "station",
            host_type: "other",
        }
    }

    pub fn to_feature(&self) -> Value {
        let id = if self.int_id {
            json!(self.id.parse::<u64>().unwrap())
        } else {
            json!(self.id)
        };
        let amen: Vec<&str> = self
            .amenities
            .iter()
            .map(|a| {
                if self.zh_aliases {
                    AMENITY_ZH[AMENITIES.iter().position(|k| k == a).unwrap()]
                } else {
                    a
                }
            })
            .collect();
        let mut props = json!({
            "name": self.name,
            "kind": self.kind,
            "host_type": self.host_type,
            "amenities": amen,
        });
        if let Some(a) = &self.address {
            props["address"] = json!(a);
        }
        if let Some(h) = self.hours {
            props["opening_hours"] = json!(h);
        }
        json!({"type": "Feature", "id": id,
               "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
               "properties": props})
    }

    pub fn always_open(&self) -> bool {
        matches!(self.hours, Some("24/7") | Some("Mo-Su 00:00-24:00"))
    }
}

pub fn fc(stations: &[MSt]) -> Value {
    json!({"type": "FeatureCollection",
           "features": stations.iter().map(MSt::to_feature).collect::<Vec<_>>()})
}

/// The contract's haversine: R = 6 371 008.8 m, clamped.
pub fn haversine(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let a = ((p2 - p1) / 2.0).sin().powi(2)
        + p1.cos() * p2.cos() * ((lon2 - lon1).to_radians() / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().clamp(0.0, 1.0).asin()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A fixed instant, given as local wall time with a UTC offset, and its Asia/Shanghai (UTC+8, no DST) view.
#[derive(Debug, Clone)]
pub struct At {
    /// RFC 3339 as sent.
    pub rfc3339: String,
    /// 0 = Monday.
    pub weekday: i64,
    /// Seconds since local (Shanghai) midnight.
    pub secs: i64,
}

impl At {
    pub fn new(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, offset_min: i64) -> At {
        let off = if offset_min == 0 {
            "Z".to_owned()
        } else {
            let sign = if offset_min < 0 { '-' } else { '+' };
            format!(
                "{sign}{:02}:{:02}",
                offset_min.abs() / 60,
                offset_min.abs() % 60
            )
        };
        let rfc3339 = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{off}");
        let utc = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset_min * 60;
        let shanghai = utc + 8 * 3600;
        let days = shanghai.div_euclid(86_400);
        At {
            rfc3339,
            // 1970-01-01 was a Thursday (3 when Monday is 0).
            weekday: (days + 3).rem_euclid(7),
            secs: shanghai.rem_euclid(86_400),
        }
    }

    /// Whether one of the patterns in [`HOURS`] is open at this instant (None: unknown hours).
    pub fn open(&self, hours: Option<&str>) -> Option<bool> {
        let within = |h0: i64, h1: i64| h0 * 3600 <= self.secs && self.secs < h1 * 3600;
        Some(match hours? {
            "24/7" | "Mo-Su 00:00-24:00" => true,
            "Mo-Fr 09:00-18:00" => self.weekday < 5 && within(9, 18),
            "Mo-Su 08:00-22:00" => within(8, 22),
            "Mo-Sa 10:00-20:00; Su off" => self.weekday < 6 && within(10, 20),
            other => panic!("no expectation for {other}"),
        })
    }
}

/// The instants the open_now tests use, chosen around opening and closing times.
pub fn test_instants() -> Vec<At> {
    vec![
        At::new(2026, 11, 25, 10, 30, 0, 480),  // Wed 10:30
        At::new(2026, 11, 25, 2, 30, 0, 0),     // the same instant in UTC
        At::new(2026, 11, 28, 9, 0, 0, 480),    // Sat 09:00
        At::new(2026, 11, 29, 12, 0, 0, 480),   // Sun noon
        At::new(2026, 11, 27, 18, 0, 0, 480),   // Fri 18:00 sharp: office closed
        At::new(2026, 11, 27, 17, 59, 59, 480), // Fri 17:59:59: office open
        At::new(2026, 11, 26, 23, 30, 0, -300), // = Fri 12:30 in Beijing
        At::new(2026, 11, 29, 16, 30, 0, 0),    // = Mon 00:30 in Beijing
        At::new(2026, 11, 24, 7, 59, 59, 480),  // Tue 07:59:59
        At::new(2026, 11, 24, 22, 0, 0, 480),   // Tue 22:00 sharp
        At::new(2027, 2, 6, 19, 59, 0, 480),    // Sat 19:59
        At::new(2027, 2, 7, 10, 0, 0, 480),     // Sun 10:00: Su off
    ]
}

/// The generated world: Beijing clusters, nationwide, uniform on the sphere, an antimeridian cluster, both poles,
/// piles of stations at identical points (with byte-order-sensitive ids) and integer ids.
pub fn world(seed: u64, n: usize) -> Vec<MSt> {
    let mut rng = Rng::new(seed);
    let mut out: Vec<MSt> = Vec::new();
    let words = [
        "Alpha", "BETA", "gamma", "Δelta", "暖心", "驿站", "Kiosk", "xyz",
    ];
    let hosts = [
        "bank",
        "restaurant",
        "supermarket",
        "property_agency",
        "gas_station",
        "post_office",
        "union_center",
        "other",
    ];
    let centres = [
        (116.40, 39.90),
        (116.47, 39.99),
        (116.30, 39.96),
        (116.65, 40.13),
    ];
    for i in 0..n {
        let (lon, lat) = match i % 10 {
            0..=3 => {
                let (cx, cy) = *rng.pick(&centres);
                (cx + rng.range(-0.08, 0.08), cy + rng.range(-0.06, 0.06))
            }
            4 | 5 => (rng.range(75.0, 134.0), rng.range(18.0, 53.0)),
            6 => {
                let z: f64 = rng.range(-1.0, 1.0);
                (rng.range(-180.0, 180.0), z.asin().to_degrees())
            }
            7 => {
                let lon = if rng.chance(0.5) {
                    rng.range(179.99, 180.0)
                } else {
                    rng.range(-180.0, -179.99)
                };
                (lon, rng.range(9.99, 10.01))
            }
            8 => {
                let lat = if rng.chance(0.5) {
                    rng.range(89.9, 90.0)
                } else {
                    rng.range(-90.0, -89.9)
                };
                (rng.range(-180.0, 180.0), lat)
            }
            _ => (rng.range(-180.0, 180.0), rng.range(-60.0, 70.0)),
        };
        let int_id = i % 13 == 0;
        let id = if int_id {
            format!("{}", 7 + i * 37)
        } else {
            format!("s-{i:05}")
        };
        let mut s = MSt::new(&id, lon, lat);
        s.int_id = int_id;
        s.name = format!("{} {} {i}", rng.pick(&words), rng.pick(&words));
        if rng.chance(0.6) {
            s.address = Some(format!("{} Road {}号", rng.pick(&words), rng.usize(1, 999)));
        }
        s.amenities = AMENITIES
            .iter()
            .copied()
            .filter(|_| rng.chance(0.35))
            .collect();
        // medicine is rare, so that it gets a tree of its own
        if rng.chance(0.8) {
            s.amenities.retain(|a| *a != "medicine");
        }
        s.zh_aliases = rng.chance(0.2);
        s.hours = *rng.pick(&HOURS);
        s.host_type = *rng.pick(&hosts);
        s.kind = if rng.chance(0.2) {
            "workers_home"
        } else {
            "station"
        };
        out.push(s);
    }
    // Piles at identical points: ids whose byte order differs from their numeric or case order.
    let piles: [(f64, f64, &[&str]); 5] = [
        (
            116.4,
            39.9,
            &[
                "tie-b", "tie-a", "tie-10", "tie-9", "Tie-Z", "tie-é", "tie-_",
            ],
        ),
        (180.0, 10.0, &["am-2", "am-10", "am-1"]),
        (-180.0, 10.0, &["am-x", "AM-y"]),
        (0.0, 90.0, &["pole-n-2", "pole-n-1"]),
        (121.5, 31.2, &["sh-1", "sh-01", "sh-001"]),
    ];
    for (lon, lat, ids) in piles {
        for id in ids {
            let mut s = MSt::new(id, lon, lat);
            s.amenities = vec!["water"];
            s.hours = Some("24/7");
            out.push(s);
        }
    }
    // Integer ids at one point: "100" < "11" < "9" in byte order.
    for n in [9u64, 100, 11] {
        let mut s = MSt::new(&n.to_string(), 116.41, 39.91);
        s.int_id = true;
        out.push(s);
    }
    // The same pole with different longitudes.
    for (i, lon) in [-170.0, 0.0, 45.0, 179.0].iter().enumerate() {
        out.push(MSt::new(&format!("pole-s-{i}"), *lon, -90.0));
    }
    out
}

/// Stations on and just outside the edges of the bboxes the list tests use.
pub fn edge_stations() -> Vec<MSt> {
    let pts: [(&str, f64, f64); 14] = [
        ("edge-w", 116.25, 39.9),
        ("edge-e", 116.55, 39.9),
        ("edge-s", 116.4, 39.75),
        ("edge-n", 116.4, 40.05),
        ("edge-sw", 116.25, 39.75),
        ("edge-ne", 116.55, 40.05),
        ("out-w", 116.249_999_9, 39.9),
        ("out-n", 116.4, 40.050_000_1),
        ("am-edge-180", 180.0, 5.0),
        ("am-edge-m180", -180.0, 15.0),
        ("am-edge-w", 179.995, 10.0),
        ("am-edge-e", -179.995, 10.0),
        ("am-out-w", 179.994_999, 10.0),
        ("am-out-e", -179.994_999, 10.0),
    ];
    pts.iter()
        .map(|(id, lon, lat)| MSt::new(id, *lon, *lat))
        .collect()
}

/// Brute-force nearest: (distance, station), ordered by (distance, id bytes).
pub fn brute_nearest(
    model: &[MSt],
    lon: f64,
    lat: f64,
    k: usize,
    max_d: Option<f64>,
    keep: impl Fn(&MSt) -> bool,
) -> Vec<(f64, &MSt)> {
    let mut rows: Vec<(f64, &MSt)> = model
        .iter()
        .filter(|s| keep(s))
        .map(|s| (haversine(lon, lat, s.lon, s.lat), s))
        .filter(|(d, _)| max_d.is_none_or(|m| *d <= m))
        .collect();
    rows.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then_with(|| a.1.id.as_bytes().cmp(b.1.id.as_bytes()))
    });
    rows.truncate(k);
    rows
}

pub fn in_bbox(s: &MSt, b: [f64; 4]) -> bool {
    let [w, so, e, n] = b;
    let lon_ok = if w <= e {
        w <= s.lon && s.lon <= e
    } else {
        s.lon >= w || s.lon <= e
    };
    lon_ok && so <= s.lat && s.lat <= n
}

/// `n` stations near Beijing with ids `{prefix}-NNNNNN`, all valid.
pub fn bulk(prefix: &str, n: usize, seed: u64) -> Vec<MSt> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let mut s = MSt::new(
                &format!("{prefix}-{i:06}"),
                rng.range(115.5, 117.5),
                rng.range(39.4, 41.0),
            );
            s.amenities = AMENITIES
                .iter()
                .copied()
                .filter(|_| rng.chance(0.3))
                .collect();
            s.hours = *rng.pick(&HOURS);
            s.address = Some(format!("{prefix} road {i}"));
            s
        })
        .collect()
}
