//! Rider reports as cases (接诉即办): each report gets a ticket the rider follows, and an admin moves it through
//! `received → in_progress → resolved | rejected` with replies. Durable, capped per station and per day, pruned,
//! and never larger than [`Limits::max_bytes`] on disk.
//!
//! On disk, `reports.jsonl` is an append-only event log: a whole case per new report, a [`case::Change`] per
//! status or reply change, each fsynced before it is acknowledged. A torn last line (a crash mid-append) is cut
//! off when the log is opened. When the log holds many more lines than cases it is compacted: rewritten with
//! one line per kept case (its history inside) through [`super::write_atomic`], so a crash leaves the old file
//! or the new one. v1 lines (`"status":"open"`, no ticket) are read as `received` cases and given a ticket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::backend::Backend;

pub mod case;
mod counts;
pub mod ticket;

pub use case::{Case, Entry, Reason, Status, MAX_COMMENT_CHARS, MAX_REPLY_CHARS};
pub use counts::OpenCounts;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("reason must be one of {keys}, got {0:?}", keys = Reason::KEYS)]
    BadReason(String),
    #[error("comment is longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
    #[error("status must be one of {keys}, got {0}", keys = Status::KEYS)]
    BadStatus(String),
    #[error("reply is {0} characters long; at most {MAX_REPLY_CHARS} are shown to the rider")]
    ReplyTooLong(usize),
    #[error("reply must be a string, or null to remove it")]
    BadReply,
    #[error("a {from} case cannot become {to}; from {from} it may become {allowed}", from = .from.key(), to = .to.key(),
        allowed = .from.next().iter().map(|s| s.key()).collect::<Vec<_>>().join(", "))]
    Transition { from: Status, to: Status },
    #[error("no report with id {0:?}")]
    UnknownCase(String),
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
    /// Any case created longer ago than this is dropped (when the log is opened or compacted).
    pub keep_days: i64,
    /// A resolved or rejected case is dropped this long after its last change: its rider can still read it
    /// for that long.
    pub closed_keep_days: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_station_per_day: 50,
            per_day: 5_000,
            max_bytes: 16 * 1024 * 1024,
            keep_days: 365,
            closed_keep_days: 180,
        }
    }
}

/// An admin's change to a case (a JSON merge patch): `None` leaves a field as it is; `reply: Some(None)`
/// removes the reply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Patch {
    pub status: Option<Status>,
    pub reply: Option<Option<String>>,
}

impl Patch {
    /// From the JSON values of a merge patch: `status` must be a known status, `reply` a string (trimmed, at
    /// most [`MAX_REPLY_CHARS`]) or `null`.
    pub fn from_json(
        status: Option<&serde_json::Value>,
        reply: Option<&serde_json::Value>,
    ) -> Result<Patch, ReportError> {
        let status = match status {
            None => None,
            Some(v) => Some(
                v.as_str()
                    .and_then(Status::parse)
                    .ok_or_else(|| ReportError::BadStatus(v.to_string()))?,
            ),
        };
        let reply = match reply {
            None => None,
            Some(serde_json::Value::Null) => Some(None),
            Some(serde_json::Value::String(s)) => {
                Some(case::clean_reply(s).map_err(ReportError::ReplyTooLong)?)
            }
            Some(_) => return Err(ReportError::BadReply),
        };
        Ok(Patch { status, reply })
    }
}

mod state;
use state::State;

/// The report log: an append-only log of JSON lines (`reports.jsonl` in a data directory), durable per
/// event, and its cases in memory.
pub struct ReportLog {
    backend: Arc<dyn Backend>,
    limits: Limits,
    state: Mutex<State>,
    /// Published after every change, for readers that must not wait on the writers' lock.
    counts: ArcSwap<OpenCounts>,
}

/// The log's name in the backend.
const LOG: &str = "reports";

fn store_io(e: super::StoreError) -> std::io::Error {
    e.into()
}

impl ReportLog {
    /// Loads the log with the default [`Limits`]; see [`open_with`](Self::open_with).
    pub fn open(backend: Arc<dyn Backend>) -> std::io::Result<ReportLog> {
        Self::open_with(backend, Limits::default())
    }

