//! The domain: what a station is, the only ways to build one, when it is open, and what a query asks for.
//! Knows nothing of HTTP, disk or the index.

pub mod calendar;
pub mod hours;
pub mod kinds;
pub mod query;
pub mod state;
pub mod station;
pub mod texts;

pub use calendar::{Calendar, DayRules};
pub use hours::{Hours, HoursTable, OpenAt, OpenSet, NO_HOURS};
pub use kinds::{Amenities, Amenity, HostType, Kind};
pub use query::Filter;
pub use state::{StatePatch, StationState, Status};
pub use station::{Position, Station, StationId, Texts};
