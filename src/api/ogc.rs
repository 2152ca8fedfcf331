//! OGC API – Features, Part 1 (Core, GeoJSON) under `/ogc`: one collection, `stations`, so that QGIS, GDAL and
//! other GIS software read the dataset without knowing this API. The features are those of the dataset
//! download (WGS-84 = CRS84, with the state fields of stations that have state).
//!
//! Links are absolute (GDAL follows `next` as given), built from the request's `Host` (and
//! `X-Forwarded-Proto: https` behind a TLS proxy).

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::error::{path_id, ApiError, ApiResult};
use super::extract::{OGC_ITEMS_PARAMS, OGC_PARAMS};
use super::openapi as doc;
use super::params::Params;
use super::AppState;
use crate::domain::{Filter, OpenAt};
use crate::feed::download_state;
use crate::geodesy::crs::Crs;
use crate::live::Current;
use crate::wire::geojson::{write_str, Extra, Feature};

/// Items per page without `limit`, as the standard's example.
pub const DEFAULT_LIMIT: usize = 10;
/// Largest page; a larger `limit` is answered with this many (the standard asks for no error).
pub const MAX_LIMIT: usize = 10_000;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const CONFORMS_TO: [&str; 2] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
];

/// `scheme://host` of the request, for absolute links.
pub(super) fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// The query of a metadata resource: only `f=json` (the one format offered).
fn only_json<'a>(q: Option<&'a str>, known: &[&str]) -> ApiResult<Params<'a>> {
    let p = Params::parse(q)?;
    p.only(known)?;
    match p.get("f").map(str::trim) {
        None | Some("json") | Some("geojson") => Ok(p),
        Some(other) => Err(ApiError::param(
            "f",
            format!("f must be json (the only format offered), got {other:?}"),
        )),
    }
}

fn link(href: String, rel: &str, ty: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": ty, "title": title})
}

fn json_response(v: &Value) -> Response {
    let mut r = axum::Json(v).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    r
}

fn geojson_response(bytes: Vec<u8>) -> Response {
    let mut r = Body::from(bytes).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    r
}

#[utoipa::path(get, path = "/ogc", operation_id = "ogcLanding", tag = "data",
    summary = "OGC API – Features: landing page",
    params(("f" = Option<String>, Query, description = "`json` (the only format).")),
    responses((status = 200, description = "Links to the API definition, the conformance classes and the collections.",
            content_type = "application/json", body = Object),
        (status = 400, response = doc::BadRequest)))]
pub async fn landing(headers: HeaderMap, RawQuery(q): RawQuery) -> ApiResult<Response> {
    only_json(q.as_deref(), &OGC_PARAMS)?;
    let b = base(&headers);
    Ok(json_response(&json!({
        "title": "yizhan 驿站 — outdoor-worker rest stations",
        "description": "Beijing's outdoor-worker rest stations (户外劳动者暖心驿站) as OGC API – Features.",
        "links": [
            link(format!("{b}/ogc"), "self", "application/json", "This document"),
            link(format!("{b}/openapi.json"), "service-desc", "application/vnd.oai.openapi+json;version=3.1", "The API definition (OpenAPI 3.1)"),
            link(format!("{b}/ogc/conformance"), "conformance", "application/json", "Conformance classes"),
            link(format!("{b}/ogc/collections"), "data", "application/json", "The collections"),
        ]
    })))
}

#[utoipa::path(get, path = "/ogc/conformance", operation_id = "ogcConformance", tag = "data",
    summary = "OGC API – Features: conformance classes",
    description = "Core and GeoJSON. Not `oas30`: the API definition is OpenAPI 3.1.",
    params(("f" = Option<String>, Query, description = "`json` (the only format).")),
    responses((status = 200, description = "`conformsTo`.", content_type = "application/json", body = Object),
        (status = 400, response = doc::BadRequest)))]
pub async fn conformance(RawQuery(q): RawQuery) -> ApiResult<Response> {
    only_json(q.as_deref(), &OGC_PARAMS)?;
    Ok(json_response(&json!({ "conformsTo": CONFORMS_TO })))
}

