//! A rider's report as a case: what was reported, where it stands, and every step it took. Also the lines of
//! the log file, which is why the old (v1) report lines are read here too.

use serde::{Deserialize, Serialize};

/// Longest accepted comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;
/// Longest accepted reply to the rider, in characters.
pub const MAX_REPLY_CHARS: usize = 500;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// v1 wrote every report as `"open"`: it had not been looked at, which is what `received` means.
    #[serde(alias = "open")]
    Received,
    InProgress,
    Resolved,
    Rejected,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Received,
        Status::InProgress,
        Status::Resolved,
        Status::Rejected,
    ];
    pub const KEYS: &'static str = "received, in_progress, resolved, rejected";

    pub fn key(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Rejected => "rejected",
        }
    }

    /// Only the current keys: `open` is read from old files but is not part of the API.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.key() == s)
    }

    /// Still waiting for someone to act: counted in a station's `open_reports`.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Received | Status::InProgress)
    }

    /// Where a case may go from here. Closing straight from `received` is allowed (a duplicate, a report
    /// already fixed); a closed case comes back only by reopening it to `received` or `in_progress`.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Received => &[Status::InProgress, Status::Resolved, Status::Rejected],
            Status::InProgress => &[Status::Resolved, Status::Rejected],
            Status::Resolved | Status::Rejected => &[Status::InProgress, Status::Received],
        }
    }

    /// Staying put is allowed too: that is how a reply is changed without a new status.
    pub fn may_become(self, to: Status) -> bool {
        self == to || self.next().contains(&to)
    }
}

/// One step of a case: the status it entered, when, and the reply the rider saw from then on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub status: Status,
    /// RFC 3339, UTC.
    pub at: String,
    #[serde(default)]
    pub reply: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: String,
    /// The rider's key, `XXXX-XXXX-XXXX`; empty only in v1 lines, which are given one when loaded.
    #[serde(default)]
    pub ticket: String,
    pub station_id: String,
    pub reason: Reason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub status: Status,
    #[serde(default)]
    pub reply: Option<String>,
    #[serde(default)]
    pub updated_at: String,
    /// Oldest first, starting with `received`.
    #[serde(default)]
    pub history: Vec<Entry>,
}

impl Case {
    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    /// The number in the id (`r12` → 12); ids are only ever written by [`super::ReportLog`].
    pub fn number(&self) -> Option<u64> {
        self.id.strip_prefix('r')?.parse().ok()
    }

    /// Fills in what a v1 line lacks (`updated_at`, `history`), so every loaded case is complete.
    pub(super) fn complete(&mut self) {
        if self.updated_at.is_empty() {
            self.updated_at = self.created_at.clone();
        }
        if self.history.is_empty() {
            self.history.push(Entry {
                status: Status::Received,
                at: self.created_at.clone(),
                reply: None,
            });
            if self.status != Status::Received {
                self.history.push(Entry {
                    status: self.status,
                    at: self.updated_at.clone(),
                    reply: self.reply.clone(),
                });
            }
        }
    }

    pub(super) fn apply(&mut self, e: Entry) {
        self.status = e.status;
        self.reply = e.reply.clone();
        self.updated_at = e.at.clone();
        self.history.push(e);
    }
}

/// A change to an existing case, as appended to the log.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Change {
    pub case: String,
    pub status: Status,
    pub at: String,
    pub reply: Option<String>,
}

/// The first line of a compacted log: ids are never reused, even once every case that had them is pruned.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Meta {
    pub next: u64,
}

/// A line of `reports.jsonl`: a whole case (a new report, a compacted case, or a v1 report), or a change.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum Line {
    Change(Change),
    Meta(Meta),
    Case(Box<Case>),
}

/// The reply as stored: trimmed, and an empty one is no reply. `Err` if it is too long.
pub(super) fn clean_reply(reply: &str) -> Result<Option<String>, usize> {
    let reply = reply.trim();
    let n = reply.chars().count();
    if n > MAX_REPLY_CHARS {
        return Err(n);
    }
    Ok(Some(reply.to_owned()).filter(|r| !r.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_every_kind_are_told_apart() {
        let v1 = r#"{"id":"r1","station_id":"s","reason":"closed","comment":"x","created_at":"2026-01-01T00:00:00.000Z","status":"open"}"#;
        let Ok(Line::Case(mut c)) = serde_json::from_str::<Line>(v1) else {
            panic!("v1 line not read as a case")
        };
        c.complete();
        assert_eq!(c.status, Status::Received);
        assert_eq!(c.updated_at, c.created_at);
        assert_eq!(c.history.len(), 1);
        assert!(c.ticket.is_empty());
        let change =
            r#"{"case":"r1","status":"resolved","at":"2026-01-02T00:00:00.000Z","reply":"ok"}"#;
        assert!(matches!(
            serde_json::from_str::<Line>(change),
            Ok(Line::Change(_))
        ));
        assert!(matches!(
            serde_json::from_str::<Line>(r#"{"next":5}"#),
            Ok(Line::Meta(Meta { next: 5 }))
        ));
        assert!(serde_json::from_str::<Line>(r#"{"id":"r3","stat"#).is_err());
        // a v1 resolved line gets both steps
        let mut c: Case = serde_json::from_str(&v1.replace("open", "resolved")).unwrap();
        c.complete();
        let steps: Vec<Status> = c.history.iter().map(|e| e.status).collect();
        assert_eq!(steps, [Status::Received, Status::Resolved]);
    }

    #[test]
    fn transitions() {
        use Status::*;
        assert!(Received.may_become(InProgress));
        assert!(InProgress.may_become(Resolved) && InProgress.may_become(Rejected));
        assert!(Resolved.may_become(InProgress) && Rejected.may_become(Received));
        assert!(!InProgress.may_become(Received));
        assert!(!Resolved.may_become(Rejected));
        assert_eq!(Status::parse("open"), None);
        assert_eq!(Status::parse("in_progress"), Some(InProgress));
        assert_eq!(clean_reply("  "), Ok(None));
        assert_eq!(
            clean_reply(&"名".repeat(500)).map(|r| r.map(|r| r.chars().count())),
            Ok(Some(500))
        );
        assert_eq!(clean_reply(&"x".repeat(501)), Err(501));
    }
}
