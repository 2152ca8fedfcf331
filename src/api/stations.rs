//! Read endpoints: thin translations between typed queries and snapshot queries.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::error::{ApiError, ApiResult};
use super::extract::{
    AlongQuery, ConditionalParams, FilterParams, ListQuery, NearestQuery, OneQuery, StationIdPath,
};
use super::openapi as doc;
use super::respond::{geojson, geojson_bytes, json, not_modified, IfNoneMatch};
use super::AppState;
use std::hash::{Hash, Hasher};

use super::App;
use crate::domain::{Amenity, OpenAt, Status};
use crate::geodesy::crs::Crs;
use crate::index::Route;
use crate::live::Current;
use crate::store::reports::OpenCounts;
use crate::wire::geojson::{write_response_collection, Extra, Feature, Single, StateOut};

/// What a read shows beside the stations: their state and their open reports, both of which change without a
/// new dataset version.
struct Shown<'a> {
    cur: &'a Current,
    counts: std::sync::Arc<OpenCounts>,
}

impl<'a> Shown<'a> {
    fn new(app: &'a App, cur: &'a Current) -> Self {
        Shown {
            cur,
            counts: app.reports.log.open_counts(),
        }
    }

    /// The ETag of a read that shows state: the dataset version alone while no station has any state or open
    /// report and the calendar is the built-in one (as in v1), else the version with a digest of all three and
    /// of the minute the hours are read at, so that a change to any of them (a closure, a confirmation, a
    /// report, a calendar PUT, the clock) is never answered 304.
    fn tag(&self, at: &OpenAt) -> String {
        let version = self.cur.snapshot.version();
        let reports = self.counts.digest();
        let states = self.cur.states.digest();
        let calendar = at.rules().digest();
        if states == 0 && reports == 0 && calendar == crate::domain::DayRules::builtin_digest() {
            return version.to_owned();
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (states, reports, at.local(), calendar).hash(&mut h);
        format!("{version}-{:016x}", h.finish())
    }

    /// Features for `(station, distance_m, along_m)` rows, with `open_now` and state at the request's minute.
    fn features(
        &self,
        rows: impl Iterator<Item = (u32, Option<f64>, Option<f64>)>,
        crs: Crs,
        open: &OpenAt,
    ) -> Vec<Feature<'a>> {
        let ds = &*self.cur.snapshot;
        let set = ds.open_set(open);
        let today = open.local().date();
        rows.map(|(idx, distance_m, along_m)| {
            let s = ds.station(idx);
            let st = self.cur.states.get(idx);
            let closed = st.is_some_and(|st| st.closed_on(today));
            let state = StateOut {
                status: if closed {
                    Status::TemporarilyClosed
                } else {
                    Status::Open
                },
                status_note: st
                    .filter(|_| closed)
                    .and_then(|st| st.status_note.as_deref()),
                reopens_on: st.filter(|_| closed).and_then(|st| st.reopens_on),
                verified_at: st.and_then(|st| st.verified_at),
                open_reports: Some(self.counts.get(s.id())),
            };
            let (open_now, next_change_at) = if closed {
                // Closed until `reopens_on` (00:00): the next change is the first open moment from then on.
                let reopens = st
                    .and_then(|st| st.reopens_on)
                    .and_then(|d| d.and_hms_opt(0, 0, 0));
                let next = reopens
                    .and_then(|from| ds.next_open_at_or_after(idx, &set, from))
                    .and_then(|t| open.zoned(t));
                (Some(false), next)
            } else {
                (ds.open_now(idx, &set), ds.next_change_at(idx, &set))
            };
            Feature::new(
                s,
                crs,
                Extra {
                    open_now: Some(open_now),
                    next_change_at: Some(next_change_at),
                    distance_m,
                    along_m,
                    state: Some(state),
                },
            )
        })
        .collect()
    }
}

