//! The durable dataset in the data directory.
//!
//! Layout: `versions/<version>.geojson` holds each accepted dataset (canonical bytes; the version is a hash of
//! them, so a file is self-checking), `versions/<version>.json` its metadata, and `CURRENT` names the one in
//! force. Every file is written to a temp file, fsynced, renamed into place, and the directory fsynced, so a
//! crash at any instant leaves `CURRENT` pointing at a complete file: the old dataset or the new one.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod audit;
pub mod backend;
pub mod calendar;
pub mod hex;
pub mod insights;
pub mod journal;
pub mod pg;
pub mod reports;
pub mod secret;
pub mod tokens;

use serde::{Deserialize, Serialize};

pub use backend::Backend;
use sha2::{Digest, Sha256};

/// How many accepted versions are kept for rollback.
pub const KEEP_VERSIONS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("data directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("dataset version {0:?} is not in the data directory")]
    UnknownVersion(String),
    /// The database cannot be reached: nothing was changed; retry later (503).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The database refused a statement (a bug or a schema the service does not know).
    #[error("database: {0}")]
    Database(String),
    #[error("{0}")]
    Config(String),
    #[error("dataset file {path} is damaged: its content hash is {actual}, not {expected}")]
    Corrupt {
        path: PathBuf,
        expected: String,
        actual: String,
    },
}

impl StoreError {
    /// The disk (or quota) is full: the admin must free space; answered 507 rather than 500.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Io { source, .. } if source.kind() == std::io::ErrorKind::StorageFull || source.raw_os_error() == Some(28))
    }
}

/// Back to the I/O error underneath, for callers that report I/O errors by kind (a full disk is a 507).
impl From<StoreError> for std::io::Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Io { source, .. } => source,
            StoreError::Unavailable(m) => std::io::Error::new(std::io::ErrorKind::NotConnected, m),
            e => std::io::Error::other(e),
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A whole small file of the data directory (the calendar, the demand counts), or `None` if it was never
/// written: those files start absent and are only ever replaced whole through [`write_atomic`].
fn read_if_present(p: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match std::fs::read(p) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(p)(e)),
    }
}

/// The content hash that names a dataset version: 16 hex digits of SHA-256 (64 bits: collisions among the
/// versions of one deployment are out of the question, and the string stays short in ETags and logs).
pub fn version_of(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

/// What is known of a stored version without reading the dataset itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VersionInfo {
    pub version: String,
    pub count: usize,
    /// RFC 3339, UTC.
    pub created_at: String,
    #[serde(default)]
    pub current: bool,
}

/// The dataset versions, over whichever [`Backend`] holds them.
pub struct Store {
    backend: Arc<dyn Backend>,
}

fn valid_version_name(v: &str) -> bool {
    v.len() == 16 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Writes `bytes` to `path` so that `path` is either absent/old or complete: temp file, fsync, rename, fsync dir.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_atomic_mode(path, bytes, 0o666)
}

/// [`write_atomic`] with the file created with `mode` (before the umask; Unix only): a secret must never be
/// readable by others, not even as the temp file for an instant.
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = options.open(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);
        fs::rename(&tmp, path).map_err(io(path))?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

const CURRENT: &str = "CURRENT";

fn data_name(v: &str) -> String {
    format!("versions/{v}.geojson")
}

fn meta_name(v: &str) -> String {
    format!("versions/{v}.json")
}

/// Temp files left in the data directory by a crash mid-write (never renamed into place, so never part of
/// anything stored) only take disk space; each can be as large as a dataset.
fn remove_temp_files(root: &Path) {
    for dir in [root.to_owned(), root.join("versions")] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') && name.contains(".tmp-") {
                match fs::remove_file(&path) {
                    Ok(()) => {
                        tracing::info!(path = %path.display(), "removed a temp file left by a crash")
                    }
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "could not remove a temp file")
                    }
                }
            }
        }
    }
}

