//! Upload-path benchmarks: parse + validate + index a GeoJSON body (what `PUT /api/v1/stations` does before it
//! writes the file), and the canonical encoding that is written to disk (`feature::write_collection`).
//!
//!     cargo bench --bench upload
//!
//! The bodies are generated in-process, seeded, in the shape of the contract (all properties, a handful of
//! distinct `opening_hours` expressions as in real data). See docs/BENCHMARKS.md.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};

use yizhan::domain::Station;
use yizhan::geodesy::crs::Crs;
use yizhan::import::{self, Format};
use yizhan::snapshot::Snapshot;
use yizhan::wire::geojson::write_collection;

#[path = "../../tests/support/rng.rs"]
mod rng;
use rng::Rng;

/// A few big cities: (name, lng, lat, sigma km).
const CITIES: &[(&str, f64, f64, f64)] = &[
    ("北京市", 116.404, 39.915, 9.0),
    ("上海市", 121.473, 31.230, 9.0),
    ("广州市", 113.264, 23.129, 8.0),
    ("成都市", 104.066, 30.657, 8.0),
    ("武汉市", 114.305, 30.593, 7.0),
    ("西安市", 108.940, 34.341, 6.0),
];
const HOSTS: &[&str] = &[
    "bank",
    "restaurant",
    "supermarket",
    "property_agency",
    "gas_station",
    "post_office",
    "union_center",
    "other",
];
const AMENITIES: &[(&str, f64)] = &[
    ("water", 0.97),
    ("charging", 0.70),
    ("rest", 0.96),
    ("heating", 0.60),
    ("cooling", 0.60),
    ("medicine", 0.40),
    ("microwave", 0.35),
    ("toilet", 0.50),
    ("wifi", 0.45),
    ("discount_meal", 0.01),
];
const HOURS: &[&str] = &[
    "Mo-Fr 09:00-17:00",
    "Mo-Fr 09:00-17:00; Sa 09:00-12:00",
    "24/7",
    "Mo-Su 10:00-21:30",
    "Mo-Su 08:00-22:00",
    "Mo-Su 09:00-20:00",
    "Mo-Fr 08:30-17:30; Sa 09:00-16:00",
];

/// A GeoJSON FeatureCollection of `n` stations, as an admin would upload it.
fn geojson_body(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(n * 420);
    out.push_str("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for i in 1..=n {
        let &(city, clng, clat, sigma) = rng.pick(CITIES);
        let lng = clng + rng.gauss() * sigma / (111.32 * clat.to_radians().cos());
        let lat = clat + rng.gauss() * sigma / 110.574;
        let host = *rng.pick(HOSTS);
        let amen: Vec<&str> = AMENITIES
            .iter()
            .filter(|(_, p)| rng.f64() < *p)
            .map(|(k, _)| *k)
            .collect();
        let mut props = serde_json::json!({
            "name": format!("{city}第{i}号暖心驿站"),
            "kind": if rng.f64() < 0.04 { "workers_home" } else { "station" },
            "host_type": host,
            "address": format!("{city}人民路{}号", 1 + (rng.f64() * 299.0) as u32),
            "district": city,
            "amenities": amen,
            "phone": format!("010-{}", 20_000_000 + (rng.f64() * 8e7) as u64),
        });
        if rng.f64() < 0.95 {
            props["opening_hours"] = (*rng.pick(HOURS)).into();
        }
        if i > 1 {
            out.push_str(",\n");
        }
        out.push_str(&format!(
            "{{\"type\":\"Feature\",\"id\":\"cn-{i:07}\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{lng:.6},{lat:.6}]}},\"properties\":{props}}}"
        ));
    }
    out.push_str("\n]}\n");
    out.into_bytes()
}

fn body(n: usize) -> &'static [u8] {
    static B4K: OnceLock<Vec<u8>> = OnceLock::new();
    static B200K: OnceLock<Vec<u8>> = OnceLock::new();
    let cell = if n == 4_000 { &B4K } else { &B200K };
    cell.get_or_init(|| geojson_body(n, 7))
}

fn parse(bytes: &[u8]) -> Vec<Station> {
    import::parse(bytes, Format::GeoJson, Crs::Wgs84, &HashMap::new())
        .expect("generated body is valid")
        .stations
}

/// parse + validate, and parse + validate + index, of 4k and 200k stations.
fn upload(c: &mut Criterion) {
    let mut g = c.benchmark_group("upload_geojson");
    for (label, n) in [("4k", 4_000usize), ("200k", 200_000)] {
        let bytes = body(n);
        eprintln!("{label}: GeoJSON body {:.1} MB", bytes.len() as f64 / 1e6);
        g.throughput(Throughput::Elements(n as u64));
        g.sample_size(10);
        g.bench_function(BenchmarkId::new("parse_validate", label), |b| {
            b.iter(|| black_box(parse(bytes)))
        });
        g.bench_function(BenchmarkId::new("parse_validate_index", label), |b| {
            b.iter(|| black_box(Snapshot::new(parse(bytes), "bench".into())))
        });
        // Index alone: the R-trees and the id sort, from already-validated stations.
        let stations = parse(bytes);
        g.bench_function(BenchmarkId::new("index_only", label), |b| {
            b.iter_batched(
                || stations.clone(),
                |s| black_box(Snapshot::new(s, "bench".into())),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// The canonical stored encoding (also what decides the dataset version).
fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("write_collection");
    for (label, n) in [("4k", 4_000usize), ("200k", 200_000)] {
        let ds = Snapshot::new(parse(body(n)), "bench".into());
        let mut buf = Vec::with_capacity(n * 450);
        g.throughput(Throughput::Elements(n as u64));
        g.sample_size(10);
        g.bench_function(label, |b| {
            b.iter(|| {
                buf.clear();
                write_collection(ds.stations(), &mut buf).expect("write to a Vec");
                black_box(buf.len())
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = upload_benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .sample_size(10);
    targets = upload, encode
}
criterion_main!(upload_benches);
