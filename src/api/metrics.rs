//! Prometheus metrics: request counts and latency histograms per route and status, upload outcomes, problem
//! reports, and the live dataset's size and version.
//!
//! One [`prometheus_client`] [`Registry`] per app, built with the app state (no process-global recorder, so tests
//! can run several apps side by side), encoded in the Prometheus text format 0.0.4. The per-request metrics are
//! our own lock-free [`EncodeMetric`] types rather than `Family`/`Histogram`: those take a lock on every update
//! (`Family` a read lock for the lookup, `Histogram` a mutex), and every request updates them. Here each request
//! is two `fetch_add`s and a compare-and-swap on atomics indexed by small enums, no lock, no allocation (a
//! method × route's status row is allocated once, on its first request).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
    MetricEncoder, NoLabelSet,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::AppState;
use crate::live::Live;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The `method` label. Methods outside the standard set are one label, `OTHER`: a client must not be able to
/// mint label values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Patch,
    Other,
}

impl HttpMethod {
    const ALL: [HttpMethod; 8] = [
        HttpMethod::Get,
        HttpMethod::Head,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Delete,
        HttpMethod::Options,
        HttpMethod::Patch,
        HttpMethod::Other,
    ];

    pub(super) fn of(m: &Method) -> Self {
        match *m {
            Method::GET => HttpMethod::Get,
            Method::HEAD => HttpMethod::Head,
            Method::POST => HttpMethod::Post,
            Method::PUT => HttpMethod::Put,
            Method::DELETE => HttpMethod::Delete,
            Method::OPTIONS => HttpMethod::Options,
            Method::PATCH => HttpMethod::Patch,
            _ => HttpMethod::Other,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Head => "HEAD",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Options => "OPTIONS",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Other => "OTHER",
        }
    }
}

impl EncodeLabelValue for HttpMethod {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> fmt::Result {
        self.as_str().encode(encoder)
    }
}

/// `yizhan_http_requests_total`'s labels.
#[derive(EncodeLabelSet, Debug)]
struct RequestLabels {
    method: HttpMethod,
    route: &'static str,
    status: u16,
}

/// `yizhan_http_request_duration_seconds`'s label.
#[derive(EncodeLabelSet, Debug)]
struct RouteLabel {
    route: &'static str,
}

/// What an upload came to: the `outcome` label of `yizhan_uploads_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadOutcome {
    Accepted,
    Rejected,
    DryRun,
}

impl UploadOutcome {
    const ALL: [UploadOutcome; 3] = [
        UploadOutcome::Accepted,
        UploadOutcome::Rejected,
        UploadOutcome::DryRun,
    ];

    fn as_str(self) -> &'static str {
        match self {
            UploadOutcome::Accepted => "accepted",
            UploadOutcome::Rejected => "rejected",
            UploadOutcome::DryRun => "dry_run",
        }
    }
}

impl EncodeLabelValue for UploadOutcome {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> fmt::Result {
        self.as_str().encode(encoder)
    }
}

#[derive(EncodeLabelSet, Debug)]
struct OutcomeLabel {
    outcome: UploadOutcome,
}

/// The route labels: each path template of [`super::ROUTES`] once, then `unmatched`; and the order they are
/// exposed in (sorted, as the exposition always was).
struct Routes {
    names: Vec<&'static str>,
    sorted: Vec<usize>,
}

impl Routes {
    const UNMATCHED: &'static str = "unmatched";

    fn new() -> Self {
        let mut names: Vec<&'static str> = Vec::new();
        for (_, path) in super::ROUTES {
            if !names.contains(path) {
                names.push(path);
            }
        }
        names.push(Self::UNMATCHED);
        let mut sorted: Vec<usize> = (0..names.len()).collect();
        sorted.sort_by_key(|&i| names[i]);
        Routes { names, sorted }
    }

    /// The label of a request's route template (never the raw path, whose cardinality a client controls).
    fn index(&self, matched: Option<&str>) -> usize {
        matched
            .and_then(|m| self.names.iter().position(|n| *n == m))
            .unwrap_or(self.names.len() - 1)
    }
}

/// Status codes are 100..=999 (`http::StatusCode`); one counter each.
const STATUSES: usize = 900;
type StatusRow = [AtomicU64; STATUSES];

