//! The OpenAPI 3.1 description of the API, built from the code's own constants and enums so that it cannot
//! drift from what the handlers do: limits come from `stations.rs`, keys from `station.rs` and `reports.rs`,
//! and a unit test checks every `(method, path)` of [`super::ROUTES`] against `paths` (and back).
//!
//! Shared pieces (parameters, headers, problem responses, schemas) live in `components` and are referenced,
//! so each is written once.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::extract::{
    DEFAULT_ALONG_DISTANCE_M as ALONG_DEFAULT_DISTANCE_M,
    DEFAULT_ALONG_LIMIT as ALONG_DEFAULT_LIMIT, DEFAULT_K, DEFAULT_LIMIT,
    MAX_ALONG_DISTANCE_M as ALONG_MAX_DISTANCE_M, MAX_ALONG_LIMIT as ALONG_MAX_LIMIT, MAX_K,
    MAX_LIMIT, MAX_PATH_POINTS as ALONG_MAX_POINTS,
};
use super::params::TOKEN_24H;
use crate::domain::{Amenity, HostType, Kind, StationId};
use crate::geodesy::crs::CRS_NAMES;
use crate::settings::{DEFAULT_MAX_UPLOAD_MB, DEFAULT_TIMEZONE};
use crate::store::reports::{Reason, MAX_COMMENT_CHARS};
use crate::store::KEEP_VERSIONS;

/// Fewest points in an along `path` (the contract's; `params.rs` checks it).
const ALONG_MIN_POINTS: usize = 2;
/// The route the contract added last; the route test accepts it in the spec even where `ROUTES` lacks it.
pub const ALONG_PATH: &str = "/api/v1/stations/along";

/// Longest `q` (mirrors `params.rs`), largest report body (mirrors `api/reports.rs`), default report quota and
/// request timeout (mirror `config.rs`).
const MAX_Q_CHARS: usize = 200;
const MAX_REPORT_BODY_BYTES: usize = 8 * 1024;
const DEFAULT_REPORTS_PER_MINUTE: u32 = 10;
const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// Longest free-text field and `opening_hours` in an upload (mirrors `import/validate.rs`, `station.rs`).
const MAX_TEXT_CHARS: usize = 500;
const MAX_HOURS_CHARS: usize = 1000;

fn r(kind: &str, name: &str) -> Value {
    json!({ "$ref": format!("#/components/{kind}/{name}") })
}
fn schema(name: &str) -> Value {
    r("schemas", name)
}
fn param(name: &str) -> Value {
    r("parameters", name)
}
fn resp(name: &str) -> Value {
    r("responses", name)
}
fn hdr(name: &str) -> Value {
    r("headers", name)
}

fn amenity_keys() -> Vec<&'static str> {
    Amenity::ALL.iter().map(|a| a.key()).collect()
}
fn reason_keys() -> Vec<&'static str> {
    Reason::KEYS.split(',').map(str::trim).collect()
}
fn crs_names() -> Vec<&'static str> {
    CRS_NAMES.split(',').map(str::trim).collect()
}
/// `key` 中文 · … for descriptions.
fn labelled<T: Copy>(all: &[T], key: fn(T) -> &'static str, zh: fn(T) -> &'static str) -> String {
    all.iter()
        .map(|&v| format!("`{}` {}", key(v), zh(v)))
        .collect::<Vec<_>>()
        .join(" · ")
}

// ---------------------------------------------------------------------------------------------------------
// info

