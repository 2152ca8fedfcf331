//! Doc-only types: the wire format of bodies the code writes by hand (`feature.rs`) or through types outside
//! the API, for utoipa; never built. Keys and limits come from the code's constants via the `built!` types.
#![allow(dead_code)]

use std::collections::BTreeSet;

use utoipa::openapi::schema::{ArrayBuilder, ArrayItems, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{ContentBuilder, Header, HeaderBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToResponse, ToSchema};

use crate::api::extract as read;
use crate::domain::{self as station, Amenity};
use crate::settings::{DEFAULT_REPORTS_PER_MINUTE, DEFAULT_REQUEST_TIMEOUT_SECS};

/// Unit types whose schema is built in code, from the constants (utoipa's attributes take only literals).
macro_rules! built {
    ($($name:ident => $schema:expr;)*) => {$(
        pub struct $name;
        impl PartialSchema for $name { fn schema() -> RefOr<Schema> { $schema.into() } }
        impl ToSchema for $name {}
    )*};
}

fn typed(t: impl Into<SchemaType>, description: &str) -> ObjectBuilder {
    let d = (!description.is_empty()).then(|| description.to_owned());
    ObjectBuilder::new().schema_type(t).description(d)
}
fn keys<'a>(keys: impl IntoIterator<Item = &'a str>, d: &str) -> ObjectBuilder {
    typed(Type::String, d).enum_values(Some(keys))
}
pub fn labelled<T: Copy>(all: &[T], k: fn(T) -> &'static str, zh: fn(T) -> &'static str) -> String {
    let each = all.iter().map(|&v| format!("`{}` {}", k(v), zh(v)));
    each.collect::<Vec<_>>().join(" · ")
}

built! {
    AmenityKey => keys(Amenity::ALL.iter().map(|a| a.key()), &labelled(Amenity::ALL, Amenity::key, Amenity::label_zh));
    AmenityRowKey => keys(Amenity::ALL.iter().map(|a| a.key()).chain([crate::api::params::TOKEN_24H]), "An amenity key, or `24h`.");
    Kind => keys(station::Kind::ALL.iter().map(|k| k.key()),
        &labelled(station::Kind::ALL, station::Kind::key, station::Kind::label_zh));
    HostType => keys(station::HostType::ALL.iter().map(|k| k.key()), &format!("The business or institution hosting \
        the station: {}", labelled(station::HostType::ALL, station::HostType::key, station::HostType::label_zh)));
    Reason => keys(crate::store::reports::Reason::KEYS.split(", "), "closed 已关闭 · moved 已搬迁 · amenity_missing 设施缺失 · \
        wrong_hours 时间不对 · refused_entry 拒绝进入 · other 其他");
    Crs => keys(crate::geodesy::crs::CRS_NAMES.split(", ").skip(1), "Foreign member: the coordinate system of the coordinates in \
        this response, present only when it is not WGS-84.");
    CrsName => keys(crate::geodesy::crs::CRS_NAMES.split(", "), "").default(Some("wgs84".into()));
    DatasetVersion => typed(Type::String, "Content hash of the dataset (also the ETag).")
        .pattern(Some("^[0-9a-f]{16}$")).examples(["3f2a9c0e1b7d4a55"]);
    StationId => typed(Type::String, &format!("At most {} bytes.", station::StationId::MAX_LEN))
        .min_length(Some(1)).max_length(Some(station::StationId::MAX_LEN));
    Comment => typed(Type::String, "").max_length(Some(crate::store::reports::MAX_COMMENT_CHARS));
    Coordinates => ArrayBuilder::new().description(Some("`[lon, lat]` in the response's `crs` (WGS-84 by default)."))
        .prefix_items([typed(Type::Number, "").minimum(Some(-180)).maximum(Some(180)).build(), typed(Type::Number, "")
            .minimum(Some(-90)).maximum(Some(90)).build()]).items(ArrayItems::False).min_items(Some(2)).max_items(Some(2));
    Versions => ArrayBuilder::new().items(Ref::from_schema_name("VersionInfo")).max_items(Some(crate::store::KEEP_VERSIONS)).description(Some(format!("Newest first; the newest {} are kept.", crate::store::KEEP_VERSIONS)));
    K => typed(Type::Integer, "").minimum(Some(1)).maximum(Some(read::MAX_K)).default(Some(read::DEFAULT_K.into()));
    Limit => typed(Type::Integer, "").minimum(Some(1)).maximum(Some(read::MAX_LIMIT)).default(Some(read::DEFAULT_LIMIT.into()));
    AlongLimit => typed(Type::Integer, "").minimum(Some(1)).maximum(Some(read::MAX_ALONG_LIMIT)).default(Some(read::DEFAULT_ALONG_LIMIT.into()));
    AlongDistance => typed(Type::Number, "").exclusive_minimum(Some(0)).maximum(Some(read::MAX_ALONG_DISTANCE_M)).default(Some(read::DEFAULT_ALONG_DISTANCE_M.into()));
    Q => typed(Type::String, "").max_length(Some(crate::api::params::MAX_Q_CHARS)).examples(["望京"]);
    Offset => typed(Type::Integer, "").minimum(Some(0)).default(Some(0.into()));
    Off => typed(Type::Boolean, "").default(Some(false.into()));
    Encoding => keys(["gzip", "x-gzip", "identity"], "");
    StrOrInt => typed(SchemaType::from_iter([Type::String, Type::Integer]), "");
    UploadText => typed(SchemaType::from_iter([Type::String, Type::Number]),
        &format!("Trimmed, at most {} characters; a number is taken as its decimal text.", crate::import::MAX_TEXT_CHARS));
    FeatureType => keys(["Feature"], "");
    PointType => keys(["Point"], "");
    CollectionType => keys(["FeatureCollection"], "");
    HealthStatus => keys(["ok"], "");
    TilesCrs => keys(["wgs84", "gcj02"], "");
    UploadHours => typed(Type::String, &format!(
        "OpenStreetMap opening_hours syntax, at most {} bytes of UTF-8.", station::Hours::MAX_BYTES));
}

