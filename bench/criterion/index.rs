//! Query benchmarks for the in-memory index, each against a brute-force scan in the same group, so the report
//! can give ratios measured in the same run on the same (shared, noisy) machine.
//!
//!     cargo bench --bench index                 # everything, about 4-5 minutes on 2 cores
//!     cargo bench --bench index -- nearest_k10  # one group (a regex on the benchmark names)
//!
//! Data are synthetic and seeded: a Beijing-clustered 4k set and nationwide (city-clustered, like
//! `scripts/gen_nationwide.py`) 200k and 1M sets, `discount_meal` on ≈ 1 % of the stations. Every query cycles
//! over 1,000 seeded points, so a benchmark never measures one cached point.
//! See docs/BENCHMARKS.md for the figures and how to read them.

use std::hint::black_box;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};

use yizhan::domain::{
    Amenities, Amenity, HostType, Hours, Kind, Position, Station, StationId, Texts,
};
use yizhan::domain::{DayRules, Filter, OpenAt};
use yizhan::geodesy::sphere::haversine_m;
use yizhan::index::{BBox, Route};
use yizhan::overlay::StateView;
use yizhan::snapshot::Snapshot;

#[path = "../../tests/support/rng.rs"]
mod rng;
use rng::Rng;

// ---------------------------------------------------------------------------------------------------------
// Seeded synthetic data

/// (lng, lat, weight ~ urban population, core sigma km): the cities of `scripts/gen_nationwide.py`.
const CITIES: &[(f64, f64, f64, f64)] = &[
    (121.473, 31.230, 24.9, 9.0),
    (116.404, 39.915, 21.9, 9.0),
    (106.551, 29.563, 16.0, 8.0),
    (104.066, 30.657, 20.9, 8.0),
    (113.264, 23.129, 18.7, 8.0),
    (114.045, 22.640, 17.6, 7.0),
    (117.200, 39.133, 13.9, 7.0),
    (108.940, 34.341, 12.9, 6.0),
    (120.585, 31.299, 12.7, 6.0),
    (113.625, 34.747, 12.6, 6.0),
    (114.305, 30.593, 12.3, 7.0),
    (120.155, 30.274, 11.9, 6.0),
    (114.515, 38.042, 11.2, 5.0),
    (113.752, 23.021, 10.5, 6.0),
    (120.383, 36.067, 10.1, 6.0),
    (123.432, 41.806, 9.1, 6.0),
    (112.939, 28.228, 10.0, 6.0),
    (126.535, 45.803, 10.0, 6.0),
    (117.227, 31.821, 9.4, 5.0),
    (118.797, 32.060, 9.3, 6.0),
    (117.121, 36.651, 9.2, 5.0),
    (113.122, 23.021, 9.5, 6.0),
    (102.833, 24.880, 8.5, 5.0),
    (121.550, 29.875, 9.4, 5.0),
    (119.296, 26.075, 8.3, 5.0),
    (118.089, 24.480, 5.2, 4.0),
    (125.324, 43.817, 9.1, 5.0),
    (108.367, 22.817, 8.7, 5.0),
    (121.615, 38.914, 7.5, 5.0),
    (112.549, 37.871, 5.3, 4.0),
    (87.617, 43.826, 4.1, 4.0),
    (106.630, 26.647, 6.0, 4.0),
    (115.858, 28.683, 6.3, 4.0),
    (103.834, 36.061, 4.4, 4.0),
    (120.312, 31.491, 7.5, 5.0),
    (117.285, 34.205, 9.1, 4.0),
    (120.699, 27.994, 9.6, 4.0),
    (111.749, 40.842, 3.4, 4.0),
    (106.231, 38.487, 2.9, 3.0),
    (101.778, 36.617, 2.5, 3.0),
    (110.320, 20.044, 2.9, 3.0),
    (91.132, 29.660, 0.9, 2.0),
];

const BEIJING: (f64, f64) = (116.404, 39.915);

/// A point around (lng, lat): 65 % in a core of `sigma_km`, the rest in a ring 2.5× wider.
fn around(rng: &mut Rng, (lng, lat): (f64, f64), sigma_km: f64) -> (f64, f64) {
    let s = if rng.f64() < 0.65 {
        sigma_km
    } else {
        sigma_km * 2.5
    };
    let kx = 111.320 * lat.to_radians().cos();
    (lng + rng.gauss() * s / kx, lat + rng.gauss() * s / 110.574)
}

