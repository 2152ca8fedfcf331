//! The HTTP API: router, shared state and the layers around it. Handlers stay thin; the work is in the
//! snapshot, live and import modules.

mod admin;
mod attention;
mod audit;
mod auth;
mod body;
mod calendar;
mod cases;
mod changes;
mod confirm;
mod edit;
mod error;
mod etag;
mod export;
pub mod extract;
mod first_answer;
mod first_list;
pub mod guard;
mod insights;
mod lang;
mod layers;
mod metrics;
mod ogc;
pub mod openapi;
mod pages;
pub mod params;
mod ratelimit;
mod reports;
mod respond;
mod station_page;
mod stations;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, Method, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::live::Live;
use crate::settings::Settings;
pub use auth::AdminToken;
pub use calendar::Calendars;
pub use confirm::Confirm;
use error::ApiError;
pub use guard::Pool;
pub use insights::Insights;
pub use metrics::Metrics;
pub use ratelimit::ReportLimiter;
pub use reports::Reports;
pub use respond::Guarded;

/// What every handler shares, behind one `Arc`: axum clones the state for each request (and each extractor
/// that asks for it), and one reference count is cheaper than one per field.
#[derive(Clone)]
pub struct AppState(Arc<App>);

impl AppState {
    pub fn new(app: App) -> Self {
        AppState(Arc::new(app))
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

pub struct App {
    pub live: Arc<Live>,
    /// Where everything durable is kept (the data directory or PostgreSQL): `/healthz` says if it is reachable.
    pub store: Arc<dyn crate::store::Backend>,
    pub settings: Arc<Settings>,
    pub admin: AdminToken,
    /// The audit trail: every change appends to it (`GET /api/v1/audit`).
    pub audit: Arc<crate::store::audit::AuditLog>,
    pub metrics: Arc<Metrics>,
    pub reports: Arc<Reports>,
    /// The bounded pool for heavy work (along, text search, gzip decoding).
    pub heavy: Pool,
    /// Dataset downloads streaming at once.
    pub downloads: Arc<tokio::sync::Semaphore>,
    /// The hosts' confirmation links: the secret and the per-station quota.
    pub confirm: Confirm,
    /// The holiday calendar in force (every read's `open_now` takes it).
    pub calendar: Arc<Calendars>,
    /// The demand counts (issue 18).
    pub insights: Arc<Insights>,
}

/// Every route the router serves, as `(method, path template)`: the OpenAPI test checks the spec against it
/// and checks that each is really routed.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/stations/nearest"),
    ("GET", "/api/v1/stations/along"),
    ("GET", "/api/v1/stations"),
    ("PUT", "/api/v1/stations"),
    ("POST", "/api/v1/stations"),
    ("GET", "/api/v1/stations/{id}"),
    ("DELETE", "/api/v1/stations/{id}"),
    ("PATCH", "/api/v1/stations/{id}"),
    ("POST", "/api/v1/stations/{id}/reports"),
    ("GET", "/api/v1/reports"),
    ("PATCH", "/api/v1/reports/{id}"),
    ("GET", "/api/v1/attention"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/tickets/{ticket}"),
    ("GET", "/api/v1/amenities"),
    ("GET", "/api/v1/dataset"),
    ("GET", "/api/v1/dataset/versions"),
    ("GET", "/api/v1/changes"),
    ("GET", "/ogc"),
    ("GET", "/ogc/conformance"),
    ("GET", "/ogc/collections"),
    ("GET", "/ogc/collections/stations"),
    ("GET", "/ogc/collections/stations/items"),
    ("GET", "/ogc/collections/stations/items/{id}"),
    ("GET", "/s/{id}"),
    ("POST", "/api/v1/dataset/rollback"),
    ("GET", "/api/v1/config"),
    ("GET", "/api/v1/calendar"),
    ("PUT", "/api/v1/calendar"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/"),
    ("GET", "/admin"),
    ("GET", "/api/v1/stations/{id}/confirm-link"),
    ("POST", "/api/v1/stations/{id}/confirm"),
    ("GET", "/api/v1/qr-sheet"),
    ("GET", "/c/{id}"),
    ("GET", "/admin/qr"),
    ("GET", "/api/v1/insights/demand"),
    ("GET", "/api/v1/insights/coverage"),
];

/// Request ids: a process-unique counter is enough to correlate logs; clients may send their own.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicU64>);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("yz-{:x}-{n}", std::process::id()))
            .ok()
            .map(RequestId::new)
    }
}

#[utoipa::path(
    get, path = "/api/v1/config", operation_id = "getConfig", tag = "meta",
    summary = "Map page settings (tiles, time zone)",
    responses((status = 200, description = "Settings.", content_type = "application/json", body = Config),
        (status = 503, response = openapi::Unavailable))
)]
async fn config(State(app): State<AppState>) -> Response {
    let s = &app.settings;
    Json(Config {
        tiles: Tiles {
            attribution: &s.tiles_attribution,
            crs: s.tiles_crs.as_str(),
            max_zoom: 19,
            url: &s.tiles_url,
        },
        timezone: s.timezone.name(),
    })
    .into_response()
}

/// What the map page needs to draw tiles; useful to embed the same map.
// Fields in name order, as the `json!` map this replaced wrote them (same bytes).
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Config<'a> {
    tiles: Tiles<'a>,
    #[schema(examples("Asia/Shanghai"))]
    timezone: &'static str,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct Tiles<'a> {
    attribution: &'a str,
    #[schema(value_type = openapi::TilesCrs)]
    crs: &'static str,
    max_zoom: u8,
    /// XYZ template, e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png`.
    url: &'a str,
}

