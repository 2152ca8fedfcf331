//! Demand and coverage insights for planners (issue 18): where riders search, and where they find nothing
//! within a kilometre. Only counts per H3 cell (resolution 8) and local hour are kept, never a position; the
//! totals leave only above a k-anonymity floor (see docs/PRIVACY.md). Knows nothing of HTTP or disk.

mod aggregate;
pub mod districts;
mod recorder;

pub use aggregate::{Aggregate, Counts, Key, MAX_KEYS};
pub use recorder::{cell_of, Demand, MAX_PENDING_KEYS, RESOLUTION, RETENTION_HOURS};

/// A search is unmet when no station matching its filters lies within this distance.
pub const UNMET_RADIUS_M: f64 = 1_000.0;

/// The k-anonymity floor: a cell (or district) with fewer searches than this is never shown.
pub const MIN_COUNT: u64 = 5;

/// The cell's boundary ring as `[lon, lat]` pairs (closed), for a GeoJSON polygon.
pub fn cell_boundary(cell: u64) -> Option<Vec<[f64; 2]>> {
    let c = h3o::CellIndex::try_from(cell).ok()?;
    let mut ring: Vec<[f64; 2]> = c.boundary().iter().map(|p| [p.lng(), p.lat()]).collect();
    if let Some(&first) = ring.first() {
        ring.push(first);
    }
    Some(ring)
}

/// The cell's centre as `(lon, lat)`.
pub fn cell_centre(cell: u64) -> Option<(f64, f64)> {
    let c = h3o::CellIndex::try_from(cell).ok()?;
    let p = h3o::LatLng::from(c);
    Some((p.lng(), p.lat()))
}

#[cfg(test)]
mod tests;

/// Which counts a summary adds up: local days `[first_day, last_day]` (days since 1970-01-01), optionally one
/// hour of the week.
#[derive(Clone, Copy, Debug)]
pub struct Range {
    pub first_day: u32,
    pub last_day: u32,
    pub hour_of_week: Option<u16>,
}

/// Counts per cell over `r`, ordered by cell.
pub fn by_cell(a: &Aggregate, r: &Range) -> Vec<(u64, Counts)> {
    let mut cells: std::collections::BTreeMap<u64, Counts> = std::collections::BTreeMap::new();
    for (k, c) in a.iter() {
        let day = k.day();
        if day < r.first_day || day > r.last_day {
            continue;
        }
        if r.hour_of_week.is_some_and(|h| h != k.hour_of_week()) {
            continue;
        }
        cells.entry(k.cell).or_default().add(c);
    }
    cells.into_iter().collect()
}