/// A point drawn like the nationwide generator: pick a city by weight, then scatter around it.
fn nationwide_point(rng: &mut Rng) -> (f64, f64) {
    let total: f64 = CITIES.iter().map(|c| c.2).sum();
    let mut r = rng.f64() * total;
    for &(lng, lat, w, sigma) in CITIES {
        if r < w {
            return around(rng, (lng, lat), sigma);
        }
        r -= w;
    }
    let (lng, lat, _, sigma) = CITIES[0];
    around(rng, (lng, lat), sigma)
}

fn beijing_point(rng: &mut Rng) -> (f64, f64) {
    around(rng, BEIJING, 9.0)
}

const DISCOUNT_MEAL: u16 = 1 << 9;
const WATER_CHARGING: u16 = 1 | 1 << 1;

/// Amenity bits as in the generator: common amenities at 35-97 %, discount_meal at ≈ 1 %, 24h at ≈ 15 %.
fn amenity_bits(rng: &mut Rng) -> u16 {
    const P: [f64; 9] = [0.97, 0.70, 0.96, 0.60, 0.60, 0.40, 0.35, 0.50, 0.45];
    let mut bits = 0u16;
    for (i, p) in P.iter().enumerate() {
        if rng.f64() < *p {
            bits |= 1 << i;
        }
    }
    if rng.f64() < 0.01 {
        bits |= DISCOUNT_MEAL;
    }
    if rng.f64() < 0.15 {
        bits |= Amenities::ALWAYS_OPEN.bits();
    }
    bits
}

fn stations(n: usize, seed: u64, point: PointFn) -> Vec<Station> {
    assert_eq!(Amenity::ALL[9], Amenity::DiscountMeal);
    let mut rng = Rng::new(seed);
    let hours: Arc<Hours> = Arc::new(Hours::parse("Mo-Su 08:00-20:00").expect("valid hours"));
    (1..=n)
        .map(|i| {
            let (lon, lat) = point(&mut rng);
            let id = StationId::parse(&format!("cn-{i:07}")).expect("valid id");
            let texts = Texts {
                name: "驿站",
                ..Texts::default()
            };
            let amenities = Amenities::from_bits(amenity_bits(&mut rng));
            let position = Position::new(lon, lat).expect("valid position");
            Station::new(
                &id,
                texts,
                Kind::Station,
                HostType::Bank,
                amenities,
                Some(hours.clone()),
                position,
            )
        })
        .collect()
}

fn queries(seed: u64, point: PointFn) -> Vec<(f64, f64)> {
    let mut rng = Rng::new(seed);
    (0..1000).map(|_| point(&mut rng)).collect()
}

/// Datasets are built once per process and shared by all groups.
fn beijing_4k() -> &'static Snapshot {
    static D: OnceLock<Snapshot> = OnceLock::new();
    D.get_or_init(|| Snapshot::new(stations(4_000, 1, beijing_point), "bench".into()))
}
fn nationwide_200k() -> &'static Snapshot {
    static D: OnceLock<Snapshot> = OnceLock::new();
    D.get_or_init(|| Snapshot::new(stations(200_000, 2, nationwide_point), "bench".into()))
}
fn nationwide_1m() -> &'static Snapshot {
    static D: OnceLock<Snapshot> = OnceLock::new();
    D.get_or_init(|| {
        let t = std::time::Instant::now();
        let st = stations(1_000_000, 3, nationwide_point);
        let generated = t.elapsed().as_secs_f64();
        let ds = Snapshot::new(st, "bench".into());
        eprintln!(
            "1M dataset: generated in {generated:.2} s, Snapshot::new (sort + R-trees) {:.2} s",
            t.elapsed().as_secs_f64() - generated
        );
        ds
    })
}

// ---------------------------------------------------------------------------------------------------------
// Brute force: what the index must beat

/// Linear haversine scan, then a partial sort (select the k smallest, sort those): ties by index like the index.
fn brute_nearest(st: &[Station], lon: f64, lat: f64, k: usize, required: Amenities) -> Vec<u32> {
    let mut rows: Vec<(f64, u32)> = st
        .iter()
        .enumerate()
        .filter(|(_, s)| s.amenities.has_all(required))
        .map(|(i, s)| {
            (
                haversine_m(lon, lat, s.position.lon(), s.position.lat()),
                i as u32,
            )
        })
        .collect();
    let cmp = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    if rows.len() > k {
        rows.select_nth_unstable_by(k - 1, cmp);
        rows.truncate(k);
    }
    rows.sort_unstable_by(cmp);
    rows.into_iter().map(|r| r.1).collect()
}

