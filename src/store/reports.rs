//! Problem reports from riders ("this station is closed", "no charger here"): durable, rate-limited.

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
    #[error("could not store the report: {0}")]
    Io(#[from] std::io::Error),
}

/// The report log: an append-only JSON-lines file, fsynced per report, and its contents in memory.
pub struct ReportLog {
    path: PathBuf,
    reports: Mutex<Vec<Report>>,
}

impl ReportLog {
    /// Loads `reports.jsonl`; a torn last line (a crash mid-append) is skipped, not fatal.
    pub fn open(dir: &Path) -> std::io::Result<ReportLog> {
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
        Ok(ReportLog {
            path,
            reports: Mutex::new(reports),
        })
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
        let mut reports = self.reports.lock().unwrap_or_else(|p| p.into_inner());
        let report = Report {
            id: format!("r{}", reports.len() + 1),
            station_id: station_id.to_owned(),
            reason,
            comment: comment.map(str::to_owned),
            created_at: crate::store::now_rfc3339(),
            status: "open".into(),
        };
        let mut line = serde_json::to_vec(&report).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(&line)?;
        f.sync_data()?;
        reports.push(report.clone());
        Ok(report)
    }

    /// Open reports, newest first.
    pub fn open_reports(&self) -> Vec<Report> {
        let reports = self.reports.lock().unwrap_or_else(|p| p.into_inner());
        reports
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
}
