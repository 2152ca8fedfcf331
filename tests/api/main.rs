//! The API's integration tests: one binary (zero2prod style), one module per area.

mod along;
mod concurrency;
mod corpus;
mod durability;
mod etag;
mod helpers;
mod openapi;
mod ops;
mod params;
mod reads;
mod uploads;
