//! The audit trail: the log `audit` of the [`Backend`] (`audit.jsonl` in a data directory), one JSON line per
//! change, append-only.
//!
//! Each append is fsynced before it returns (like the station-state journal), so an entry that was written
//! survives `kill -9`; a torn last line (a crash mid-append) is skipped when the file is read. The file is never
//! rewritten: who changed what is exactly what must not be lost or edited. Reads scan the file, newest first —
//! the audit is read by admins now and then, never on the riders' path.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::backend::Backend;
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
    backend: Arc<dyn Backend>,
}

/// The log's name (`audit.jsonl` in a data directory).
const LOG: &str = "audit";

impl AuditLog {
    pub fn open(backend: Arc<dyn Backend>) -> AuditLog {
        AuditLog { backend }
    }

    /// Appends `entry` (its `at` set to now if empty); durable when this returns.
    pub fn append(&self, mut entry: AuditEntry) -> Result<(), StoreError> {
        if entry.at.is_empty() {
            entry.at = super::now_rfc3339();
        }
        let mut line = serde_json::to_vec(&entry).map_err(|e| io(Path::new(FILE))(e.into()))?;
        line.push(b'\n');
        // Nobody follows the audit log from a cursor (it is read whole, newest first).
        self.backend.append(LOG, &line).map(|_| ())
    }

    /// The entries that `keep` accepts, newest first: `offset` of them skipped, then at most `limit`; with the
    /// number of all accepted ones.
    pub fn newest_first(
        &self,
        keep: impl Fn(&AuditEntry) -> bool,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, usize), StoreError> {
        let (bytes, _) = self.backend.read_log(LOG, 0)?;
        let mut all = Vec::new();
        for line in bytes.split(|&b| b == b'\n') {
            // A damaged line is skipped, never fatal (a torn last one is never returned).
            if let Ok(e) = serde_json::from_slice::<AuditEntry>(line) {
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
    use std::fs::OpenOptions;
    use std::io::Write;

    #[test]
    fn appends_survive_reopening_and_come_back_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(Arc::new(
            crate::store::backend::Dir::open(dir.path()).unwrap(),
        ));
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
        let log = AuditLog::open(Arc::new(
            crate::store::backend::Dir::open(dir.path()).unwrap(),
        ));
        let (page, total) = log.newest_first(|_| true, 0, 2).unwrap();
        assert_eq!(total, 3);
        assert_eq!(page[0].action, "delete");
        assert_eq!(page[1].action, "patch");
        assert!(!page[0].at.is_empty());
        let (page, _) = log.newest_first(|e| e.action == "patch", 0, 10).unwrap();
        assert_eq!(page.len(), 1);
    }
}
