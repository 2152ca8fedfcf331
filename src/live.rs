//! The live dataset and the only ways to change it: the swap, the write rules, and seeding an empty store.
//!
//! Readers take a snapshot (`Arc<Snapshot>`) from an `ArcSwap`: one atomic load, no lock, so an upload that is
//! still parsing, indexing or fsyncing never delays a query. Writers are serialised by a mutex; each builds a
//! complete new dataset off to the side, makes it durable, and only then swaps it in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use crate::domain::{StatePatch, Station, StationState};
use crate::feed::{Diff, History};
use crate::geodesy::crs::Crs;
use crate::import::{self, Format, ImportError, Parsed};
use crate::overlay::StateView;
use crate::snapshot::Snapshot;
use crate::store::journal::Journal;
use crate::store::{Store, StoreError, VersionInfo};
use crate::wire::geojson::{write_collection, Feature};

mod open;
mod patch;
pub mod scope;

use patch::merge_patch;
pub use scope::{Counts, OutOfScope, Scope};

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
    /// A change-feed token whose dataset version or state history is no longer kept.
    #[error("changes since {0:?} are no longer known (or it was never a download's ETag); download /api/v1/dataset again and use its ETag")]
    Gone(String),
    #[error("stored dataset {version} is damaged and cannot be loaded: {reason}")]
    Unloadable { version: String, reason: String },
    #[error("the upload would remove every station of {0}; add ?allow_empty=true if that is really intended")]
    EmptyDistricts(String),
    /// Rows or stations outside the writer's districts: nothing was changed.
    #[error("{} station(s) are outside this token's districts; nothing was changed", .0.len())]
    OutOfScope(Vec<OutOfScope>),
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
    /// Whose stations it may touch; a district scope's `Replace` keeps every other district's stations.
    pub scope: Scope<'a>,
}

/// What an accepted (or dry-run) upload did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub dataset_version: String,
    pub count: usize,
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Stations added, updated, removed: for the audit log, not the answer.
    #[serde(skip)]
    pub counts: Counts,
}

/// What readers see: a snapshot and its stations' state, published together.
pub struct Current {
    pub snapshot: Arc<Snapshot>,
    pub states: Arc<StateView>,
}

impl Current {
    /// The token of this dataset with its state: the download's `ETag` and the change feed's `to`.
    pub fn token(&self) -> String {
        crate::feed::token(self.snapshot.version(), &self.states)
    }
}

/// What changed since a token (see [`crate::feed`]).
pub struct Changes {
    pub current: Arc<Current>,
    pub to: String,
    pub diff: Diff,
}

/// Station states by id, and their journal on disk. Only touched under the write lock.
struct States {
    map: HashMap<String, StationState>,
    journal: Journal,
}

/// The write lock held: the station states, and the store's lock for as long as the write takes.
struct Writing<'a> {
    states: std::sync::MutexGuard<'a, States>,
    _held: Box<dyn crate::store::backend::Held + 'a>,
}

impl std::ops::Deref for Writing<'_> {
    type Target = States;
    fn deref(&self) -> &States {
        &self.states
    }
}

impl std::ops::DerefMut for Writing<'_> {
    fn deref_mut(&mut self) -> &mut States {
        &mut self.states
    }
}

/// The station-state journal (`state.jsonl` in the data directory).
const STATE_LOG: &str = "state";

pub struct Live {
    live: ArcSwap<Current>,
    store: Store,
    write: Mutex<States>,
    /// What is known of stored versions' health: `true` loaded (or checked) fine, `false` damaged. Versions
    /// are named by their content hash, so an answer holds until the file changes on disk (then a load says so).
    health: Mutex<HashMap<String, bool>>,
    /// The tokens published, with the stations whose state each changed: the change feed's memory. Held
    /// while publishing, so a feed reader sees the published `Current` and its history entry together.
    history: Mutex<History>,
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

/// What a PATCH of one station did.
#[derive(Debug, Clone)]
pub struct Edited {
    pub dataset_version: String,
    pub warnings: Vec<String>,
}

/// The state view of `ds`'s stations.
fn view_of(ds: &Snapshot, map: &HashMap<String, StationState>) -> StateView {
    StateView::new(
        |id| ds.position_of(id),
        map.iter().map(|(k, v)| (k.as_str(), v)),
    )
}

fn sorted(mut stations: Vec<Station>) -> Vec<Station> {
    stations.sort_unstable_by(|a, b| a.id().cmp(b.id()));
    stations
}

impl Live {
    /// The dataset in force now. Cheap; hold it for the whole request so the request sees one version.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.live.load().snapshot.clone()
    }

