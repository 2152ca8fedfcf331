//! Read endpoints: thin translations between query parameters and dataset queries.

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::Serialize;

use super::error::{path_id, ApiError, ApiResult};
use super::params::Params;
use super::respond::{geojson, geojson_bytes, json, not_modified, IfNoneMatch};
use super::AppState;
use crate::crs::Crs;
use crate::dataset::{Dataset, Filter, OpenAt};
use crate::feature::{write_str, Extra, Feature};
use crate::route::Route;
use crate::station::Amenity;

/// Largest `k` for nearest queries.
pub const MAX_K: usize = 100;
pub const DEFAULT_K: usize = 5;
pub const MAX_LIMIT: usize = 10_000;
pub const DEFAULT_LIMIT: usize = 1_000;
/// Along a route: most points in `path`, default and largest `max_distance_m`, largest and default `limit`.
pub const MAX_PATH_POINTS: usize = 2_000;
pub const DEFAULT_ALONG_DISTANCE_M: f64 = 300.0;
pub const MAX_ALONG_DISTANCE_M: f64 = 5_000.0;
pub const MAX_ALONG_LIMIT: usize = 200;
pub const DEFAULT_ALONG_LIMIT: usize = 50;

/// A FeatureCollection response body, written straight into one buffer (see [`Feature::write_json`]).
fn collection(ds: &Dataset, features: &[Feature<'_>], total: Option<usize>, crs: Crs) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + 640 * features.len());
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[");
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        f.write_json(&mut out);
    }
    out.extend_from_slice(b"],\"count\":");
    out.extend_from_slice(itoa::Buffer::new().format(features.len()).as_bytes());
    if let Some(t) = total {
        out.extend_from_slice(b",\"total\":");
        out.extend_from_slice(itoa::Buffer::new().format(t).as_bytes());
    }
    out.extend_from_slice(b",\"dataset_version\":");
    write_str(&mut out, ds.version());
    if crs != Crs::Wgs84 {
        out.extend_from_slice(b",\"crs\":");
        write_str(&mut out, crs.as_str());
    }
    out.push(b'}');
    out
}

/// Features for `(station, distance_m, along_m)` rows, with `open_now` at the request's minute.
fn features<'a>(
    ds: &'a Dataset,
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

/// The filters shared by every read: amenities (with 24h), open_now, at, q.
fn filter(p: &Params, tz: chrono_tz::Tz) -> ApiResult<(Filter, OpenAt)> {
    let required = p.amenities()?;
    let open_now = p.bool("open_now")?;
    let open = OpenAt::new(p.at()?, tz);
    let text = p.text()?;
    Ok((
        Filter {
            required,
            open_now,
            text,
        },
        open,
    ))
}

pub async fn nearest(
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let p = Params::parse(q.as_deref())?;
    let crs = p.crs()?;
    let lat = p.required_f64("lat", -90.0, 90.0)?;
    let lon = p.required_f64("lon", -180.0, 180.0)?;
    let k = p.usize_in("k", 1, MAX_K, DEFAULT_K)?;
    let max_distance_m = p.positive_f64("max_distance_m", f64::MAX)?;
    let (filter, open) = filter(&p, app.settings.timezone)?;
    let ds = app.catalog.snapshot();
    if let Some(r) = not_modified(&inm, ds.version()) {
        return Ok(r);
    }
    let (wlon, wlat) = crs.to_wgs84(lon, lat);
    let hits = ds.nearest(wlon, wlat, k, max_distance_m, &filter, &open);
    let rows = hits.iter().map(|h| (h.idx, Some(h.distance_m), None));
    let features = features(&ds, rows, crs, &open);
    Ok(geojson_bytes(
        ds.version(),
        collection(&ds, &features, None, crs),
    ))
}

pub async fn along(
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let p = Params::parse(q.as_deref())?;
    let crs = p.crs()?;
    let path = p.path(crs, MAX_PATH_POINTS)?;
    let max_distance_m = p
        .positive_f64("max_distance_m", MAX_ALONG_DISTANCE_M)?
        .unwrap_or(DEFAULT_ALONG_DISTANCE_M);
    let limit = p.usize_in("limit", 1, MAX_ALONG_LIMIT, DEFAULT_ALONG_LIMIT)?;
    let (filter, open) = filter(&p, app.settings.timezone)?;
    let ds = app.catalog.snapshot();
    if let Some(r) = not_modified(&inm, ds.version()) {
        return Ok(r);
    }
    let route = Route::new(&path);
    let hits = ds.along(&route, max_distance_m, limit, &filter, &open);
    let rows = hits
        .iter()
        .map(|h| (h.idx, Some(h.distance_m), Some(h.along_m)));
    let features = features(&ds, rows, crs, &open);
    Ok(geojson_bytes(
        ds.version(),
        collection(&ds, &features, None, crs),
    ))
}

pub async fn list(
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let p = Params::parse(q.as_deref())?;
    let crs = p.crs()?;
    let bbox = p.bbox(crs)?;
    let limit = p.usize_in("limit", 1, MAX_LIMIT, DEFAULT_LIMIT)?;
    let offset = p.usize_in("offset", 0, usize::MAX, 0)?;
    let (filter, open) = filter(&p, app.settings.timezone)?;
    let ds = app.catalog.snapshot();
    if let Some(r) = not_modified(&inm, ds.version()) {
        return Ok(r);
    }
    let page = ds.list(bbox.as_ref(), &filter, &open, offset, limit);
    let rows = page.indices.iter().map(|&i| (i, None, None));
    let features = features(&ds, rows, crs, &open);
    Ok(geojson_bytes(
        ds.version(),
        collection(&ds, &features, Some(page.total), crs),
    ))
}

#[derive(Serialize)]
struct One<'a> {
    #[serde(flatten)]
    feature: Feature<'a>,
    dataset_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    crs: Option<&'static str>,
}

pub async fn one(
    State(app): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(q): RawQuery,
    inm: IfNoneMatch,
) -> ApiResult<Response> {
    let id = path_id(id)?;
    let p = Params::parse(q.as_deref())?;
    let crs = p.crs()?;
    let open = OpenAt::new(p.at()?, app.settings.timezone);
    let ds = app.catalog.snapshot();
    let s = ds
        .get(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no station with id {id:?}")))?;
    if let Some(r) = not_modified(&inm, ds.version()) {
        return Ok(r);
    }
    let feature = Feature::new(
        s,
        crs,
        Extra {
            open_now: Some(open.is_open(s)),
            ..Extra::default()
        },
    );
    Ok(geojson(
        ds.version(),
        &One {
            feature,
            dataset_version: ds.version(),
            crs: (crs != Crs::Wgs84).then_some(crs.as_str()),
        },
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
    let ds = app.catalog.snapshot();
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
    let always = crate::station::Amenities::ALWAYS_OPEN;
    rows.push(AmenityRow {
        key: super::params::TOKEN_24H,
        label_zh: "24小时",
        label_en: "open 24 hours",
        count: ds
            .stations()
            .iter()
            .filter(|s| s.amenities.has_all(always))
            .count(),
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
    let ds = app.catalog.snapshot();
    json(
        ds.version(),
        &Health {
            status: "ok",
            dataset_version: ds.version(),
            stations: ds.len(),
        },
    )
}
