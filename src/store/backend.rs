//! Where a deployment's durable state is kept: the data directory (one process, the default) or PostgreSQL
//! (replicas, [`super::pg`]). Everything the service keeps is one of two shapes, so the backends only need to
//! know those:
//!
//! - **blobs**, small or large byte strings replaced whole (`CURRENT`, the dataset versions and their metadata,
//!   the calendar, the tokens, the confirmation secret, the demand counts);
//! - **logs**, append-only streams of JSON lines that every holder replays (station state, reports as cases,
//!   the audit trail). A reader keeps a [`Cursor`] and asks for what was appended after it: that is how a
//!   replica follows the changes another one made.
//!
//! Writers that decide from what they hold in memory (the next case number, a case's transition, the dataset an
//! upsert merges into) take [`Backend::lock`], catch up on the logs, and only then write: across replicas the
//! lock is PostgreSQL's, so two replicas never hand out the same case number.

use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{io, write_atomic_mode, StoreError};

/// A position in a log: what a reader has already taken in.
pub type Cursor = u64;

/// Held while a writer catches up and writes; dropping it lets the next writer in.
pub trait Held {}
impl<T> Held for T {}

pub trait Backend: Send + Sync {
    /// `"dir"` or `"postgres"`, for the logs.
    fn kind(&self) -> &'static str;
    /// The data directory: the whole store for [`Dir`], a cache of dataset files (and the demand counts of
    /// this replica) for PostgreSQL.
    fn local_dir(&self) -> &Path;
    /// Other processes write it too (replicas on PostgreSQL): they are followed ([`Backend::wait_for_change`]),
    /// their blobs may change under us, and logs are kept whole. `false`: this process is the only writer.
    fn shared(&self) -> bool {
        false
    }
    /// `false` while the store cannot be reached: writes fail with [`StoreError::Unavailable`], reads go on.
    fn available(&self) -> bool {
        true
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Replaces the blob whole: a reader sees the old bytes or the new ones. `private`: readable by the owner
    /// only (secrets, token hashes).
    fn put(&self, name: &str, bytes: &[u8], private: bool) -> Result<(), StoreError>;
    fn delete(&self, name: &str) -> Result<(), StoreError>;
    /// Names of the blobs that start with `prefix`, in no particular order.
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError>;
    /// A number that changes when the blob changes (no I/O on PostgreSQL: the watcher keeps it), or `None`.
    fn stamp(&self, name: &str) -> Option<u64>;
    /// A local file with the blob's bytes, for streaming a large download (fetched into the cache if need be).
    fn local_file(&self, name: &str) -> Result<PathBuf, StoreError>;
    /// Forgets a local copy of the blob (found damaged), so that the next `get` fetches it again; `false` when
    /// there is no copy apart from the blob itself (the data directory).
    fn drop_cached(&self, _name: &str) -> bool {
        false
    }

    /// Appends whole lines (each ending in `\n`); durable when this returns. The cursor after them: exact for a
    /// writer that holds [`Backend::lock`] and has caught up (nobody else appended in between).
    fn append(&self, log: &str, lines: &[u8]) -> Result<Cursor, StoreError>;
    /// The whole lines appended after `after`, and the cursor after them.
    fn read_log(&self, log: &str, after: Cursor) -> Result<(Vec<u8>, Cursor), StoreError>;
    /// Replaces a log by `whole` (the same meaning in fewer lines) when the backend keeps logs in files that
    /// must not grow without end, returning the cursor after it; `None` when the lines are kept (PostgreSQL:
    /// other replicas' cursors point into them).
    fn compact(&self, log: &str, whole: &[u8]) -> Result<Option<Cursor>, StoreError>;
    /// The writers' lock (across replicas on PostgreSQL).
    fn lock(&self) -> Result<Box<dyn Held + '_>, StoreError>;
    /// Blocks until another holder may have changed something, or `timeout`; `Some(names)` of what changed when
    /// the backend knows (PostgreSQL's notifications), `None` for "look at everything".
    fn wait_for_change(&self, timeout: std::time::Duration) -> Option<Vec<String>> {
        std::thread::sleep(timeout);
        Some(Vec::new())
    }
}

/// The data directory: blobs are files (written through [`super::write_atomic`]), logs are `<name>.jsonl`.
pub struct Dir {
    dir: PathBuf,
    /// One writer at a time within the process (a data directory has one server).
    lock: Mutex<()>,
    /// One append at a time, so that a torn tail is only ever cut by the appender.
    appends: Mutex<()>,
}

impl Dir {
    pub fn open(dir: &Path) -> Result<Dir, StoreError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        Ok(Dir {
            dir: dir.to_owned(),
            lock: Mutex::new(()),
            appends: Mutex::new(()),
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn log_path(&self, log: &str) -> PathBuf {
        self.dir.join(format!("{log}.jsonl"))
    }
}

impl Backend for Dir {
    fn kind(&self) -> &'static str {
        "dir"
    }

    fn local_dir(&self) -> &Path {
        &self.dir
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        super::read_if_present(&self.path(name))
    }

    fn put(&self, name: &str, bytes: &[u8], private: bool) -> Result<(), StoreError> {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).map_err(io(parent))?;
        }
        write_atomic_mode(&p, bytes, if private { 0o600 } else { 0o666 })
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        let p = self.path(name);
        match fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&p)(e)),
            _ => Ok(()),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let (folder, start) = prefix.rsplit_once('/').unwrap_or(("", prefix));
        let d = self.dir.join(folder);
        let entries = match fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&d)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io(&d))?;
            let Some(n) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if n.starts_with(start) && !n.starts_with('.') {
                out.push(if folder.is_empty() {
                    n
                } else {
                    format!("{folder}/{n}")
                });
            }
        }
        Ok(out)
    }

    fn stamp(&self, name: &str) -> Option<u64> {
        let m = fs::metadata(self.path(name)).ok()?;
        let nanos = m
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos() as u64;
        Some(nanos ^ m.len().rotate_left(48))
    }

    fn local_file(&self, name: &str) -> Result<PathBuf, StoreError> {
        Ok(self.path(name))
    }

    fn append(&self, log: &str, lines: &[u8]) -> Result<Cursor, StoreError> {
        let p = self.log_path(log);
        let creating = !p.exists();
        let mut f = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&p)
            .map_err(io(&p))?;
        let _one = self.appends.lock().unwrap_or_else(|e| e.into_inner());
        let before = whole_lines_len(&mut f, &p)?;
        if before < f.metadata().map_err(io(&p))?.len() {
            // A torn last line (a crash mid-append): cut off, so that these lines do not glue onto it.
            tracing::warn!(file = %p.display(), "cutting a torn last line off");
            f.set_len(before)
                .and_then(|()| f.sync_data())
                .map_err(io(&p))?;
        }
        if let Err(e) = f.write_all(lines).and_then(|()| f.sync_data()) {
            // Cut a partial line off, so that the next append does not glue onto it.
            let _ = f.set_len(before).and_then(|()| f.sync_data());
            return Err(io(&p)(e));
        }
        // The lines are durable and will be read back; the directory entry of a new file must be too, but a
        // failure there is only logged (memory and file must never disagree).
        if creating {
            if let Err(e) = fs::File::open(&self.dir).and_then(|d| d.sync_all()) {
                tracing::warn!(error = %e, file = %p.display(), "could not fsync the data directory after creating a log");
            }
        }
        Ok(before + lines.len() as u64)
    }

    fn read_log(&self, log: &str, after: Cursor) -> Result<(Vec<u8>, Cursor), StoreError> {
        let p = self.log_path(log);
        let mut f = match fs::File::open(&p) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(e) => return Err(io(&p)(e)),
        };
        f.seek(SeekFrom::Start(after)).map_err(io(&p))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(io(&p))?;
        // A torn last line (a crash mid-append, or an append in flight) is not a line yet.
        let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(end);
        Ok((bytes, after + end as u64))
    }

    fn compact(&self, log: &str, whole: &[u8]) -> Result<Option<Cursor>, StoreError> {
        let _one = self.appends.lock().unwrap_or_else(|e| e.into_inner());
        write_atomic_mode(&self.log_path(log), whole, 0o666)?;
        Ok(Some(whole.len() as u64))
    }

    /// This process's writers one at a time, and, through an advisory lock on `.lock`, `yizhan token` runs
    /// beside the server (closing the file releases it, also when the process dies).
    fn lock(&self) -> Result<Box<dyn Held + '_>, StoreError> {
        let inner = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let p = self.dir.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(io(&p))?;
        file.lock().map_err(io(&p))?;
        Ok(Box::new((inner, file)))
    }
}

