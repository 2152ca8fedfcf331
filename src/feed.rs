//! The change feed (`GET /api/v1/changes?since=`): what a client holding an older download must upsert and
//! remove to hold the current one, byte for byte.
//!
//! A download is named by its token, which is its `ETag`: the dataset version, followed by `-` and the
//! digest of the stations' state when any station has state. What changed since a token is
//! - the stations whose dataset properties differ: found by comparing, line by line, the stored file of the
//!   token's dataset version (kept for rollback; one feature per line in canonical form) with the current
//!   stations written the same way — no parse of the old file beyond each line's id;
//! - the stations whose state changed (closures, confirmations; they make no dataset version): taken from
//!   [`History`], the in-memory record of which station ids each publication changed the state of.
//!
//! A token is answered only while both are known: its dataset version is still stored and its publication is
//! still in the history (the last [`MAX_HISTORY_IDS`] state changes since the process started). Otherwise the
//! client is told to download again (410).

use std::collections::{HashSet, VecDeque};

use serde::Deserialize;

use crate::overlay::StateView;
use crate::snapshot::Snapshot;
use crate::wire::geojson::{Extra, Feature, StateOut};

/// State changes remembered, counted in station ids: enough for days of confirmations, a few MB at most.
pub const MAX_HISTORY_IDS: usize = 100_000;
/// Publications remembered.
const MAX_HISTORY_ENTRIES: usize = 20_000;

/// The token of a download: the dataset version, and the state digest when any station has state.
pub fn token(version: &str, states: &StateView) -> String {
    match states.digest() {
        0 => version.to_owned(),
        d => format!("{version}-{d:016x}"),
    }
}

/// The dataset version a token names (its part before `-`).
pub fn version_of_token(token: &str) -> &str {
    token.split_once('-').map_or(token, |(v, _)| v)
}

/// Which tokens were in force, in order, and the ids whose state each publication changed.
pub struct History {
    entries: VecDeque<(String, Vec<String>)>,
    ids: usize,
}

impl History {
    pub fn new(token: String) -> Self {
        History {
            entries: VecDeque::from([(token, Vec::new())]),
            ids: 0,
        }
    }

    /// Records a publication: `token` is now in force; `changed` are the stations whose state it changed.
    pub fn record(&mut self, token: String, changed: Vec<String>) {
        self.ids += changed.len();
        self.entries.push_back((token, changed));
        while self.entries.len() > 1
            && (self.ids > MAX_HISTORY_IDS || self.entries.len() > MAX_HISTORY_ENTRIES)
        {
            if let Some((_, gone)) = self.entries.pop_front() {
                self.ids -= gone.len();
            }
        }
    }

    /// The ids whose state changed after `token` was last in force; `None` when the history does not reach it.
    pub fn state_changes_since(&self, token: &str) -> Option<HashSet<String>> {
        let at = self.entries.iter().rposition(|(t, _)| t == token)?;
        Some(
            self.entries
                .iter()
                .skip(at + 1)
                .flat_map(|(_, ids)| ids.iter().cloned())
                .collect(),
        )
    }
}

/// What a client must do: upsert these stations (positions in the current snapshot, in id order) and remove
/// these ids (in order).
#[derive(Debug, Default, PartialEq)]
pub struct Diff {
    pub upserted: Vec<u32>,
    pub removed: Vec<String>,
}

#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
}

/// The features of a stored dataset file, as `(id, line bytes)` in file (= id) order.
fn stored_features(file: &[u8]) -> Result<Vec<(String, &[u8])>, String> {
    let mut out = Vec::new();
    for line in file.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b",").unwrap_or(line);
        if !line.starts_with(b"{\"type\":\"Feature\"") {
            continue;
        }
        let f: IdOnly = serde_json::from_slice(line)
            .map_err(|e| format!("a stored feature line cannot be read: {e}"))?;
        out.push((f.id.into_owned(), line));
    }
    Ok(out)
}

