//! Opening the live dataset: the stored current version (or the newest good one), seeding an empty store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::{encode, sorted, view_of, Current, Live, LiveError, States, STATE_LOG};
use crate::domain::StationState;
use crate::feed::History;
use crate::geodesy::crs::Crs;
use crate::import::{self, Format};
use crate::snapshot::Snapshot;
use crate::store::journal::Journal;
use crate::store::{Store, StoreError};

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
                    return Self::assemble(store, ds, health);
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
        Self::assemble(store, Snapshot::new(stations, v), HashMap::new())
    }

    /// The live service over a loaded snapshot: reads the station-state journal and publishes both.
    fn assemble(
        store: Store,
        ds: Snapshot,
        health: HashMap<String, bool>,
    ) -> Result<Live, LiveError> {
        let (journal, map) = Journal::open::<StationState>(store.backend().clone(), STATE_LOG)?;
        let states = States { map, journal };
        let current = Current {
            states: Arc::new(view_of(&ds, &states.map)),
            snapshot: Arc::new(ds),
        };
        let history = Mutex::new(History::new(current.token()));
        Ok(Live {
            live: ArcSwap::from_pointee(current),
            store,
            write: Mutex::new(states),
            health: Mutex::new(health),
            history,
        })
    }

    pub(super) fn load_version(store: &Store, v: &str) -> Result<Snapshot, LiveError> {
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
}
