//! The cases in memory and what the limits and lookups need: loaded from the log, changed only by
//! [`super::ReportLog`] after the event is on disk.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use super::case::{Case, Change, Line, Meta};
use super::counts::OpenCounts;
use super::{ticket, Limits, ReportError};

pub(super) struct State {
    /// By id number: creation order, so newest last.
    pub cases: BTreeMap<u64, Case>,
    /// Normalised ticket → id number.
    pub tickets: HashMap<String, u64>,
    /// Next id number: ids are never reused, even after pruning.
    pub next: u64,
    /// Size of the log, and its lines (to know when compacting pays).
    pub bytes: u64,
    pub lines: u64,
    /// What of the log has been taken in.
    pub cursor: crate::store::backend::Cursor,
    pub counts: OpenCounts,
    /// The UTC day (`YYYY-MM-DD`) the counts are for, the count per station and in all.
    day: String,
    per_station: HashMap<String, u32>,
    today: u32,
}

/// The `YYYY-MM-DD` of an RFC 3339 UTC time stamp.
pub(super) fn utc_day(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

fn seconds_to_next_utc_day() -> u64 {
    let now = chrono::Utc::now();
    let secs = chrono::Timelike::num_seconds_from_midnight(&now);
    u64::from(86_400 - secs.min(86_399))
}

/// Whether a case is kept: created within `keep_days`, and if closed, closed within `closed_keep_days`. An
/// unreadable time stamp keeps it (nothing is dropped by mistake).
fn kept(c: &Case, now: chrono::DateTime<chrono::Utc>, limits: &Limits) -> bool {
    let within = |t: &str, days: i64| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| now.signed_duration_since(t) <= chrono::Duration::days(days))
            .unwrap_or(true)
    };
    within(&c.created_at, limits.keep_days)
        && (c.is_open() || within(&c.updated_at, limits.closed_keep_days))
}

/// The file's bytes up to its last newline; a torn tail (a crash mid-append) is cut off the file itself, so
/// that the next append starts on a line of its own.
impl State {
    /// The cases of a whole log's lines, read up to `cursor`.
    pub fn load(bytes: &[u8], cursor: crate::store::backend::Cursor) -> std::io::Result<State> {
        let mut st = State {
            cases: BTreeMap::new(),
            tickets: HashMap::new(),
            next: 1,
            bytes: 0,
            lines: 0,
            cursor,
            counts: OpenCounts::default(),
            day: String::new(),
            per_station: HashMap::new(),
            today: 0,
        };
        st.take_in(bytes);
        st.recount(utc_day(&crate::store::now_rfc3339()));
        Ok(st)
    }

    /// Rebuilds the ticket index and the open counts from the cases.
    fn reindex(&mut self) {
        self.tickets.clear();
        self.counts = OpenCounts::default();
        for (&n, c) in &self.cases {
            if let Some(key) = ticket::normalize(&c.ticket) {
                self.tickets.insert(key, n);
            }
            if c.is_open() {
                self.counts.add(&c.station_id, 1);
            }
        }
    }

    /// Gives a ticket to every case without a valid one (v1 reports); `true` if any was given, so that the
    /// caller writes them down before anyone can see them.
    pub fn give_tickets(&mut self) -> std::io::Result<bool> {
        let missing: Vec<u64> = self
            .cases
            .iter()
            .filter(|&(n, c)| {
                ticket::normalize(&c.ticket).and_then(|k| self.tickets.get(&k)) != Some(n)
            })
            .map(|(&n, _)| n)
            .collect();
        for n in &missing {
            let t = self.unused_ticket()?;
            if let (Some(key), Some(c)) = (ticket::normalize(&t), self.cases.get_mut(n)) {
                self.tickets.insert(key, *n);
                c.ticket = t;
            }
        }
        Ok(!missing.is_empty())
    }

    /// A fresh ticket no kept case has (a collision of 60 random bits will not happen, but costs nothing to rule out).
    pub fn unused_ticket(&self) -> std::io::Result<String> {
        loop {
            let t = ticket::new_ticket()?;
            if ticket::normalize(&t).is_some_and(|k| !self.tickets.contains_key(&k)) {
                return Ok(t);
            }
        }
    }