/// The length of the log file `f` (at `p`) up to and including its last newline.
fn whole_lines_len(f: &mut fs::File, p: &Path) -> Result<u64, StoreError> {
    let len = f.metadata().map_err(io(p))?.len();
    let mut end = len;
    let mut buf = [0u8; 4096];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        f.seek(SeekFrom::Start(start)).map_err(io(p))?;
        f.read_exact(chunk).map_err(io(p))?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_read_from_a_cursor_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let b = Dir::open(dir.path()).unwrap();
        assert_eq!(b.read_log("x", 0).unwrap(), (Vec::new(), 0));
        let appended = b.append("x", b"{\"a\":1}\n").unwrap();
        let (bytes, c) = b.read_log("x", 0).unwrap();
        assert_eq!(appended, c);
        assert_eq!(bytes, b"{\"a\":1}\n");
        b.append("x", b"{\"b\":2}\n").unwrap();
        let (bytes, c2) = b.read_log("x", c).unwrap();
        assert_eq!(bytes, b"{\"b\":2}\n");
        // A crash mid-append leaves half a line: it is not returned, and the next append cuts it off.
        fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("x.jsonl"))
            .unwrap()
            .write_all(b"{\"c\"")
            .unwrap();
        assert_eq!(b.read_log("x", c2).unwrap(), (Vec::new(), c2));
        b.append("x", b"{\"d\":4}\n").unwrap();
        assert_eq!(b.read_log("x", c2).unwrap().0, b"{\"d\":4}\n");
    }

    #[test]
    fn the_writers_lock_is_held_across_processes_too() {
        let dir = tempfile::tempdir().unwrap();
        let a = Dir::open(dir.path()).unwrap();
        let b = Dir::open(dir.path()).unwrap();
        let held = a.lock().unwrap();
        // Another holder of the directory (as `yizhan token` is) cannot take it meanwhile.
        let f = fs::File::open(dir.path().join(".lock")).unwrap();
        assert!(matches!(f.try_lock(), Err(fs::TryLockError::WouldBlock)));
        drop(held);
        f.try_lock().unwrap();
        drop(f);
        drop(b.lock().unwrap());
    }

    #[test]
    fn blobs_are_listed_by_prefix_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let b = Dir::open(dir.path()).unwrap();
        assert_eq!(b.get("versions/a.json").unwrap(), None);
        b.put("versions/a.json", b"1", false).unwrap();
        b.put("versions/b.geojson", b"2", false).unwrap();
        b.put("CURRENT", b"a\n", false).unwrap();
        let mut l = b.list("versions/").unwrap();
        l.sort();
        assert_eq!(l, ["versions/a.json", "versions/b.geojson"]);
        assert_eq!(b.list("CUR").unwrap(), ["CURRENT"]);
        b.delete("versions/a.json").unwrap();
        b.delete("versions/a.json").unwrap();
        assert_eq!(b.list("versions/a").unwrap(), Vec::<String>::new());
        assert!(b.stamp("CURRENT").is_some());
    }
}
