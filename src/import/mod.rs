//! Turning an uploaded file into validated stations, or into a complete report of what is wrong with it.
//!
//! Both formats are read into the same [`Draft`](rules::Draft) rows and validated by the same code, so a
//! CSV row and a GeoJSON feature are held to exactly the same rules, and every problem in the file is
//! reported at once rather than the first one only.

mod csv;
mod geojson;
mod hours_check;
mod rules;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::domain::{Hours, StatePatch, Station};
use crate::geodesy::crs::Crs;

pub use hours_check::hours_warnings;
use rules::Hygiene;
pub use rules::{parse_day, status_note, Draft, MAX_TEXT_CHARS};

/// The two accepted upload formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
}

impl Format {
    /// Guesses from a file name, for the CLI.
    pub fn from_path(path: &std::path::Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") | Some("txt") => Format::Csv,
            _ => Format::GeoJson,
        }
    }
}

/// One problem with one feature or row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowError {
    /// 0-based position in `features`, or the 0-based data row of a CSV file.
    pub index: usize,
    /// 1-based line of a CSV file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The body is not JSON / CSV at all (400).
    #[error("{message}")]
    Syntax {
        message: String,
        line: Option<u64>,
        column: Option<u64>,
    },
    /// Well-formed, but not the shape we take, e.g. a bare Feature or a CSV without the header (400).
    #[error("{0}")]
    Shape(String),
    /// Some features are invalid: all of them are listed (422).
    #[error("{} invalid feature(s)", .0.len())]
    Invalid(Vec<RowError>),
}

/// Validated stations and the non-blocking remarks on them.
#[derive(Debug)]
pub struct Parsed {
    pub stations: Vec<Station>,
    pub warnings: Vec<String>,
    /// The state fields each row gave, by station id (rows that gave none are left out).
    pub states: Vec<(String, StatePatch)>,
}

/// Parses and validates a whole upload. `known_hours` lets already-parsed expressions be shared.
///
/// ```
/// use std::collections::HashMap;
/// use yizhan::geodesy::crs::Crs;
/// use yizhan::import::{self, Format, ImportError};
///
/// let csv = "id,name,lon,lat,amenities\nbj-1,望京驿站,116.47,39.99,water;charging\nbj-2,,116.48,91,water\n";
/// let Err(ImportError::Invalid(errors)) = import::parse(csv.as_bytes(), Format::Csv, Crs::Wgs84, &HashMap::new())
/// else { panic!("row 2 is invalid") };
/// // Every problem of every row, at once: bj-2 has no name and a latitude out of range.
/// assert!(errors.iter().all(|e| e.index == 1));
/// assert_eq!(errors.len(), 2, "{errors:?}");
/// ```
pub fn parse(
    bytes: &[u8],
    format: Format,
    crs: Crs,
    known_hours: &HashMap<String, Arc<Hours>>,
) -> Result<Parsed, ImportError> {
    let h = Hygiene::Upload;
    match format {
        Format::GeoJson => rules::validate(geojson::drafts(bytes)?, crs, h, known_hours),
        Format::Csv => rules::validate(csv::drafts(bytes)?.into_iter(), crs, h, known_hours),
    }
}

/// Parses a dataset this service stored (canonical GeoJSON, WGS-84) by the rules it was accepted under: the
/// input-hygiene rules added later (reserved ids, invisible names, bidi controls, phone syntax) are not
/// applied, so that an upgrade never makes a stored dataset unloadable.
pub fn parse_stored(bytes: &[u8]) -> Result<Parsed, ImportError> {
    rules::validate(
        geojson::drafts(bytes)?,
        Crs::Wgs84,
        Hygiene::Stored,
        &HashMap::new(),
    )
}

#[cfg(test)]
mod tests;
