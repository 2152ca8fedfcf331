//! Geometry on the Earth: the sphere of the contract, and China's map coordinate systems.
//!
//! Pure functions on numbers; nothing here knows what a station is.

pub mod crs;
pub mod sphere;
