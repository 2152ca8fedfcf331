//! Problem reports from riders ("this station is closed", "no charger here"): durable, capped per station
//! and per day, pruned after [`Limits::keep_days`], and never larger than [`Limits::max_bytes`] on disk.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Longest accepted comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Closed,
    Moved,
    AmenityMissing,
    WrongHours,
    RefusedEntry,
    Other,
}

impl Reason {
    pub const KEYS: &'static str =
        "closed, moved, amenity_missing, wrong_hours, refused_entry, other";

    pub fn parse(s: &str) -> Option<Reason> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub id: String,
    pub station_id: String,
    pub reason: Reason,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub status: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("reason must be one of {keys}, got {0:?}", keys = Reason::KEYS)]
    BadReason(String),
    #[error("comment is longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
    /// This station, or the whole service, has had its reports for the day (UTC).
    #[error("{what} has had the {cap} reports a day it accepts; retry tomorrow (UTC)")]
    DailyCap {
        what: &'static str,
        cap: u32,
        retry_after: u64,
    },
    /// The log has reached its size limit, even after pruning.
    #[error("the problem-report log is full ({0} MiB); nothing was stored. An admin must resolve or prune reports")]
    Full(u64),
    #[error("could not store the report: {0}")]
    Io(#[from] std::io::Error),
}

/// How much the log accepts and keeps.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_station_per_day: u32,
    pub per_day: u32,
    /// Largest size of `reports.jsonl`, so that reports can never take the datasets' disk space.
    pub max_bytes: u64,
    /// Reports older than this are dropped when the log is opened or compacted.
    pub keep_days: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_station_per_day: 50,
            per_day: 5_000,
            max_bytes: 16 * 1024 * 1024,
            keep_days: 180,
        }
    }
}

/// The reports in memory, and what the limits need to know about them.
struct State {
    reports: Vec<Report>,
    /// Next report number: ids are never reused, even after pruning.
    next: u64,
    /// Size of the file on disk.
    bytes: u64,
    /// The UTC day (`YYYY-MM-DD`) the counts are for, the count per station and in all.
    day: String,
    per_station: HashMap<String, u32>,
    today: u32,
}

