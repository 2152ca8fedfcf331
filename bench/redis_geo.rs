//! A small, dependency-free Redis GEO loader and load generator for bench/compare.sh.
//!
//! Built by compare.sh with plain `rustc -O` (standard library only, no Cargo project), so it is as cheap a
//! client as wrk is for HTTP: one blocking connection per thread, RESP written and parsed by hand, no
//! pipelining while benchmarking (one query in flight per connection, like wrk and pgbench).
//!
//!     redis_geo load  HOST:PORT STATIONS.tsv            # id \t lon \t lat \t amenity-bitmask
//!     redis_geo bench HOST:PORT KEY POINTS.txt CONNS SECS WARMUP_SECS START_RADIUS_M
//!
//! `load` GEOADDs every station into `stations`, and those with discount_meal (bit 9) also into
//! `stations:discount_meal`, in pipelined batches. `bench` cycles every connection through the points file
//! (`lon lat` per line; each connection starts at its own offset) and asks
//! `GEOSEARCH KEY FROMLONLAT lon lat BYRADIUS r m ASC COUNT 10 WITHDIST`, starting at `START_RADIUS_M` and
//! growing r ×4 until 10 are found (or r covers the Earth); one such loop is one query. It prints
//! `RESULT <queries/s> <p50 ms> <p99 ms> <mean GEOSEARCH calls per query> <errors>`.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const DISCOUNT_MEAL: u32 = 1 << 9;
const EARTH_M: f64 = 2.0e7;

/// A parsed RESP reply (only what GEOSEARCH / GEOADD / errors need).
/// (Bulk strings and integers are read in full and then dropped: the benchmark only counts results.)
enum Reply {
    Int,
    Bulk,
    Array(Vec<Reply>),
    Status,
    Error(String),
}

struct Conn {
    r: BufReader<TcpStream>,
    w: BufWriter<TcpStream>,
}

impl Conn {
    fn open(addr: &str) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        Ok(Conn {
            r: BufReader::with_capacity(64 * 1024, s.try_clone()?),
            w: BufWriter::with_capacity(64 * 1024, s),
        })
    }

    fn send(&mut self, args: &[&[u8]]) -> std::io::Result<()> {
        write!(self.w, "*{}\r\n", args.len())?;
        for a in args {
            write!(self.w, "${}\r\n", a.len())?;
            self.w.write_all(a)?;
            self.w.write_all(b"\r\n")?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }

    fn line(&mut self) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.r.read_until(b'\n', &mut buf)?;
        if buf.len() < 3 {
            return Err(std::io::Error::other("connection closed"));
        }
        buf.truncate(buf.len() - 2);
        Ok(buf)
    }

    fn reply(&mut self) -> std::io::Result<Reply> {
        let line = self.line()?;
        let rest = || String::from_utf8_lossy(&line[1..]).into_owned();
        let num = |s: String| {
            s.parse::<i64>()
                .map_err(|_| std::io::Error::other(format!("bad RESP number {s:?}")))
        };
        match line[0] {
            b'+' => Ok(Reply::Status),
            b'-' => Ok(Reply::Error(rest())),
            b':' => num(rest()).map(|_| Reply::Int),
            b'$' => {
                let n = num(rest())?;
                if n >= 0 {
                    let mut v = vec![0; n as usize + 2];
                    self.r.read_exact(&mut v)?;
                }
                Ok(Reply::Bulk)
            }
            b'*' => {
                let n = num(rest())?;
                let mut items = Vec::with_capacity(n.max(0) as usize);
                for _ in 0..n.max(0) {
                    items.push(self.reply()?);
                }
                Ok(Reply::Array(items))
            }
            c => Err(std::io::Error::other(format!(
                "unexpected RESP type byte {c:?}"
            ))),
        }
    }
}