/// Plain nearest runs inline (microseconds); with a text search (`q`) it may scan every station, so it runs
/// on the bounded pool.
#[utoipa::path(
    get, path = "/api/v1/stations/nearest", operation_id = "nearestStations", tag = "stations",
    summary = "The k nearest stations (附近驿站)",
    description = "Nearest first (unrounded great-circle distance), ties by `id`. Each feature has `distance_m`. \
        Fewer than `k` come back when fewer match. With `crs=gcj02` pass Amap coordinates and draw the answer on an Amap map unchanged.",
    params(
        ("lat" = f64, Query, minimum = -90, maximum = 90, example = 39.992,
            description = "Latitude of the query point (纬度), in `crs`."),
        ("lon" = f64, Query, minimum = -180, maximum = 180, example = 116.4705,
            description = "Longitude of the query point (经度), in `crs`."),
        ("k" = inline(Option<doc::K>), Query,
            description = "How many stations at most. Fewer come back when fewer match (or lie within `max_distance_m`)."),
        ("max_distance_m" = Option<f64>, Query, exclusive_minimum = 0,
            description = "Only stations at most this far from the point, in metres. Any number > 0."),
        FilterParams, ConditionalParams),
    responses((status = 200, description = "Stations, nearest first.", content_type = "application/geo+json", body = doc::FeatureCollection,
            headers(("ETag" = String, description = "The dataset version, quoted (strong). Send it back as `If-None-Match`."),
            ("Cache-Control" = String, description = "`public, max-age=30` on reads: cache briefly, then revalidate with `If-None-Match`."),
            ("X-Request-Id" = String, description = "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem.")),
            example = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "id": "bj-chy-00042",
            "geometry": {"type": "Point", "coordinates": [116.4705, 39.992]},
            "properties": {"name": "望京骑迹24小时智能化工会驿站", "kind": "station", "host_type": "union_center",
                "district": "朝阳区", "amenities": ["water", "charging", "rest"], "opening_hours": "24/7",
                "open_now": true, "distance_m": 812.4}}],
            "count": 1, "dataset_version": "3f2a9c0e1b7d4a55"})),
        (status = 304, response = doc::NotModified),
        (status = 400, response = doc::BadRequest),
        (status = 503, response = doc::Unavailable))
)]
pub async fn nearest(
    State(app): State<AppState>,
    q: NearestQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let cur = app.live.current();
    let tag = Shown::new(&app, &cur).tag(&q.filtered.at);
    if let Some(r) = not_modified(&inm, &tag) {
        return Ok(r);
    }
    if q.filtered.filter.text.is_none() {
        return Ok(nearest_now(&app, &cur, &q, &tag));
    }
    let a = app.clone();
    app.heavy
        .run("search", move || nearest_now(&a, &cur, &q, &tag))
        .await
}

fn nearest_now(app: &App, cur: &Current, q: &NearestQuery, tag: &str) -> Response {
    geojson_bytes(tag, nearest_body(app, cur, q))
}

/// The nearest answer's GeoJSON bytes: the endpoint's body, and the first answer the map page carries.
pub(super) fn nearest_body(app: &App, cur: &Current, q: &NearestQuery) -> Vec<u8> {
    let ds = &*cur.snapshot;
    let point = q.crs.to_wgs84(q.lon, q.lat);
    let f = &q.filtered;
    let hits = ds.nearest(point, q.k, q.max_distance_m, &f.filter, &f.at, &cur.states);
    super::insights::record_nearest(app, cur, point, q.max_distance_m, &f.filter, &f.at, &hits);
    let rows = hits.iter().map(|h| (h.idx, Some(h.distance_m), None));
    let features = Shown::new(app, cur).features(rows, q.crs, &f.at);
    write_response_collection(&features, None, ds.version(), q.crs)
}