    /// Loads the log; a torn last line is never read, an unreadable line skipped. Expired cases are pruned
    /// and v1 reports given tickets (the file rewritten atomically).
    pub fn open_with(backend: Arc<dyn Backend>, limits: Limits) -> std::io::Result<ReportLog> {
        let (bytes, cursor) = backend.read_log(LOG, 0).map_err(store_io)?;
        let st = State::load(&bytes, cursor)?;
        let log = ReportLog {
            backend,
            limits,
            counts: ArcSwap::from_pointee(st.counts.clone()),
            state: Mutex::new(st),
        };
        let mut st = log.lock();
        let new_tickets = st.give_tickets()?;
        // Pruning is housekeeping: a failure leaves the file as it was, and is retried when the log next grows.
        // Tickets given to v1 reports are written down here too; should that fail (a full disk), they are
        // written at the next compaction, and no rider has been shown them before (v1 answered no ticket).
        if let Err(e) = log.compact(&mut st, new_tickets) {
            tracing::warn!(error = %e, "could not compact the report log");
        }
        drop(st);
        Ok(log)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes in the cases and changes other replicas appended; the store's watcher calls this.
    pub fn sync(&self) -> std::io::Result<()> {
        let mut st = self.lock();
        self.catch_up(&mut st)
    }

    fn catch_up(&self, st: &mut State) -> std::io::Result<()> {
        let (bytes, cursor) = self.backend.read_log(LOG, st.cursor).map_err(store_io)?;
        st.cursor = cursor;
        if !bytes.is_empty() && st.take_in(&bytes) > 0 {
            self.counts.store(Arc::new(st.counts.clone()));
        }
        Ok(())
    }

    /// Drops expired cases; rewrites the log as one line per case if any went, if `force`, or if it holds
    /// more lines than cases (changes, torn lines). On PostgreSQL the rows stay (see [`Backend::compact`]);
    /// the size limit counts what the cases would take.
    fn compact(&self, st: &mut State, force: bool) -> std::io::Result<()> {
        let now = chrono::Utc::now();
        let pruned = st.prune(now, &self.limits);
        if pruned > 0 {
            self.counts.store(Arc::new(st.counts.clone()));
        }
        let tidy = st.lines == st.cases.len() as u64 + 1 || (st.lines == 0 && st.cases.is_empty());
        if !force && pruned == 0 && tidy {
            return Ok(());
        }
        let buf = st.serialize()?;
        if let Some(cursor) = self.backend.compact(LOG, &buf).map_err(store_io)? {
            st.cursor = cursor;
        }
        tracing::info!(pruned, kept = st.cases.len(), "report log compacted");
        st.bytes = buf.len() as u64;
        st.lines = st.cases.len() as u64 + 1;
        Ok(())
    }

    /// Appends one event line, durably, compacting first if the log has grown, or refusing if it is full.
    /// Called under the backend's lock, caught up: the line is the only one since `st.cursor`.
    fn append(&self, st: &mut State, value: &impl serde::Serialize) -> Result<(), ReportError> {
        let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let len = line.len() as u64;
        if st.bytes + len > self.limits.max_bytes || st.lines > 2 * st.cases.len() as u64 + 1_000 {
            self.compact(st, false)?;
            if st.bytes + len > self.limits.max_bytes {
                return Err(ReportError::Full(self.limits.max_bytes / (1024 * 1024)));
            }
        }
        // Past our own line: the caller takes it in.
        st.cursor = self.backend.append(LOG, &line).map_err(store_io)?;
        st.bytes += len;
        st.lines += 1;
        Ok(())
    }

    /// The writers' lock across replicas, then the others' changes taken in.
    fn write_lock(
        &self,
    ) -> Result<
        (
            Box<dyn super::backend::Held + '_>,
            std::sync::MutexGuard<'_, State>,
        ),
        ReportError,
    > {
        let held = self.backend.lock().map_err(store_io)?;
        let mut st = self.lock();
        self.catch_up(&mut st)?;
        Ok((held, st))
    }

    /// Files a new case; durable when this returns.
    pub fn add(
        &self,
        station_id: &str,
        reason: &str,
        comment: Option<&str>,
    ) -> Result<Case, ReportError> {
        let reason =
            Reason::parse(reason).ok_or_else(|| ReportError::BadReason(reason.to_owned()))?;
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
            return Err(ReportError::CommentTooLong);
        }
        let (_held, mut st) = self.write_lock()?;
        let created_at = crate::store::now_rfc3339();
        st.check_caps(station_id, state::utc_day(&created_at), &self.limits)?;
        let ticket = st.unused_ticket()?;
        let mut case = Case {
            id: format!("r{}", st.next),
            ticket,
            station_id: station_id.to_owned(),
            reason,
            comment: comment.map(str::to_owned),
            created_at,
            status: Status::Received,
            reply: None,
            updated_at: String::new(),
            history: Vec::new(),
        };
        case.complete();
        self.append(&mut st, &case)?;
        st.insert_new(case.clone());
        self.counts.store(Arc::new(st.counts.clone()));
        Ok(case)
    }

