//! The PostgreSQL backend: what replicas share (issue 16).
//!
//! Two tables hold the two shapes of [`Backend`]: `yz_blob` (name → bytes, with a generation from one sequence)
//! and `yz_log` (one row per appended line, numbered by a `bigserial`). Every write notifies the channel
//! `yizhan` with the blob's or log's name in the same transaction, so the notification is sent on commit; a
//! replica's watcher (`LISTEN`) then catches up at once, and looks at everything once a second anyway.
//!
//! Log rows are only appended under the writers' advisory lock ([`Backend::lock`]), so their numbers are
//! committed in order: a reader that has seen row N never misses a row below N committed later.
//!
//! The blocking client runs its own small runtime: every call here is made from a blocking thread (the
//! handlers' `blocking`, the watcher's thread), never from the async workers. A lost connection makes the
//! store unavailable (writes answer 503, reads go on from memory); the next call, or the watcher once a
//! second, connects again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, Config, NoTls};

use super::backend::{Backend, Cursor, Held};
use super::{io, write_atomic, StoreError};

/// Schema migrations, applied in order on start (under the migration lock); each runs once per database.
const MIGRATIONS: &[&str] = &[
    // 1: the two shapes of the store.
    "CREATE SEQUENCE yz_generation;
     CREATE TABLE yz_blob (
         name text PRIMARY KEY,
         bytes bytea NOT NULL,
         generation bigint NOT NULL DEFAULT nextval('yz_generation'),
         updated_at timestamptz NOT NULL DEFAULT now()
     );
     CREATE TABLE yz_log (
         seq bigserial PRIMARY KEY,
         log text NOT NULL,
         line bytea NOT NULL,
         at timestamptz NOT NULL DEFAULT now()
     );
     CREATE INDEX yz_log_by_log ON yz_log (log, seq);",
];

/// Advisory lock keys (two 32-bit halves: "yz", what).
const LOCK_SPACE: i32 = 0x797a;
const MIGRATION_LOCK: i32 = 1;
const WRITER_LOCK: i32 = 2;
const CHANNEL: &str = "yizhan";

pub struct Pg {
    config: Config,
    cache: PathBuf,
    client: Mutex<Option<Client>>,
    locker: Mutex<Option<Client>>,
    listener: Mutex<Option<Client>>,
    available: AtomicBool,
    /// Blob generations as last seen by the watcher: [`Backend::stamp`] without a round trip.
    stamps: Mutex<HashMap<String, u64>>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl Pg {
    /// Connects, applies the migrations, and keeps `cache` (the data directory) for dataset files.
    pub fn open(url: &str, cache: &Path) -> Result<Pg, StoreError> {
        let mut config: Config = url
            .parse()
            .map_err(|e| StoreError::Config(format!("--database-url: {e}")))?;
        config
            .connect_timeout(Duration::from_secs(3))
            .keepalives_idle(Duration::from_secs(10))
            .application_name("yizhan");
        std::fs::create_dir_all(cache).map_err(io(cache))?;
        let pg = Pg {
            config,
            cache: cache.to_owned(),
            client: Mutex::new(None),
            locker: Mutex::new(None),
            listener: Mutex::new(None),
            available: AtomicBool::new(false),
            stamps: Mutex::new(HashMap::new()),
        };
        pg.with(migrate)?;
        pg.refresh_stamps();
        Ok(pg)
    }

    fn connect(&self) -> Result<Client, StoreError> {
        let c = self.config.connect(NoTls).map_err(unavailable);
        self.available.store(c.is_ok(), Ordering::Relaxed);
        c
    }

    /// Runs `f` on the shared connection, connecting first if need be; a connection-level failure drops the
    /// connection and marks the store unavailable.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut slot = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let client = match &mut *slot {
            Some(c) if !c.is_closed() => c,
            slot => slot.insert(self.connect()?),
        };
        match f(client) {
            Ok(v) => {
                self.available.store(true, Ordering::Relaxed);
                Ok(v)
            }
            Err(e) => {
                if e.is_closed() || e.as_db_error().is_none() {
                    *slot = None;
                    self.available.store(false, Ordering::Relaxed);
                    Err(unavailable(e))
                } else {
                    Err(StoreError::Database(e.to_string()))
                }
            }
        }
    }

    /// Drops the query and lock connections if they no longer answer (they are made again when next needed).
    fn ping(&self) {
        let _ = self.with(|c| c.simple_query("SELECT 1"));
        let mut locker = self.locker.lock().unwrap_or_else(|p| p.into_inner());
        if locker
            .as_mut()
            .is_some_and(|c| c.simple_query("SELECT 1").is_err())
        {
            *locker = None;
        }
    }

    fn refresh_stamps(&self) {
        if let Ok(rows) = self.with(|c| c.query("SELECT name, generation FROM yz_blob", &[])) {
            let mut stamps = self.stamps.lock().unwrap_or_else(|p| p.into_inner());
            stamps.clear();
            for r in rows {
                stamps.insert(r.get::<_, String>(0), r.get::<_, i64>(1) as u64);
            }
        }
    }

    /// A dataset file lives in the local cache once fetched: versions are named by their content hash, so a
    /// cached copy is the stored one; [`super::Store::read`] checks it, and drops a damaged copy.
    fn cached(name: &str) -> bool {
        name.starts_with("versions/") && name.ends_with(".geojson")
    }
}

