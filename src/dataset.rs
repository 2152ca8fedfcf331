//! One immutable, indexed dataset version: the stations in id order, their R-trees, and the queries over them.
//!
//! A dataset is built once per accepted upload and then only read; readers hold an `Arc` to the version they
//! started with, so an upload never blocks or disturbs a query in flight.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::index::{AlongHit, AlongQuery, BBox, Hit, Index, Nearest};
use crate::route::Route;
use crate::station::{Amenities, Amenity, Hours, Station};

pub struct Dataset {
    /// Sorted by id, unique: position in this vector is id order, and lookups are binary searches.
    stations: Vec<Station>,
    index: Index,
    version: String,
    amenity_counts: Vec<(Amenity, usize)>,
}

/// Evaluates `open_now` at one instant, parsing nothing and evaluating each distinct expression at most once.
pub struct OpenAt {
    local: NaiveDateTime,
    memo: HashMap<usize, bool>,
}

impl OpenAt {
    pub fn new(at: DateTime<Utc>, tz: Tz) -> Self {
        OpenAt {
            local: at.with_timezone(&tz).naive_local(),
            memo: HashMap::new(),
        }
    }

    pub fn is_open(&mut self, s: &Station) -> Option<bool> {
        let h = s.hours.as_ref()?;
        let local = self.local;
        Some(
            *self
                .memo
                .entry(Arc::as_ptr(h) as usize)
                .or_insert_with(|| h.is_open(local)),
        )
    }
}

/// What a station must have to be listed.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Amenities and the derived 24h flag, all required.
    pub required: Amenities,
    /// Only stations whose hours say open at the evaluation instant.
    pub open_now: bool,
    /// Case-insensitive substring of name or address, already lower-cased.
    pub text: Option<String>,
}

impl Filter {
    fn matches(&self, s: &Station, open: &mut OpenAt) -> bool {
        if !s.amenities.has_all(self.required) {
            return false;
        }
        if self.open_now && open.is_open(s) != Some(true) {
            return false;
        }
        if let Some(t) = &self.text {
            let hit = |v: &str| v.to_lowercase().contains(t.as_str());
            if !hit(&s.name) && !s.address.as_deref().is_some_and(hit) {
                return false;
            }
        }
        true
    }
}

/// One page of a list query.
pub struct Page {
    pub indices: Vec<u32>,
    pub total: usize,
}

impl Dataset {
    /// `stations` must have unique ids (the importer guarantees it); they are sorted here.
    pub fn new(mut stations: Vec<Station>, version: String) -> Dataset {
        stations.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let index = Index::build(&stations);
        let amenity_counts = Amenity::ALL
            .iter()
            .map(|&a| {
                (
                    a,
                    stations.iter().filter(|s| s.amenities.contains(a)).count(),
                )
            })
            .collect();
        Dataset {
            stations,
            index,
            version,
            amenity_counts,
        }
    }

    pub fn version(&self) -> &str {
        &self.version
    }
    pub fn len(&self) -> usize {
        self.stations.len()
    }
    pub fn is_empty(&self) -> bool {
        self.stations.is_empty()
    }
    pub fn stations(&self) -> &[Station] {
        &self.stations
    }
    pub fn station(&self, idx: u32) -> &Station {
        &self.stations[idx as usize]
    }
    pub fn index(&self) -> &Index {
        &self.index
    }
    pub fn position_of(&self, id: &str) -> Option<u32> {
        self.stations
            .binary_search_by(|s| s.id.as_str().cmp(id))
            .ok()
            .map(|i| i as u32)
    }
    pub fn get(&self, id: &str) -> Option<&Station> {
        self.position_of(id).map(|i| self.station(i))
    }
    pub fn amenity_counts(&self) -> &[(Amenity, usize)] {
        &self.amenity_counts
    }

    /// The distinct parsed hours in use, for reuse when a merged upload is validated.
    pub fn hours_in_use(&self) -> HashMap<String, Arc<Hours>> {
        self.stations
            .iter()
            .filter_map(|s| s.hours.clone())
            .map(|h| (h.as_str().to_owned(), h))
            .collect()
    }

    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        max_distance_m: Option<f64>,
        filter: &Filter,
        open: &mut OpenAt,
    ) -> Vec<Hit> {
        let q = Nearest {
            lon,
            lat,
            k,
            max_distance_m,
            required: filter.required,
        };
        self.index.nearest(&self.stations, &q, |i| {
            filter.matches(&self.stations[i as usize], open)
        })
    }

    /// Matching stations within `max_distance_m` of `route`, in the order a rider meets them, at most `limit`.
    pub fn along(
        &self,
        route: &Route,
        max_distance_m: f64,
        limit: usize,
        filter: &Filter,
        open: &mut OpenAt,
    ) -> Vec<AlongHit> {
        let q = AlongQuery {
            max_distance_m,
            limit,
            required: filter.required,
        };
        self.index.along(&self.stations, route, &q, |i| {
            filter.matches(&self.stations[i as usize], open)
        })
    }

    /// Stations in `bbox` (or all) that match, in id order, paged.
    pub fn list(
        &self,
        bbox: Option<&BBox>,
        filter: &Filter,
        open: &mut OpenAt,
        offset: usize,
        limit: usize,
    ) -> Page {
        let mut keep = |i: &u32| filter.matches(&self.stations[*i as usize], open);
        let all: Vec<u32> = match bbox {
            Some(b) => self
                .index
                .in_bbox(&self.stations, b, filter.required)
                .into_iter()
                .filter(|i| keep(i))
                .collect(),
            None => (0..self.stations.len() as u32)
                .filter(|i| keep(i))
                .collect(),
        };
        let total = all.len();
        let indices = all.into_iter().skip(offset).take(limit).collect();
        Page { indices, total }
    }
}
