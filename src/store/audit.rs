//! The audit trail: `audit.jsonl` in the data directory, one JSON line per change, append-only.
//!
//! Each append is fsynced before it returns (like the station-state journal), so an entry that was written
//! survives `kill -9`; a torn last line (a crash mid-append) is skipped when the file is read. The file is never
//! rewritten: who changed what is exactly what must not be lost or edited. Reads scan the file, newest first —
//! the audit is read by admins now and then, never on the riders' path.

use std::fs::OpenOptions;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{io, StoreError};

/// The file, beside the dataset versions.
pub const FILE: &str = "audit.jsonl";

/// One change: who, what, when, and what it did to the dataset.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    /// RFC 3339, UTC, milliseconds.
    pub at: String,
    /// A token's name, `admin` for the full token, or `host:<station id>`.
    pub actor: String,
    /// `upload (replace)`, `upload (upsert)`, `patch`, `delete`, `rollback`, `confirm`, `case`, `calendar`,
    /// `token add`, `token revoke`.
    pub action: String,
    /// The dataset version after the change, when it concerns the dataset.
    pub dataset_version: Option<String>,
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    /// What was changed, for a person: station ids, a case and its new status, a token's name and scope.
    pub detail: String,
}

pub struct AuditLog {
    path: PathBuf,
    /// Serialises appends, so two lines never interleave.
    lock: Mutex<()>,
}

impl AuditLog {
    pub fn open(dir: &Path) -> AuditLog {
        AuditLog {
            path: dir.join(FILE),
            lock: Mutex::new(()),
        }
    }

    /// Appends `entry` (its `at` set to now if empty) and fsyncs the file before returning.
    pub fn append(&self, mut entry: AuditEntry) -> Result<(), StoreError> {
        if entry.at.is_empty() {
            entry.at = super::now_rfc3339();
        }
        let mut line = serde_json::to_vec(&entry).map_err(|e| io(&self.path)(e.into()))?;
        line.push(b'\n');
        let _held = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io(&self.path))?;
        f.write_all(&line).map_err(io(&self.path))?;
        f.sync_data().map_err(io(&self.path))
    }

    /// The entries that `keep` accepts, newest first: `offset` of them skipped, then at most `limit`; with the
    /// number of all accepted ones.
    pub fn newest_first(
        &self,
        keep: impl Fn(&AuditEntry) -> bool,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, usize), StoreError> {
        let f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(e) => return Err(io(&self.path)(e)),
        };
        let mut all = Vec::new();
        for line in std::io::BufReader::new(f).split(b'\n') {
            let line = line.map_err(io(&self.path))?;
            // A torn last line (crash mid-append) or a damaged one is skipped, never fatal.
            if let Ok(e) = serde_json::from_slice::<AuditEntry>(&line) {
                if keep(&e) {
                    all.push(e);
                }
            }
        }
        let total = all.len();
        let page = all.into_iter().rev().skip(offset).take(limit).collect();
        Ok((page, total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_survive_reopening_and_come_back_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path());
        for (i, action) in ["upload (replace)", "patch", "delete"].iter().enumerate() {
            log.append(AuditEntry {
                actor: "admin".into(),
                action: (*action).into(),
                added: i,
                ..Default::default()
            })
            .unwrap();
        }
        // A torn line at the end is skipped.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(FILE))
            .unwrap();
        f.write_all(b"{\"at\":\"2026").unwrap();
        let log = AuditLog::open(dir.path());
        let (page, total) = log.newest_first(|_| true, 0, 2).unwrap();
        assert_eq!(total, 3);
        assert_eq!(page[0].action, "delete");
        assert_eq!(page[1].action, "patch");
        assert!(!page[0].at.is_empty());
        let (page, _) = log.newest_first(|e| e.action == "patch", 0, 10).unwrap();
        assert_eq!(page.len(), 1);
    }
}