fn description() -> String {
    let amenities = labelled(Amenity::ALL, Amenity::key, Amenity::label_zh);
    format!(
        r#"驿站 (yizhan) locates Beijing's outdoor-worker rest stations (户外劳动者暖心驿站) and public workers' homes
(公共区域职工之家): water, phone charging, a seat, warmth or cool air, a microwave, a toilet.

## Quick start
* Nearest 5 stations to a point: `GET /api/v1/stations/nearest?lat=39.9920&lon=116.4705`
* Only those with water and charging that are open now: add `&amenities=water,charging&open_now=true`
* Your map is Amap (高德) or Tencent: add `&crs=gcj02` — query and answer are both GCJ-02; Baidu (百度): `crs=bd09`.
* Stations along a delivery route: `GET /api/v1/stations/along?path=116.40,39.90;116.45,39.93`

## Coordinates (`crs`)
Stations are stored in WGS-84. On every read `crs` (one of {crs}) applies to the query coordinates **and** to the
coordinates returned, and the response then carries the foreign member `"crs"`; without it everything is WGS-84 as
RFC 7946 requires. Points outside mainland China are not shifted. Coordinates are always `[lon, lat]` in GeoJSON and
`lat=`/`lon=` as named parameters; `path` and `bbox` are `lng,lat` ordered like Amap's polylines.

## Distances
Great-circle (haversine, sphere radius 6 371 008.8 m), metres, rounded to 0.1 m. Ordering uses unrounded values;
ties are broken by `id` (byte order).

## Caching
Every successful read carries `dataset_version` in the body and as a strong `ETag`, plus `Cache-Control: public, max-age=30`.
Send it back in `If-None-Match` to get `304 Not Modified` with no body. The version is a content hash of the dataset
(16 hex digits): it survives restarts, changes with every accepted upload, and two uploads of the same content share it.

## Errors
Every error is `application/problem+json` (RFC 9457) with `type`, `title`, `status`, `detail`; a bad query parameter adds
`parameter` (its name), a rejected upload adds `errors` (one item per problem, all problems at once). `type` is a stable
relative URI per kind of problem (e.g. `/problems/invalid-parameter`): switch on it, show `detail` to a person.
Bad input is always a 4xx, never a 5xx.

## Rate limits
Only `POST /api/v1/stations/{{id}}/reports` is rate-limited: {reports} reports a minute per client address (sliding
window, configurable with `--reports-per-minute`), then `429` with `Retry-After` (seconds). Reads are not rate-limited;
the server bounds concurrent work and answers `503` to a request that takes longer than its timeout (default {timeout} s).

## Admin
Uploads, deletion, versions, rollback and the report list need `Authorization: Bearer <token>` (token from
`YIZHAN_ADMIN_TOKEN` or `--admin-token-file`). Missing or wrong token → `401`; no token configured on the server →
`403` saying how to enable admin.

## Amenities (设施)
{amenities}. The filter token `{h24}` (24小时) means the station's `opening_hours` is open at all times.

## Decisions where the contract is silent
The API contract (v1) leaves these open; this is what the server does, and clients may rely on it.

**Query parameters**
* A parameter given twice (`k=1&k=2`) is a `400` naming it, not a silent choice of one.
* Unknown parameters are ignored (so a misspelt `amenity=` filters nothing); a blank value (`k=`) is the same as
  leaving the parameter out; values are trimmed.
* Booleans (`open_now`, `dry_run`, `allow_empty`) accept `true`/`false`, `1`/`0`, `yes`/`no`, case-insensitively.
* `amenities` accepts the keys case-insensitively, the Chinese labels and a few synonyms as aliases (饮水, 充电, 休息, 药箱,
  微波炉, 厕所 …), `{h24}` or `24小时`, separated by `,` or `，`. An unknown token is a `400` that lists the valid ones.
* `crs` also accepts `wgs-84`, `epsg:4326`, `gcj-02`, `bd-09`, `bd09ll`, case-insensitively; the `crs` member of a
  response uses the canonical name and is present only when the coordinates are not WGS-84.
* A `bbox` in gcj02/bd09 is converted to WGS-84 corner by corner (the offsets vary by well under a metre across a city-sized
  box). `minLat > maxLat` is a `400`; `minLon > maxLon` crosses the antimeridian.
* `q` (list only) is a case-insensitive substring of `name` or `address`, at most {q} characters.
* `max_distance_m` on `nearest` is any number > 0 (no upper bound); `offset` past the end gives an empty page with the
  real `total`.
* `path` (along): empty pairs (a trailing `;`) are skipped; the error names the first bad point by its 0-based index.
  `max_distance_m` on `along` is > 0 and at most the limit.
* `at` accepts any RFC 3339 offset; the time is converted to the server's zone ({tz} by default) before `opening_hours`
  is evaluated.

**Responses**
* A Station's optional properties (`address`, `district`, `opening_hours`, `phone`) are omitted when unknown, never `null`.
  `open_now` is always present in API responses: `true`, `false`, or `null` when the hours are unknown.
  `distance_m` appears only on `nearest` and `along`, `along_m` only on `along`.
* Collections carry `count` (features in this response); the list adds `total` (all matches); all carry
  `dataset_version`, and `crs` when not WGS-84. `GET /api/v1/stations/{{id}}` adds `dataset_version` (and `crs`) as foreign
  members of the Feature.
* `/api/v1/amenities` lists every amenity in a fixed order (count 0 included), then a last row `{h24}` with
  `"filter_only": true`: a filter token, never listed in a station's `amenities`.
* `{h24}` holds when `opening_hours` is open at every instant and never changes (`24/7`, `Mo-Su 00:00-24:00`); `24/7; Dec 25 off`
  is not `{h24}`.
* The ETag is the dataset version, not a hash of the body, so it does not depend on `at` or the clock: an `open_now`
  value in a response revalidated with `304` may be as old as the client's copy. Pass `at` when a time-dependent answer
  must be exact. `If-None-Match: *` and weak tags (`W/"…"`) match too.
* `GET /api/v1/stations/{{id}}` checks that the station exists before `If-None-Match`: a deleted station is `404`, not `304`.
* `/healthz` carries `ETag` but never answers `304`; `/api/v1/config`, `/api/v1/reports` and `/openapi.json` carry no ETag.
* A rollback makes an older version current again, so an ETag can return to an earlier value.
* Responses are compressed (gzip or br) when the client says it accepts that.
* Every response carries `X-Request-Id` (the client's own, or one the server makes); it appears in the server's logs.
* `HEAD` is answered on every `GET` route. Another method on a known path is a `405` problem; an unknown path a `404` problem.
* A request that exceeds the server's timeout gets `503` as a problem+json document.
* CORS: by default any origin may call `GET`, `HEAD` and `POST` (the read API and reports); `ETag`, `Retry-After` and
  `X-Request-Id` are exposed. `PUT`, `DELETE` and `Authorization` are not allowed cross-origin: the admin API is for
  same-origin pages (`/admin`) and server-side scripts.

**Uploads (admin)**
* The token is checked first: an unauthenticated request never learns whether its body was valid. `Bearer` and `bearer` are
  both accepted. With admin disabled, every admin route is `403`, whatever the token.
* `Content-Type` `application/geo+json` and `application/json` are both GeoJSON, `text/csv` is CSV; parameters such as
  `charset` are ignored; a missing or other type is `415`. `Content-Encoding` may be `gzip`, `x-gzip` or `identity`
  (another is `415`); the size limit ({mb} MiB by default) applies to the decompressed body too.
* A missing `kind` is `station`, a missing `host_type` is `other`. Both also accept their Chinese labels (驿站, 职工之家, 银行,
  超市, 加油站, 工会 …).
* GeoJSON: the id may be the Feature's `id` or `properties.id`; an integer id becomes its decimal string; ids are trimmed,
  at most {idlen} bytes, without control characters. A numeric `name`, `address` or `phone` is taken as its decimal text.
  `amenities` must be a JSON array (a `;`-separated string is an error that says so). A UTF-8 BOM is ignored. Anything but a
  FeatureCollection (a bare Feature, an array) is a `400` that says how to wrap it.
* CSV: columns may come in any order and are matched case-insensitively; only `id,name,lon,lat` must be present; extra
  columns are ignored; `amenities` may be separated by `;`, `；` or `、`; a UTF-8 BOM is ignored; a file that is not UTF-8 is a
  `400` ("save it as CSV UTF-8"); a row with fewer fields than the header is an error with `"field": "row"`.
* Free text (`name`, `address`, `district`, `phone`) is trimmed and at most {text} characters; `opening_hours` at most
  {hours}; an empty value means unknown.
* Every problem of every row is reported, several per row if need be; a duplicate id names the index of its first use.
* Warnings (`warnings`, not blocking): stations outside mainland China (a swapped lon/lat or a wrong `crs`), and pairs of
  stations within 1 m of each other.
* `dry_run=true` answers what the upload would do, including the `dataset_version` the dataset would get, with
  `"dry_run": true`. `allow_empty=true` lets a `PUT` empty the dataset.
* `DELETE /api/v1/stations/{{id}}` answers the same outcome object as an upload (new version, remaining count).
* Not in the contract, added for operators: `GET /api/v1/dataset` (public: the current dataset as canonical GeoJSON that a
  `PUT` takes back unchanged — also how replicas copy a primary), `GET /api/v1/dataset/versions` and
  `POST /api/v1/dataset/rollback?version=` (admin; the newest {keep} versions are kept).

**Reports**
* The body must be a JSON object with `reason` and optionally `comment` and nothing else (another field is a `400`), at most
  {body} bytes (`413`); its `Content-Type` is not checked. `comment` is trimmed, dropped when empty, at most {comment}
  characters.
* An unknown station is a `404` and does not count against the rate limit; unparseable JSON does not count either; a bad
  `reason` does.
* The limit is per client IP address as the server sees the TCP connection: behind a reverse proxy every client shares
  the proxy's address, unless the server runs with `--trust-forwarded-for`, which takes the last `X-Forwarded-For` entry (see docs/DEPLOY.md).
* `202` returns the stored report; it is durable (fsynced) before the answer. `GET /api/v1/reports` lists open reports,
  newest first, as `{{"count", "reports"}}`; reports are kept per server instance.
"#,
        crs = CRS_NAMES,
        reports = DEFAULT_REPORTS_PER_MINUTE,
        timeout = DEFAULT_TIMEOUT_SECS,
        amenities = amenities,
        h24 = TOKEN_24H,
        q = MAX_Q_CHARS,
        tz = DEFAULT_TIMEZONE,
        mb = DEFAULT_MAX_UPLOAD_MB,
        idlen = StationId::MAX_LEN,
        text = MAX_TEXT_CHARS,
        hours = MAX_HOURS_CHARS,
        keep = KEEP_VERSIONS,
        body = MAX_REPORT_BODY_BYTES,
        comment = MAX_COMMENT_CHARS,
    )
}

// ---------------------------------------------------------------------------------------------------------
// components.parameters

fn parameters() -> Value {
    let amenity_tokens = {
        let mut t = amenity_keys();
        t.push(TOKEN_24H);
        t.join(", ")
    };
    json!({
        "lat": {
            "name": "lat", "in": "query", "required": true,
            "description": "Latitude of the query point (纬度), in `crs`.",
            "schema": {"type": "number", "minimum": -90, "maximum": 90},
            "example": 39.992
        },
        "lon": {
            "name": "lon", "in": "query", "required": true,
            "description": "Longitude of the query point (经度), in `crs`.",
            "schema": {"type": "number", "minimum": -180, "maximum": 180},
            "example": 116.4705
        },
        "k": {
            "name": "k", "in": "query",
            "description": "How many stations at most. Fewer come back when fewer match (or lie within `max_distance_m`).",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": DEFAULT_K}
        },
        "max_distance_m": {
            "name": "max_distance_m", "in": "query",
            "description": "Only stations at most this far from the point, in metres. Any number > 0.",
            "schema": {"type": "number", "exclusiveMinimum": 0}
        },
        "amenities": {
            "name": "amenities", "in": "query",
            "description": format!(
                "Comma-separated; a station must have **all** of them (设施筛选). Tokens: {amenity_tokens}. \
                 Chinese labels are accepted as aliases (e.g. `饮水,充电`), and `，` as a separator. \
                 `{TOKEN_24H}` means open at all times. An unknown token is a 400 that lists the valid ones."),
            "schema": {"type": "string"},
            "example": "water,charging,24h"
        },
        "open_now": {
            "name": "open_now", "in": "query",
            "description": "`true`: only stations whose `opening_hours` say open at `at` (or now). Stations with unknown hours are excluded.",
            "schema": {"type": "boolean", "default": false}
        },
        "at": {
            "name": "at", "in": "query",
            "description": format!("The instant at which `open_now` is evaluated (RFC 3339, any offset), instead of the request time. Hours are read in the server's time zone ({DEFAULT_TIMEZONE} by default)."),
            "schema": {"type": "string", "format": "date-time"},
            "example": "2026-11-25T10:30:00+08:00"
        },
        "crs": {
            "name": "crs", "in": "query",
            "description": "Coordinate system of the query coordinates **and** of the coordinates returned: `wgs84` (GPS, OSM), `gcj02` (Amap 高德, Tencent 腾讯), `bd09` (Baidu 百度). When not `wgs84` the response carries `\"crs\"`.",
            "schema": {"type": "string", "enum": crs_names(), "default": "wgs84"}
        },
        "bbox": {
            "name": "bbox", "in": "query",
            "description": "`minLon,minLat,maxLon,maxLat` in `crs`; edges are inclusive; `minLon > maxLon` crosses the antimeridian; `minLat > maxLat` is a 400. Without it, every station matches.",
            "schema": {"type": "string", "pattern": "^\\s*-?[0-9.eE+-]+\\s*(,\\s*-?[0-9.eE+-]+\\s*){3}$"},
            "example": "116.30,39.85,116.50,40.00"
        },
        "q": {
            "name": "q", "in": "query",
            "description": "Case-insensitive substring of the station's `name` or `address`.",
            "schema": {"type": "string", "maxLength": MAX_Q_CHARS},
            "example": "望京"
        },
        "limit": {
            "name": "limit", "in": "query",
            "description": "Page size.",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
        },
        "offset": {
            "name": "offset", "in": "query",
            "description": "Matches to skip (in `id` order). Past the end: an empty page with the real `total`.",
            "schema": {"type": "integer", "minimum": 0, "default": 0}
        },
        "path": {
            "name": "path", "in": "query", "required": true,
            "description": format!(
                "The route as an Amap-style polyline: `lng,lat` pairs joined by `;`, {ALONG_MIN_POINTS} to {ALONG_MAX_POINTS} points, in `crs`. \
                 Segments between points are great-circle arcs."),
            "schema": {"type": "string"},
            "example": "116.4000,39.9000;116.4500,39.9300;116.4705,39.9920"
        },
        "along_max_distance_m": {
            "name": "max_distance_m", "in": "query",
            "description": "Largest distance from the route, in metres (> 0).",
            "schema": {"type": "number", "exclusiveMinimum": 0, "maximum": ALONG_MAX_DISTANCE_M, "default": ALONG_DEFAULT_DISTANCE_M}
        },
        "along_limit": {
            "name": "limit", "in": "query",
            "description": "Most stations returned (the first ones a rider meets).",
            "schema": {"type": "integer", "minimum": 1, "maximum": ALONG_MAX_LIMIT, "default": ALONG_DEFAULT_LIMIT}
        },
        "id": {
            "name": "id", "in": "path", "required": true,
            "description": format!("Station id (percent-encode it in the path), at most {} bytes.", StationId::MAX_LEN),
            "schema": {"type": "string", "minLength": 1},
            "example": "bj-chy-00042"
        },
        "upload_crs": {
            "name": "crs", "in": "query",
            "description": "What the uploaded coordinates are; they are converted to WGS-84 for storage.",
            "schema": {"type": "string", "enum": crs_names(), "default": "wgs84"}
        },
        "dry_run": {
            "name": "dry_run", "in": "query",
            "description": "`true`: validate and report (including the version the dataset would get) without changing anything.",
            "schema": {"type": "boolean", "default": false}
        },
        "allow_empty": {
            "name": "allow_empty", "in": "query",
            "description": "`true`: accept an upload that leaves the dataset empty (otherwise 422).",
            "schema": {"type": "boolean", "default": false}
        },
        "content_encoding": {
            "name": "Content-Encoding", "in": "header",
            "description": "`gzip` for a gzip-compressed body. The size limit applies after decompression too.",
            "schema": {"type": "string", "enum": ["gzip", "x-gzip", "identity"]}
        },
        "if_none_match": {
            "name": "If-None-Match", "in": "header",
            "description": "The `ETag` of a response you hold (the dataset version, quoted). If it is still current the answer is 304 with no body.",
            "schema": {"type": "string"},
            "example": "\"3f2a9c0e1b7d4a55\""
        },
        "version": {
            "name": "version", "in": "query", "required": true,
            "description": "The version to make current: one of `GET /api/v1/dataset/versions`.",
            "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"}
        }
    })
}