    /// Drops the cases no longer [`kept`]; how many went.
    pub fn prune(&mut self, now: chrono::DateTime<chrono::Utc>, limits: &Limits) -> usize {
        let before = self.cases.len();
        self.cases.retain(|_, c| kept(c, now, limits));
        let pruned = before - self.cases.len();
        if pruned > 0 {
            self.reindex();
            let day = self.day.clone();
            self.recount(&day);
        }
        pruned
    }

    /// The compacted log: the next id, then one line per case.
    pub fn serialize(&self) -> std::io::Result<Vec<u8>> {
        let mut buf =
            serde_json::to_vec(&Meta { next: self.next }).map_err(std::io::Error::other)?;
        buf.push(b'\n');
        for c in self.cases.values() {
            serde_json::to_writer(&mut buf, c).map_err(std::io::Error::other)?;
            buf.write_all(b"\n")?;
        }
        Ok(buf)
    }

    /// Takes in a new case once it is on disk.
    pub fn insert_new(&mut self, c: Case) {
        self.insert_at(self.next, c);
    }

    /// Adds case number `n`, counting it against today's caps if it was filed today.
    fn insert_at(&mut self, n: u64, c: Case) {
        self.next = self.next.max(n + 1);
        if utc_day(&c.created_at) == self.day {
            self.today += 1;
            *self.per_station.entry(c.station_id.clone()).or_default() += 1;
        }
        if let Some(key) = ticket::normalize(&c.ticket) {
            self.tickets.insert(key, n);
        }
        if c.is_open() {
            self.counts.add(&c.station_id, 1);
        }
        self.cases.insert(n, c);
    }

    /// Takes in a log's lines (the whole log when loading; after this state's cursor, what another replica
    /// appended): cases and changes, with the ticket index, the open counts and today's caps kept up to date.
    /// A change to a case pruned since is dropped with it.
    pub fn take_in(&mut self, bytes: &[u8]) -> usize {
        let mut n = 0;
        self.bytes += bytes.len() as u64;
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            self.lines += 1;
            n += 1;
            match serde_json::from_slice::<Line>(line) {
                Ok(Line::Case(mut c)) => {
                    let Some(k) = c.number() else {
                        tracing::warn!(id = %c.id, "skipping a report with a foreign id");
                        continue;
                    };
                    if self.cases.contains_key(&k) {
                        continue;
                    }
                    c.complete();
                    self.insert_at(k, *c);
                }
                Ok(Line::Change(ch)) => self.apply(ch),
                Ok(Line::Meta(Meta { next })) => self.next = self.next.max(next),
                Err(e) => tracing::warn!(error = %e, "skipping an unreadable report line"),
            }
        }
        n
    }

    /// Applies a change once it is on disk.
    pub fn apply(&mut self, ch: Change) {
        let Some(c) = ch
            .case
            .strip_prefix('r')
            .and_then(|n| n.parse::<u64>().ok())
            .and_then(|n| self.cases.get_mut(&n))
        else {
            return;
        };
        let was_open = c.is_open();
        c.apply(change_entry(ch));
        match (was_open, c.is_open()) {
            (true, false) => self.counts.add(&c.station_id, -1),
            (false, true) => self.counts.add(&c.station_id, 1),
            _ => {}
        }
    }

    fn recount(&mut self, day: &str) {
        self.day = day.to_owned();
        self.per_station.clear();
        self.today = 0;
        for c in self
            .cases
            .values()
            .filter(|c| utc_day(&c.created_at) == day)
        {
            *self.per_station.entry(c.station_id.clone()).or_default() += 1;
            self.today += 1;
        }
    }

    /// `Err` when `station_id` or the service has had its reports for `day`.
    pub fn check_caps(
        &mut self,
        station_id: &str,
        day: &str,
        limits: &Limits,
    ) -> Result<(), ReportError> {
        if self.day != day {
            self.recount(day);
        }
        let retry_after = seconds_to_next_utc_day();
        if self.today >= limits.per_day {
            return Err(ReportError::DailyCap {
                what: "the service",
                cap: limits.per_day,
                retry_after,
            });
        }
        if self.per_station.get(station_id).copied().unwrap_or(0) >= limits.per_station_per_day {
            return Err(ReportError::DailyCap {
                what: "this station",
                cap: limits.per_station_per_day,
                retry_after,
            });
        }
        Ok(())
    }
}

fn change_entry(ch: Change) -> super::Entry {
    super::Entry {
        status: ch.status,
        at: ch.at,
        reply: ch.reply,
    }
}