#[derive(ToSchema)]
pub struct Point {
    r#type: PointType,
    coordinates: Coordinates,
}

/// `address` 地址, `district` 区, `opening_hours` and `phone` are omitted when unknown, never `null`.
#[derive(ToSchema)]
pub struct StationProperties {
    /// 站名
    #[schema(min_length = 1)]
    name: String,
    kind: Kind,
    host_type: HostType,
    #[schema(required = false)]
    address: String,
    #[schema(required = false)]
    district: String,
    /// In the fixed order of /api/v1/amenities. Never contains `24h` (see `opening_hours`).
    amenities: BTreeSet<AmenityKey>,
    /// OpenStreetMap opening_hours syntax, e.g. `24/7` or `Mo-Fr 09:00-18:00`.
    #[schema(required = false)]
    opening_hours: String,
    #[schema(required = false)]
    phone: String,
    /// On reads: `temporarily_closed` while its host or an admin says so and `reopens_on` has not come.
    #[schema(required = false)]
    status: StationStatus,
    /// Why it is closed (only while closed).
    #[schema(required = false)]
    status_note: String,
    /// From 00:00 of this day (server time zone) it counts as open again (only while closed).
    #[schema(required = false, format = Date)]
    reopens_on: String,
    /// On reads: the last confirmation by its host or an admin (RFC 3339, UTC), or `null`.
    #[schema(required = false, format = DateTime)]
    verified_at: Option<String>,
    /// On reads: this station's problem reports that are `received` or `in_progress`.
    #[schema(required = false, minimum = 0)]
    open_reports: u32,
    /// Open at `at` (or now) in the server's time zone; `null` when the hours are unknown; `false` while
    /// temporarily closed. Computed per response.
    #[schema(required = false)]
    open_now: Option<bool>,
    /// On every read: when `open_now` next flips (RFC 3339 with the service zone's offset, e.g.
    /// `2026-10-08T09:00:00+08:00`), looking at most 8 days ahead with holidays and make-up workdays
    /// (/api/v1/calendar); `null` when open at all times, hours unknown, or no change within 8 days.
    #[schema(required = false, format = DateTime)]
    next_change_at: Option<String>,
    /// Only on nearest (from the query point) and along (from the route): great-circle metres, 0.1 m.
    #[schema(required = false, minimum = 0)]
    distance_m: f64,
    /// Only on along: metres along the route from its start to the route point nearest the station.
    #[schema(required = false, minimum = 0)]
    along_m: f64,
}

/// A station's state (`open` unless its host or an admin says otherwise).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum StationStatus {
    Open,
    TemporarilyClosed,
}

/// A station as a GeoJSON Feature (RFC 7946).
#[derive(ToSchema)]
#[schema(examples(json!({"type": "Feature", "id": "bj-chy-00042",
    "geometry": {"type": "Point", "coordinates": [116.4705, 39.992]},
    "properties": {"name": "望京骑迹24小时智能化工会驿站", "kind": "station", "host_type": "union_center",
        "district": "朝阳区", "amenities": ["water", "charging", "rest"], "opening_hours": "24/7", "open_now": true}})))]
pub struct Station {
    r#type: FeatureType,
    id: StationId,
    geometry: Point,
    properties: StationProperties,
}