/// The diff from a client holding `old_file` (a stored dataset) with the state of that time, to `now`;
/// `state_changed` are the ids whose state changed in between.
pub fn diff(
    old_file: &[u8],
    now: &Snapshot,
    state_changed: &HashSet<String>,
) -> Result<Diff, String> {
    let old = stored_features(old_file)?;
    let mut out = Diff::default();
    let mut buf = Vec::with_capacity(1024);
    let mut o = old.iter().peekable();
    for (i, s) in now.stations().iter().enumerate() {
        while let Some((id, _)) = o.next_if(|(id, _)| id.as_str() < s.id()) {
            out.removed.push(id.clone());
        }
        let same = match o.next_if(|(id, _)| id == s.id()) {
            Some((_, line)) => {
                buf.clear();
                Feature::new(s, crate::geodesy::crs::Crs::Wgs84, Extra::default())
                    .write_json(&mut buf);
                buf == *line && !state_changed.contains(s.id())
            }
            None => false,
        };
        if !same {
            out.upserted.push(i as u32);
        }
    }
    out.removed.extend(o.map(|(id, _)| id.clone()));
    // The old file's order is the stored order; keep the answer sorted whatever an old writer did.
    out.removed.sort_unstable();
    Ok(out)
}

/// A station's state as a download writes it (the status as set, not as read on a day).
pub fn download_state(states: &StateView, idx: u32) -> Option<StateOut<'_>> {
    states.get(idx).map(|st| StateOut {
        status: st.status,
        status_note: st.status_note.as_deref(),
        reopens_on: st.reopens_on,
        verified_at: st.verified_at,
        open_reports: None,
    })
}

/// The feed's body: `{"from","to","upserted":FeatureCollection,"removed":[ids]}`, the upserted features in the
/// download's form, one per line, so that a client can keep them as they came.
pub fn write_changes(
    from: &str,
    to: &str,
    now: &Snapshot,
    states: &StateView,
    d: &Diff,
) -> Vec<u8> {
    use crate::wire::geojson::write_str;
    let mut out = Vec::with_capacity(128 + 512 * d.upserted.len() + 24 * d.removed.len());
    out.extend_from_slice(b"{\"from\":");
    write_str(&mut out, from);
    out.extend_from_slice(b",\"to\":");
    write_str(&mut out, to);
    out.extend_from_slice(b",\"upserted\":{\"type\":\"FeatureCollection\",\"features\":[");
    for (n, &i) in d.upserted.iter().enumerate() {
        out.extend_from_slice(if n == 0 { b"\n" } else { b",\n" });
        let extra = Extra {
            state: download_state(states, i),
            ..Extra::default()
        };
        Feature::new(now.station(i), crate::geodesy::crs::Crs::Wgs84, extra).write_json(&mut out);
    }
    if !d.upserted.is_empty() {
        out.push(b'\n');
    }
    out.extend_from_slice(b"]},\"removed\":[");
    for (n, id) in d.removed.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_str(&mut out, id);
    }
    out.extend_from_slice(b"]}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_answers_from_the_last_time_a_token_was_in_force() {
        let mut h = History::new("v1".into());
        h.record("v1-aa".into(), vec!["a".into()]);
        h.record("v2-aa".into(), vec![]);
        h.record("v2-bb".into(), vec!["b".into()]);
        h.record("v2-aa".into(), vec!["b".into()]);
        h.record("v2-cc".into(), vec!["c".into()]);
        let ids = |t: &str| {
            h.state_changes_since(t).map(|s| {
                let mut v: Vec<String> = s.into_iter().collect();
                v.sort();
                v
            })
        };
        assert_eq!(ids("v1"), Some(vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(ids("v2-aa"), Some(vec!["c".into()]));
        assert_eq!(ids("v2-cc"), Some(vec![]));
        assert_eq!(ids("v3"), None);
        assert_eq!(version_of_token("v2-aa"), "v2");
        assert_eq!(version_of_token("v2"), "v2");
    }

    #[test]
    fn the_history_forgets_the_oldest_publications_first() {
        let mut h = History::new("t0".into());
        for i in 1..=MAX_HISTORY_IDS / 1000 + 1 {
            h.record(format!("t{i}"), (0..1000).map(|n| n.to_string()).collect());
        }
        assert!(h.state_changes_since("t0").is_none());
        assert!(h.state_changes_since("t1").is_none());
        assert!(h.state_changes_since("t2").is_some());
        assert!(h.ids <= MAX_HISTORY_IDS);
    }
}
