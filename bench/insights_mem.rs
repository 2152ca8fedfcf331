//! Memory of the demand insights after N recorded queries (default 10 M) spread over Beijing's land box
//! (115.42–117.51 E, 39.44–41.06 N) and over the 168 hours of a week, in the flush rhythm of the server
//! (a flush every 100k records here), with the server's allocator. Also the time per record.
//!
//!   cargo run --release --example insights_mem -- [N]
//!
//! Prints `key value` lines. Run by hand, not in CI.

use std::time::Instant;

use yizhan::insights::{cell_of, Demand, Key};

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
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let before = rss_mb();
    let d = Demand::new(chrono_tz::Asia::Shanghai);
    let base_hour = d.hour_now() - 167;
    // A xorshift, so runs are repeatable.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let t = Instant::now();
    let mut cell_ns = 0u128;
    for i in 0..n {
        let lon = 115.42 + next() * (117.51 - 115.42);
        let lat = 39.44 + next() * (41.06 - 39.44);
        let hour = base_hour + (next() * 168.0) as u32;
        let t0 = Instant::now();
        let Some(cell) = cell_of(lon, lat) else {
            continue;
        };
        cell_ns += t0.elapsed().as_nanos();
        d.record_key(Key { cell, hour }, next() < 0.2);
        if i % 100_000 == 99_999 {
            d.flush();
        }
    }
    d.flush();
    let secs = t.elapsed().as_secs_f64();
    let (keys, overflow, total) = d.with_totals(|a| {
        let held: u64 = a.iter().map(|(_, c)| c.searches).sum();
        (a.len(), a.overflow.searches, held + a.overflow.searches)
    });
    println!("records {n}");
    println!("keys {keys}");
    println!("overflow_searches {overflow}");
    println!("total_searches {total}");
    println!("rss_before_mb {before:.1}");
    println!("rss_after_mb {:.1}", rss_mb());
    println!("ns_per_record_loop {:.0}", secs * 1e9 / n as f64);
    println!("ns_per_cell_of {:.0}", cell_ns as f64 / n as f64);
}