/// A GeoJSON FeatureCollection of stations with foreign members.
#[derive(ToSchema)]
pub struct FeatureCollection {
    r#type: CollectionType,
    features: Vec<Station>,
    /// Features in this response.
    count: usize,
    /// List only: all matches, across pages.
    #[schema(required = false)]
    total: usize,
    dataset_version: DatasetVersion,
    #[schema(required = false)]
    crs: Crs,
}

/// The stored dataset: WGS-84, in id order, without per-response members (`open_now`, `count`, `dataset_version`).
#[derive(ToSchema)]
pub struct StoredCollection {
    r#type: CollectionType,
    features: Vec<Station>,
}

/// A GeoJSON Point: `[lon, lat]` in `?crs`, in range; more members (an altitude) are ignored.
#[derive(ToSchema)]
pub struct UploadPoint {
    r#type: PointType,
    #[schema(min_items = 2)]
    coordinates: Vec<f64>,
}

/// `kind` (default `station`), `host_type` (default `other`) and `amenities` take keys or their Chinese labels.
#[derive(ToSchema)]
pub struct UploadProperties {
    #[schema(required = false)]
    id: StrOrInt,
    name: UploadText,
    kind: Option<String>,
    host_type: Option<String>,
    address: Option<UploadText>,
    district: Option<UploadText>,
    amenities: Option<Vec<String>>,
    opening_hours: Option<UploadHours>,
    phone: Option<UploadText>,
    /// State: absent keeps what the station has, `null` clears, a value sets (also CSV columns after `phone`;
    /// an empty cell keeps).
    status: Option<StationStatus>,
    status_note: Option<UploadText>,
    #[schema(format = Date)]
    reopens_on: Option<String>,
    #[schema(format = DateTime)]
    verified_at: Option<String>,
}

#[derive(ToSchema)]
#[schema(description = format!("A station to upload; also: `id` (Feature `id`, or `properties.id`) unique, non-empty, \
    ≤ {} bytes; `geometry` in `?crs`; `opening_hours` parseable.", station::StationId::MAX_LEN))]
pub struct UploadFeature {
    r#type: FeatureType,
    #[schema(required = false)]
    id: StrOrInt,
    geometry: UploadPoint,
    properties: UploadProperties,
}

#[derive(ToSchema)]
#[schema(examples(json!({"type": "FeatureCollection", "features": [{"type": "Feature", "id": "bj-chy-00042",
    "geometry": {"type": "Point", "coordinates": [116.4705, 39.992]},
    "properties": {"name": "望京骑迹驿站", "amenities": ["water", "充电"], "opening_hours": "24/7"}}]})))]
pub struct UploadCollection {
    r#type: CollectionType,
    features: Vec<UploadFeature>,
}

/// UTF-8 CSV (BOM optional) with the header `id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone` (any order; only id,name,lon,lat required); `amenities` separated by `;`. `index` in errors is the 0-based data row, `line` the 1-based file line.
#[derive(ToSchema)]
#[schema(examples("id,name,lon,lat,amenities\nbj-1,望京驿站,116.4705,39.992,water;charging\n"))]
pub struct UploadCsv(String);

#[derive(ToSchema)]
pub struct UploadOutcome {
    dataset_version: DatasetVersion,
    /// Stations in the dataset after the change.
    count: usize,
    /// Non-blocking remarks: stations outside mainland China, stations within 1 m of each other.
    warnings: Vec<String>,
    /// Present (true) only for `?dry_run=true`: nothing was changed.
    #[schema(required = false)]
    dry_run: bool,
}

#[derive(ToSchema)]
pub struct VersionInfo {
    version: DatasetVersion,
    count: usize,
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    created_at: String,
    current: bool,
    /// `false`: the stored file is damaged; rolling back to it is refused (422).
    loadable: bool,
}

#[derive(ToSchema)]
pub struct VersionList {
    current: DatasetVersion,
    versions: Versions,
}

/// RFC 9457 problem details.
#[derive(ToSchema)]
#[schema(examples(json!({"type": "/problems/invalid-parameter", "title": "Bad Request", "status": 400,
    "detail": "k must be a whole number from 1 to 100, got \"500\"", "parameter": "k"})))]
pub struct Problem {
    /// Stable per kind of problem, e.g. `/problems/invalid-parameter`, `/problems/invalid-stations`.
    #[schema(format = "uri-reference")]
    r#type: String,
    title: String,
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// What is wrong and what is accepted; fit to show a person.
    detail: String,
    /// On `/problems/invalid-parameter`: the query parameter (or `id`, `reason`, `comment`) at fault.
    #[schema(required = false)]
    parameter: String,
    /// On `/problems/invalid-stations`: every problem in the upload; on `/problems/out-of-scope`: every row or
    /// station outside the token's districts.
    #[schema(required = false)]
    errors: Vec<RowError>,
}

