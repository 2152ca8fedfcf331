//! The live dataset and the only ways to change it: the swap, the write rules, and seeding an empty store.
//!
//! Readers take a snapshot (`Arc<Snapshot>`) from an `ArcSwap`: one atomic load, no lock, so an upload that is
//! still parsing, indexing or fsyncing never delays a query. Writers are serialised by a mutex; each builds a
//! complete new dataset off to the side, makes it durable, and only then swaps it in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use crate::domain::Station;
use crate::geodesy::crs::Crs;
use crate::import::{self, Format, ImportError, Parsed};
use crate::snapshot::Snapshot;
use crate::store::{Store, StoreError, VersionInfo};
use crate::wire::geojson::write_collection;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("the upload would leave the dataset empty; add ?allow_empty=true if that is really intended")]
    Empty,
    #[error("no station with id {0:?}")]
    NotFound(String),
    #[error("dataset version {0:?} is not in the data directory")]
    UnknownVersion(String),
    /// The disk is full: nothing was stored, and freeing space will let the same request succeed.
    #[error(transparent)]
    DiskFull(StoreError),
    #[error(transparent)]
    Store(StoreError),
    #[error("stored dataset {version} is damaged and cannot be loaded: {reason}")]
    Unloadable { version: String, reason: String },
}

impl From<StoreError> for LiveError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownVersion(v) => LiveError::UnknownVersion(v),
            e if e.is_disk_full() => LiveError::DiskFull(e),
            e => LiveError::Store(e),
        }
    }
}

/// How an upload combines with what is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `PUT`: the upload becomes the whole dataset.
    Replace,
    /// `POST`: uploaded stations replace those with the same id; the rest stay.
    Upsert,
}

#[derive(Debug, Clone)]
pub struct Upload<'a> {
    pub body: &'a [u8],
    pub format: Format,
    pub crs: Crs,
    pub mode: Mode,
    pub dry_run: bool,
    pub allow_empty: bool,
}

/// What an accepted (or dry-run) upload did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub dataset_version: String,
    pub count: usize,
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
}

pub struct Live {
    live: ArcSwap<Snapshot>,
    store: Store,
    write: Mutex<()>,
    /// What is known of stored versions' health: `true` loaded (or checked) fine, `false` damaged. Versions
    /// are named by their content hash, so an answer holds until the file changes on disk (then a load says so).
    health: Mutex<HashMap<String, bool>>,
}

/// A stored version as the admins see it: whether a rollback to it can succeed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VersionStatus {
    #[serde(flatten)]
    pub info: VersionInfo,
    pub loadable: bool,
}

/// Canonical bytes of a dataset, and their version.
fn encode(stations: &[Station]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(stations.len() * 400 + 64);
    // Writing to a Vec cannot fail.
    let _ = write_collection(stations, &mut buf);
    buf
}

fn sorted(mut stations: Vec<Station>) -> Vec<Station> {
    stations.sort_unstable_by(|a, b| a.id().cmp(b.id()));
    stations
}

impl Live {
    /// Opens the data directory: serves `CURRENT`; if it cannot be loaded, the newest stored version that can
    /// (loudly logged); with nothing stored at all, seeds from `bundled`. A directory whose datasets are all
    /// damaged is an error, never a silently empty service.
    pub fn open(store: Store, bundled: &[u8]) -> Result<Live, LiveError> {
        let current = store.current()?;
        let stored = store.versions()?;
        let mut candidates: Vec<String> = current.iter().cloned().collect();
        candidates.extend(
            stored
                .iter()
                .map(|i| i.version.clone())
                .filter(|v| Some(v) != current.as_ref()),
        );
        let mut last_error = None;
        let mut health = HashMap::new();
        for v in &candidates {
            match Self::load_version(&store, v) {
                Ok(ds) => {
                    if Some(v) != current.as_ref() {
                        tracing::error!(version = %v, current = ?current, "the current dataset could not be loaded; serving the newest good version instead");
                        store.set_current(v)?;
                    }
                    tracing::info!(version = %v, stations = ds.len(), "dataset loaded");
                    health.insert(v.clone(), true);
                    return Ok(Live {
                        live: ArcSwap::from_pointee(ds),
                        store,
                        write: Mutex::new(()),
                        health: Mutex::new(health),
                    });
                }
                Err(e) => {
                    tracing::error!(version = %v, error = %e, "stored dataset cannot be loaded");
                    health.insert(v.clone(), false);
                    last_error = Some(e);
                }
            }
        }
        if let Some(e) = last_error {
            return Err(e);
        }
        if current.is_some() {
            return Err(LiveError::UnknownVersion(current.unwrap_or_default()));
        }
        let parsed = import::parse(bundled, Format::GeoJson, Crs::Wgs84, &HashMap::new())?;
        let stations = sorted(parsed.stations);
        let bytes = encode(&stations);
        let v = store.save(&bytes, stations.len())?;
        tracing::info!(version = %v, stations = stations.len(), "data directory seeded from the bundled sample");
        Ok(Live {
            live: ArcSwap::from_pointee(Snapshot::new(stations, v)),
            store,
            write: Mutex::new(()),
            health: Mutex::new(HashMap::new()),
        })
    }