// ---------------------------------------------------------------------------------------------------------
// components.headers and components.responses

fn headers() -> Value {
    json!({
        "ETag": {
            "description": "The dataset version, quoted (strong). Send it back as `If-None-Match`.",
            "schema": {"type": "string"}
        },
        "Cache-Control": {
            "description": "`public, max-age=30` on reads: cache briefly, then revalidate with `If-None-Match`.",
            "schema": {"type": "string"}
        },
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 1}
        },
        "X-Request-Id": {
            "description": "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem.",
            "schema": {"type": "string"}
        },
        "Content-Disposition": {
            "description": "`attachment; filename=\"stations-<version>.geojson\"`.",
            "schema": {"type": "string"}
        }
    })
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "headers": {"X-Request-Id": hdr("X-Request-Id")},
        "content": {"application/problem+json": {"schema": schema("Problem")}}
    })
}

fn responses() -> Value {
    let mut m = Map::new();
    let problems = [
        ("BadRequest", "Bad input: a query parameter (named in `parameter`) is missing, malformed, out of range or given twice; or the body cannot be parsed. `detail` says what is accepted."),
        ("Unauthorized", "Missing or wrong admin token: send `Authorization: Bearer <token>`."),
        ("AdminDisabled", "Admin endpoints are disabled: the server was started without `YIZHAN_ADMIN_TOKEN` or `--admin-token-file`."),
        ("NotFound", "No station (or version) with that id."),
        ("MethodNotAllowed", "The path exists but not with this method."),
        ("PayloadTooLarge", "The body is larger than the limit (after decompression)."),
        ("UnsupportedMediaType", "Unsupported `Content-Type` or `Content-Encoding`; `detail` lists what is accepted."),
        ("Unprocessable", "The upload was read but cannot be accepted: `errors` lists every problem (all at once), or the dataset would be empty. Nothing was changed."),
        ("InternalError", "Something failed on the server (e.g. the disk); the cause is logged, not sent. Nothing was changed unless the response says so."),
        ("InsufficientStorage", "The data directory's disk is full even after pruning old dataset versions; nothing was changed. Free space and retry."),
    ];
    for (name, d) in problems {
        m.insert(name.into(), problem_response(d));
    }
    m.insert(
        "TooManyRequests".into(),
        json!({
            "description": format!("Rate limit exceeded ({DEFAULT_REPORTS_PER_MINUTE} a minute per client address by default). Wait `Retry-After` seconds."),
            "headers": {"Retry-After": hdr("Retry-After"), "X-Request-Id": hdr("X-Request-Id")},
            "content": {"application/problem+json": {"schema": schema("Problem")}}
        }),
    );
    m.insert(
        "Unavailable".into(),
        json!({
            "description": format!("The request took longer than the server's timeout (default {DEFAULT_TIMEOUT_SECS} s) and was stopped. Retry later, or narrow the request."),
            "content": {"application/problem+json": {"schema": schema("Problem")}}
        }),
    );
    m.insert(
        "NotModified".into(),
        json!({
            "description": "`If-None-Match` matched: your copy is current. No body.",
            "headers": {"ETag": hdr("ETag"), "Cache-Control": hdr("Cache-Control")}
        }),
    );
    Value::Object(m)
}