    /// The dataset in force now with its stations' state: what a read that shows state takes, once.
    pub fn current(&self) -> Arc<Current> {
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

    fn states(&self) -> std::sync::MutexGuard<'_, States> {
        // A panic while holding the lock cannot leave shared state half-written (the swap is the last step, and
        // the state map changes only after its journal line is durable).
        self.write.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The writers' lock: this process's, then the store's (other replicas'), then whatever other replicas
    /// changed taken in, so that a write decides from the latest dataset and state.
    fn lock(&self) -> Result<Writing<'_>, LiveError> {
        let mut states = self.states();
        let held = self.store.backend().lock()?;
        self.catch_up(&mut states)?;
        Ok(Writing {
            states,
            _held: held,
        })
    }

    /// Takes in another replica's changes (a new `CURRENT`, station state), publishing them; called by the
    /// store's watcher, and by every writer under the lock. Nothing to do on a data directory.
    pub fn sync(&self) -> Result<(), LiveError> {
        let mut states = self.states();
        self.catch_up(&mut states)
    }

    fn catch_up(&self, states: &mut States) -> Result<(), LiveError> {
        let touched = states.journal.catch_up(&mut states.map)?;
        let shown = self.snapshot();
        let ds = match self.store.current()? {
            Some(v) if v != shown.version() => {
                let loaded = Self::load_version(&self.store, &v)?;
                tracing::info!(version = %v, stations = loaded.len(), "dataset changed by another replica");
                self.remember(&v, true);
                Arc::new(loaded)
            }
            _ if touched.is_empty() => return Ok(()),
            _ => shown,
        };
        self.publish(ds, states, touched);
        Ok(())
    }

    /// Publishes `ds` with its stations' state; `changed`: the ids whose state changed (the change feed's).
    fn publish(&self, ds: Arc<Snapshot>, states: &States, changed: Vec<String>) {
        let view = view_of(&ds, &states.map);
        let current = Current {
            snapshot: ds,
            states: Arc::new(view),
        };
        self.swap(current, changed);
    }

    /// Makes `current` what readers see, recording it in the history with the ids whose state it changed.
    fn swap(&self, current: Current, state_changed: Vec<String>) {
        let mut h = self.history.lock().unwrap_or_else(|p| p.into_inner());
        h.record(current.token(), state_changed);
        self.live.store(Arc::new(current));
    }

    /// What a client holding the download tagged `since` must upsert and remove to hold the current one; `Gone`
    /// when that is no longer known. Reads the stored file of `since`'s dataset version unless it is current.
    pub fn changes_since(&self, since: &str) -> Result<Changes, LiveError> {
        let gone = || LiveError::Gone(since.to_owned());
        let (current, changed) = {
            let h = self.history.lock().unwrap_or_else(|p| p.into_inner());
            let current = self.current();
            (current, h.state_changes_since(since).ok_or_else(gone)?)
        };
        let to = current.token();
        if to == since {
            return Ok(Changes {
                current,
                to,
                diff: Diff::default(),
            });
        }
        let old = self
            .store
            .read(crate::feed::version_of_token(since))
            .map_err(|e| match e {
                StoreError::UnknownVersion(_) | StoreError::Corrupt { .. } => gone(),
                e => e.into(),
            })?;
        let diff = crate::feed::diff(&old, &current.snapshot, &changed).map_err(|reason| {
            LiveError::Unloadable {
                version: since.to_owned(),
                reason,
            }
        })?;
        Ok(Changes { current, to, diff })
    }

    /// Persists and publishes a complete new station list.
    fn commit(&self, stations: Vec<Station>, states: &States) -> Result<String, LiveError> {
        let stations = sorted(stations);
        // The encoded file is dropped before the index is built (see `load_version`).
        let v = {
            let bytes = encode(&stations);
            self.store.save(&bytes, stations.len())?
        };
        self.publish(
            Arc::new(Snapshot::new(stations, v.clone())),
            states,
            Vec::new(),
        );
        Ok(v)
    }

    /// Applies state changes by station id: durable (one journal append, fsynced) before the map changes, then
    /// published with the snapshot in force.
    fn apply_states(
        &self,
        states: &mut States,
        patches: &[(String, StatePatch)],
    ) -> Result<(), LiveError> {
        let mut next: Vec<(String, StationState)> = Vec::with_capacity(patches.len());
        for (id, p) in patches.iter().filter(|(_, p)| !p.is_empty()) {
            let old = next
                .iter()
                .rev()
                .find(|(k, _)| k == id)
                .map(|(_, s)| s)
                .or_else(|| states.map.get(id))
                .cloned()
                .unwrap_or_default();
            next.push((id.clone(), old.patched(p)));
        }
        if next.is_empty() {
            return Ok(());
        }
        let mut after = states.map.clone();
        for (id, st) in &next {
            if st.is_default() {
                after.remove(id);
            } else {
                after.insert(id.clone(), st.clone());
            }
        }
        let changes: Vec<(&str, Option<&StationState>)> = next
            .iter()
            .map(|(id, _)| (id.as_str(), after.get(id)))
            .collect();
        states.journal.append(&changes, &after)?;
        states.map = after;
        let changed = next.into_iter().map(|(id, _)| id).collect();
        self.publish(self.snapshot(), states, changed);
        Ok(())
    }

    /// Edits one station by a JSON merge patch (RFC 7396) of its properties, validated like an upload row.
    /// Properties of the station itself (name, hours…) make a new dataset version; the state fields
    /// (`status`, `status_note`, `reopens_on`, `verified_at`; `null` clears) change its state only.
    pub fn patch_station(
        &self,
        id: &str,
        patch: &serde_json::Map<String, serde_json::Value>,
        scope: Scope<'_>,
    ) -> Result<Edited, LiveError> {
        let mut states = self.lock()?;
        let base = self.snapshot();
        let station = base
            .get(id)
            .ok_or_else(|| LiveError::NotFound(id.to_owned()))?;
        let mut buf = Vec::new();
        Feature::new(station, Crs::Wgs84, Default::default()).write_json(&mut buf);
        let mut feature: serde_json::Value = serde_json::from_slice(&buf).map_err(|e| {
            LiveError::Store(StoreError::Io {
                path: "feature".into(),
                source: e.into(),
            })
        })?;
        if let Some(props) = feature.get_mut("properties") {
            merge_patch(props, &serde_json::Value::Object(patch.clone()));
        }
        let body = serde_json::json!({"type": "FeatureCollection", "features": [feature]});
        let bytes = body.to_string();
        let Parsed {
            stations,
            states: patches,
            warnings,
        } = import::parse(
            bytes.as_bytes(),
            Format::GeoJson,
            Crs::Wgs84,
            &base.hours_in_use(),
        )?;
        let edited = stations.into_iter().next();
        scope::check_station(&scope, station, edited.as_ref())?;
        let mut version = base.version().to_owned();
        if let Some(s) = edited
            .filter(|s| encode(std::slice::from_ref(s)) != encode(std::slice::from_ref(station)))
        {
            let all: Vec<Station> = base
                .stations()
                .iter()
                .map(|o| if o.id() == id { s.clone() } else { o.clone() })
                .collect();
            version = self.commit(all, &states)?;
        }
        self.apply_states(&mut states, &patches)?;
        Ok(Edited {
            dataset_version: version,
            warnings,
        })
    }

    /// Changes one station's state (a host's confirmation, an admin's closure): durable before it returns, and
    /// no new dataset version.
    pub fn patch_state(&self, id: &str, patch: StatePatch) -> Result<StationState, LiveError> {
        let mut states = self.lock()?;
        let current = self.current();
        if current.snapshot.get(id).is_none() {
            return Err(LiveError::NotFound(id.to_owned()));
        }
        self.apply_states(&mut states, &[(id.to_owned(), patch)])?;
        Ok(states.map.get(id).cloned().unwrap_or_default())
    }

    /// Validates an upload and, unless it is a dry run, applies it atomically and durably.
    pub fn upload(&self, u: Upload<'_>) -> Result<Outcome, LiveError> {
        let mut states = self.lock()?;
        let base = self.snapshot();
        let Parsed {
            stations: uploaded,
            warnings,
            states: patches,
        } = import::parse(u.body, u.format, u.crs, &base.hours_in_use())?;
        scope::check_upload(&u.scope, &base, &uploaded)?;
        scope::check_not_emptied(&u, uploaded.is_empty())?;
        let (stations, counts) = scope::combine(u.mode, &u.scope, &base, uploaded);
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
                counts,
            });
        }
        // The dataset first: a crash between the two leaves the new stations with their old state, and the
        // client without a 200, so it uploads again.
        let version = self.commit(stations, &states)?;
        self.apply_states(&mut states, &patches)?;
        Ok(Outcome {
            dataset_version: version,
            count,
            warnings,
            dry_run: false,
            counts,
        })
    }

    /// Removes one station (inside `scope`).
    pub fn delete(&self, id: &str, scope: Scope<'_>) -> Result<Outcome, LiveError> {
        let states = self.lock()?;
        let base = self.snapshot();
        let old = base
            .get(id)
            .ok_or_else(|| LiveError::NotFound(id.to_owned()))?;
        scope::check_station(&scope, old, None)?;
        let stations: Vec<Station> = base
            .stations()
            .iter()
            .filter(|s| s.id() != id)
            .cloned()
            .collect();
        let count = stations.len();
        let version = self.commit(stations, &states)?;
        Ok(Outcome {
            dataset_version: version,
            count,
            warnings: Vec::new(),
            dry_run: false,
            counts: Counts {
                removed: 1,
                ..Counts::default()
            },
        })
    }

    /// Makes a stored version current again.
    pub fn rollback(&self, version: &str) -> Result<Outcome, LiveError> {
        let states = self.lock()?;
        let loaded = Self::load_version(&self.store, version);
        if let Err(LiveError::Unloadable { .. }) | Ok(_) = &loaded {
            self.remember(version, loaded.is_ok());
        }
        let ds = loaded?;
        self.store.set_current(version)?;
        let count = ds.len();
        self.publish(Arc::new(ds), &states, Vec::new());
        Ok(Outcome {
            dataset_version: version.to_owned(),
            count,
            warnings: Vec::new(),
            dry_run: false,
            counts: Counts::default(),
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
