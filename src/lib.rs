//! 驿站 yizhan: a fast, dependable locator for Beijing's outdoor-worker rest stations.
//!
//! An in-memory R-tree over the stations answers nearest-k and box queries with amenity and opening-hours
//! filters, behind a small JSON API and a phone map page. See `README.md` and `/openapi.json`.
#![forbid(unsafe_code)]

pub mod api;
pub mod catalog;
pub mod config;
pub mod crs;
pub mod dataset;
pub mod feature;
pub mod import;
pub mod index;
pub mod reports;
pub mod route;
pub mod server;
pub mod station;
pub mod store;
pub mod validate_cmd;

/// The bundled synthetic sample, seeded into an empty data directory on first start.
pub const BUNDLED_SAMPLE: &[u8] = include_bytes!("../data/stations.geojson");