/// The backend a deployment uses: PostgreSQL when `database_url` is given (the data directory then caches
/// dataset files), else the data directory itself.
pub fn open_backend(
    data_dir: &Path,
    database_url: Option<&str>,
) -> Result<Arc<dyn Backend>, StoreError> {
    fs::create_dir_all(data_dir).map_err(io(data_dir))?;
    remove_temp_files(data_dir);
    Ok(match database_url {
        Some(url) => Arc::new(pg::Pg::open(url, data_dir)?),
        None => Arc::new(backend::Dir::open(data_dir)?),
    })
}

impl Store {
    /// The data directory as the store (tests, tools).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Ok(Store::new(open_backend(dir, None)?))
    }

    pub fn new(backend: Arc<dyn Backend>) -> Store {
        Store { backend }
    }

    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    pub fn dir(&self) -> &Path {
        self.backend.local_dir()
    }

    /// The version named by `CURRENT`, if any.
    pub fn current(&self) -> Result<Option<String>, StoreError> {
        // A damaged CURRENT (even bytes that are not UTF-8) names no version: the caller falls back.
        Ok(self
            .backend
            .get(CURRENT)?
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
            .filter(|v| !v.is_empty()))
    }

    /// Reads a stored version and checks its bytes against its name.
    pub fn read(&self, v: &str) -> Result<Vec<u8>, StoreError> {
        if !valid_version_name(v) {
            return Err(StoreError::UnknownVersion(v.to_owned()));
        }
        let name = data_name(v);
        let fetch = || {
            let bytes = self
                .backend
                .get(&name)?
                .ok_or_else(|| StoreError::UnknownVersion(v.to_owned()))?;
            let actual = version_of(&bytes);
            if actual != v {
                return Err(StoreError::Corrupt {
                    path: self.dir().join(&name),
                    expected: v.to_owned(),
                    actual,
                });
            }
            Ok(bytes)
        };
        match fetch() {
            // A damaged local copy of a database blob: the stored one may be whole.
            Err(StoreError::Corrupt { .. }) if self.backend.drop_cached(&name) => {
                tracing::warn!(name, "a cached dataset file was damaged; fetched it again");
                fetch()
            }
            r => r,
        }
    }

    /// Opens a stored version for streaming, with its length. Unlike [`Store::read`] this does not check the
    /// bytes against the name (they are sent as they are read); every version was checked when it was written
    /// and when it was loaded.
    pub fn open_version(&self, v: &str) -> Result<(fs::File, u64), StoreError> {
        if !valid_version_name(v) {
            return Err(StoreError::UnknownVersion(v.to_owned()));
        }
        let p = self.backend.local_file(&data_name(v))?;
        let f = fs::File::open(&p).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StoreError::UnknownVersion(v.to_owned()),
            _ => io(&p)(e),
        })?;
        let len = f.metadata().map_err(io(&p))?.len();
        Ok((f, len))
    }

    /// All stored versions, newest first.
    pub fn versions(&self) -> Result<Vec<VersionInfo>, StoreError> {
        let current = self.current()?;
        let names = self.backend.list("versions/")?;
        let mut out = Vec::new();
        for name in &names {
            let Some(v) = name
                .strip_prefix("versions/")
                .and_then(|n| n.strip_suffix(".json"))
            else {
                continue;
            };
            if !valid_version_name(v) || !names.contains(&data_name(v)) {
                continue;
            }
            if let Some(mut info) = self
                .backend
                .get(name)?
                .and_then(|b| serde_json::from_slice::<VersionInfo>(&b).ok())
            {
                info.current = current.as_deref() == Some(v);
                out.push(info);
            }
        }
        out.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then(b.current.cmp(&a.current))
        });
        Ok(out)
    }

    /// Makes `bytes` (a canonical dataset of `count` stations) the current version, durably, and prunes old
    /// ones. The dataset and its metadata are stored before `CURRENT` names them, so a crash at any instant
    /// leaves `CURRENT` naming a complete version: the old one or the new one.
    pub fn save(&self, bytes: &[u8], count: usize) -> Result<String, StoreError> {
        let v = version_of(bytes);
        // Make room first, so that kept versions can never fill the disk for good; if the disk is full all
        // the same, keep only the current version and try once more.
        self.prune(&v, KEEP_VERSIONS - 1);
        if self.read(&v).is_err() {
            if let Err(e) = self.backend.put(&data_name(&v), bytes, false) {
                if !e.is_disk_full() {
                    return Err(e);
                }
                tracing::warn!("disk full: pruning every old dataset version and retrying");
                self.prune(&v, 1);
                self.backend.put(&data_name(&v), bytes, false)?;
            }
        }
        let info = VersionInfo {
            version: v.clone(),
            count,
            created_at: now_rfc3339(),
            current: false,
        };
        let meta = serde_json::to_vec(&info).unwrap_or_default();
        self.backend.put(&meta_name(&v), &meta, false)?;
        self.set_current(&v)?;
        self.prune(&v, KEEP_VERSIONS);
        Ok(v)
    }

    /// Points `CURRENT` at an already stored version (rollback).
    pub fn set_current(&self, v: &str) -> Result<(), StoreError> {
        if !valid_version_name(v) || self.backend.list(&data_name(v))?.is_empty() {
            return Err(StoreError::UnknownVersion(v.to_owned()));
        }
        self.backend
            .put(CURRENT, format!("{v}\n").as_bytes(), false)
    }

    /// Keeps the newest `n` versions, and always `keep` and the current one; failures only cost space, so
    /// they are logged.
    fn prune(&self, keep: &str, n: usize) {
        let Ok(all) = self.versions() else { return };
        for info in all
            .iter()
            .skip(n)
            .filter(|i| i.version != keep && !i.current)
        {
            for name in [data_name(&info.version), meta_name(&info.version)] {
                if let Err(e) = self.backend.delete(&name) {
                    tracing::warn!(name, error = %e, "could not prune an old dataset version");
                }
            }
        }
    }
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_read_and_rollback() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.current().unwrap(), None);
        let v1 = store.save(b"one", 1).unwrap();
        let v2 = store.save(b"two", 2).unwrap();
        assert_eq!(store.current().unwrap().as_deref(), Some(v2.as_str()));
        assert_eq!(store.read(&v1).unwrap(), b"one");
        store.set_current(&v1).unwrap();
        let vs = store.versions().unwrap();
        assert_eq!(vs.len(), 2);
        assert!(vs
            .iter()
            .any(|i| i.version == v1 && i.current && i.count == 1));
        assert!(matches!(
            store.set_current("0000000000000000"),
            Err(StoreError::UnknownVersion(_))
        ));
        assert!(matches!(
            store.read("../../etc/passwd"),
            Err(StoreError::UnknownVersion(_))
        ));
    }

    #[test]
    fn temp_files_of_a_crash_are_removed_on_open_and_current_survives_pruning() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let first = store.save(b"first", 1).unwrap();
        fs::write(
            dir.path().join("versions").join(".abc.geojson.tmp-42"),
            b"half",
        )
        .unwrap();
        fs::write(dir.path().join(".CURRENT.tmp-42"), b"x").unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            fs::read_dir(dir.path().join("versions")).unwrap().count(),
            2
        );
        assert!(!dir.path().join(".CURRENT.tmp-42").exists());
        // a rolled-back (old) current version is never pruned
        for i in 0..3 {
            store.save(format!("v{i}").as_bytes(), i).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        store.set_current(&first).unwrap();
        store.prune("", 1);
        assert!(store.read(&first).is_ok());
        assert_eq!(store.versions().unwrap().len(), 2);
        fs::write(dir.path().join("CURRENT"), b"\xff\xfe").unwrap();
        assert!(store
            .current()
            .unwrap()
            .is_some_and(|v| store.read(&v).is_err()));
    }

    #[test]
    fn a_damaged_file_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let v = store.save(b"content", 1).unwrap();
        fs::write(
            dir.path().join("versions").join(format!("{v}.geojson")),
            b"conten",
        )
        .unwrap();
        assert!(matches!(store.read(&v), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn only_the_newest_versions_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for i in 0..KEEP_VERSIONS + 3 {
            store.save(format!("v{i}").as_bytes(), i).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert_eq!(store.versions().unwrap().len(), KEEP_VERSIONS);
    }
}
