//! A keyed journal: the latest value per key, kept as an append-only log of JSON lines ([`Backend`]).
//!
//! Made for station state, which changes often and a few keys at a time (a host confirms one station): an
//! append and one fsync (or one commit) per change, instead of rewriting a dataset. A torn last line (a crash
//! mid-append) is never read, so every change that was acknowledged survives `kill -9`. In a data directory,
//! when the file holds much more than its live entries, it is rewritten atomically. Replicas on PostgreSQL
//! follow each other's changes with [`Journal::catch_up`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::backend::{Backend, Cursor};
use super::StoreError;

#[derive(Serialize, Deserialize)]
struct Line<T> {
    key: String,
    #[serde(default = "none")]
    value: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// Compact when the log is this many times its live entries (and over [`MIN_COMPACT_BYTES`]).
const COMPACT_FACTOR: u64 = 4;
const MIN_COMPACT_BYTES: u64 = 1 << 20;

pub struct Journal {
    backend: Arc<dyn Backend>,
    log: String,
    /// (bytes in the log, what has been taken in).
    at: Mutex<(u64, Cursor)>,
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::Io {
        path: "journal".into(),
        source: e.into(),
    }
}

/// Applies a log's lines to `map`, returning the keys they touched; an unreadable line is skipped (logged).
fn apply<T: DeserializeOwned>(bytes: &[u8], map: &mut HashMap<String, T>) -> Vec<String> {
    let mut touched = Vec::new();
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match serde_json::from_slice::<Line<T>>(line) {
            Ok(Line {
                key,
                value: Some(v),
            }) => {
                map.insert(key.clone(), v);
                touched.push(key);
            }
            Ok(Line { key, value: None }) => {
                map.remove(&key);
                touched.push(key);
            }
            Err(e) => tracing::warn!(error = %e, "skipping an unreadable journal line"),
        }
    }
    touched
}

impl Journal {
    /// Reads the whole log into a map.
    pub fn open<T: DeserializeOwned + Serialize>(
        backend: Arc<dyn Backend>,
        log: &str,
    ) -> Result<(Journal, HashMap<String, T>), StoreError> {
        let (bytes, cursor) = backend.read_log(log, 0)?;
        let mut map = HashMap::new();
        apply(&bytes, &mut map);
        let journal = Journal {
            backend,
            log: log.to_owned(),
            at: Mutex::new((bytes.len() as u64, cursor)),
        };
        Ok((journal, map))
    }

    /// Takes in what other holders appended since; the keys it touched.
    pub fn catch_up<T: DeserializeOwned>(
        &self,
        map: &mut HashMap<String, T>,
    ) -> Result<Vec<String>, StoreError> {
        let mut at = self.at.lock().unwrap_or_else(|p| p.into_inner());
        let (bytes, cursor) = self.backend.read_log(&self.log, at.1)?;
        at.1 = cursor;
        at.0 += bytes.len() as u64;
        Ok(apply(&bytes, map))
    }

    /// Appends `changes` (`None`: the key was removed), durably; `all` is the map after them, written whole
    /// instead when the file has outgrown it. Call [`catch_up`](Self::catch_up) first under the backend's lock.
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
            serde_json::to_writer(&mut buf, &line).map_err(json_err)?;
            buf.push(b'\n');
        }
        let mut at = self.at.lock().unwrap_or_else(|p| p.into_inner());
        // Our own lines: taken in already (the caller's map), so the cursor moves past them.
        at.1 = self.backend.append(&self.log, &buf)?;
        at.0 += buf.len() as u64;
        if !self.backend.shared() {
            let whole = encode_all(all)?;
            let live = whole.len() as u64;
            if at.0 > (COMPACT_FACTOR * live).max(MIN_COMPACT_BYTES) {
                // Housekeeping: the lines are durable already, a failure only leaves the file long.
                match self.backend.compact(&self.log, &whole) {
                    Ok(Some(cursor)) => *at = (live, cursor),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "could not compact a journal"),
                }
            }
        }
        Ok(())
    }
}

fn encode_all<T: Serialize>(all: &HashMap<String, T>) -> Result<Vec<u8>, StoreError> {
    let mut keys: Vec<&String> = all.keys().collect();
    keys.sort_unstable();
    let mut buf = Vec::new();
    for k in keys {
        let line = Line {
            key: k.clone(),
            value: all.get(k),
        };
        serde_json::to_writer(&mut buf, &line).map_err(json_err)?;
        buf.push(b'\n');
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;
    use std::io::Write;

    fn backend(p: &std::path::Path) -> Arc<dyn Backend> {
        Arc::new(crate::store::backend::Dir::open(p).unwrap())
    }

    #[test]
    fn latest_value_wins_removals_stick_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (j, mut m) = Journal::open::<u32>(backend(dir.path()), "j").unwrap();
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
        let (_, m2) = Journal::open::<u32>(backend(dir.path()), "j").unwrap();
        assert_eq!(m2, HashMap::from([("a".to_owned(), 3)]));
    }

    #[test]
    fn the_file_is_compacted_when_it_outgrows_its_entries() {
        let dir = tempfile::tempdir().unwrap();
        let (j, mut m) = Journal::open::<String>(backend(dir.path()), "j").unwrap();
        let big = "x".repeat(10_000);
        for i in 0..300 {
            m.insert("k".into(), format!("{big}{i}"));
            j.append(&[("k", m.get("k"))], &m).unwrap();
        }
        let len = std::fs::metadata(dir.path().join("j.jsonl")).unwrap().len();
        assert!(len <= MIN_COMPACT_BYTES + 20_000, "{len}");
        let (_, m2) = Journal::open::<String>(backend(dir.path()), "j").unwrap();
        assert_eq!(m2.get("k"), Some(&format!("{big}299")));
    }
}