/// Along a route: up to a few thousand points times a corridor, so it runs on the bounded pool (its cost is
/// bounded by the parameter limits and the request timeout; a full pool answers 503 + Retry-After).
#[utoipa::path(
    get, path = "/api/v1/stations/along", operation_id = "stationsAlongRoute", tag = "stations",
    summary = "Stations along a route (沿途驿站)",
    description = "Stations within `max_distance_m` of the route, in the order a rider meets them: by `along_m`, then `distance_m`, then `id`. \
        Each feature adds `along_m` (metres along the route to the route point nearest the station) and `distance_m` (metres from the station to the route). \
        Distances are great-circle to the route's great-circle segments. Paste an Amap route polyline as `path` with `crs=gcj02`.",
    params(("path" = String, Query, description = format!("The route as an Amap-style polyline: `lng,lat` pairs joined by `;`, {} to {} points, \
            in `crs`. Segments between points are great-circle arcs.", super::params::MIN_PATH_POINTS, super::extract::MAX_PATH_POINTS), example = "116.4000,39.9000;116.4500,39.9300;116.4705,39.9920"),
        ("max_distance_m" = inline(Option<doc::AlongDistance>), Query,
            description = "Largest distance from the route, in metres (> 0)."),
        ("limit" = inline(Option<doc::AlongLimit>), Query,
            description = "Most stations returned (the first ones a rider meets)."),
        FilterParams, ConditionalParams),
    responses((status = 200, description = "Stations along the route.", content_type = "application/geo+json", body = doc::FeatureCollection,
            headers(("ETag" = String, description = "The dataset version, quoted (strong). Send it back as `If-None-Match`."),
            ("Cache-Control" = String, description = "`public, max-age=30` on reads: cache briefly, then revalidate with `If-None-Match`."),
            ("X-Request-Id" = String, description = "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem."))),
        (status = 304, response = doc::NotModified),
        (status = 400, response = doc::BadRequest),
        (status = 503, response = doc::Unavailable))
)]
pub async fn along(
    State(app): State<AppState>,
    q: AlongQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let cur = app.live.current();
    let tag = Shown::new(&app, &cur).tag(&q.filtered.at);
    if let Some(r) = not_modified(&inm, &tag) {
        return Ok(r);
    }
    let a = app.clone();
    app.heavy
        .run("along", move || {
            let ds = &*cur.snapshot;
            let route = Route::new(&q.path);
            let f = &q.filtered;
            let hits = ds.along(
                &route,
                q.max_distance_m,
                q.limit,
                &f.filter,
                &f.at,
                &cur.states,
            );
            super::insights::record_along(&a, &cur, &q.path, &f.filter, &f.at);
            let rows = hits
                .iter()
                .map(|h| (h.idx, Some(h.distance_m), Some(h.along_m)));
            let features = Shown::new(&a, &cur).features(rows, q.crs, &f.at);
            geojson_bytes(
                &tag,
                write_response_collection(&features, None, ds.version(), q.crs),
            )
        })
        .await
}

#[utoipa::path(
    get, path = "/api/v1/stations", operation_id = "listStations", tag = "stations",
    summary = "Stations in a box, or all (列表)",
    description = "Ordered by `id`, paged with `limit`/`offset`; `count` is this page, `total` all matches.",
    params(
        ("bbox" = Option<String>, Query, pattern = r"^\s*-?[0-9.eE+-]+\s*(,\s*-?[0-9.eE+-]+\s*){3}$",
            example = "116.30,39.85,116.50,40.00",
            description = "`minLon,minLat,maxLon,maxLat` in `crs`; edges are inclusive; `minLon > maxLon` crosses the antimeridian; \
                `minLat > maxLat` is a 400. Without it, every station matches."),
        ("limit" = inline(Option<doc::Limit>), Query, description = "Page size."),
        ("offset" = inline(Option<doc::Offset>), Query,
            description = "Matches to skip (in `id` order). Past the end: an empty page with the real `total`."),
        FilterParams, ConditionalParams),
    responses((status = 200, description = "A page of stations.", content_type = "application/geo+json", body = doc::FeatureCollection,
            headers(("ETag" = String, description = "The dataset version, quoted (strong). Send it back as `If-None-Match`."),
            ("Cache-Control" = String, description = "`public, max-age=30` on reads: cache briefly, then revalidate with `If-None-Match`."),
            ("X-Request-Id" = String, description = "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem."))),
        (status = 304, response = doc::NotModified),
        (status = 400, response = doc::BadRequest),
        (status = 503, response = doc::Unavailable))
)]
pub async fn list(
    State(app): State<AppState>,
    q: ListQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let cur = app.live.current();
    let shown = Shown::new(&app, &cur);
    let tag = shown.tag(&q.filtered.at);
    if let Some(r) = not_modified(&inm, &tag) {
        return Ok(r);
    }
    let ds = &*cur.snapshot;
    let f = &q.filtered;
    let page = ds.list(
        q.bbox.as_ref(),
        &f.filter,
        &f.at,
        &cur.states,
        q.offset,
        q.limit,
    );
    let rows = page.indices.iter().map(|&i| (i, None, None));
    let features = shown.features(rows, q.crs, &f.at);
    Ok(geojson_bytes(
        &tag,
        write_response_collection(&features, Some(page.total), ds.version(), q.crs),
    ))
}