/// A 200 read with ETag and Cache-Control.
fn read_ok(description: &str, media: &str, body: Value, example: Option<Value>) -> Value {
    let mut content = json!({"schema": body});
    if let Some(e) = example {
        content["example"] = e;
    }
    json!({
        "description": description,
        "headers": {
            "ETag": hdr("ETag"),
            "Cache-Control": hdr("Cache-Control"),
            "X-Request-Id": hdr("X-Request-Id")
        },
        "content": {media: content}
    })
}

// ---------------------------------------------------------------------------------------------------------
// components.schemas

fn station_schemas(m: &mut Map<String, Value>) {
    m.insert(
        "AmenityKey".into(),
        json!({
            "type": "string",
            "enum": amenity_keys(),
            "description": labelled(Amenity::ALL, Amenity::key, Amenity::label_zh),
        }),
    );
    m.insert(
        "Kind".into(),
        json!({
            "type": "string",
            "enum": Kind::ALL.iter().map(|k| k.key()).collect::<Vec<_>>(),
            "description": labelled(Kind::ALL, Kind::key, Kind::label_zh),
        }),
    );
    m.insert("HostType".into(), json!({
        "type": "string",
        "enum": HostType::ALL.iter().map(|k| k.key()).collect::<Vec<_>>(),
        "description": format!("The business or institution hosting the station: {}", labelled(HostType::ALL, HostType::key, HostType::label_zh)),
    }));
    m.insert("Crs".into(), json!({
        "type": "string",
        "enum": ["gcj02", "bd09"],
        "description": "Foreign member: the coordinate system of the coordinates in this response, present only when it is not WGS-84.",
    }));
    m.insert(
        "Point".into(),
        json!({
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {
                "type": {"const": "Point"},
                "coordinates": {
                    "type": "array",
                    "description": "`[lon, lat]` in the response's `crs` (WGS-84 by default).",
                    "prefixItems": [
                        {"type": "number", "minimum": -180, "maximum": 180},
                        {"type": "number", "minimum": -90, "maximum": 90}
                    ],
                    "minItems": 2, "maxItems": 2
                }
            }
        }),
    );
    m.insert("StationProperties".into(), json!({
        "type": "object",
        "required": ["name", "kind", "host_type", "amenities"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "description": "站名"},
            "kind": schema("Kind"),
            "host_type": schema("HostType"),
            "address": {"type": "string", "description": "地址. Omitted when unknown."},
            "district": {"type": "string", "description": "区, e.g. 朝阳区. Omitted when unknown."},
            "amenities": {"type": "array", "items": schema("AmenityKey"), "uniqueItems": true,
                "description": "In the fixed order of /api/v1/amenities. Never contains `24h` (see `opening_hours`)."},
            "opening_hours": {"type": "string",
                "description": "OpenStreetMap opening_hours syntax, e.g. `24/7` or `Mo-Fr 09:00-18:00`. Omitted when unknown."},
            "phone": {"type": "string", "description": "Omitted when unknown."},
            "open_now": {"type": ["boolean", "null"],
                "description": "Open at `at` (or at the request time) in the server's time zone; `null` when the hours are unknown. Computed per response (see Caching)."},
            "distance_m": {"type": "number", "minimum": 0,
                "description": "Only on nearest (from the query point) and along (from the route): great-circle metres, 0.1 m."},
            "along_m": {"type": "number", "minimum": 0,
                "description": "Only on along: metres along the route from its start to the route point nearest the station."}
        }
    }));
    m.insert("Station".into(), json!({
        "type": "object",
        "description": "A station as a GeoJSON Feature (RFC 7946).",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": {"type": "string", "minLength": 1, "maxLength": StationId::MAX_LEN},
            "geometry": schema("Point"),
            "properties": schema("StationProperties")
        },
        "example": {
            "type": "Feature", "id": "bj-chy-00042",
            "geometry": {"type": "Point", "coordinates": [116.4705, 39.992]},
            "properties": {
                "name": "望京骑迹24小时智能化工会驿站", "kind": "station", "host_type": "union_center",
                "address": "朝阳区望京街…", "district": "朝阳区",
                "amenities": ["water", "charging", "rest", "heating", "cooling"],
                "opening_hours": "24/7", "phone": "010-…", "open_now": true, "distance_m": 812.4
            }
        }
    }));
    m.insert(
        "StationResponse".into(),
        json!({
            "description": "One station with the dataset version (and `crs`) as foreign members.",
            "allOf": [
                schema("Station"),
                {
                    "type": "object",
                    "required": ["dataset_version"],
                    "properties": {
                        "dataset_version": schema("DatasetVersion"),
                        "crs": schema("Crs")
                    }
                }
            ]
        }),
    );
    m.insert("FeatureCollection".into(), json!({
        "type": "object",
        "description": "A GeoJSON FeatureCollection of stations with foreign members.",
        "required": ["type", "features", "count", "dataset_version"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": schema("Station")},
            "count": {"type": "integer", "minimum": 0, "description": "Features in this response."},
            "total": {"type": "integer", "minimum": 0, "description": "List only: all matches, across pages."},
            "dataset_version": schema("DatasetVersion"),
            "crs": schema("Crs")
        }
    }));
    m.insert(
        "StoredCollection".into(),
        json!({
            "type": "object",
            "description": "The stored dataset: WGS-84, in id order, without per-response members (`open_now`, `count`, `dataset_version`).",
            "required": ["type", "features"],
            "properties": {
                "type": {"const": "FeatureCollection"},
                "features": {"type": "array", "items": schema("Station")}
            }
        }),
    );
    m.insert(
        "DatasetVersion".into(),
        json!({
            "type": "string",
            "pattern": "^[0-9a-f]{16}$",
            "description": "Content hash of the dataset (also the ETag).",
            "examples": ["3f2a9c0e1b7d4a55"]
        }),
    );
}