/// The `stations` collection's description, with its extent from the current stations.
fn collection(b: &str, cur: &Current) -> Value {
    let mut ext = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for s in cur.snapshot.stations() {
        let (x, y) = (s.position.lon(), s.position.lat());
        ext = [ext[0].min(x), ext[1].min(y), ext[2].max(x), ext[3].max(y)];
    }
    if cur.snapshot.is_empty() {
        ext = [-180.0, -90.0, 180.0, 90.0];
    }
    json!({
        "id": "stations",
        "title": "Rest stations (驿站)",
        "description": "Every station of the dataset, as GET /api/v1/dataset has them.",
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [ext], "crs": CRS84}},
        "links": [
            link(format!("{b}/ogc/collections/stations"), "self", "application/json", "This collection"),
            link(format!("{b}/ogc/collections/stations/items"), "items", "application/geo+json", "The stations"),
        ]
    })
}

#[utoipa::path(get, path = "/ogc/collections", operation_id = "ogcCollections", tag = "data",
    summary = "OGC API – Features: the collections (one: stations)",
    params(("f" = Option<String>, Query, description = "`json` (the only format).")),
    responses((status = 200, description = "The collections.", content_type = "application/json", body = Object),
        (status = 400, response = doc::BadRequest)))]
pub async fn collections(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    only_json(q.as_deref(), &OGC_PARAMS)?;
    let b = base(&headers);
    let cur = app.live.current();
    Ok(json_response(&json!({
        "links": [link(format!("{b}/ogc/collections"), "self", "application/json", "The collections")],
        "collections": [collection(&b, &cur)],
    })))
}

#[utoipa::path(get, path = "/ogc/collections/stations", operation_id = "ogcCollection", tag = "data",
    summary = "OGC API – Features: the stations collection",
    params(("f" = Option<String>, Query, description = "`json` (the only format).")),
    responses((status = 200, description = "Its extent (CRS84) and links.", content_type = "application/json", body = Object),
        (status = 400, response = doc::BadRequest)))]
pub async fn stations(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    only_json(q.as_deref(), &OGC_PARAMS)?;
    Ok(json_response(&collection(
        &base(&headers),
        &app.live.current(),
    )))
}

/// A feature as the download writes it.
fn feature(cur: &Current, idx: u32, out: &mut Vec<u8>) {
    let extra = Extra {
        state: download_state(&cur.states, idx),
        ..Extra::default()
    };
    Feature::new(cur.snapshot.station(idx), Crs::Wgs84, extra).write_json(out);
}

/// An items link for `offset` (keeping the request's `bbox` and `limit`).
fn items_link(b: &str, bbox: Option<&str>, limit: usize, offset: usize, rel: &str) -> Value {
    let mut q = format!("limit={limit}&offset={offset}");
    if let Some(bbox) = bbox {
        q.push_str("&bbox=");
        q.extend(form_urlencoded::byte_serialize(bbox.as_bytes()));
    }
    let title = match rel {
        "next" => "The next page",
        "prev" => "The previous page",
        _ => "This page",
    };
    link(
        format!("{b}/ogc/collections/stations/items?{q}"),
        rel,
        "application/geo+json",
        title,
    )
}

#[utoipa::path(get, path = "/ogc/collections/stations/items", operation_id = "ogcItems", tag = "data",
    summary = "OGC API – Features: stations, paged",
    description = "In id order. `numberMatched` counts all matches, `numberReturned` this page; `next`/`prev` links page on.",
    params(
        ("bbox" = Option<String>, Query, example = "116.30,39.85,116.50,40.00",
            description = "`minLon,minLat,maxLon,maxLat` in CRS84 (WGS-84); edges inclusive."),
        ("limit" = Option<usize>, Query, minimum = 1, description = "Page size: default 10; above 10000 is read as 10000."),
        ("offset" = Option<usize>, Query, description = "Matches to skip."),
        ("datetime" = Option<String>, Query, description = "Accepted as the standard asks; stations have no time, so it filters nothing."),
        ("f" = Option<String>, Query, description = "`json` (the only format).")),
    responses((status = 200, description = "A page of stations.", content_type = "application/geo+json", body = Object),
        (status = 400, response = doc::BadRequest), (status = 503, response = doc::Unavailable)))]
