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
