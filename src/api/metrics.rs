//! Prometheus metrics: request counts and latency histograms per route and status, upload outcomes.
//!
//! A few dozen lines of our own instead of a metrics crate: the `metrics` facade keeps one global recorder
//! per process, which does not fit tests that run several apps side by side.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(&'static str, &'static str, u16), u64>,
    latency: BTreeMap<&'static str, Histogram>,
    uploads: BTreeMap<&'static str, u64>,
    reports: u64,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Static keys keep this allocation-free: it runs on every request, under one lock shared by all threads.
    pub fn observe(&self, method: &'static str, route: &'static str, status: u16, seconds: f64) {
        let mut m = self.lock();
        *m.requests.entry((method, route, status)).or_default() += 1;
        let h = m.latency.entry(route).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    pub fn upload_outcome(&self, outcome: &'static str) {
        *self.lock().uploads.entry(outcome).or_default() += 1;
    }

    pub fn report_received(&self) {
        self.lock().reports += 1;
    }

    pub fn render(&self, stations: usize, version: &str) -> String {
        let m = self.lock();
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP yizhan_http_requests_total HTTP requests by method, route and status."
        );
        let _ = writeln!(s, "# TYPE yizhan_http_requests_total counter");
        for ((method, route, status), n) in &m.requests {
            let _ = writeln!(s, "yizhan_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP yizhan_http_request_duration_seconds Request latency by route."
        );
        let _ = writeln!(s, "# TYPE yizhan_http_request_duration_seconds histogram");
        for (route, h) in &m.latency {
            for (b, c) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(s, "yizhan_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {c}");
            }
            let _ = writeln!(
                s,
                "yizhan_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                s,
                "yizhan_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                s,
                "yizhan_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(s, "# HELP yizhan_uploads_total Admin uploads by outcome.");
        let _ = writeln!(s, "# TYPE yizhan_uploads_total counter");
        for outcome in ["accepted", "rejected", "dry_run"] {
            let _ = writeln!(
                s,
                "yizhan_uploads_total{{outcome=\"{outcome}\"}} {}",
                m.uploads.get(outcome).copied().unwrap_or(0)
            );
        }
        let _ = writeln!(s, "# HELP yizhan_reports_total Problem reports accepted.");
        let _ = writeln!(s, "# TYPE yizhan_reports_total counter");
        let _ = writeln!(s, "yizhan_reports_total {}", m.reports);
        let _ = writeln!(
            s,
            "# HELP yizhan_dataset_stations Stations in the live dataset."
        );
        let _ = writeln!(s, "# TYPE yizhan_dataset_stations gauge");
        let _ = writeln!(s, "yizhan_dataset_stations {stations}");
        let _ = writeln!(s, "# HELP yizhan_dataset_info The live dataset version.");
        let _ = writeln!(s, "# TYPE yizhan_dataset_info gauge");
        let _ = writeln!(s, "yizhan_dataset_info{{version=\"{version}\"}} 1");
        s
    }
}

/// Middleware: times every request and files it under its route template (never the raw path, whose
/// cardinality a client controls).
pub async fn track(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| route_name(p.as_str()))
        .unwrap_or("unmatched");
    let method = method_name(req.method());
    let start = Instant::now();
    let res = next.run(req).await;
    app.metrics.observe(
        method,
        route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

/// The route template as the `'static` string in [`super::ROUTES`].
fn route_name(matched: &str) -> Option<&'static str> {
    super::ROUTES
        .iter()
        .find(|(_, path)| *path == matched)
        .map(|(_, path)| *path)
}

/// Methods outside the standard set are one label: a client must not be able to mint label values.
fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "OTHER",
    }
}

#[utoipa::path(
    get, path = "/metrics", operation_id = "metrics", tag = "meta",
    summary = "Prometheus metrics",
    description = "Text exposition format 0.0.4: `yizhan_http_requests_total{method,route,status}`, \
        `yizhan_http_request_duration_seconds` (histogram by route template), `yizhan_uploads_total{outcome}`, \
        `yizhan_reports_total`, `yizhan_dataset_stations`, `yizhan_dataset_info{version}`. Public: restrict it at your proxy.",
    responses((status = 200, description = "Metrics.", content_type = "text/plain", body = String),
        (status = 503, response = super::openapi::Unavailable))
)]
pub async fn endpoint(State(app): State<AppState>) -> Response {
    let ds = app.catalog.snapshot();
    let mut r = app.metrics.render(ds.len(), ds.version()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}
