//! A keyed journal: the latest value per key, kept as an append-only JSON-lines file.
//!
//! Made for station state, which changes often and a few keys at a time (a host confirms one station): an
//! append and one fsync per change, instead of rewriting a dataset. A torn last line (a crash mid-append) is
//! skipped when the file is opened, so every change that was acknowledged (fsynced) survives `kill -9`.
//! When the file holds much more than its live entries, it is rewritten atomically.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{io, write_atomic, StoreError};

/// One line: `value: None` removes the key.
#[derive(Serialize, Deserialize)]
struct Line<T> {
    key: String,
    #[serde(default = "none")]
    value: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// Rewrite when the file is larger than this many times the live entries' bytes (and at least
/// [`MIN_COMPACT_BYTES`]): appends stay cheap, and the file stays proportional to what it holds.
const COMPACT_FACTOR: u64 = 4;
const MIN_COMPACT_BYTES: u64 = 1 << 20;

pub struct Journal {
    path: PathBuf,
    /// Bytes in the file (also the lock that serialises appends).
    bytes: Mutex<u64>,
}

impl Journal {
    /// Opens (or starts) `dir/name`, returning the latest value of every key.
    pub fn open<T: DeserializeOwned + Serialize>(
        dir: &Path,
        name: &str,
    ) -> Result<(Journal, HashMap<String, T>), StoreError> {
        let path = dir.join(name);
        let mut map = HashMap::new();
        let mut bytes = 0u64;
        match std::fs::File::open(&path) {
            Ok(f) => {
                for line in std::io::BufReader::new(f).split(b'\n') {
                    let line = line.map_err(io(&path))?;
                    bytes += line.len() as u64 + 1;
                    match serde_json::from_slice::<Line<T>>(&line) {
                        Ok(Line {
                            key,
                            value: Some(v),
                        }) => {
                            map.insert(key, v);
                        }
                        Ok(Line { key, value: None }) => {
                            map.remove(&key);
                        }
                        Err(e) => {
                            tracing::warn!(file = %path.display(), error = %e, "skipping an unreadable journal line")
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&path)(e)),
        }
        let journal = Journal {
            path,
            bytes: Mutex::new(bytes),
        };
        Ok((journal, map))
    }

    /// Appends the changes (`None` removes a key) with one fsync; `all` is the map after them, for compaction.
    pub fn append<T: Serialize>(
        &self,
        changes: &[(&str, Option<&T>)],
        all: &HashMap<String, T>,
    ) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for (key, value) in changes {
            let line = Line {
                key: (*key).to_owned(),
                value: *value,
            };
            serde_json::to_writer(&mut buf, &line).map_err(|e| io(&self.path)(e.into()))?;
            buf.push(b'\n');
        }
        let mut bytes = self.bytes.lock().unwrap_or_else(|p| p.into_inner());
        let whole = encode_all(all)?;
        let live = whole.len() as u64;
        if *bytes + buf.len() as u64 > (COMPACT_FACTOR * live).max(MIN_COMPACT_BYTES) {
            write_atomic(&self.path, &whole)?;
            *bytes = live;
            return Ok(());
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io(&self.path))?;
        f.write_all(&buf).map_err(io(&self.path))?;
        f.sync_data().map_err(io(&self.path))?;
        *bytes += buf.len() as u64;
        Ok(())
    }
}

/// Every live entry as journal lines, in key order (so a rewrite is deterministic).
fn encode_all<T: Serialize>(all: &HashMap<String, T>) -> Result<Vec<u8>, StoreError> {
    let mut keys: Vec<&String> = all.keys().collect();
    keys.sort_unstable();
    let mut buf = Vec::new();
    for k in keys {
        let line = Line {
            key: k.clone(),
            value: all.get(k),
        };
        serde_json::to_writer(&mut buf, &line).map_err(|e| StoreError::Io {
            path: PathBuf::from("journal"),
            source: e.into(),
        })?;
        buf.push(b'\n');
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_value_wins_removals_stick_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (j, mut m) = Journal::open::<u32>(dir.path(), "j.jsonl").unwrap();
        assert!(m.is_empty());
        m.insert("a".into(), 1);
        j.append(&[("a", Some(&1))], &m).unwrap();
        m.insert("b".into(), 2);
        m.insert("a".into(), 3);
        j.append(&[("b", Some(&2)), ("a", Some(&3))], &m).unwrap();
        m.remove("b");
        j.append::<u32>(&[("b", None)], &m).unwrap();
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join("j.jsonl"))
            .unwrap();
        f.write_all(b"{\"key\":\"c\",\"val").unwrap();
        let (_, m2) = Journal::open::<u32>(dir.path(), "j.jsonl").unwrap();
        assert_eq!(m2, HashMap::from([("a".to_owned(), 3)]));
    }

    #[test]
    fn the_file_is_compacted_when_it_outgrows_its_entries() {
        let dir = tempfile::tempdir().unwrap();
        let (j, mut m) = Journal::open::<String>(dir.path(), "j.jsonl").unwrap();
        let big = "x".repeat(10_000);
        for i in 0..300 {
            m.insert("k".into(), format!("{big}{i}"));
            j.append(&[("k", m.get("k"))], &m).unwrap();
        }
        let len = std::fs::metadata(dir.path().join("j.jsonl")).unwrap().len();
        assert!(len <= MIN_COMPACT_BYTES + 20_000, "{len}");
        let (_, m2) = Journal::open::<String>(dir.path(), "j.jsonl").unwrap();
        assert_eq!(m2.get("k"), Some(&format!("{big}299")));
    }
}