#[derive(ToSchema)]
pub struct RowError {
    /// 0-based position in `features`, or 0-based CSV data row.
    index: usize,
    /// CSV only: 1-based line of the file.
    #[schema(required = false, minimum = 1)]
    line: u64,
    #[schema(required = false)]
    id: String,
    /// e.g. `geometry`, `id`, `name`, `kind`, `host_type`, `amenities`, `opening_hours`, `row`; `district` on
    /// `/problems/out-of-scope`.
    field: String,
    message: String,
    /// On `/problems/out-of-scope`: the district outside the token's (`null`: the station has none).
    #[schema(required = false)]
    district: Option<String>,
}

/// Reusable responses: the problem+json errors and 304.
macro_rules! responses {
    ($($name:ident => $response:expr;)*) => {$(
        pub struct $name;
        impl<'s> ToResponse<'s> for $name {
            fn response() -> (&'s str, RefOr<utoipa::openapi::Response>) { (stringify!($name), $response.build().into()) }
        }
    )*};
}
fn header(d: &str, s: ObjectBuilder) -> Header {
    HeaderBuilder::new().schema(s).description(Some(d)).build()
}
/// A problem+json response; all but the timeout's (as before) list `X-Request-Id`.
fn problem(description: &str, request_id: bool) -> ResponseBuilder {
    let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem")));
    let r = ResponseBuilder::new().description(description);
    let d =
        "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem.";
    let id = request_id.then(|| header(d, typed(Type::String, "")));
    let r = id.into_iter().fold(r, |r, h| r.header("X-Request-Id", h));
    r.content("application/problem+json", body.build())
}

responses! {
    BadRequest => problem("Bad input: a query parameter (named in `parameter`) is unknown, missing, malformed, out of range \
        or given twice; or the body cannot be parsed. `detail` says what is accepted.", true);
    Unauthorized => problem("Missing or wrong admin token: send `Authorization: Bearer <token>`.", true).header("WWW-Authenticate", header("`Bearer realm=\"yizhan\"`.", typed(Type::String, "")));
    AdminDisabled => problem("Forbidden. `/problems/admin-disabled`: no admin token is configured (`YIZHAN_ADMIN_TOKEN`, \
        `--admin-token-file` or `yizhan token add`). `/problems/read-only`: the token may only read. `/problems/out-of-scope`: \
        a district token touched stations of other districts (`errors` names each, with its `district`) or asked for a change \
        that needs every district. Nothing was changed.", true);
    NotFound => problem("No station (or version) with that id.", true);
    MethodNotAllowed => problem("The path exists but not with this method.", true);
    Gone => problem("No longer known (a change-feed token too old): download `/api/v1/dataset` again.", true);
    PayloadTooLarge => problem("The body is larger than the limit (after decompression).", true);
    UnsupportedMediaType => problem("Unsupported `Content-Type` or `Content-Encoding`; `detail` lists what is accepted.", true);
    Unprocessable => problem("The upload was read but cannot be accepted: `errors` lists every problem (all at \
        once), or the dataset would be empty. Nothing was changed.", true);
    InternalError => problem("Something failed on the server (e.g. the disk); the cause is logged, not sent. \
        Nothing was changed unless the response says so.", true);
    InsufficientStorage => problem("The data directory's disk is full even after pruning old dataset versions; \
        nothing was changed. Free space and retry.", true);
    TooManyRequests => problem(&format!("Rate limit exceeded: reports ({DEFAULT_REPORTS_PER_MINUTE} a minute per client address by default; \
        `/problems/daily-cap`: per station or in all per UTC day), or 10 failed admin logins a minute. Wait `Retry-After` s."), true)
        .header("Retry-After", header("Seconds to wait before trying again.", typed(Type::Integer, "").minimum(Some(1))));
    Unavailable => problem(&format!("Busy (`/problems/busy`: the pool for heavy queries, the download slots or your address's \
        requests in flight are full; wait `Retry-After` s) or slower than the timeout (default {DEFAULT_REQUEST_TIMEOUT_SECS} s)."), false);
    RequestTimeout => problem("The body did not arrive in time (10 s for small bodies, 5 s between chunks); nothing changed.", true);
    NotModified => ResponseBuilder::new().description("`If-None-Match` matched: your copy is current. No body.").header("ETag", header("The dataset version, quoted (strong).", typed(Type::String, "")))
        .header("Cache-Control", header("`public, max-age=30`.", typed(Type::String, "")));
}