    /// Applies an admin's change; every change is a new history entry. A patch that changes nothing is not
    /// recorded. Durable when this returns.
    pub fn update(&self, id: &str, patch: &Patch) -> Result<Case, ReportError> {
        let (_held, mut st) = self.write_lock()?;
        let Some((n, current)) = id
            .strip_prefix('r')
            .and_then(|n| n.parse::<u64>().ok())
            .and_then(|n| Some((n, st.cases.get(&n)?)))
        else {
            return Err(ReportError::UnknownCase(id.to_owned()));
        };
        let status = patch.status.unwrap_or(current.status);
        if !current.status.may_become(status) {
            return Err(ReportError::Transition {
                from: current.status,
                to: status,
            });
        }
        let reply = patch.reply.clone().unwrap_or_else(|| current.reply.clone());
        if status == current.status && reply == current.reply {
            return Ok(current.clone());
        }
        let change = case::Change {
            case: current.id.clone(),
            status,
            at: crate::store::now_rfc3339(),
            reply,
        };
        self.append(&mut st, &change)?;
        st.apply(change);
        self.counts.store(Arc::new(st.counts.clone()));
        // The compaction that may run before the append can have pruned this very case (past its retention).
        st.cases
            .get(&n)
            .cloned()
            .ok_or_else(|| ReportError::UnknownCase(id.to_owned()))
    }

    /// The case a rider's ticket names, typed loosely (see [`ticket::normalize`]); `None` for anything else.
    /// Looked up in a `HashMap` with the std's randomly keyed SipHash: how long a miss takes tells a guesser
    /// nothing about how near a real ticket the guess was.
    pub fn by_ticket(&self, ticket: &str) -> Option<Case> {
        let key = ticket::normalize(ticket)?;
        let st = self.lock();
        let n = st.tickets.get(&key)?;
        st.cases.get(n).cloned()
    }

    /// The cases `keep` accepts, newest first: how many in all, and the page `offset..offset + limit`.
    pub fn list(
        &self,
        keep: impl Fn(&Case) -> bool,
        offset: usize,
        limit: usize,
    ) -> (usize, Vec<Case>) {
        let st = self.lock();
        let mut total = 0;
        let mut page = Vec::new();
        for c in st.cases.values().rev().filter(|c| keep(c)) {
            if total >= offset && page.len() < limit {
                page.push(c.clone());
            }
            total += 1;
        }
        (total, page)
    }

    /// The open-case counts now in force (one atomic load): take it once per request.
    pub fn open_counts(&self) -> Arc<OpenCounts> {
        self.counts.load_full()
    }

    /// Received and in-progress cases of one station.
    pub fn open_count(&self, station_id: &str) -> u32 {
        self.counts.load().get(station_id)
    }

    /// See [`OpenCounts::digest`].
    pub fn open_digest(&self) -> u64 {
        self.counts.load().digest()
    }

    /// The "needs attention" list: stations with at least `min_closed` open `closed` reports filed in the last
    /// `days` days, most reports first (then by id).
    pub fn attention(&self, min_closed: u32, days: i64) -> Vec<(String, u32)> {
        let since = chrono::Utc::now() - chrono::Duration::days(days);
        let since = since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let st = self.lock();
        let mut per: HashMap<&str, u32> = HashMap::new();
        for c in st.cases.values().rev() {
            if c.created_at < since {
                break;
            }
            if c.is_open() && c.reason == Reason::Closed {
                *per.entry(&c.station_id).or_default() += 1;
            }
        }
        let mut out: Vec<(String, u32)> = per
            .into_iter()
            .filter(|&(_, n)| n >= min_closed.max(1))
            .map(|(s, n)| (s.to_owned(), n))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }
}

/// For the tests: the file, to damage it.
#[cfg(test)]
impl ReportLog {
    fn file_path(&self) -> std::path::PathBuf {
        self.backend.local_dir().join("reports.jsonl")
    }
}

#[cfg(test)]
mod tests;