pub async fn items(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = only_json(q.as_deref(), &OGC_ITEMS_PARAMS)?;
    let bbox = p.bbox(Crs::Wgs84)?;
    let limit = match p.get("limit").map(str::trim).filter(|v| !v.is_empty()) {
        None => DEFAULT_LIMIT,
        // Digits, not all zero: a number too large to parse is as good as the maximum.
        Some(v) if v.bytes().all(|b| b.is_ascii_digit()) && v.bytes().any(|b| b != b'0') => {
            v.parse::<usize>().map_or(MAX_LIMIT, |n| n.min(MAX_LIMIT))
        }
        Some(v) => {
            return Err(ApiError::param(
                "limit",
                format!("limit must be a whole number of at least 1, got {v:?}"),
            ))
        }
    };
    let offset = p.usize_in("offset", 0, usize::MAX, 0)?;
    let cur = app.live.current();
    let at = OpenAt::new(
        chrono::Utc::now(),
        app.settings.timezone,
        app.calendar.rules(),
    );
    let page = cur.snapshot.list(
        bbox.as_ref(),
        &Filter::default(),
        &at,
        &cur.states,
        offset,
        limit,
    );
    let mut out = Vec::with_capacity(256 + 600 * page.indices.len());
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[");
    for (n, &i) in page.indices.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        feature(&cur, i, &mut out);
    }
    let b = base(&headers);
    let bbox_text = p.get("bbox").map(str::trim).filter(|v| !v.is_empty());
    let mut links = vec![items_link(&b, bbox_text, limit, offset, "self")];
    if offset.saturating_add(limit) < page.total {
        links.push(items_link(&b, bbox_text, limit, offset + limit, "next"));
    }
    if offset > 0 {
        let prev = offset.saturating_sub(limit);
        links.push(items_link(&b, bbox_text, limit, prev, "prev"));
    }
    out.extend_from_slice(b"],\"numberMatched\":");
    out.extend_from_slice(page.total.to_string().as_bytes());
    out.extend_from_slice(b",\"numberReturned\":");
    out.extend_from_slice(page.indices.len().to_string().as_bytes());
    out.extend_from_slice(b",\"timeStamp\":");
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    write_str(&mut out, &now);
    out.extend_from_slice(b",\"links\":");
    out.extend_from_slice(Value::Array(links).to_string().as_bytes());
    out.push(b'}');
    Ok(geojson_response(out))
}

#[utoipa::path(get, path = "/ogc/collections/stations/items/{id}", operation_id = "ogcItem", tag = "data",
    summary = "OGC API – Features: one station",
    params(("id" = String, Path, description = "Station id (percent-encoded)."),
        ("f" = Option<String>, Query, description = "`json` (the only format).")),
    responses((status = 200, description = "The station as a GeoJSON Feature with links.", content_type = "application/geo+json", body = Object),
        (status = 400, response = doc::BadRequest), (status = 404, response = doc::NotFound)))]
pub async fn item(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let id = path_id(id)?;
    only_json(q.as_deref(), &OGC_PARAMS)?;
    let cur = app.live.current();
    let idx = cur
        .snapshot
        .position_of(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no station with id {id:?}")))?;
    let mut out = Vec::with_capacity(1024);
    feature(&cur, idx, &mut out);
    out.pop(); // the feature's closing brace: the links go inside it
    let b = base(&headers);
    let mut enc = String::new();
    enc.extend(form_urlencoded::byte_serialize(id.as_bytes()));
    let enc = enc.replace('+', "%20");
    let links = json!([
        link(
            format!("{b}/ogc/collections/stations/items/{enc}"),
            "self",
            "application/geo+json",
            "This station"
        ),
        link(
            format!("{b}/ogc/collections/stations"),
            "collection",
            "application/json",
            "The collection"
        ),
    ]);
    out.extend_from_slice(b",\"links\":");
    out.extend_from_slice(links.to_string().as_bytes());
    out.push(b'}');
    Ok(geojson_response(out))
}