/// One station with the dataset version (and `crs`) as foreign members: documents the bytes that
/// [`crate::wire::geojson::Single`] writes.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = StationResponse)]
#[allow(dead_code)] // only read by the OpenAPI derive
pub(super) struct One<'a> {
    #[serde(flatten)]
    #[schema(value_type = doc::Station)]
    feature: Feature<'a>,
    #[schema(value_type = doc::DatasetVersion)]
    dataset_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = doc::Crs)]
    crs: Option<&'static str>,
}

#[utoipa::path(
    get, path = "/api/v1/stations/{id}", operation_id = "getStation", tag = "stations",
    summary = "One station",
    params(("id" = String, Path, description = format!("Station id (percent-encode it in the path), at most {} bytes.", crate::domain::StationId::MAX_LEN), min_length = 1, example = "bj-chy-00042"), ("crs" = inline(Option<doc::CrsName>), Query, description = "As in the other reads."),
        ("at" = Option<String>, Query, format = DateTime, description = "As in the other reads."), ("If-None-Match" = Option<String>, Header, nullable = false, example = "\"3f2a9c0e1b7d4a55\"",
            description = "The `ETag` of a response you hold (the dataset version, quoted). If it is still current the answer is 304 with no body.")),
    responses((status = 200, description = "The station, with `open_now`.", content_type = "application/geo+json", body = One,
            headers(("ETag" = String, description = "The dataset version, quoted (strong). Send it back as `If-None-Match`."),
            ("Cache-Control" = String, description = "`public, max-age=30` on reads: cache briefly, then revalidate with `If-None-Match`."),
            ("X-Request-Id" = String, description = "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem."))),
        (status = 304, response = doc::NotModified),
        (status = 400, response = doc::BadRequest),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable))
)]
pub async fn one(
    State(app): State<AppState>,
    StationIdPath(id): StationIdPath,
    q: OneQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    one_now(&app, &id, q.crs, &q.at, Some(&inm))
}

/// Station `id` as `GET /api/v1/stations/{id}` shows it (a 304 when `inm` holds it already).
pub(super) fn one_now(
    app: &App,
    id: &str,
    crs: Crs,
    at: &OpenAt,
    inm: Option<&IfNoneMatch>,
) -> ApiResult<Response> {
    let cur = app.live.current();
    let ds = &*cur.snapshot;
    let idx = ds
        .position_of(id)
        .ok_or_else(|| ApiError::NotFound(format!("no station with id {id:?}")))?;
    let shown = Shown::new(app, &cur);
    let tag = shown.tag(at);
    if let Some(r) = inm.and_then(|inm| not_modified(inm, &tag)) {
        return Ok(r);
    }
    let mut features = shown.features(std::iter::once((idx, None, None)), crs, at);
    let Some(feature) = features.pop() else {
        return Err(ApiError::Internal("a station without a feature".into()));
    };
    Ok(geojson(&tag, &Single::new(feature, ds.version(), crs)))
}