fn brute_bbox(st: &[Station], b: &BBox) -> Vec<u32> {
    st.iter()
        .enumerate()
        .filter(|(_, s)| b.contains(s.position.lon(), s.position.lat()))
        .map(|(i, _)| i as u32)
        .collect()
}

fn open_at() -> OpenAt {
    OpenAt::new(
        chrono::Utc::now(),
        chrono_tz::Asia::Shanghai,
        DayRules::none(),
    )
}

fn filter(bits: u16) -> Filter {
    Filter {
        required: Amenities::from_bits(bits),
        open_now: false,
        ..Filter::default()
    }
}

/// A box of about `km` × `km` centred on (lon, lat).
fn bbox_around((lon, lat): (f64, f64), km: f64) -> BBox {
    let dlat = km / 2.0 / 110.574;
    let dlon = km / 2.0 / (111.320 * lat.to_radians().cos());
    BBox {
        min_lon: lon - dlon,
        min_lat: lat - dlat,
        max_lon: lon + dlon,
        max_lat: lat + dlat,
    }
}

/// Before timing anything: the index and brute force agree on the query set (same distances).
fn check_agreement(ds: &Snapshot, qs: &[(f64, f64)], bits: u16) {
    let f = filter(bits);
    for &(lon, lat) in qs.iter().take(50) {
        let got = ds.nearest((lon, lat), 10, None, &f, &open_at(), &StateView::default());
        let want = brute_nearest(ds.stations(), lon, lat, 10, f.required);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            let p = ds.station(*w).position;
            let d = haversine_m(lon, lat, p.lon(), p.lat());
            assert!(
                (g.distance_m - d).abs() < 1e-6,
                "index and brute force disagree at ({lon}, {lat})"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Groups

/// A dataset getter and the distribution its query points come from.
type DatasetFn = fn() -> &'static Snapshot;
type PointFn = fn(&mut Rng) -> (f64, f64);

/// Unfiltered nearest k=10, index vs brute force, at 4k (Beijing), 200k and 1M (nationwide).
fn nearest_k10(c: &mut Criterion) {
    let sets: [(&str, DatasetFn, PointFn); 3] = [
        ("4k", beijing_4k, beijing_point),
        ("200k", nationwide_200k, nationwide_point),
        ("1M", nationwide_1m, nationwide_point),
    ];
    let mut g = c.benchmark_group("nearest_k10");
    for (label, ds, point) in sets {
        let ds = ds();
        let qs = queries(100, point);
        check_agreement(ds, &qs, 0);
        let f = filter(0);
        let mut i = 0usize;
        g.sampling_mode(SamplingMode::Auto);
        g.bench_function(BenchmarkId::new("rtree", label), |b| {
            b.iter(|| {
                let (lon, lat) = qs[i % qs.len()];
                i += 1;
                black_box(ds.nearest((lon, lat), 10, None, &f, &open_at(), &StateView::default()))
            })
        });
        g.sampling_mode(SamplingMode::Flat);
        g.bench_function(BenchmarkId::new("brute", label), |b| {
            b.iter(|| {
                let (lon, lat) = qs[i % qs.len()];
                i += 1;
                black_box(brute_nearest(
                    ds.stations(),
                    lon,
                    lat,
                    10,
                    Amenities::default(),
                ))
            })
        });
    }
    g.finish();
}

/// Filtered nearest k=10 at 1M: unfiltered baseline, the ≈ 1 % filter (discount_meal) and a common one
/// (water + charging ≈ 68 %), each with its brute-force counterpart.
fn nearest_filtered_1m(c: &mut Criterion) {
    let ds = nationwide_1m();
    let qs = queries(100, nationwide_point);
    let mut g = c.benchmark_group("nearest_filtered_k10_1M");
    for (label, bits) in [
        ("none", 0u16),
        ("discount_meal_1pct", DISCOUNT_MEAL),
        ("water_charging", WATER_CHARGING),
    ] {
        check_agreement(ds, &qs, bits);
        let f = filter(bits);
        let mut i = 0usize;
        g.sampling_mode(SamplingMode::Auto);
        g.bench_function(BenchmarkId::new("rtree", label), |b| {
            b.iter(|| {
                let (lon, lat) = qs[i % qs.len()];
                i += 1;
                black_box(ds.nearest((lon, lat), 10, None, &f, &open_at(), &StateView::default()))
            })
        });
        if bits != 0 {
            g.sampling_mode(SamplingMode::Flat);
            g.bench_function(BenchmarkId::new("brute", label), |b| {
                b.iter(|| {
                    let (lon, lat) = qs[i % qs.len()];
                    i += 1;
                    black_box(brute_nearest(ds.stations(), lon, lat, 10, f.required))
                })
            });
        }
    }
    g.finish();
}

/// A ~2 × 2 km box around 1,000 seeded points in Beijing, on the 1M nationwide set (Snapshot::list, which the
/// list endpoint calls), vs a linear scan.
fn bbox_1m(c: &mut Criterion) {
    let ds = nationwide_1m();
    let boxes: Vec<BBox> = queries(200, beijing_point)
        .into_iter()
        .map(|p| bbox_around(p, 2.0))
        .collect();
    let f = filter(0);
    for b in boxes.iter().take(50) {
        let page = ds.list(Some(b), &f, &open_at(), &StateView::default(), 0, 10_000);
        assert_eq!(page.indices, brute_bbox(ds.stations(), b));
    }
    let mean: f64 = boxes
        .iter()
        .map(|b| {
            ds.list(Some(b), &f, &open_at(), &StateView::default(), 0, 10_000)
                .total as f64
        })
        .sum::<f64>()
        / boxes.len() as f64;
    eprintln!("bbox_2km_1M: {mean:.1} stations per box on average");
    let mut g = c.benchmark_group("bbox_2km_1M");
    let mut i = 0usize;
    g.bench_function("rtree", |b| {
        b.iter(|| {
            let bb = &boxes[i % boxes.len()];
            i += 1;
            black_box(ds.list(Some(bb), &f, &open_at(), &StateView::default(), 0, 1000))
        })
    });
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("brute", |b| {
        b.iter(|| {
            let bb = &boxes[i % boxes.len()];
            i += 1;
            black_box(brute_bbox(ds.stations(), bb))
        })
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------------------
// Along a route

/// A seeded random-walk route of `n` points `step_m` apart, starting at a station-like point, gently turning.
fn route(rng: &mut Rng, n: usize, step_m: f64) -> Vec<(f64, f64)> {
    let (mut lon, mut lat) = nationwide_point(rng);
    let mut heading = rng.f64() * 2.0 * std::f64::consts::PI;
    let mut pts = Vec::with_capacity(n);
    for _ in 0..n {
        pts.push((lon, lat));
        heading += rng.gauss() * 0.25;
        lat += step_m * heading.cos() / 110_574.0;
        lon += step_m * heading.sin() / (111_320.0 * lat.to_radians().cos());
    }
    pts
}

type V3 = [f64; 3];

fn unit(lon: f64, lat: f64) -> V3 {
    let (lo, la) = (lon.to_radians(), lat.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}
fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn angle(a: V3, b: V3) -> f64 {
    dot(cross(a, b), cross(a, b)).sqrt().atan2(dot(a, b))
}

/// Brute force along a route: the exact point-to-great-circle-arc distance from every station (in `stations`,
/// a stride of the dataset) to every segment; those within `max_m`, ordered by (along, distance, index).
fn brute_along(
    st: &[Station],
    stride: usize,
    pts: &[(f64, f64)],
    max_m: f64,
    limit: usize,
) -> Vec<(f64, f64, u32)> {
    const R: f64 = yizhan::geodesy::sphere::EARTH_RADIUS_M;
    let v: Vec<V3> = pts.iter().map(|&(lo, la)| unit(lo, la)).collect();
    let mut start = vec![0.0; v.len()];
    for i in 1..v.len() {
        start[i] = start[i - 1] + angle(v[i - 1], v[i]) * R;
    }
    let mut hits = Vec::new();
    for (idx, s) in st.iter().enumerate().step_by(stride) {
        let p = unit(s.position.lon(), s.position.lat());
        let mut best = (f64::INFINITY, 0.0);
        for i in 0..v.len() - 1 {
            let (a, b) = (v[i], v[i + 1]);
            let seg = angle(a, b);
            let mut cand = [
                (angle(p, a) * R, start[i]),
                (angle(p, b) * R, start[i + 1]),
                (f64::INFINITY, 0.0),
            ];
            let n = cross(a, b);
            let nn = dot(n, n).sqrt();
            if nn > 1e-15 {
                let n = [n[0] / nn, n[1] / nn, n[2] / nn];
                let d = dot(p, n);
                let q = [p[0] - d * n[0], p[1] - d * n[1], p[2] - d * n[2]];
                let aq = angle(a, q);
                if (aq + angle(q, b) - seg).abs() < 1e-12 {
                    cand[2] = (d.clamp(-1.0, 1.0).asin().abs() * R, start[i] + aq * R);
                }
            }
            for c in cand {
                if c.0 < best.0 - 1e-6 {
                    best = c;
                }
            }
        }
        if best.0 <= max_m {
            hits.push((best.1, best.0, idx as u32));
        }
    }
    hits.sort_by(|x, y| {
        x.0.total_cmp(&y.0)
            .then(x.1.total_cmp(&y.1))
            .then(x.2.cmp(&y.2))
    });
    hits.truncate(limit);
    hits
}

/// Stations along 20-point (≈ 10 km, 500 m steps) and 2,000-point (≈ 50 km, 25 m steps, the API's maximum)
/// routes at the API defaults (300 m, limit 50), on 200k and 1M stations. Brute force is exact for the
/// 20-point routes; for 2,000 points a full scan would take minutes per query, so it scans a stride of the
/// stations (≈ 5,000) and the time is scaled by the stride (`brute_sampled`: the scan is linear in stations).
fn along(c: &mut Criterion) {
    const MAX_M: f64 = 300.0;
    const LIMIT: usize = 50;
    let sets: [(&str, DatasetFn); 2] = [("200k", nationwide_200k), ("1M", nationwide_1m)];
    let mut rng = Rng::new(300);
    let short: Vec<Vec<(f64, f64)>> = (0..100).map(|_| route(&mut rng, 20, 500.0)).collect();
    let long: Vec<Vec<(f64, f64)>> = (0..20).map(|_| route(&mut rng, 2000, 25.0)).collect();
    let short_r: Vec<Route> = short.iter().map(|p| Route::new(p)).collect();
    let long_r: Vec<Route> = long.iter().map(|p| Route::new(p)).collect();
    let f = filter(0);
    for (label, ds) in sets {
        let ds = ds();
        // The index and brute force agree (same stations, same distances) before anything is timed.
        for (p, r) in short.iter().zip(&short_r).take(5) {
            let got = ds.along(r, MAX_M, 10_000, &f, &open_at(), &StateView::default());
            let want = brute_along(ds.stations(), 1, p, MAX_M, 10_000);
            assert_eq!(
                got.len(),
                want.len(),
                "along: index and brute force disagree"
            );
            for (g, w) in got.iter().zip(&want) {
                assert!((g.distance_m - w.1).abs() < 1e-6 && (g.along_m - w.0).abs() < 1e-3);
            }
        }
        let mean = |rs: &[Route]| {
            rs.iter()
                .map(|r| {
                    ds.along(r, MAX_M, 10_000, &f, &open_at(), &StateView::default())
                        .len() as f64
                })
                .sum::<f64>()
                / rs.len() as f64
        };
        eprintln!(
            "along_{label}: {:.1} stations within {MAX_M} m of a 20-point route, {:.1} of a 2,000-point one",
            mean(&short_r),
            mean(&long_r)
        );
        let mut g = c.benchmark_group(format!("along_{label}"));
        let mut i = 0usize;
        for (name, rs) in [("20pt", &short_r), ("2000pt", &long_r)] {
            g.sampling_mode(SamplingMode::Auto);
            g.bench_function(BenchmarkId::new("rtree", name), |b| {
                b.iter(|| {
                    let r = &rs[i % rs.len()];
                    i += 1;
                    black_box(ds.along(r, MAX_M, LIMIT, &f, &open_at(), &StateView::default()))
                })
            });
        }
        g.sampling_mode(SamplingMode::Flat);
        g.sample_size(10);
        g.bench_function(BenchmarkId::new("brute", "20pt"), |b| {
            b.iter(|| {
                let p = &short[i % short.len()];
                i += 1;
                black_box(brute_along(ds.stations(), 1, p, MAX_M, LIMIT))
            })
        });
        let stride = ds.len() / 5_000;
        g.bench_function(BenchmarkId::new("brute_sampled", "2000pt"), |b| {
            b.iter_custom(|iters| {
                let t = std::time::Instant::now();
                for _ in 0..iters {
                    let p = &long[i % long.len()];
                    i += 1;
                    black_box(brute_along(ds.stations(), stride, p, MAX_M, LIMIT));
                }
                t.elapsed() * stride as u32
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = index_benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = nearest_k10, nearest_filtered_1m, bbox_1m, along
}
criterion_main!(index_benches);