    fn load_version(store: &Store, v: &str) -> Result<Snapshot, LiveError> {
        let bytes = store.read(v).map_err(|e| match e {
            StoreError::Corrupt { actual, .. } => LiveError::Unloadable {
                version: v.to_owned(),
                reason: format!(
                    "its file no longer matches its content hash (it hashes to {actual})"
                ),
            },
            e => e.into(),
        })?;
        let parsed = import::parse_stored(&bytes).map_err(|e| LiveError::Unloadable {
            version: v.to_owned(),
            reason: e.to_string(),
        })?;
        // The file (≈ 400 MB at a million stations) goes before the index is built, not after: a lower peak,
        // and the allocator starts returning its pages sooner.
        drop(bytes);
        Ok(Snapshot::new(parsed.stations, v.to_owned()))
    }

    /// The dataset in force now. Cheap; hold it for the whole request so the request sees one version.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.live.load_full()
    }

    /// The stored bytes of `version`: exactly what was accepted, for the admins' download.
    pub fn stored(&self, version: &str) -> Result<Vec<u8>, LiveError> {
        Ok(self.store.read(version)?)
    }

    /// A stored version opened for streaming, with its length in bytes.
    pub fn open_stored(&self, version: &str) -> Result<(std::fs::File, u64), LiveError> {
        Ok(self.store.open_version(version)?)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // A panic while holding the lock cannot leave shared state half-written (the swap is the last step).
        self.write.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Persists and publishes a complete new station list.
    fn commit(&self, stations: Vec<Station>) -> Result<String, LiveError> {
        let stations = sorted(stations);
        // The encoded file is dropped before the index is built (see `load_version`).
        let v = {
            let bytes = encode(&stations);
            self.store.save(&bytes, stations.len())?
        };
        self.live
            .store(Arc::new(Snapshot::new(stations, v.clone())));
        Ok(v)
    }

    /// Validates an upload and, unless it is a dry run, applies it atomically and durably.
    pub fn upload(&self, u: Upload<'_>) -> Result<Outcome, LiveError> {
        let _guard = self.lock();
        let base = self.snapshot();
        let Parsed {
            stations: uploaded,
            warnings,
        } = import::parse(u.body, u.format, u.crs, &base.hours_in_use())?;
        let stations = match u.mode {
            Mode::Replace => uploaded,
            Mode::Upsert => {
                let mut by_id: std::collections::BTreeMap<_, _> = base
                    .stations()
                    .iter()
                    .map(|s| (s.id().to_owned(), s.clone()))
                    .collect();
                for s in uploaded {
                    by_id.insert(s.id().to_owned(), s);
                }
                by_id.into_values().collect()
            }
        };
        if stations.is_empty() && !u.allow_empty {
            return Err(LiveError::Empty);
        }
        let count = stations.len();
        if u.dry_run {
            let version = crate::store::version_of(&encode(&sorted(stations)));
            return Ok(Outcome {
                dataset_version: version,
                count,
                warnings,
                dry_run: true,
            });
        }
        let version = self.commit(stations)?;
        Ok(Outcome {
            dataset_version: version,
            count,
            warnings,
            dry_run: false,
        })
    }

    /// Removes one station.
    pub fn delete(&self, id: &str) -> Result<Outcome, LiveError> {
        let _guard = self.lock();
        let base = self.snapshot();
        if base.get(id).is_none() {
            return Err(LiveError::NotFound(id.to_owned()));
        }
        let stations: Vec<Station> = base
            .stations()
            .iter()
            .filter(|s| s.id() != id)
            .cloned()
            .collect();
        let count = stations.len();
        let version = self.commit(stations)?;
        Ok(Outcome {
            dataset_version: version,
            count,
            warnings: Vec::new(),
            dry_run: false,
        })
    }

    /// Makes a stored version current again.
    pub fn rollback(&self, version: &str) -> Result<Outcome, LiveError> {
        let _guard = self.lock();
        let loaded = Self::load_version(&self.store, version);
        if let Err(LiveError::Unloadable { .. }) | Ok(_) = &loaded {
            self.remember(version, loaded.is_ok());
        }
        let ds = loaded?;
        self.store.set_current(version)?;
        let count = ds.len();
        self.live.store(Arc::new(ds));
        Ok(Outcome {
            dataset_version: version.to_owned(),
            count,
            warnings: Vec::new(),
            dry_run: false,
        })
    }

    /// Every stored version, newest first, each marked loadable or not (a damaged file, or one that failed to
    /// load). A version not yet known is checked against its content hash once.
    pub fn versions(&self) -> Result<Vec<VersionStatus>, LiveError> {
        let list = self.store.versions()?;
        let mut out = Vec::with_capacity(list.len());
        for info in list {
            let known = self.health_of(&info.version);
            let loadable = known.unwrap_or_else(|| {
                let ok = !matches!(
                    self.store.read(&info.version),
                    Err(StoreError::Corrupt { .. })
                );
                self.remember(&info.version, ok);
                ok
            });
            out.push(VersionStatus { info, loadable });
        }
        Ok(out)
    }

    fn health_of(&self, version: &str) -> Option<bool> {
        let h = self.health.lock().unwrap_or_else(|e| e.into_inner());
        h.get(version).copied()
    }

    fn remember(&self, version: &str, loadable: bool) {
        let mut h = self.health.lock().unwrap_or_else(|e| e.into_inner());
        h.insert(version.to_owned(), loadable);
    }
}