fn load(addr: &str, tsv: &str) -> std::io::Result<()> {
    let mut c = Conn::open(addr)?;
    c.send(&[b"DEL", b"stations", b"stations:discount_meal"])?;
    c.flush()?;
    c.reply()?;
    let t = Instant::now();
    let file = BufReader::new(std::fs::File::open(tsv)?);
    // Members per GEOADD, and GEOADDs sent before their replies are read.
    const BATCH: usize = 1000;
    const WINDOW: usize = 16;
    let mut all: Vec<String> = Vec::new();
    let mut rare: Vec<String> = Vec::new();
    let mut pending = 0usize;
    let mut total = 0usize;
    let mut rare_total = 0usize;
    let mut flush_batch =
        |c: &mut Conn, key: &[u8], items: &mut Vec<String>| -> std::io::Result<()> {
            if items.is_empty() {
                return Ok(());
            }
            let mut args: Vec<&[u8]> = vec![b"GEOADD", key];
            args.extend(items.iter().map(|s| s.as_bytes()));
            c.send(&args)?;
            items.clear();
            pending += 1;
            if pending >= WINDOW {
                c.flush()?;
                for _ in 0..pending {
                    if let Reply::Error(e) = c.reply()? {
                        return Err(std::io::Error::other(e));
                    }
                }
                pending = 0;
            }
            Ok(())
        };
    for line in file.lines() {
        let line = line?;
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 4 {
            continue;
        }
        let mask: u32 = f[3].parse().unwrap_or(0);
        for v in [f[1], f[2], f[0]] {
            all.push(v.to_owned());
        }
        total += 1;
        if mask & DISCOUNT_MEAL != 0 {
            for v in [f[1], f[2], f[0]] {
                rare.push(v.to_owned());
            }
            rare_total += 1;
        }
        if all.len() >= 3 * BATCH {
            flush_batch(&mut c, b"stations", &mut all)?;
        }
        if rare.len() >= 3 * BATCH {
            flush_batch(&mut c, b"stations:discount_meal", &mut rare)?;
        }
    }
    flush_batch(&mut c, b"stations", &mut all)?;
    flush_batch(&mut c, b"stations:discount_meal", &mut rare)?;
    c.flush()?;
    for _ in 0..pending {
        if let Reply::Error(e) = c.reply()? {
            return Err(std::io::Error::other(e));
        }
    }
    println!(
        "LOADED {total} {rare_total} {:.3}",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

struct ThreadResult {
    latencies_us: Vec<u32>,
    calls: u64,
    errors: u64,
}

fn run_thread(
    addr: &str,
    key: &str,
    points: &[(String, String)],
    start: usize,
    r0: f64,
    warm_end: Instant,
    end: Instant,
) -> std::io::Result<ThreadResult> {
    let mut c = Conn::open(addr)?;
    let mut out = ThreadResult {
        latencies_us: Vec::with_capacity(1 << 20),
        calls: 0,
        errors: 0,
    };
    let mut i = start;
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        let (lon, lat) = &points[i % points.len()];
        i += 1;
        let mut r = r0;
        let mut calls = 0u64;
        let mut failed = false;
        loop {
            let rs = format!("{r}");
            c.send(&[
                b"GEOSEARCH",
                key.as_bytes(),
                b"FROMLONLAT",
                lon.as_bytes(),
                lat.as_bytes(),
                b"BYRADIUS",
                rs.as_bytes(),
                b"m",
                b"ASC",
                b"COUNT",
                b"10",
                b"WITHDIST",
            ])?;
            c.flush()?;
            calls += 1;
            let found = match c.reply()? {
                Reply::Array(items) => items.len(),
                Reply::Error(_) | Reply::Int | Reply::Bulk | Reply::Status => {
                    failed = true;
                    0
                }
            };
            if failed || found >= 10 || r >= EARTH_M {
                break;
            }
            r *= 4.0;
        }
        if t0 >= warm_end {
            let us = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
            out.latencies_us.push(us);
            out.calls += calls;
            out.errors += failed as u64;
        }
    }
    Ok(out)
}

fn bench(args: &[String]) -> std::io::Result<()> {
    let [addr, key, points, conns, secs, warm, r0] = args else {
        return Err(std::io::Error::other(
            "usage: bench HOST:PORT KEY POINTS CONNS SECS WARMUP_SECS START_RADIUS_M",
        ));
    };
    let bad = |what: &str| std::io::Error::other(format!("bad {what}"));
    let conns: usize = conns.parse().map_err(|_| bad("CONNS"))?;
    let secs: f64 = secs.parse().map_err(|_| bad("SECS"))?;
    let warm: f64 = warm.parse().map_err(|_| bad("WARMUP_SECS"))?;
    let r0: f64 = r0.parse().map_err(|_| bad("START_RADIUS_M"))?;
    let pts: Vec<(String, String)> = std::fs::read_to_string(points)?
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.to_owned(), it.next()?.to_owned()))
        })
        .collect();
    if pts.is_empty() {
        return Err(std::io::Error::other("no points"));
    }
    let t = Instant::now();
    let warm_end = t + Duration::from_secs_f64(warm);
    let end = warm_end + Duration::from_secs_f64(secs);
    let results: Vec<std::io::Result<ThreadResult>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..conns)
            .map(|ci| {
                let pts = &pts;
                let start = ci * pts.len() / conns;
                s.spawn(move || run_thread(addr, key, pts, start, r0, warm_end, end))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("thread panicked")))
            })
            .collect()
    });
    let mut lat: Vec<u32> = Vec::new();
    let (mut calls, mut errors) = (0u64, 0u64);
    for r in results {
        let r = r?;
        lat.extend_from_slice(&r.latencies_us);
        calls += r.calls;
        errors += r.errors;
    }
    if lat.is_empty() {
        return Err(std::io::Error::other("no queries completed"));
    }
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    println!(
        "RESULT {:.1} {:.3} {:.3} {:.3} {}",
        lat.len() as f64 / secs,
        pct(0.50),
        pct(0.99),
        calls as f64 / lat.len() as f64,
        errors
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let res = match args.first().map(String::as_str) {
        Some("load") if args.len() == 3 => load(&args[1], &args[2]),
        Some("bench") => bench(&args[1..]),
        _ => Err(std::io::Error::other(
            "usage: redis_geo load HOST:PORT STATIONS.tsv | redis_geo bench HOST:PORT KEY POINTS CONNS SECS WARMUP_SECS START_RADIUS_M",
        )),
    };
    if let Err(e) = res {
        eprintln!("redis_geo: {e}");
        std::process::exit(1);
    }
}
