//! The demand aggregate: counts per (H3 cell, local hour), nothing else. A key names a cell of about 0.74 km²
//! (resolution 8) and an hour, never a point, so no rider's position can be read back from it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Most distinct keys the aggregate holds. Beijing at resolution 8 is ≈ 23k cells, so this holds a day of every
/// cell at every hour (23k × 24 = 552k) and far more once the traffic concentrates in the city, as it does.
/// Past it, counts go to [`Aggregate::overflow`]: memory stays bounded (44 MB resident at the cap, measured by
/// `bench/insights_mem.rs`),
/// and the total stays right.
pub const MAX_KEYS: usize = 600_000;

/// One cell in one local hour: `hour` counts hours since 1970-01-01 00:00 in the service time zone, so the day
/// and the hour of the week follow from it and a date range selects keys without another field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The H3 cell index (resolution 8).
    pub cell: u64,
    pub hour: u32,
}

impl Key {
    /// Days since 1970-01-01 (local).
    pub fn day(self) -> u32 {
        self.hour / 24
    }

    /// 0 = Monday 00:00–01:00 … 167 = Sunday 23:00–24:00, local time. 1970-01-01 was a Thursday.
    pub fn hour_of_week(self) -> u16 {
        let weekday = (self.day() + 3) % 7;
        (weekday * 24 + self.hour % 24) as u16
    }
}

/// Searches and the unmet ones among them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub searches: u64,
    pub unmet: u64,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.searches = self.searches.saturating_add(other.searches);
        self.unmet = self.unmet.saturating_add(other.unmet);
    }

    /// One search, unmet or not.
    pub fn one(unmet: bool) -> Counts {
        Counts {
            searches: 1,
            unmet: u64::from(unmet),
        }
    }
}

/// A multiply-xorshift hash: the keys are already well-mixed H3 indexes, and SipHash would be most of the
/// cost of a record.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let h = self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^ (h >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(23);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}

pub type KeyMap = HashMap<Key, Counts, BuildHasherDefault<KeyHasher>>;

/// Counts by key, at most `cap` keys; what does not fit is counted in `overflow` only.
#[derive(Clone, Debug)]
pub struct Aggregate {
    map: KeyMap,
    cap: usize,
    /// Counts that came when the aggregate was full (their cell and hour are not kept).
    pub overflow: Counts,
}

impl Default for Aggregate {
    fn default() -> Self {
        Aggregate::with_cap(MAX_KEYS)
    }
}

impl Aggregate {
    pub fn with_cap(cap: usize) -> Aggregate {
        Aggregate {
            map: KeyMap::default(),
            cap,
            overflow: Counts::default(),
        }
    }

    /// Adds `c` to `key`, or to the overflow when `key` is new and the aggregate is full. Allocates only when
    /// a new key needs room the map does not have yet.
    pub fn add(&mut self, key: Key, c: Counts) {
        if let Some(v) = self.map.get_mut(&key) {
            v.add(c);
        } else if self.map.len() < self.cap {
            self.map.insert(key, c);
        } else {
            self.overflow.add(c);
        }
    }

    /// Adds every count of `other` (its overflow too).
    pub fn merge(&mut self, other: &Aggregate) {
        for (&k, &c) in &other.map {
            self.add(k, c);
        }
        self.overflow.add(other.overflow);
    }

    /// Moves every count into `into`, leaving this one empty with its capacity kept (no allocation on the next
    /// round of records).
    pub fn drain_into(&mut self, into: &mut Aggregate) {
        for (k, c) in self.map.drain() {
            into.add(k, c);
        }
        into.overflow.add(std::mem::take(&mut self.overflow));
    }

    /// Forgets every key older than `first_hour` (retention).
    pub fn retain_from(&mut self, first_hour: u32) {
        self.map.retain(|k, _| k.hour >= first_hour);
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty() && self.overflow == Counts::default()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Key, Counts)> + '_ {
        self.map.iter().map(|(&k, &c)| (k, c))
    }

    /// The file form: a header line, then `cell hour searches unmet` per key (hex cell), sorted so that equal
    /// aggregates write equal bytes.
    pub fn encode(&self) -> Vec<u8> {
        use std::fmt::Write;
        let mut keys: Vec<_> = self.iter().collect();
        keys.sort_unstable_by_key(|&(k, _)| k);
        let mut s = String::with_capacity(48 + keys.len() * 32);
        let _ = writeln!(
            s,
            "yizhan-insights 1 {} {}",
            self.overflow.searches, self.overflow.unmet
        );
        for (k, c) in keys {
            let _ = writeln!(s, "{:x} {} {} {}", k.cell, k.hour, c.searches, c.unmet);
        }
        s.into_bytes()
    }

    /// Reads [`encode`](Self::encode)'s form, adding it to `self` (so that several files, or several replicas'
    /// counts, add up).
    pub fn decode_into(&mut self, bytes: &[u8]) -> Result<(), String> {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        let mut lines = text.lines();
        let head: Vec<&str> = lines.next().unwrap_or("").split(' ').collect();
        let [magic, "1", s, u] = head.as_slice() else {
            return Err("not an insights file of version 1".into());
        };
        if *magic != "yizhan-insights" {
            return Err("not an insights file".into());
        }
        let num = |v: &str| v.parse::<u64>().map_err(|e| format!("{v:?}: {e}"));
        self.overflow.add(Counts {
            searches: num(s)?,
            unmet: num(u)?,
        });
        for (n, line) in lines.enumerate() {
            let f: Vec<&str> = line.split(' ').collect();
            let [cell, hour, s, u] = f.as_slice() else {
                return Err(format!("line {}: expected 4 fields", n + 2));
            };
            let cell = u64::from_str_radix(cell, 16).map_err(|e| format!("line {}: {e}", n + 2))?;
            let hour = hour
                .parse::<u32>()
                .map_err(|e| format!("line {}: {e}", n + 2))?;
            let c = Counts {
                searches: num(s)?,
                unmet: num(u)?,
            };
            self.add(Key { cell, hour }, c);
        }
        Ok(())
    }
}
