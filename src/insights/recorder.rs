//! Recording on the query path: a few mutex-guarded shards (a thread keeps to one, so locks are uncontended)
//! that a flush drains into the totals once a minute. A record is one H3 conversion, one atomic load for the
//! hour, one uncontended lock and one hash-map update; no allocation once a shard's map has grown to its
//! working size (draining keeps the capacity).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;
use h3o::{LatLng, Resolution};

use super::aggregate::{Aggregate, Counts, Key};

/// Shards of pending records: more than the HTTP threads of the 2-core deployment, so threads seldom share one.
const SHARDS: usize = 8;

/// Keys one shard holds between flushes (a minute); past it, counts go to the overflow. With
/// [`super::aggregate::MAX_KEYS`] this bounds the whole: 600k + 8 × 32,768 keys (docs/PRIVACY.md has the figure).
pub const MAX_PENDING_KEYS: usize = 32_768;

/// How long hour buckets are kept: 90 days.
pub const RETENTION_HOURS: u32 = 90 * 24;

/// The H3 resolution of the cells (≈ 0.74 km², edge ≈ 460 m).
pub const RESOLUTION: Resolution = Resolution::Eight;

/// The cell of a WGS-84 point, as its index.
pub fn cell_of(lon: f64, lat: f64) -> Option<u64> {
    LatLng::new(lat, lon)
        .ok()
        .map(|p| u64::from(p.to_cell(RESOLUTION)))
}

/// The local hour index of now, cached until the hour ends: the clock and the time-zone lookup are paid
/// once an hour, not once a search.
struct HourClock {
    tz: Tz,
    /// `end_secs << 32 | hour`: the cached hour and the Unix second it ends at.
    cached: AtomicU64,
}

impl HourClock {
    fn new(tz: Tz) -> HourClock {
        HourClock {
            tz,
            cached: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u32 {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let c = self.cached.load(Ordering::Relaxed);
        let end = c >> 32;
        if secs < end && secs + 3600 >= end {
            return c as u32;
        }
        let (hour, end) = self.hour_at(secs);
        self.cached
            .store((end << 32) | u64::from(hour), Ordering::Relaxed);
        hour
    }

    /// The local hour index at Unix second `secs` and the Unix second it ends at.
    fn hour_at(&self, secs: u64) -> (u32, u64) {
        let Some(utc) = chrono::DateTime::from_timestamp(secs as i64, 0) else {
            return (0, 0);
        };
        let local = self.tz.from_utc_datetime(&utc.naive_utc());
        let naive = local.naive_local();
        let local_secs = naive.and_utc().timestamp();
        let hour = u32::try_from(local_secs.div_euclid(3600)).unwrap_or(0);
        let into = u64::from(naive.minute() * 60 + naive.second());
        (hour, secs - into + 3600)
    }
}

thread_local! {
    static SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
}
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

/// The demand counts: pending records in shards, the flushed totals, and the retention.
pub struct Demand {
    clock: HourClock,
    shards: [Mutex<Aggregate>; SHARDS],
    totals: Mutex<Aggregate>,
}

impl Demand {
    pub fn new(tz: Tz) -> Demand {
        Demand {
            clock: HourClock::new(tz),
            shards: std::array::from_fn(|_| Mutex::new(Aggregate::with_cap(MAX_PENDING_KEYS))),
            totals: Mutex::new(Aggregate::default()),
        }
    }

    /// One search at a WGS-84 point (only its cell is kept), unmet when nothing matching lay within 1 km.
    pub fn record(&self, lon: f64, lat: f64, unmet: bool) {
        let Some(cell) = cell_of(lon, lat) else {
            return;
        };
        self.record_key(
            Key {
                cell,
                hour: self.clock.now(),
            },
            unmet,
        );
    }

    /// [`record`](Self::record) at a given cell and hour (tests and the memory probe).
    pub fn record_key(&self, key: Key, unmet: bool) {
        let shard = SHARD.with(|s| *s);
        if let Ok(mut a) = self.shards[shard].lock() {
            a.add(key, Counts::one(unmet));
        }
    }

    /// Moves the pending records into the totals and drops hours past the retention. Returns the delta it
    /// moved (what a shared store would add to its rows) so the caller can tell whether anything changed.
    pub fn flush(&self) -> Aggregate {
        let mut delta = Aggregate::default();
        for s in &self.shards {
            if let Ok(mut a) = s.lock() {
                a.drain_into(&mut delta);
            }
        }
        if let Ok(mut t) = self.totals.lock() {
            t.merge(&delta);
            t.retain_from(self.clock.now().saturating_sub(RETENTION_HOURS));
        }
        delta
    }

    /// Adds stored counts (at start; replicas' counts add up the same way).
    pub fn load(&self, stored: &Aggregate) {
        if let Ok(mut t) = self.totals.lock() {
            t.merge(stored);
        }
    }

    /// Runs `f` on the flushed totals.
    pub fn with_totals<R>(&self, f: impl FnOnce(&Aggregate) -> R) -> R {
        match self.totals.lock() {
            Ok(t) => f(&t),
            Err(p) => f(&p.into_inner()),
        }
    }

    /// The local hour index of now.
    pub fn hour_now(&self) -> u32 {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hour_clock_agrees_with_chrono_and_knows_the_weekday() {
        let c = HourClock::new(chrono_tz::Asia::Shanghai);
        // 2026-12-07 is a Monday; 08:30 in Beijing is 00:30 UTC.
        let secs = chrono::DateTime::parse_from_rfc3339("2026-12-07T00:30:00Z")
            .unwrap()
            .timestamp() as u64;
        let (hour, end) = c.hour_at(secs);
        let key = Key { cell: 0, hour };
        assert_eq!(key.hour_of_week(), 8);
        assert_eq!(end, secs + 1800);
    }

    #[test]
    fn records_reach_the_totals_only_at_a_flush() {
        let d = Demand::new(chrono_tz::Asia::Shanghai);
        for _ in 0..3 {
            d.record(116.4, 39.9, false);
        }
        d.record(116.4, 39.9, true);
        assert_eq!(d.with_totals(Aggregate::len), 0);
        let delta = d.flush();
        assert_eq!(delta.len(), 1);
        let all: Vec<_> = d.with_totals(|t| t.iter().collect());
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0].1,
            Counts {
                searches: 4,
                unmet: 1
            }
        );
        assert_eq!(all[0].0.cell, cell_of(116.4, 39.9).unwrap());
    }
}
