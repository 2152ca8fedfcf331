//! Read endpoints: thin translations between typed queries and snapshot queries.

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use super::error::{ApiError, ApiResult};
use super::extract::{AlongQuery, ListQuery, NearestQuery, OneQuery, StationIdPath};
use super::respond::{geojson, geojson_bytes, json, not_modified, IfNoneMatch};
use super::AppState;
use crate::domain::{Amenity, OpenAt};
use crate::geodesy::crs::Crs;
use crate::index::Route;
use crate::snapshot::Snapshot;
use crate::wire::geojson::{write_response_collection, Extra, Feature, Single};

/// Features for `(station, distance_m, along_m)` rows, with `open_now` at the request's minute.
fn features<'a>(
    ds: &'a Snapshot,
    rows: impl Iterator<Item = (u32, Option<f64>, Option<f64>)>,
    crs: Crs,
    open: &OpenAt,
) -> Vec<Feature<'a>> {
    let set = ds.open_set(open);
    rows.map(|(idx, distance_m, along_m)| {
        Feature::new(
            ds.station(idx),
            crs,
            Extra {
                open_now: Some(ds.open_now(idx, &set)),
                distance_m,
                along_m,
            },
        )
    })
    .collect()
}

/// Plain nearest runs inline (microseconds); with a text search (`q`) it may scan every station, so it runs
/// on the bounded pool.
pub async fn nearest(
    State(app): State<AppState>,
    q: NearestQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let ds = app.live.snapshot();
    if let Some(r) = not_modified(&inm, ds.version()) {
        return Ok(r);
    }
    if q.filtered.filter.text.is_none() {
        return Ok(nearest_now(&ds, &q));
    }
    app.heavy.run("search", move || nearest_now(&ds, &q)).await
}

fn nearest_now(ds: &Snapshot, q: &NearestQuery) -> Response {
    let (lon, lat) = q.crs.to_wgs84(q.lon, q.lat);
    let f = &q.filtered;
    let hits = ds.nearest(lon, lat, q.k, q.max_distance_m, &f.filter, &f.at);
    let rows = hits.iter().map(|h| (h.idx, Some(h.distance_m), None));
    let features = features(ds, rows, q.crs, &f.at);
    geojson_bytes(
        ds.version(),
        write_response_collection(&features, None, ds.version(), q.crs),
    )
}

/// Along a route: up to a few thousand points times a corridor, so it runs on the bounded pool (its cost is
/// bounded by the parameter limits and the request timeout; a full pool answers 503 + Retry-After).
pub async fn along(
    State(app): State<AppState>,
    q: AlongQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let ds = app.live.snapshot();
    if let Some(r) = not_modified(&inm, ds.version()) {
        return Ok(r);
    }
    app.heavy
        .run("along", move || {
            let route = Route::new(&q.path);
            let f = &q.filtered;
            let hits = ds.along(&route, q.max_distance_m, q.limit, &f.filter, &f.at);
            let rows = hits
                .iter()
                .map(|h| (h.idx, Some(h.distance_m), Some(h.along_m)));
            let features = features(&ds, rows, q.crs, &f.at);
            geojson_bytes(
                ds.version(),
                write_response_collection(&features, None, ds.version(), q.crs),
            )
        })
        .await
}

pub async fn list(
    State(app): State<AppState>,
    q: ListQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let ds = app.live.snapshot();
    if let Some(r) = not_modified(&inm, ds.version()) {
        return Ok(r);
    }
    let f = &q.filtered;
    let page = ds.list(q.bbox.as_ref(), &f.filter, &f.at, q.offset, q.limit);
    let rows = page.indices.iter().map(|&i| (i, None, None));
    let features = features(&ds, rows, q.crs, &f.at);
    Ok(geojson_bytes(
        ds.version(),
        write_response_collection(&features, Some(page.total), ds.version(), q.crs),
    ))
}

pub async fn one(
    State(app): State<AppState>,
    StationIdPath(id): StationIdPath,
    q: OneQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let ds = app.live.snapshot();
    let idx = ds
        .position_of(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no station with id {id:?}")))?;
    if let Some(r) = not_modified(&inm, ds.version()) {
        return Ok(r);
    }
    let mut features = features(&ds, std::iter::once((idx, None, None)), q.crs, &q.at);
    let Some(feature) = features.pop() else {
        return Err(ApiError::Internal("a station without a feature".into()));
    };
    Ok(geojson(
        ds.version(),
        &Single::new(feature, ds.version(), q.crs),
    ))
}

#[derive(Serialize)]
struct AmenityRow {
    key: &'static str,
    label_zh: &'static str,
    label_en: &'static str,
    count: usize,
    /// Set on `24h`, which is a filter token rather than an amenity a station lists.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    filter_only: bool,
}

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

#[derive(Serialize)]
struct Health<'a> {
    status: &'static str,
    dataset_version: &'a str,
    stations: usize,
}

pub async fn healthz(State(app): State<AppState>) -> Response {
    let ds = app.live.snapshot();
    json(
        ds.version(),
        &Health {
            status: "ok",
            dataset_version: ds.version(),
            stations: ds.len(),
        },
    )
}
