//! The API's integration tests: one binary (zero2prod style), one module per area.

#[path = "../support/mod.rs"]
mod support;

mod along;
mod attention;
mod calendar;
mod cases;
mod concurrency;
mod confirm;
mod corpus;
mod durability;
mod etag;
mod golden;
mod helpers;
mod hostile;
mod insights;
mod lang;
mod openapi;
mod opendata;
mod ops;
mod pages;
mod params;
mod reads;
mod replicas;
mod starve;
mod state;
mod tokens;
mod uploads;