fn upload_schemas(m: &mut Map<String, Value>) {
    m.insert("UploadFeature".into(), json!({
        "type": "object",
        "description": format!(
            "A station to upload. Stricter rules than the schema can say: `id` (Feature `id`, or `properties.id`) unique, non-empty, \
             ≤ {} bytes, an integer becomes its string; `geometry` a Point with finite in-range `[lon, lat]` in `?crs`; \
             `name` non-empty; `kind`/`host_type`/`amenities` keys or their Chinese labels; `opening_hours` parseable \
             (OpenStreetMap syntax); text ≤ {MAX_TEXT_CHARS} characters.", StationId::MAX_LEN),
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": {"type": ["string", "integer"]},
            "geometry": {"type": "object", "required": ["type", "coordinates"],
                "properties": {"type": {"const": "Point"}, "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2}}},
            "properties": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "id": {"type": ["string", "integer"]},
                    "name": {"type": ["string", "number"]},
                    "kind": {"type": ["string", "null"], "description": "Default `station`."},
                    "host_type": {"type": ["string", "null"], "description": "Default `other`."},
                    "address": {"type": ["string", "number", "null"]},
                    "district": {"type": ["string", "null"]},
                    "amenities": {"type": ["array", "null"], "items": {"type": "string"}},
                    "opening_hours": {"type": ["string", "null"], "maxLength": MAX_HOURS_CHARS},
                    "phone": {"type": ["string", "number", "null"]}
                }
            }
        }
    }));
    m.insert("UploadCollection".into(), json!({
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": schema("UploadFeature")}
        },
        "example": {"type": "FeatureCollection", "features": [{
            "type": "Feature", "id": "bj-chy-00042",
            "geometry": {"type": "Point", "coordinates": [116.4705, 39.992]},
            "properties": {"name": "望京骑迹驿站", "kind": "station", "host_type": "union_center",
                "amenities": ["water", "充电"], "opening_hours": "24/7"}
        }]}
    }));
    m.insert("UploadCsv".into(), json!({
        "type": "string",
        "description": "UTF-8 CSV (BOM optional) with the header `id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone` \
            (any order; only id,name,lon,lat required); `amenities` separated by `;`. `index` in errors is the 0-based data row, `line` the 1-based file line.",
        "example": "id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone\nbj-1,望京驿站,116.4705,39.992,station,bank,望京街1号,朝阳区,water;charging,24/7,010-1234\n"
    }));
    m.insert("UploadOutcome".into(), json!({
        "type": "object",
        "required": ["dataset_version", "count", "warnings"],
        "properties": {
            "dataset_version": schema("DatasetVersion"),
            "count": {"type": "integer", "minimum": 0, "description": "Stations in the dataset after the change."},
            "warnings": {"type": "array", "items": {"type": "string"},
                "description": "Non-blocking remarks: stations outside mainland China, stations within 1 m of each other."},
            "dry_run": {"const": true, "description": "Present (true) only for `?dry_run=true`: nothing was changed."}
        }
    }));
    m.insert("VersionInfo".into(), json!({
        "type": "object",
        "required": ["version", "count", "created_at", "current"],
        "properties": {
            "version": schema("DatasetVersion"),
            "count": {"type": "integer", "minimum": 0},
            "created_at": {"type": "string", "format": "date-time", "description": "RFC 3339, UTC."},
            "current": {"type": "boolean"}
        }
    }));
    m.insert("VersionList".into(), json!({
        "type": "object",
        "required": ["current", "versions"],
        "properties": {
            "current": schema("DatasetVersion"),
            "versions": {"type": "array", "items": schema("VersionInfo"), "maxItems": KEEP_VERSIONS,
                "description": format!("Newest first; the newest {KEEP_VERSIONS} are kept.")}
        }
    }));
}

fn other_schemas(m: &mut Map<String, Value>) {
    m.insert("Problem".into(), json!({
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri-reference",
                "description": "Stable per kind of problem, e.g. `/problems/invalid-parameter`, `/problems/invalid-stations`, `/problems/rate-limited`."},
            "title": {"type": "string", "description": "The HTTP reason phrase."},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string", "description": "What is wrong and what is accepted; fit to show a person."},
            "parameter": {"type": "string", "description": "On `/problems/invalid-parameter`: the query parameter (or `id`, `reason`, `comment`) at fault."},
            "errors": {"type": "array", "items": schema("RowError"),
                "description": "On `/problems/invalid-stations`: every problem in the upload."}
        },
        "example": {"type": "/problems/invalid-parameter", "title": "Bad Request", "status": 400,
            "detail": "k must be a whole number from 1 to 100, got \"500\"", "parameter": "k"}
    }));
    m.insert("RowError".into(), json!({
        "type": "object",
        "required": ["index", "field", "message"],
        "properties": {
            "index": {"type": "integer", "minimum": 0, "description": "0-based position in `features`, or 0-based CSV data row."},
            "line": {"type": "integer", "minimum": 1, "description": "CSV only: 1-based line of the file."},
            "id": {"type": "string", "description": "The row's id, when it has one."},
            "field": {"type": "string", "description": "e.g. `geometry`, `id`, `name`, `kind`, `host_type`, `amenities`, `opening_hours`, `row`."},
            "message": {"type": "string"}
        }
    }));
    let mut row_keys = amenity_keys();
    row_keys.push(TOKEN_24H);
    m.insert("AmenityRow".into(), json!({
        "type": "object",
        "required": ["key", "label_zh", "label_en", "count"],
        "properties": {
            "key": {"type": "string", "description": "An amenity key, or `24h`.", "enum": row_keys},
            "label_zh": {"type": "string"},
            "label_en": {"type": "string"},
            "count": {"type": "integer", "minimum": 0, "description": "Stations that have it."},
            "filter_only": {"const": true, "description": "Only on `24h`: a filter token, not an amenity listed on stations."}
        }
    }));
    m.insert("NewReport".into(), json!({
        "type": "object",
        "required": ["reason"],
        "additionalProperties": false,
        "properties": {
            "reason": {"type": "string", "enum": reason_keys(),
                "description": "closed 已关闭 · moved 已搬迁 · amenity_missing 设施缺失 · wrong_hours 时间不对 · refused_entry 拒绝进入 · other 其他"},
            "comment": {"type": "string", "maxLength": MAX_COMMENT_CHARS}
        },
        "example": {"reason": "amenity_missing", "comment": "没有充电器"}
    }));
    m.insert("Report".into(), json!({
        "type": "object",
        "required": ["id", "station_id", "reason", "created_at", "status"],
        "properties": {
            "id": {"type": "string", "examples": ["r12"]},
            "station_id": {"type": "string"},
            "reason": {"type": "string", "enum": reason_keys()},
            "comment": {"type": "string", "maxLength": MAX_COMMENT_CHARS},
            "created_at": {"type": "string", "format": "date-time", "description": "RFC 3339, UTC."},
            "status": {"type": "string", "examples": ["open"]}
        }
    }));
    m.insert("ReportList".into(), json!({
        "type": "object",
        "required": ["count", "reports"],
        "properties": {
            "count": {"type": "integer", "minimum": 0},
            "reports": {"type": "array", "items": schema("Report"), "description": "Open reports, newest first."}
        }
    }));
    m.insert(
        "Health".into(),
        json!({
            "type": "object",
            "required": ["status", "dataset_version", "stations"],
            "properties": {
                "status": {"const": "ok"},
                "dataset_version": schema("DatasetVersion"),
                "stations": {"type": "integer", "minimum": 0}
            }
        }),
    );
    m.insert("Config".into(), json!({
        "type": "object",
        "description": "What the map page needs to draw tiles; useful to embed the same map.",
        "required": ["tiles", "timezone"],
        "properties": {
            "tiles": {
                "type": "object",
                "required": ["url", "attribution", "crs", "max_zoom"],
                "properties": {
                    "url": {"type": "string", "description": "XYZ template, e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png`."},
                    "attribution": {"type": "string"},
                    "crs": {"type": "string", "enum": ["wgs84", "gcj02"]},
                    "max_zoom": {"type": "integer"}
                }
            },
            "timezone": {"type": "string", "examples": [DEFAULT_TIMEZONE]}
        }
    }));
}

