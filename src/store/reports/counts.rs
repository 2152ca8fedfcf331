//! Open cases per station, read by every station read (`open_reports`): an immutable value swapped whole on
//! each change, so readers never wait for a writer's fsync.

use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenCounts {
    by_station: HashMap<String, u32>,
    digest: u64,
}

impl OpenCounts {
    /// Received and in-progress cases of `station_id`.
    pub fn get(&self, station_id: &str) -> u32 {
        // Most of the time no station has an open case: skip hashing the id on every feature of every read.
        if self.by_station.is_empty() {
            return 0;
        }
        self.by_station.get(station_id).copied().unwrap_or(0)
    }

    /// A content hash of the (station, count) pairs, for ETags: changes whenever a count does, and is the same
    /// for the same counts in any process (no random hash keys).
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// Stations with at least one open case.
    pub fn stations(&self) -> usize {
        self.by_station.len()
    }

    /// Adds `delta` (±1) to a station's count, keeping the digest in step: XOR out the old pair, XOR in the new.
    pub(super) fn add(&mut self, station_id: &str, delta: i64) {
        let old = self.get(station_id);
        let new = u32::try_from((i64::from(old) + delta).max(0)).unwrap_or(u32::MAX);
        self.digest ^= pair_hash(station_id, old) ^ pair_hash(station_id, new);
        if new == 0 {
            self.by_station.remove(station_id);
        } else {
            self.by_station.insert(station_id.to_owned(), new);
        }
    }
}

/// FNV-1a over the pair, then SplitMix64's finaliser so that nearby counts give unrelated bits. 0 for a zero
/// count, so a station without open cases is the same as an absent one.
fn pair_hash(station_id: &str, count: u32) -> u64 {
    if count == 0 {
        return 0;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in station_id.bytes().chain([0xff]).chain(count.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_follows_the_counts_not_the_order() {
        let mut a = OpenCounts::default();
        assert_eq!(a.digest(), 0);
        a.add("x", 1);
        let one = a.digest();
        assert_ne!(one, 0);
        a.add("x", 1);
        assert_ne!(a.digest(), one);
        a.add("y", 1);
        a.add("x", -1);
        let mut b = OpenCounts::default();
        b.add("y", 1);
        b.add("x", 1);
        assert_eq!(a, b);
        assert_eq!(a.get("x"), 1);
        b.add("x", -1);
        b.add("y", -1);
        assert_eq!((b.digest(), b.stations(), b.get("x")), (0, 0, 0));
    }
}