#[derive(Serialize, utoipa::ToSchema)]
struct AmenityRow {
    #[schema(value_type = doc::AmenityRowKey)]
    key: &'static str,
    label_zh: &'static str,
    label_en: &'static str,
    /// Stations that have it.
    count: usize,
    /// Set on `24h`, which is a filter token rather than an amenity a station lists.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    filter_only: bool,
}

#[utoipa::path(
    get, path = "/api/v1/amenities", operation_id = "listAmenities", tag = "stations",
    summary = "Amenities with labels and counts (设施)",
    description = "Every amenity in a fixed order with its Chinese and English label and how many stations have it, then the `24h` \
        filter row (`filter_only: true`). Build your filter UI from this.",
    params(("If-None-Match" = Option<String>, Header, nullable = false, example = "\"3f2a9c0e1b7d4a55\"",
            description = "The `ETag` of a response you hold (the dataset version, quoted). If it is still current the answer is 304 with no body.")),
    responses((status = 200, description = "Amenity rows.", content_type = "application/json", body = [AmenityRow],
            headers(("ETag" = String, description = "The dataset version, quoted (strong). Send it back as `If-None-Match`."),
            ("Cache-Control" = String, description = "`public, max-age=30` on reads: cache briefly, then revalidate with `If-None-Match`."),
            ("X-Request-Id" = String, description = "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem.")),
            example = json!([{"key": "water", "label_zh": "饮水", "label_en": "drinking water", "count": 812},
            {"key": "24h", "label_zh": "24小时", "label_en": "open 24 hours", "count": 97, "filter_only": true}])),
        (status = 304, response = doc::NotModified),
        (status = 503, response = doc::Unavailable))
)]
pub async fn amenities(State(app): State<AppState>, inm: IfNoneMatch) -> ApiResult<Response> {
    let ds = app.live.snapshot();
    if let Some(r) = not_modified(&inm, ds.version()) {
        return Ok(r);
    }
    let mut rows: Vec<AmenityRow> = ds
        .amenity_counts()
        .iter()
        .map(|&(a, count): &(Amenity, usize)| AmenityRow {
            key: a.key(),
            label_zh: a.label_zh(),
            label_en: a.label_en(),
            count,
            filter_only: false,
        })
        .collect();
    rows.push(AmenityRow {
        key: super::params::TOKEN_24H,
        label_zh: "24小时",
        label_en: "open 24 hours",
        count: ds.always_open_count(),
        filter_only: true,
    });
    Ok(json(ds.version(), &rows))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Health<'a> {
    #[schema(value_type = doc::HealthStatus)]
    status: &'static str,
    #[schema(value_type = doc::DatasetVersion)]
    dataset_version: &'a str,
    stations: usize,
    /// `ok`, or `unavailable` while the shared store (PostgreSQL) cannot be reached: reads go on from memory,
    /// writes get 503 until it is back.
    #[schema(value_type = String, examples("ok", "unavailable"))]
    store: &'static str,
}

#[utoipa::path(
    get, path = "/healthz", operation_id = "health", tag = "meta",
    summary = "Liveness and readiness",
    description = "200 whenever the server is up: it never serves without a loaded dataset. Never 304.",
    responses((status = 200, description = "Up.", content_type = "application/json", body = Health,
            headers(("ETag" = String, description = "The dataset version, quoted (strong), with `-store-unavailable` appended while the store cannot be reached. Send it back as `If-None-Match`."),
            ("Cache-Control" = String, description = "`public, max-age=30` on reads: cache briefly, then revalidate with `If-None-Match`."),
            ("X-Request-Id" = String, description = "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem."))),
        (status = 503, response = doc::Unavailable))
)]
pub async fn healthz(State(app): State<AppState>) -> Response {
    let ds = app.live.snapshot();
    let (store, tag) = if app.store.available() {
        ("ok", std::borrow::Cow::Borrowed(ds.version()))
    } else {
        (
            "unavailable",
            format!("{}-store-unavailable", ds.version()).into(),
        )
    };
    json(
        &tag,
        &Health {
            status: "ok",
            dataset_version: ds.version(),
            stations: ds.len(),
            store,
        },
    )
}