fn schemas() -> Value {
    let mut m = Map::new();
    station_schemas(&mut m);
    upload_schemas(&mut m);
    other_schemas(&mut m);
    Value::Object(m)
}

// ---------------------------------------------------------------------------------------------------------
// paths

const READ_FILTERS: [&str; 4] = ["amenities", "open_now", "at", "crs"];

fn params(names: &[&str]) -> Vec<Value> {
    names.iter().map(|n| param(n)).collect()
}

fn collection_example() -> Value {
    json!({
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature", "id": "bj-chy-00042",
            "geometry": {"type": "Point", "coordinates": [116.4705, 39.992]},
            "properties": {"name": "望京骑迹24小时智能化工会驿站", "kind": "station", "host_type": "union_center",
                "district": "朝阳区", "amenities": ["water", "charging", "rest"], "opening_hours": "24/7",
                "open_now": true, "distance_m": 812.4}
        }],
        "count": 1,
        "dataset_version": "3f2a9c0e1b7d4a55"
    })
}

fn nearest() -> Value {
    let mut ps = params(&["lat", "lon", "k", "max_distance_m"]);
    ps.extend(params(&READ_FILTERS));
    ps.push(param("if_none_match"));
    json!({"get": {
        "operationId": "nearestStations",
        "tags": ["stations"],
        "summary": "The k nearest stations (附近驿站)",
        "description": "Nearest first (unrounded great-circle distance), ties by `id`. Each feature has `distance_m`. \
            Fewer than `k` come back when fewer match. With `crs=gcj02` pass Amap coordinates and draw the answer on an Amap map unchanged.",
        "parameters": ps,
        "responses": {
            "200": read_ok("Stations, nearest first.", "application/geo+json", schema("FeatureCollection"), Some(collection_example())),
            "304": resp("NotModified"),
            "400": resp("BadRequest"),
            "503": resp("Unavailable")
        }
    }})
}

fn stations_collection() -> Value {
    let mut ps = params(&["bbox", "q", "limit", "offset"]);
    ps.extend(params(&READ_FILTERS));
    ps.push(param("if_none_match"));
    let admin_upload = |op: &str, summary: &str, description: &str| {
        json!({
            "operationId": op,
            "tags": ["admin"],
            "summary": summary,
            "description": description,
            "security": [{"bearerAuth": []}],
            "parameters": params(&["upload_crs", "dry_run", "allow_empty", "content_encoding"]),
            "requestBody": {
                "required": true,
                "description": format!("GeoJSON FeatureCollection or CSV, optionally gzip-compressed (`Content-Encoding: gzip`), at most {DEFAULT_MAX_UPLOAD_MB} MiB by default (`--max-upload-mb`)."),
                "content": {
                    "application/geo+json": {"schema": schema("UploadCollection")},
                    "application/json": {"schema": schema("UploadCollection")},
                    "text/csv": {"schema": schema("UploadCsv")}
                }
            },
            "responses": {
                "200": {
                    "description": "Accepted (or, with `dry_run`, would be accepted). Durable before this answer.",
                    "headers": {"ETag": hdr("ETag"), "X-Request-Id": hdr("X-Request-Id")},
                    "content": {"application/json": {"schema": schema("UploadOutcome")}}
                },
                "400": resp("BadRequest"),
                "401": resp("Unauthorized"),
                "403": resp("AdminDisabled"),
                "413": resp("PayloadTooLarge"),
                "415": resp("UnsupportedMediaType"),
                "422": resp("Unprocessable"),
                "500": resp("InternalError"),
                "507": resp("InsufficientStorage"),
                "503": resp("Unavailable")
            }
        })
    };
    json!({
        "get": {
            "operationId": "listStations",
            "tags": ["stations"],
            "summary": "Stations in a box, or all (列表)",
            "description": "Ordered by `id`, paged with `limit`/`offset`; `count` is this page, `total` all matches.",
            "parameters": ps,
            "responses": {
                "200": read_ok("A page of stations.", "application/geo+json", schema("FeatureCollection"), None),
                "304": resp("NotModified"),
                "400": resp("BadRequest"),
                "503": resp("Unavailable")
            }
        },
        "put": admin_upload("replaceStations", "Replace the whole dataset (全量替换)",
            "The upload becomes the dataset. Atomic: readers see the old dataset until the new one is durable and indexed, then the new one. \
             Every problem is reported at once (422) and then nothing changes."),
        "post": admin_upload("upsertStations", "Add or update stations by id (增量更新)",
            "Uploaded stations replace those with the same `id`; the others stay. Same validation and atomicity as PUT.")
    })
}

fn station_item() -> Value {
    json!({
        "parameters": [param("id")],
        "get": {
            "operationId": "getStation",
            "tags": ["stations"],
            "summary": "One station",
            "parameters": [param("crs"), param("at"), param("if_none_match")],
            "responses": {
                "200": read_ok("The station, with `open_now`.", "application/geo+json", schema("StationResponse"), None),
                "304": resp("NotModified"),
                "400": resp("BadRequest"),
                "404": resp("NotFound"),
                "503": resp("Unavailable")
            }
        },
        "delete": {
            "operationId": "deleteStation",
            "tags": ["admin"],
            "summary": "Remove one station",
            "security": [{"bearerAuth": []}],
            "responses": {
                "200": {
                    "description": "Removed; the outcome has the new version and the remaining count.",
                    "headers": {"ETag": hdr("ETag")},
                    "content": {"application/json": {"schema": schema("UploadOutcome")}}
                },
                "400": resp("BadRequest"),
                "401": resp("Unauthorized"),
                "403": resp("AdminDisabled"),
                "404": resp("NotFound"),
                "500": resp("InternalError"),
                "507": resp("InsufficientStorage"),
                "503": resp("Unavailable")
            }
        }
    })
}

