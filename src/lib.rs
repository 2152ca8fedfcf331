//! 驿站 yizhan: a fast, dependable locator for Beijing's outdoor-worker rest stations.
//!
//! An in-memory R-tree over the stations answers nearest-k and box queries with amenity and opening-hours
//! filters, behind a small JSON API and a phone map page. See `README.md`, `docs/ARCHITECTURE.md` (which module
//! may import which) and `/openapi.json`.
#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod check;
pub mod cli;
pub mod domain;
pub mod feed;
pub mod geodesy;
pub mod i18n;
pub mod import;
pub mod index;
pub mod insights;
pub mod live;
pub mod overlay;
pub mod serve;
pub mod settings;
pub mod snapshot;
pub mod store;
pub mod token_cmd;
pub mod wire;

/// The bundled synthetic sample, seeded into an empty data directory on first start.
pub const BUNDLED_SAMPLE: &[u8] = include_bytes!("../data/stations.geojson");