fn migrate(c: &mut Client) -> Result<(), postgres::Error> {
    let mut tx = c.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&LOCK_SPACE, &MIGRATION_LOCK],
    )?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS yz_migration (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )?;
    let done: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM yz_migration", &[])?
        .get(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done.max(0) as usize) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO yz_migration (version) VALUES ($1)",
            &[&(i as i32 + 1)],
        )?;
        tracing::info!(version = i + 1, "database schema migrated");
    }
    tx.commit()
}

/// Releases the advisory lock when dropped; a failure drops the connection, which releases it too.
struct WriterLock<'a> {
    slot: std::sync::MutexGuard<'a, Option<Client>>,
}

impl Drop for WriterLock<'_> {
    fn drop(&mut self) {
        let ok = self.slot.as_mut().is_some_and(|c| {
            c.execute(
                "SELECT pg_advisory_unlock($1, $2)",
                &[&LOCK_SPACE, &WRITER_LOCK],
            )
            .is_ok()
        });
        if !ok {
            *self.slot = None;
        }
    }
}

impl Backend for Pg {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn local_dir(&self) -> &Path {
        &self.cache
    }

    fn shared(&self) -> bool {
        true
    }

    fn available(&self) -> bool {
        self.available.load(Ordering::Relaxed)
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if Self::cached(name) {
            if let Some(b) = super::read_if_present(&self.cache.join(name))? {
                return Ok(Some(b));
            }
        }
        let bytes = self.with(|c| {
            c.query_opt("SELECT bytes FROM yz_blob WHERE name = $1", &[&name])
                .map(|r| r.map(|r| r.get::<_, Vec<u8>>(0)))
        })?;
        if let (Some(b), true) = (&bytes, Self::cached(name)) {
            let p = self.cache.join(name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            // Only a cache: a failure costs a fetch next time.
            if let Err(e) = write_atomic(&p, b) {
                tracing::warn!(error = %e, "could not cache a dataset file");
            }
        }
        Ok(bytes)
    }

    fn put(&self, name: &str, bytes: &[u8], _private: bool) -> Result<(), StoreError> {
        let generation = self.with(|c| {
            let mut tx = c.transaction()?;
            let g: i64 = tx
                .query_one(
                    "INSERT INTO yz_blob (name, bytes) VALUES ($1, $2)
                     ON CONFLICT (name) DO UPDATE SET bytes = EXCLUDED.bytes,
                         generation = nextval('yz_generation'), updated_at = now()
                     RETURNING generation",
                    &[&name, &bytes],
                )?
                .get(0);
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &name])?;
            tx.commit()?;
            Ok(g)
        })?;
        self.stamps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_owned(), generation as u64);
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.with(|c| c.execute("DELETE FROM yz_blob WHERE name = $1", &[&name]))?;
        if Self::cached(name) {
            let _ = std::fs::remove_file(self.cache.join(name));
        }
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            c.query(
                "SELECT name FROM yz_blob WHERE starts_with(name, $1)",
                &[&prefix],
            )
            .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        })
    }

    fn stamp(&self, name: &str) -> Option<u64> {
        self.stamps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .copied()
    }

    fn drop_cached(&self, name: &str) -> bool {
        Self::cached(name) && std::fs::remove_file(self.cache.join(name)).is_ok()
    }

    fn local_file(&self, name: &str) -> Result<PathBuf, StoreError> {
        let p = self.cache.join(name);
        if !p.exists() {
            let Some(bytes) = self.get(name)? else {
                return Err(StoreError::Io {
                    path: p,
                    source: std::io::ErrorKind::NotFound.into(),
                });
            };
            if !Self::cached(name) {
                write_atomic(&p, &bytes)?;
            }
        }
        Ok(p)
    }

    fn append(&self, log: &str, lines: &[u8]) -> Result<Cursor, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let mut last = 0i64;
            for line in lines.split_inclusive(|&b| b == b'\n') {
                last = tx
                    .query_one(
                        "INSERT INTO yz_log (log, line) VALUES ($1, $2) RETURNING seq",
                        &[&log, &line],
                    )?
                    .get(0);
            }
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &log])?;
            tx.commit()?;
            Ok(last as Cursor)
        })
    }

    fn read_log(&self, log: &str, after: Cursor) -> Result<(Vec<u8>, Cursor), StoreError> {
        let rows = self.with(|c| {
            c.query(
                "SELECT seq, line FROM yz_log WHERE log = $1 AND seq > $2 ORDER BY seq",
                &[&log, &(after as i64)],
            )
        })?;
        let mut bytes = Vec::new();
        let mut cursor = after;
        for r in rows {
            cursor = r.get::<_, i64>(0) as u64;
            let line: &[u8] = r.get(1);
            bytes.extend_from_slice(line);
            if !line.ends_with(b"\n") {
                bytes.push(b'\n');
            }
        }
        Ok((bytes, cursor))
    }

    fn compact(&self, _log: &str, _whole: &[u8]) -> Result<Option<Cursor>, StoreError> {
        Ok(None)
    }

    fn lock(&self) -> Result<Box<dyn Held + '_>, StoreError> {
        let mut slot = self.locker.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_none_or(|c| c.is_closed()) {
            *slot = Some(self.connect()?);
        }
        let locked = slot.as_mut().map(|c| {
            c.execute(
                "SELECT pg_advisory_lock($1, $2)",
                &[&LOCK_SPACE, &WRITER_LOCK],
            )
        });
        match locked {
            Some(Ok(_)) => Ok(Box::new(WriterLock { slot })),
            Some(Err(e)) => {
                *slot = None;
                self.available.store(false, Ordering::Relaxed);
                Err(unavailable(e))
            }
            None => Err(unavailable("no connection")),
        }
    }

    fn wait_for_change(&self, timeout: Duration) -> Option<Vec<String>> {
        let mut slot = self.listener.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_none_or(|c| c.is_closed()) {
            let listening = self.connect().and_then(|mut c| {
                c.batch_execute("LISTEN yizhan")
                    .map(|()| c)
                    .map_err(unavailable)
            });
            match listening {
                Ok(c) => {
                    *slot = Some(c);
                    // Back after an outage: the other connections may be dead sockets that nobody has noticed
                    // yet; find out now rather than with an admin's write.
                    self.ping();
                }
                Err(_) => {
                    drop(slot);
                    std::thread::sleep(timeout);
                    return None;
                }
            }
        }
        let client = slot.as_mut()?;
        let mut names = Vec::new();
        let lost = {
            let mut n = client.notifications();
            let first = n.timeout_iter(timeout).next();
            match first {
                Ok(Some(note)) => {
                    names.push(note.payload().to_owned());
                    // Whatever else arrived with it.
                    let mut more = n.iter();
                    while let Ok(Some(m)) = more.next() {
                        names.push(m.payload().to_owned());
                    }
                    false
                }
                Ok(None) => false,
                Err(_) => true,
            }
        };
        if lost {
            *slot = None;
            self.available.store(false, Ordering::Relaxed);
            return None;
        }
        drop(slot);
        self.refresh_stamps();
        // No notification: the once-a-second look at everything (one can be lost with a connection).
        (!names.is_empty()).then_some(names)
    }
}