fn along() -> Value {
    let mut ps = params(&["path", "along_max_distance_m", "along_limit"]);
    ps.extend(params(&READ_FILTERS));
    ps.push(param("if_none_match"));
    json!({"get": {
        "operationId": "stationsAlongRoute",
        "tags": ["stations"],
        "summary": "Stations along a route (沿途驿站)",
        "description": "Stations within `max_distance_m` of the route, in the order a rider meets them: by `along_m`, then `distance_m`, then `id`. \
            Each feature adds `along_m` (metres along the route to the route point nearest the station) and `distance_m` (metres from the station to the route). \
            Distances are great-circle to the route's great-circle segments. Paste an Amap route polyline as `path` with `crs=gcj02`.",
        "parameters": ps,
        "responses": {
            "200": read_ok("Stations along the route.", "application/geo+json", schema("FeatureCollection"), None),
            "304": resp("NotModified"),
            "400": resp("BadRequest"),
            "503": resp("Unavailable")
        }
    }})
}

fn reports_paths(paths: &mut Map<String, Value>) {
    paths.insert("/api/v1/stations/{id}/reports".into(), json!({
        "parameters": [param("id")],
        "post": {
            "operationId": "reportProblem",
            "tags": ["reports"],
            "summary": "Report a problem with a station (反馈问题)",
            "description": format!("Anyone may report. Rate-limited per client address ({DEFAULT_REPORTS_PER_MINUTE} a minute by default), then 429 with `Retry-After`."),
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": schema("NewReport")}}
            },
            "responses": {
                "202": {
                    "description": "Stored (durably); an admin will look at it.",
                    "headers": {"X-Request-Id": hdr("X-Request-Id")},
                    "content": {"application/json": {"schema": schema("Report")}}
                },
                "400": resp("BadRequest"),
                "404": resp("NotFound"),
                "413": resp("PayloadTooLarge"),
                "429": resp("TooManyRequests"),
                "500": resp("InternalError"),
                "507": resp("InsufficientStorage"),
                "503": resp("Unavailable")
            }
        }
    }));
    paths.insert("/api/v1/reports".into(), json!({
        "get": {
            "operationId": "listReports",
            "tags": ["admin", "reports"],
            "summary": "Open problem reports, newest first",
            "security": [{"bearerAuth": []}],
            "responses": {
                "200": {"description": "Open reports.", "content": {"application/json": {"schema": schema("ReportList")}}},
                "401": resp("Unauthorized"),
                "403": resp("AdminDisabled"),
                "503": resp("Unavailable")
            }
        }
    }));
}

fn dataset_paths(paths: &mut Map<String, Value>) {
    paths.insert("/api/v1/dataset".into(), json!({
        "get": {
            "operationId": "downloadDataset",
            "tags": ["admin"],
            "summary": "Download the current dataset",
            "description": "Public. The dataset exactly as stored: a WGS-84 FeatureCollection in id order, one feature per line, \
                without `open_now`/`dataset_version`, that `PUT /api/v1/stations` takes back unchanged (same version). \
                Replicas can copy a primary with it.",
            "parameters": [param("if_none_match")],
            "responses": {
                "200": {
                    "description": "The dataset file.",
                    "headers": {"ETag": hdr("ETag"), "Content-Disposition": hdr("Content-Disposition")},
                    "content": {"application/geo+json": {"schema": schema("StoredCollection")}}
                },
                "304": resp("NotModified"),
                "500": resp("InternalError"),
                "507": resp("InsufficientStorage"),
                "503": resp("Unavailable")
            }
        }
    }));
    paths.insert(
        "/api/v1/dataset/versions".into(),
        json!({
            "get": {
                "operationId": "listVersions",
                "tags": ["admin"],
                "summary": "Stored dataset versions (for rollback)",
                "security": [{"bearerAuth": []}],
                "responses": {
                    "200": {"description": "The current version and the stored ones.",
                        "headers": {"ETag": hdr("ETag")},
                        "content": {"application/json": {"schema": schema("VersionList")}}},
                    "401": resp("Unauthorized"),
                    "403": resp("AdminDisabled"),
                    "500": resp("InternalError"),
                "507": resp("InsufficientStorage"),
                    "503": resp("Unavailable")
                }
            }
        }),
    );
    paths.insert(
        "/api/v1/dataset/rollback".into(),
        json!({
            "post": {
                "operationId": "rollbackDataset",
                "tags": ["admin"],
                "summary": "Make a stored version current again (回滚)",
                "security": [{"bearerAuth": []}],
                "parameters": [param("version")],
                "responses": {
                    "200": {"description": "Rolled back.",
                        "headers": {"ETag": hdr("ETag")},
                        "content": {"application/json": {"schema": schema("UploadOutcome")}}},
                    "400": resp("BadRequest"),
                    "401": resp("Unauthorized"),
                    "403": resp("AdminDisabled"),
                    "404": resp("NotFound"),
                    "422": resp("Unprocessable"),
                    "500": resp("InternalError"),
                "507": resp("InsufficientStorage"),
                    "503": resp("Unavailable")
                }
            }
        }),
    );
}

