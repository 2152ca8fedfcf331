//! What goes over the wire and onto disk in the formats other software reads.

pub mod csv;
pub mod geojson;
pub mod instant;