impl State {
    fn new(reports: Vec<Report>, bytes: u64) -> State {
        let next = reports
            .iter()
            .filter_map(|r| r.id.strip_prefix('r')?.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        let mut st = State {
            reports,
            next,
            bytes,
            day: String::new(),
            per_station: HashMap::new(),
            today: 0,
        };
        st.recount(utc_day(&crate::store::now_rfc3339()));
        st
    }

    fn recount(&mut self, day: &str) {
        self.day = day.to_owned();
        self.per_station.clear();
        self.today = 0;
        for r in self
            .reports
            .iter()
            .filter(|r| utc_day(&r.created_at) == day)
        {
            *self.per_station.entry(r.station_id.clone()).or_default() += 1;
            self.today += 1;
        }
    }

    /// `Err` when `station_id` or the service has had its reports for `day`.
    fn check_caps(
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

/// The `YYYY-MM-DD` of an RFC 3339 UTC time stamp.
fn utc_day(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

fn seconds_to_next_utc_day() -> u64 {
    let now = chrono::Utc::now();
    let secs = chrono::Timelike::num_seconds_from_midnight(&now);
    u64::from(86_400 - secs.min(86_399))
}

/// Whether a report is kept: not resolved, and younger than `keep_days`.
fn kept(r: &Report, now: chrono::DateTime<chrono::Utc>, keep_days: i64) -> bool {
    let young = chrono::DateTime::parse_from_rfc3339(&r.created_at)
        .map(|t| now.signed_duration_since(t) <= chrono::Duration::days(keep_days))
        .unwrap_or(true);
    r.status != "resolved" && young
}

/// The report log: an append-only JSON-lines file, fsynced per report, and its contents in memory.
pub struct ReportLog {
    path: PathBuf,
    limits: Limits,
    state: Mutex<State>,
}

impl ReportLog {
    /// Loads `reports.jsonl` with the default [`Limits`]; see [`open_with`](Self::open_with).
    pub fn open(dir: &Path) -> std::io::Result<ReportLog> {
        Self::open_with(dir, Limits::default())
    }

    /// Loads `reports.jsonl`; a torn last line (a crash mid-append) is skipped, not fatal. Resolved and
    /// expired reports are pruned (the file rewritten atomically).
    pub fn open_with(dir: &Path, limits: Limits) -> std::io::Result<ReportLog> {
        let path = dir.join("reports.jsonl");
        let mut reports = Vec::new();
        match std::fs::File::open(&path) {
            Ok(f) => {
                for line in std::io::BufReader::new(f).lines() {
                    match serde_json::from_str::<Report>(&line?) {
                        Ok(r) => reports.push(r),
                        Err(e) => {
                            tracing::warn!(error = %e, "skipping an unreadable line in reports.jsonl")
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let log = ReportLog {
            path,
            limits,
            state: Mutex::new(State::new(reports, bytes)),
        };
        // Pruning is housekeeping: a failure to rewrite leaves the file as it was, and is retried when the log
        // next reaches its size limit.
        if let Err(e) = log.compact(&mut log.lock()) {
            tracing::warn!(error = %e, "could not compact the report log");
        }
        Ok(log)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops resolved and expired reports; rewrites the file (temp, fsync, rename) if any went, or if it holds
    /// more than the kept reports (torn lines).
    fn compact(&self, st: &mut State) -> std::io::Result<()> {
        let now = chrono::Utc::now();
        let before = st.reports.len();
        st.reports.retain(|r| kept(r, now, self.limits.keep_days));
        let mut buf = Vec::new();
        for r in &st.reports {
            serde_json::to_writer(&mut buf, r).map_err(std::io::Error::other)?;
            buf.push(b'\n');
        }
        if st.reports.len() == before && buf.len() as u64 == st.bytes {
            return Ok(());
        }
        super::write_atomic(&self.path, &buf)?;
        tracing::info!(
            pruned = before - st.reports.len(),
            kept = st.reports.len(),
            "report log compacted"
        );
        st.bytes = buf.len() as u64;
        let day = st.day.clone();
        st.recount(&day);
        Ok(())
    }

    pub fn add(
        &self,
        station_id: &str,
        reason: &str,
        comment: Option<&str>,
    ) -> Result<Report, ReportError> {
        let reason =
            Reason::parse(reason).ok_or_else(|| ReportError::BadReason(reason.to_owned()))?;
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
            return Err(ReportError::CommentTooLong);
        }
        let mut st = self.lock();
        let created_at = crate::store::now_rfc3339();
        st.check_caps(station_id, utc_day(&created_at), &self.limits)?;
        let report = Report {
            id: format!("r{}", st.next),
            station_id: station_id.to_owned(),
            reason,
            comment: comment.map(str::to_owned),
            created_at,
            status: "open".into(),
        };
        let mut line = serde_json::to_vec(&report).map_err(std::io::Error::other)?;
        line.push(b'\n');
        if st.bytes + line.len() as u64 > self.limits.max_bytes {
            self.compact(&mut st)?;
            if st.bytes + line.len() as u64 > self.limits.max_bytes {
                return Err(ReportError::Full(self.limits.max_bytes / (1024 * 1024)));
            }
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(&line)?;
        f.sync_data()?;
        st.bytes += line.len() as u64;
        st.next += 1;
        st.today += 1;
        *st.per_station.entry(report.station_id.clone()).or_default() += 1;
        st.reports.push(report.clone());
        Ok(report)
    }

    /// Open reports, newest first.
    pub fn open_reports(&self) -> Vec<Report> {
        let st = self.lock();
        st.reports
            .iter()
            .rev()
            .filter(|r| r.status == "open")
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_survive_a_reopen_and_list_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = ReportLog::open(dir.path()).unwrap();
        log.add("a", "closed", Some("门关着")).unwrap();
        log.add("b", "wrong_hours", None).unwrap();
        assert!(matches!(
            log.add("b", "bogus", None),
            Err(ReportError::BadReason(_))
        ));
        assert!(matches!(
            log.add("b", "other", Some(&"x".repeat(501))),
            Err(ReportError::CommentTooLong)
        ));
        // a torn line at the end
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join("reports.jsonl"))
            .unwrap();
        f.write_all(b"{\"id\":\"r3\",\"stat").unwrap();
        let log = ReportLog::open(dir.path()).unwrap();
        let ids: Vec<String> = log
            .open_reports()
            .into_iter()
            .map(|r| r.station_id)
            .collect();
        assert_eq!(ids, vec!["b", "a"]);
    }

    #[test]
    fn daily_caps_per_station_and_in_all() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            per_station_per_day: 2,
            per_day: 3,
            ..Limits::default()
        };
        let log = ReportLog::open_with(dir.path(), limits).unwrap();
        log.add("a", "closed", None).unwrap();
        log.add("a", "closed", None).unwrap();
        let e = log.add("a", "closed", None).unwrap_err();
        assert!(
            matches!(e, ReportError::DailyCap { what: "this station", retry_after, .. } if (1..=86_400).contains(&retry_after)),
            "{e}"
        );
        log.add("b", "closed", None).unwrap();
        let e = log.add("c", "closed", None).unwrap_err();
        assert!(
            matches!(
                e,
                ReportError::DailyCap {
                    what: "the service",
                    ..
                }
            ),
            "{e}"
        );
        // The counts survive a reopen.
        let log = ReportLog::open_with(dir.path(), limits).unwrap();
        assert!(log.add("c", "closed", None).is_err());
    }

    #[test]
    fn resolved_and_old_reports_are_pruned_on_open_and_ids_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let line = |id: &str, at: &str, status: &str| {
            format!(
                r#"{{"id":"{id}","station_id":"s","reason":"closed","created_at":"{at}","status":"{status}"}}"#
            )
        };
        let now = crate::store::now_rfc3339();
        let body = [
            line("r1", "2020-01-01T00:00:00.000Z", "open"),
            line("r2", &now, "resolved"),
            line("r3", &now, "open"),
        ]
        .join("\n")
            + "\n";
        std::fs::write(dir.path().join("reports.jsonl"), body).unwrap();
        let log = ReportLog::open(dir.path()).unwrap();
        let ids: Vec<String> = log.open_reports().into_iter().map(|r| r.id).collect();
        assert_eq!(ids, vec!["r3"]);
        let text = std::fs::read_to_string(dir.path().join("reports.jsonl")).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert_eq!(log.add("s", "moved", None).unwrap().id, "r4");
    }

    #[test]
    fn a_full_log_refuses_reports_and_stays_within_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            max_bytes: 1000,
            ..Limits::default()
        };
        let log = ReportLog::open_with(dir.path(), limits).unwrap();
        let mut stored = 0;
        let err = loop {
            match log.add("s", "other", Some(&"x".repeat(100))) {
                Ok(_) => stored += 1,
                Err(e) => break e,
            }
        };
        assert!(matches!(err, ReportError::Full(_)), "{err}");
        assert!(stored > 3);
        let len = std::fs::metadata(dir.path().join("reports.jsonl"))
            .unwrap()
            .len();
        assert!(len <= 1000, "{len}");
    }
}
