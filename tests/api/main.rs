//! The API's integration tests: one binary (zero2prod style), one module per area.

mod corpus;
mod etag;
mod helpers;
mod params;
mod reads;
mod uploads;