async fn method_not_allowed(req: Request<axum::body::Body>) -> Response {
    ApiError::MethodNotAllowed(format!(
        "{} is not allowed on {}",
        req.method(),
        req.uri().path()
    ))
    .into_response()
}

fn cors(origins: &str) -> CorsLayer {
    let allow = if origins.trim() == "*" {
        AllowOrigin::from(Any)
    } else {
        AllowOrigin::list(
            origins
                .split(',')
                .filter_map(|o| HeaderValue::from_str(o.trim()).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH, header::ACCEPT])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(Duration::from_secs(86_400))
}

/// What [`router`] returns: the whole HTTP service. The server clones it for each request; the clone and the
/// request's future are boxed once here, so the futures of the layers inside are not moved around by value
/// (which costs a `memcpy` of their whole size at each step).
pub type Service =
    tower::util::BoxCloneSyncService<axum::extract::Request, Response, std::convert::Infallible>;

/// The service: the routes inside the layers every request passes. The outer ones (request id, trace,
/// concurrency limit, deadline) wrap the router once. Those that rewrite a response (security header, CORS,
/// compression, problem language, the route timer) stay on the routes, in the same order, because axum
/// answers `HEAD` by stripping the `GET` response's body there, after them: they see the whole response and
/// a `HEAD` gets the headers its `GET` gets. Wrapping once matters on the read path: axum clones a route's
/// layer stack, boxed, for every request it routes, so each layer moved out is one clone and drop fewer.
pub fn router(state: AppState) -> Service {
    let x_request_id = HeaderName::from_static("x-request-id");
    let settings = state.settings.clone();
    let stack = tower::ServiceBuilder::new()
        .map_response(|r: Response<_>| r.map(axum::body::Body::new))
        .layer(SetRequestIdLayer::new(
            x_request_id.clone(),
            Counter::default(),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::new(x_request_id))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            settings.concurrency_limit,
        ))
        .layer(layers::Deadline::layer(settings.request_timeout))
        .service(routes(state));
    Service::new(stack)
}

/// Every route, with the layers that rewrite responses (see [`router`]).
fn routes(state: AppState) -> Router {
    let settings = state.settings.clone();
    Router::new()
        .route("/api/v1/stations/nearest", get(stations::nearest))
        .route("/api/v1/stations/along", get(stations::along))
        .route(
            "/api/v1/stations",
            get(stations::list).put(admin::replace).post(admin::upsert),
        )
        .route(
            "/api/v1/stations/{id}",
            get(stations::one).delete(admin::delete).patch(edit::patch),
        )
        .route("/api/v1/stations/{id}/reports", post(reports::create))
        .route("/api/v1/reports", get(cases::list))
        .route("/api/v1/reports/{id}", patch(cases::update))
        .route("/api/v1/attention", get(attention::attention))
        .route("/api/v1/audit", get(audit::list))
        .route("/api/v1/tickets/{ticket}", get(cases::ticket))
        .route("/api/v1/amenities", get(stations::amenities))
        .route("/api/v1/dataset", get(admin::download))
        .route("/api/v1/dataset/versions", get(admin::versions))
        .route("/api/v1/changes", get(changes::changes))
        .route("/ogc", get(ogc::landing))
        .route("/ogc/conformance", get(ogc::conformance))
        .route("/ogc/collections", get(ogc::collections))
        .route("/ogc/collections/stations", get(ogc::stations))
        .route("/ogc/collections/stations/items", get(ogc::items))
        .route("/ogc/collections/stations/items/{id}", get(ogc::item))
        .route("/s/{id}", get(station_page::page))
        .route("/api/v1/dataset/rollback", post(admin::rollback))
        .route("/api/v1/config", get(config))
        .route("/api/v1/calendar", get(calendar::get).put(calendar::put))
        .route("/healthz", get(stations::healthz))
        .route("/metrics", get(metrics::endpoint))
        .route("/openapi.json", get(openapi::endpoint))
        .route("/", get(pages::index))
        .route("/admin", get(pages::admin))
        .route("/api/v1/stations/{id}/confirm-link", get(confirm::link))
        .route("/api/v1/stations/{id}/confirm", post(confirm::confirm))
        .route("/api/v1/qr-sheet", get(confirm::qr_sheet))
        .route("/c/{id}", get(confirm::host_page))
        .route("/admin/qr", get(pages::admin_qr))
        .route("/api/v1/insights/demand", get(insights::demand))
        .route("/api/v1/insights/coverage", get(insights::coverage))
        .fallback(pages::asset_or_404)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(layers::around(layers::Track(state.metrics.clone())))
        .layer(layers::around(layers::Localize))
        .layer(CompressionLayer::new())
        .layer(cors(&settings.cors_origins))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

/// The span a request's log lines carry: method, route path (never the query string, which holds riders'
/// positions) and request id. The public reads get it at DEBUG: they log nothing of their own but an internal
/// error, and an INFO span's field formatting cost ≈ 5 % of a nearest-10 request's instructions (callgrind);
/// `RUST_LOG=debug` brings it back. Everything else (admin, reports, tickets) keeps it at INFO.
fn request_span<B>(req: &Request<B>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let path = req.uri().path();
    let read = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    ) && (path == "/healthz"
        || path == "/api/v1/stations"
        || path.starts_with("/api/v1/stations/"))
        && !path.ends_with("/confirm-link");
    if read {
        tracing::debug_span!("request", method = %req.method(), path = %path, id = %id)
    } else {
        tracing::info_span!("request", method = %req.method(), path = %cases::log_path(path), id = %id)
    }
}
