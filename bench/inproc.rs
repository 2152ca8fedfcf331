//! In-process figures for `bench/compare.sh` on the very file the server is given: bulk load (parse + validate,
//! then `Snapshot::new`), resident memory, and the latency of single nearest-10 queries, unfiltered, with the
//! ≈ 1 % `discount_meal` filter, with `open_now` and with text searches (`q`), over the same query points as the
//! HTTP runs; and the text index's size.
//!
//!   cargo run --release --example inproc -- STATIONS.geojson POINTS.txt
//!
//! Prints `key value` lines (times in µs unless the key says otherwise). Run by hand, not in CI.

use std::collections::HashMap;
use std::time::Instant;

use yizhan::domain::{Amenities, Amenity};
use yizhan::domain::{Calendar, DayRules, Filter, OpenAt};
use yizhan::geodesy::crs::Crs;
use yizhan::import::{self, Format};
use yizhan::overlay::StateView;
use yizhan::snapshot::Snapshot;

/// The server's allocator (see `src/main.rs`), so that the RSS and the latencies are the server's.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, points] = args.as_slice() else {
        return Err("usage: inproc STATIONS.geojson POINTS.txt".into());
    };
    let body = std::fs::read(file)?;
    let t0 = Instant::now();
    let parsed = import::parse(&body, Format::GeoJson, Crs::Wgs84, &HashMap::new())
        .map_err(|e| format!("{file}: {e}"))?;
    let t_parse = t0.elapsed().as_secs_f64();
    drop(body);
    let n = parsed.stations.len();
    let t1 = Instant::now();
    let ds = Snapshot::new(parsed.stations, "bench".into());
    let t_index = t1.elapsed().as_secs_f64();
    println!("stations {n}");
    println!("parse_validate_s {t_parse:.2}");
    println!("index_s {t_index:.3}");
    println!("rss_mb {:.0}", rss_mb());
    let text = ds.text_index_bytes();
    println!(
        "text_index_bytes {text} ({:.1} per station)",
        text as f64 / n.max(1) as f64
    );

    let pts: Vec<(f64, f64)> = std::fs::read_to_string(points)?
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace().map(str::parse::<f64>);
            Some((it.next()?.ok()?, it.next()?.ok()?))
        })
        .collect();
    if pts.is_empty() {
        return Err(format!("{points}: no points").into());
    }
    let mut rare = Amenities::default();
    rare.insert(Amenity::DiscountMeal);
    let cases = [
        ("nearest10", Filter::default()),
        (
            "nearest10_discount_meal",
            Filter {
                required: rare,
                ..Filter::default()
            },
        ),
        (
            "nearest10_open_now",
            Filter {
                open_now: true,
                ..Filter::default()
            },
        ),
        (
            "nearest10_open_for30",
            Filter {
                open_now: true,
                open_for: Some(30),
                ..Filter::default()
            },
        ),
    ];
    let text_cases = ["zzzz", "驿站", "海淀", "朝阳路"].map(|q| {
        (
            format!("nearest10_q_{q}"),
            Filter {
                text: Some(q.to_owned()),
                ..Filter::default()
            },
        )
    });
    let cases = cases
        .into_iter()
        .map(|(l, f)| (l.to_owned(), f))
        .chain(text_cases);
    let now = chrono::Utc::now();
    let calendar = std::sync::Arc::new(DayRules::new(Calendar::builtin()));
    for (label, filter) in cases {
        // One warm-up pass, then one timed query per point, as a client would send them.
        for &(lon, lat) in &pts {
            let open = OpenAt::new(now, chrono_tz::Asia::Shanghai, calendar.clone());
            std::hint::black_box(ds.nearest(
                (lon, lat),
                10,
                None,
                &filter,
                &open,
                &StateView::default(),
            ));
        }
        let mut us: Vec<f64> = pts
            .iter()
            .map(|&(lon, lat)| {
                let t = Instant::now();
                let open = OpenAt::new(now, chrono_tz::Asia::Shanghai, calendar.clone());
                std::hint::black_box(ds.nearest(
                    (lon, lat),
                    10,
                    None,
                    &filter,
                    &open,
                    &StateView::default(),
                ));
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        us.sort_by(f64::total_cmp);
        let mean = us.iter().sum::<f64>() / us.len() as f64;
        println!(
            "{label}_us p50 {:.2} p99 {:.2} mean {mean:.2}",
            percentile(&us, 0.5),
            percentile(&us, 0.99)
        );
    }
    Ok(())
}
