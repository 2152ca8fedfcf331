//! Shared by the integration tests and the benches: a seeded generator and a brute-force model of the dataset.

pub mod model;
pub mod rng;