fn meta_paths(paths: &mut Map<String, Value>) {
    paths.insert("/api/v1/amenities".into(), json!({
        "get": {
            "operationId": "listAmenities",
            "tags": ["stations"],
            "summary": "Amenities with labels and counts (设施)",
            "description": format!("Every amenity in a fixed order with its Chinese and English label and how many stations have it, then the `{TOKEN_24H}` filter row (`filter_only: true`). Build your filter UI from this."),
            "parameters": [param("if_none_match")],
            "responses": {
                "200": read_ok("Amenity rows.", "application/json",
                    json!({"type": "array", "items": schema("AmenityRow")}),
                    Some(json!([{"key": "water", "label_zh": "饮水", "label_en": "drinking water", "count": 812},
                                {"key": TOKEN_24H, "label_zh": "24小时", "label_en": "open 24 hours", "count": 97, "filter_only": true}]))),
                "304": resp("NotModified"),
                "503": resp("Unavailable")
            }
        }
    }));
    paths.insert("/api/v1/config".into(), json!({
        "get": {
            "operationId": "getConfig",
            "tags": ["meta"],
            "summary": "Map page settings (tiles, time zone)",
            "responses": {
                "200": {"description": "Settings.", "content": {"application/json": {"schema": schema("Config")}}},
                "503": resp("Unavailable")
            }
        }
    }));
    paths.insert("/healthz".into(), json!({
        "get": {
            "operationId": "health",
            "tags": ["meta"],
            "summary": "Liveness and readiness",
            "description": "200 whenever the server is up: it never serves without a loaded dataset. Never 304.",
            "responses": {
                "200": read_ok("Up.", "application/json", schema("Health"), None),
                "503": resp("Unavailable")
            }
        }
    }));
    paths.insert("/metrics".into(), json!({
        "get": {
            "operationId": "metrics",
            "tags": ["meta"],
            "summary": "Prometheus metrics",
            "description": "Text exposition format 0.0.4: `yizhan_http_requests_total{method,route,status}`, \
                `yizhan_http_request_duration_seconds` (histogram by route template), `yizhan_uploads_total{outcome}`, \
                `yizhan_reports_total`, `yizhan_dataset_stations`, `yizhan_dataset_info{version}`. Public: restrict it at your proxy.",
            "responses": {
                "200": {"description": "Metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}},
                "503": resp("Unavailable")
            }
        }
    }));
    paths.insert("/openapi.json".into(), json!({
        "get": {
            "operationId": "openapi",
            "tags": ["meta"],
            "summary": "This document",
            "responses": {
                "200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}
            }
        }
    }));
    let page = |op: &str, summary: &str, description: &str, ps: Vec<Value>| {
        json!({"get": {
            "operationId": op,
            "tags": ["pages"],
            "summary": summary,
            "description": description,
            "parameters": ps,
            "responses": {
                "200": {"description": "HTML (with a strict Content-Security-Policy; `Cache-Control: no-cache`).",
                    "headers": {"ETag": {"description": "Hash of the page.", "schema": {"type": "string"}}},
                    "content": {"text/html": {"schema": {"type": "string"}}}},
                "304": {"description": "The page has not changed."}
            }
        }})
    };
    let share = |name: &str, d: &str, s: Value| json!({"name": name, "in": "query", "description": d, "schema": s});
    paths.insert("/".into(), page("mapPage", "The rider map page (骑手地图)",
        "A phone page: nearest stations, filters, details, reports. A shareable link `/?lat=&lon=&amenities=&open_now=` centres \
         there (WGS-84) and lists the nearest matches without asking for the device's location. The parameters are read by the page, not the server.",
        vec![
            share("lat", "Centre latitude, WGS-84.", json!({"type": "number", "minimum": -90, "maximum": 90})),
            share("lon", "Centre longitude, WGS-84.", json!({"type": "number", "minimum": -180, "maximum": 180})),
            share("amenities", "As in the read API.", json!({"type": "string"})),
            share("open_now", "As in the read API.", json!({"type": "boolean"})),
        ]));
    paths.insert("/admin".into(), page("adminPage", "The admin upload page",
        "Upload, validate (dry run) and roll back datasets in a browser; asks for the admin token.", vec![]));
}

/// The spec as JSON.
pub fn spec() -> Value {
    let mut paths = Map::new();
    paths.insert("/api/v1/stations/nearest".into(), nearest());
    paths.insert("/api/v1/stations".into(), stations_collection());
    paths.insert("/api/v1/stations/{id}".into(), station_item());
    paths.insert(ALONG_PATH.into(), along());
    reports_paths(&mut paths);
    dataset_paths(&mut paths);
    meta_paths(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "yizhan 驿站 — outdoor-worker rest stations API",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "Find Beijing's outdoor-worker rest stations (户外劳动者暖心驿站) near a point, in a box, or along a route.",
            "description": description(),
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"}
        },
        "servers": [{"url": "/", "description": "The server that serves this document."}],
        "tags": [
            {"name": "stations", "description": "Public read API (no key needed)."},
            {"name": "reports", "description": "Rider problem reports."},
            {"name": "admin", "description": "Dataset management; `Authorization: Bearer <token>`."},
            {"name": "meta", "description": "Health, metrics, configuration, this document."},
            {"name": "pages", "description": "HTML pages."}
        ],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "parameters": parameters(),
            "headers": headers(),
            "responses": responses(),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http", "scheme": "bearer",
                    "description": "The admin token configured with `YIZHAN_ADMIN_TOKEN` or `--admin-token-file`."
                }
            }
        }
    })
}

pub async fn endpoint() -> Response {
    let mut r = Json(spec()).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "patch", "head", "options", "trace",
    ];

    fn operations(spec: &Value) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for m in METHODS {
                if item.get(m).is_some() {
                    out.insert((m.to_ascii_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn every_route_is_documented_and_every_documented_path_is_routed() {
        let spec = spec();
        let ops = operations(&spec);
        let routes: BTreeSet<(String, String)> = super::super::ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        let missing: Vec<_> = routes.difference(&ops).collect();
        assert!(
            missing.is_empty(),
            "routes missing from the spec: {missing:?}"
        );
        let mut allowed = routes.clone();
        allowed.insert(("GET".into(), ALONG_PATH.into()));
        let extra: Vec<_> = ops.difference(&allowed).collect();
        assert!(
            extra.is_empty(),
            "spec operations that are not routed: {extra:?}"
        );
    }

    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("$ref", Value::String(s)) => out.push(s),
                        _ => refs(x, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_ref_resolves() {
        let spec = spec();
        let mut all = Vec::new();
        refs(&spec, &mut all);
        assert!(all.len() > 50, "suspiciously few $refs: {}", all.len());
        for r in all {
            let ptr = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("non-local $ref {r}"));
            assert!(spec.pointer(ptr).is_some(), "unresolved $ref {r}");
        }
    }

    /// Resolves a `$ref` once (all of ours point straight at a component).
    fn deref<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => spec.pointer(&r[1..]).unwrap(),
            None => v,
        }
    }

    #[test]
    fn operations_are_complete() {
        let spec = spec();
        let mut ids = BTreeSet::new();
        for (path, item) in spec["paths"].as_object().unwrap() {
            let path_params: Vec<&Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            for m in METHODS {
                let Some(op) = item.get(m) else { continue };
                let id = op["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
                assert!(op["summary"].is_string(), "{m} {path}: summary");
                assert!(
                    op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                    "{m} {path}: tags"
                );
                let responses = op["responses"].as_object().expect("responses");
                assert!(
                    responses.keys().any(|c| c.starts_with('2')),
                    "{m} {path}: no success response"
                );
                // Every `{name}` in the template is declared as a path parameter.
                let mut declared: Vec<&Value> = path_params.clone();
                if let Some(a) = op.get("parameters").and_then(Value::as_array) {
                    declared.extend(a.iter());
                }
                for seg in path.split('/').filter(|s| s.starts_with('{')) {
                    let name = seg.trim_matches(|c| c == '{' || c == '}');
                    assert!(
                        declared
                            .iter()
                            .map(|p| deref(&spec, p))
                            .any(|p| p["in"] == "path" && p["name"] == name),
                        "{m} {path}: path parameter {name} not declared"
                    );
                }
                // Admin routes say so; and only they (besides the public dataset download) carry 401/403.
                let secured = op.get("security").is_some();
                assert_eq!(
                    secured,
                    responses.contains_key("401"),
                    "{m} {path}: security and 401 disagree"
                );
                assert_eq!(secured, responses.contains_key("403"), "{m} {path}: 403");
            }
        }
    }

    #[test]
    fn constants_come_from_the_code() {
        let spec = spec();
        let p = &spec["components"]["parameters"];
        assert_eq!(p["k"]["schema"]["maximum"], MAX_K);
        assert_eq!(p["k"]["schema"]["default"], DEFAULT_K);
        assert_eq!(p["limit"]["schema"]["maximum"], MAX_LIMIT);
        assert_eq!(p["limit"]["schema"]["default"], DEFAULT_LIMIT);
        assert_eq!(p["along_limit"]["schema"]["maximum"], ALONG_MAX_LIMIT);
        assert_eq!(
            p["along_max_distance_m"]["schema"]["maximum"],
            ALONG_MAX_DISTANCE_M
        );
        let s = &spec["components"]["schemas"];
        assert_eq!(
            s["AmenityKey"]["enum"].as_array().unwrap().len(),
            Amenity::ALL.len()
        );
        assert_eq!(s["NewReport"]["properties"]["reason"]["enum"][0], "closed");
        assert_eq!(
            s["NewReport"]["properties"]["reason"]["enum"]
                .as_array()
                .unwrap()
                .len(),
            6
        );
        assert!(spec["info"]["description"]
            .as_str()
            .unwrap()
            .contains("## Decisions where the contract is silent"));
    }
}