/// `yizhan_http_requests_total`: a counter per method × route × status, the status row allocated on the
/// method × route's first request. Only counters that moved are exposed.
struct Requests {
    routes: Arc<Routes>,
    rows: Box<[OnceLock<Box<StatusRow>>]>,
}

impl Requests {
    fn new(routes: Arc<Routes>) -> Self {
        let rows = (0..HttpMethod::ALL.len() * routes.names.len())
            .map(|_| OnceLock::new())
            .collect();
        Requests { routes, rows }
    }

    fn row(&self, method: HttpMethod, route: usize) -> &OnceLock<Box<StatusRow>> {
        &self.rows[method as usize * self.routes.names.len() + route]
    }

    fn inc(&self, method: HttpMethod, route: usize, status: u16) {
        let row = self
            .row(method, route)
            .get_or_init(|| Box::new([const { AtomicU64::new(0) }; STATUSES]));
        if let Some(n) = usize::from(status)
            .checked_sub(100)
            .and_then(|i| row.get(i))
        {
            n.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl fmt::Debug for Requests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Requests").finish_non_exhaustive()
    }
}

impl EncodeMetric for Requests {
    fn encode(&self, mut encoder: MetricEncoder) -> fmt::Result {
        let mut methods = HttpMethod::ALL;
        methods.sort_by_key(|m| m.as_str());
        for method in methods {
            for &route in &self.routes.sorted {
                let Some(row) = self.row(method, route).get() else {
                    continue;
                };
                for (i, n) in row.iter().enumerate() {
                    let n = n.load(Ordering::Relaxed);
                    if n == 0 {
                        continue;
                    }
                    let labels = RequestLabels {
                        method,
                        route: self.routes.names[route],
                        status: 100 + i as u16,
                    };
                    ConstCounter::new(n).encode(encoder.encode_family(&labels)?)?;
                }
            }
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

/// A histogram on atomics. A scrape may see an observation in `count` but not yet in its bucket or the sum,
/// never the other way round for the buckets: the `+Inf` bucket (= count) is never below a finite one.
struct AtomicHistogram {
    /// Per bucket, not cumulative (the encoder adds them up).
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// An `f64`'s bits.
    sum: AtomicU64,
}

impl AtomicHistogram {
    fn new() -> Self {
        AtomicHistogram {
            buckets: [const { AtomicU64::new(0) }; BUCKETS.len()],
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }

    fn observe(&self, v: f64) {
        self.count.fetch_add(1, Ordering::Relaxed);
        if let Some(i) = BUCKETS.iter().position(|b| v <= *b) {
            // Release: whoever sees this bucket's increment sees the count's.
            self.buckets[i].fetch_add(1, Ordering::Release);
        }
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
                Some((f64::from_bits(s) + v).to_bits())
            });
    }
}

/// `yizhan_http_request_duration_seconds`: a histogram per route. Only routes that were requested are exposed.
struct Latency {
    routes: Arc<Routes>,
    per_route: Box<[AtomicHistogram]>,
}

impl fmt::Debug for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Latency").finish_non_exhaustive()
    }
}

impl EncodeMetric for Latency {
    fn encode(&self, mut encoder: MetricEncoder) -> fmt::Result {
        for &route in &self.routes.sorted {
            let h = &self.per_route[route];
            let mut buckets = [(0.0, 0); BUCKETS.len()];
            for ((out, b), n) in buckets.iter_mut().zip(BUCKETS).zip(&h.buckets) {
                *out = (b, n.load(Ordering::Acquire));
            }
            let count = h.count.load(Ordering::Relaxed);
            if count == 0 {
                continue;
            }
            let sum = f64::from_bits(h.sum.load(Ordering::Relaxed));
            let labels = RouteLabel {
                route: self.routes.names[route],
            };
            encoder
                .encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// `yizhan_uploads_total`: every outcome always exposed, in a fixed order.
#[derive(Debug, Default)]
struct Uploads([Counter; 3]);

impl EncodeMetric for Uploads {
    fn encode(&self, mut encoder: MetricEncoder) -> fmt::Result {
        for (outcome, n) in UploadOutcome::ALL.into_iter().zip(&self.0) {
            n.encode(encoder.encode_family(&OutcomeLabel { outcome })?)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

/// The live dataset's size and version, and whether the store is reachable, read at each scrape.
struct DatasetCollector(Arc<Live>, Arc<dyn crate::store::Backend>);

impl fmt::Debug for DatasetCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatasetCollector").finish_non_exhaustive()
    }
}

impl Collector for DatasetCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let ds = self.0.snapshot();
        let stations = ConstGauge::new(i64::try_from(ds.len()).unwrap_or(i64::MAX));
        stations.encode(encoder.encode_descriptor(
            "yizhan_dataset_stations",
            "Stations in the live dataset.",
            None,
            MetricType::Gauge,
        )?)?;
        ConstGauge::new(i64::from(self.1.available())).encode(encoder.encode_descriptor(
            "yizhan_store_up",
            "1 while the store (the data directory, or the replicas' PostgreSQL) takes writes, 0 while it cannot be reached.",
            None,
            MetricType::Gauge,
        )?)?;
        // An info metric: the exposed name gets `_info`, and the text format 0.0.4 types it as a gauge.
        encoder
            .encode_descriptor(
                "yizhan_dataset",
                "The live dataset version.",
                None,
                MetricType::Info,
            )?
            .encode_info(&[("version", ds.version())])
    }
}

/// Shared wrappers so the registry and [`Metrics`] hold the same storage.
#[derive(Debug, Clone)]
struct Shared<T>(Arc<T>);

impl<T: EncodeMetric> EncodeMetric for Shared<T> {
    fn encode(&self, encoder: MetricEncoder) -> fmt::Result {
        self.0.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        self.0.metric_type()
    }
}

pub struct Metrics {
    registry: Registry,
    routes: Arc<Routes>,
    requests: Arc<Requests>,
    latency: Arc<Latency>,
    uploads: Arc<Uploads>,
    reports: Counter,
}

impl Metrics {
    /// The app's registry; the dataset metrics read `catalog` (and `store`) at each scrape.
    pub fn new(catalog: Arc<Live>, store: Arc<dyn crate::store::Backend>) -> Self {
        let routes = Arc::new(Routes::new());
        let requests = Arc::new(Requests::new(routes.clone()));
        let latency = Arc::new(Latency {
            routes: routes.clone(),
            per_route: (0..routes.names.len())
                .map(|_| AtomicHistogram::new())
                .collect(),
        });
        let uploads = Arc::new(Uploads::default());
        let reports = Counter::default();
        // `register` appends the period to the help text and `_total` to counters' names.
        let mut registry = Registry::default();
        registry.register(
            "yizhan_http_requests",
            "HTTP requests by method, route and status",
            Shared(requests.clone()),
        );
        registry.register(
            "yizhan_http_request_duration_seconds",
            "Request latency by route",
            Shared(latency.clone()),
        );
        registry.register(
            "yizhan_uploads",
            "Admin uploads by outcome",
            Shared(uploads.clone()),
        );
        registry.register(
            "yizhan_reports",
            "Problem reports accepted",
            reports.clone(),
        );
        registry.register_collector(Box::new(DatasetCollector(catalog, store)));
        Metrics {
            registry,
            routes,
            requests,
            latency,
            uploads,
            reports,
        }
    }

    /// The label index of a request's route template (see [`super::layers::Track`]).
    pub(super) fn route_of(&self, matched: Option<&str>) -> usize {
        self.routes.index(matched)
    }

    /// Runs on every request: lock-free and allocation-free (but for a method × route's first request).
    pub(super) fn observe(&self, method: HttpMethod, route: usize, status: u16, seconds: f64) {
        self.requests.inc(method, route, status);
        self.latency.per_route[route].observe(seconds);
    }

    pub fn upload_outcome(&self, outcome: UploadOutcome) {
        self.uploads.0[outcome as usize].inc();
    }

    pub fn report_received(&self) {
        self.reports.inc();
    }

    /// The exposition, in the Prometheus text format 0.0.4.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(8 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut s, &self.registry);
        s
    }
}

#[utoipa::path(
    get, path = "/metrics", operation_id = "metrics", tag = "meta",
    summary = "Prometheus metrics",
    description = "Text exposition format 0.0.4: `yizhan_http_requests_total{method,route,status}`, \
        `yizhan_http_request_duration_seconds` (histogram by route template), `yizhan_uploads_total{outcome}`, \
        `yizhan_reports_total`, `yizhan_dataset_stations`, `yizhan_store_up`, `yizhan_dataset_info{version}`. Public: restrict it at your proxy.",
    responses((status = 200, description = "Metrics.", content_type = "text/plain", body = String),
        (status = 503, response = super::openapi::Unavailable))
)]
pub async fn endpoint(State(app): State<AppState>) -> Response {
    let mut r = app.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(prometheus_client::encoding::prometheus_text::CONTENT_TYPE),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// The exposition as it always was (the hand-written encoder's format, byte for byte).
    #[test]
    fn exposition_format() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let backend = store.backend().clone();
        let catalog = Arc::new(Live::open(store, crate::BUNDLED_SAMPLE).unwrap());
        let ds = catalog.snapshot();
        let m = Metrics::new(catalog.clone(), backend);
        let healthz = m.routes.index(Some("/healthz"));
        let unmatched = m.routes.index(Some("/no/such/route"));
        assert_eq!(m.routes.names[unmatched], "unmatched");
        assert_eq!(
            m.routes.index(Some("/api/v1/stations")),
            m.routes.index(Some("/api/v1/stations")),
        );
        // Binary fractions, so that the sums print the same in any float format.
        m.observe(HttpMethod::Get, healthz, 200, 0.25);
        m.observe(HttpMethod::Get, healthz, 200, 0.00048828125);
        m.observe(
            HttpMethod::of(&Method::from_bytes(b"FROBNICATE").unwrap()),
            healthz,
            405,
            8.0,
        );
        m.observe(HttpMethod::Delete, unmatched, 404, 0.0078125);
        m.upload_outcome(UploadOutcome::Rejected);
        m.report_received();
        let mut want = String::from(
            "# HELP yizhan_http_requests_total HTTP requests by method, route and status.
# TYPE yizhan_http_requests_total counter
yizhan_http_requests_total{method=\"DELETE\",route=\"unmatched\",status=\"404\"} 1
yizhan_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2
yizhan_http_requests_total{method=\"OTHER\",route=\"/healthz\",status=\"405\"} 1
# HELP yizhan_http_request_duration_seconds Request latency by route.
# TYPE yizhan_http_request_duration_seconds histogram
",
        );
        for (route, counts, sum) in [
            (
                "/healthz",
                [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3],
                "8.25048828125",
            ),
            (
                "unmatched",
                [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                "0.0078125",
            ),
        ] {
            let les = BUCKETS.map(|b| b.to_string());
            for (le, n) in les.iter().map(String::as_str).chain(["+Inf"]).zip(counts) {
                want += &format!(
                    "yizhan_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {n}\n"
                );
            }
            want += &format!(
                "yizhan_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}\n\
                 yizhan_http_request_duration_seconds_count{{route=\"{route}\"}} {}\n",
                counts[12]
            );
        }
        want += &format!(
            "# HELP yizhan_uploads_total Admin uploads by outcome.
# TYPE yizhan_uploads_total counter
yizhan_uploads_total{{outcome=\"accepted\"}} 0
yizhan_uploads_total{{outcome=\"rejected\"}} 1
yizhan_uploads_total{{outcome=\"dry_run\"}} 0
# HELP yizhan_reports_total Problem reports accepted.
# TYPE yizhan_reports_total counter
yizhan_reports_total 1
# HELP yizhan_dataset_stations Stations in the live dataset.
# TYPE yizhan_dataset_stations gauge
yizhan_dataset_stations {}
# HELP yizhan_store_up 1 while the store (the data directory, or the replicas' PostgreSQL) takes writes, 0 while it cannot be reached.
# TYPE yizhan_store_up gauge
yizhan_store_up 1
# HELP yizhan_dataset_info The live dataset version.
# TYPE yizhan_dataset_info gauge
yizhan_dataset_info{{version=\"{}\"}} 1
",
            ds.len(),
            ds.version()
        );
        assert_eq!(m.render(), want);
    }
}
