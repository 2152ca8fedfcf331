//! Admin endpoints: uploads, deletion, dataset download, versions and rollback. All need the bearer token.

use std::io::Read;
use std::net::IpAddr;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::audit::{record, Change};
use super::auth::{Admin, DistrictAdmin, Principal};
use super::error::{blocking, path_id, ApiError, ApiResult};
use super::extract::ClientAddr;
use super::metrics::UploadOutcome;
use super::openapi as doc;
use super::params::Params;
use super::respond::private_json;
use super::AppState;
use crate::import::Format;
use crate::live::{Mode, Outcome, Upload};

fn format_of(headers: &HeaderMap) -> ApiResult<Format> {
    let essence = super::body::media_type(headers).unwrap_or_default();
    match essence.as_str() {
        "application/geo+json" | "application/json" => Ok(Format::GeoJson),
        "text/csv" => Ok(Format::Csv),
        "" => Err(ApiError::UnsupportedMediaType(
            "missing Content-Type: send application/geo+json (or application/json) for GeoJSON, text/csv for CSV".into(),
        )),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "unsupported Content-Type {other:?}: send application/geo+json (or application/json) for GeoJSON, text/csv for CSV"
        ))),
    }
}

/// Reads the body up to `limit` bytes, gunzipping it if `Content-Encoding: gzip`: every member (`gzip -c a >> b`
/// makes two), nothing after the last one. The limit applies to the decompressed total too, so a small bomb
/// cannot exhaust memory. The gzip decoding runs on the bounded pool, off the HTTP thread.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    pool: &super::Pool,
) -> ApiResult<Vec<u8>> {
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "the upload is larger than {} MiB; raise --max-upload-mb or split it into POST batches",
            limit / (1024 * 1024)
        ))
    };
    let raw = super::body::read_limited(body, limit, too_large).await?;
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity");
    match encoding.trim().to_ascii_lowercase().as_str() {
        "identity" | "" => Ok(raw.to_vec()),
        "gzip" | "x-gzip" => {
            let out = pool
                .run("upload", move || gunzip_all(&raw, limit))
                .await??;
            if out.len() > limit {
                return Err(too_large());
            }
            Ok(out)
        }
        other => Err(ApiError::UnsupportedMediaType(format!(
            "unsupported Content-Encoding {other:?}; send the body plain or gzip-compressed"
        ))),
    }
}

/// Every gzip member of `raw`, concatenated, up to `limit + 1` bytes; a 400 for anything that is not a gzip
/// member (trailing garbage included — `MultiGzDecoder` reads it as a bad header).
fn gunzip_all(raw: &[u8], limit: usize) -> ApiResult<Vec<u8>> {
    let mut out = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(raw).take(limit as u64 + 1);
    dec.read_to_end(&mut out).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body is not valid gzip (every member must be complete, with nothing after the last): {e}"
        ))
    })?;
    Ok(out)
}

async fn upload(
    app: AppState,
    who: &Principal,
    headers: HeaderMap,
    q: Option<String>,
    body: Body,
    mode: Mode,
) -> ApiResult<Outcome> {
    let p = Params::parse(q.as_deref())?;
    let crs = p.crs()?;
    let dry_run = p.bool("dry_run")?;
    let allow_empty = p.bool("allow_empty")?;
    let format = format_of(&headers)?;
    let bytes = read_body(&headers, body, app.settings.max_upload_bytes, &app.heavy).await?;
    let live = app.live.clone();
    let districts = who.districts.clone();
    let result = blocking("upload", move || {
        live.upload(Upload {
            body: &bytes,
            format,
            crs,
            mode,
            dry_run,
            allow_empty,
            scope: districts
                .as_deref()
                .map_or(crate::live::Scope::All, crate::live::Scope::Districts),
        })
    })
    .await?;
    app.metrics.upload_outcome(match &result {
        Ok(o) if o.dry_run => UploadOutcome::DryRun,
        Ok(_) => UploadOutcome::Accepted,
        Err(_) => UploadOutcome::Rejected,
    });
    Ok(result?)
}

/// The query of an upload, as the OpenAPI document lists it (PUT and POST share it).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // only read by the OpenAPI derive
struct UploadParams {
    /// What the uploaded coordinates are; they are converted to WGS-84 for storage.
    #[param(inline, value_type = Option<doc::CrsName>)]
    crs: Option<String>,
    /// `true`: validate and report (including the version the dataset would get) without changing anything.
    #[param(inline, value_type = Option<doc::Off>)]
    dry_run: Option<bool>,
    /// `true`: accept an upload that leaves the dataset empty (otherwise 422).
    #[param(inline, value_type = Option<doc::Off>)]
    allow_empty: Option<bool>,
}

/// `Content-Encoding` of an upload, as documented.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // only read by the OpenAPI derive
struct EncodingParams {
    /// `gzip` for a gzip-compressed body (every member is read). The size limit applies after decompression too.
    #[serde(rename = "Content-Encoding")]
    #[param(inline, value_type = Option<doc::Encoding>, nullable = false)]
    content_encoding: Option<String>,
}

/// Logs an admin action with its outcome (the new version and count, or why it was refused), then answers.
fn logged(action: &str, client: IpAddr, result: ApiResult<Outcome>) -> ApiResult<Response> {
    match &result {
        Ok(o) => tracing::info!(
            action,
            client = %client,
            version = %o.dataset_version,
            count = o.count,
            dry_run = o.dry_run,
            "admin action done"
        ),
        Err(e) => tracing::info!(action, client = %client, error = %e, "admin action refused"),
    }
    let outcome = result?;
    Ok(private_json(&outcome.dataset_version, &outcome))
}

/// PUT and POST on /api/v1/stations: one handler and one OpenAPI operation per mode, from one declaration (they
/// differ only in the method, the mode and their summary).
macro_rules! upload_handler {
    ($name:ident, $method:ident, $operation:literal, $summary:literal, $description:literal, $mode:expr, $action:literal) => {
        #[utoipa::path(
            $method, path = "/api/v1/stations", operation_id = $operation, tag = "admin",
            summary = $summary, description = $description,
            security(("bearerAuth" = [])),
            params(UploadParams, EncodingParams),
            request_body(description = format!("GeoJSON FeatureCollection or CSV, optionally gzip-compressed (`Content-Encoding: gzip`), \
                at most {} MiB by default (`--max-upload-mb`).", crate::settings::DEFAULT_MAX_UPLOAD_MB),
                content((doc::UploadCollection = "application/geo+json"), (doc::UploadCollection = "application/json"),
                    (doc::UploadCsv = "text/csv"))),
            responses((status = 200, description = "Accepted (or, with `dry_run`, would be accepted). Durable before this answer.",
                    content_type = "application/json", body = doc::UploadOutcome,
                    headers(("ETag" = String, description = "The new dataset version, quoted."),
                        ("X-Request-Id" = String, description = "The request's id (yours if you sent `X-Request-Id`); quote it when reporting a problem."))),
                (status = 400, response = doc::BadRequest),
                (status = 401, response = doc::Unauthorized),
                (status = 403, response = doc::AdminDisabled),
                (status = 413, response = doc::PayloadTooLarge),
                (status = 415, response = doc::UnsupportedMediaType),
                (status = 422, response = doc::Unprocessable),
                (status = 500, response = doc::InternalError),
                (status = 507, response = doc::InsufficientStorage),
                (status = 408, response = doc::RequestTimeout),
                (status = 429, response = doc::TooManyRequests),
                (status = 503, response = doc::Unavailable))
        )]
        pub async fn $name(
            DistrictAdmin(who): DistrictAdmin,
            ClientAddr(client): ClientAddr,
            State(app): State<AppState>,
            headers: HeaderMap,
            RawQuery(q): RawQuery,
            body: Body,
        ) -> ApiResult<Response> {
            let result = upload(app.clone(), &who, headers, q, body, $mode).await;
            if let Some(o) = result.as_ref().ok().filter(|o| !o.dry_run) {
                let detail = match &who.districts {
                    Some(d) => format!("{} stations of {}", o.count, d.join(", ")),
                    None => format!("{} stations", o.count),
                };
                record(&app, &who, $action, Change::of(o), detail).await;
            }
            logged($action, client, result)
        }
    };
}

upload_handler!(
    replace,
    put,
    "replaceStations",
    "Replace the whole dataset (全量替换)",
    "The upload becomes the dataset. Atomic: readers see the old dataset until the new one is durable and indexed, then the new one. \
        Every problem is reported at once (422) and then nothing changes.",
    Mode::Replace,
    "upload (replace)"
);

upload_handler!(
    upsert,
    post,
    "upsertStations",
    "Add or update stations by id (增量更新)",
    "Uploaded stations replace those with the same `id`; the others stay. Same validation and atomicity as PUT.",
    Mode::Upsert,
    "upload (upsert)"
);

#[utoipa::path(
    delete, path = "/api/v1/stations/{id}", operation_id = "deleteStation", tag = "admin",
    summary = "Remove one station",
    security(("bearerAuth" = [])),
    params(("id" = String, Path, description = format!("Station id (percent-encode it in the path), at most {} bytes.", crate::domain::StationId::MAX_LEN), min_length = 1, example = "bj-chy-00042")),
    responses((status = 200, description = "Removed; the outcome has the new version and the remaining count.",
            content_type = "application/json", body = doc::UploadOutcome, headers(("ETag" = String, description = "The dataset version, quoted (strong)."))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 404, response = doc::NotFound),
        (status = 500, response = doc::InternalError),
        (status = 507, response = doc::InsufficientStorage),
        (status = 429, response = doc::TooManyRequests),
        (status = 503, response = doc::Unavailable))
)]
pub async fn delete(
    DistrictAdmin(who): DistrictAdmin,
    ClientAddr(client): ClientAddr,
    State(app): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> ApiResult<Response> {
    let id = path_id(id)?;
    let live = app.live.clone();
    let (target, districts) = (id.clone(), who.districts.clone());
    let result = blocking("delete", move || {
        let scope = districts
            .as_deref()
            .map_or(crate::live::Scope::All, crate::live::Scope::Districts);
        live.delete(&target, scope)
    })
    .await?
    .map_err(ApiError::from);
    if let Ok(o) = &result {
        record(&app, &who, "delete", Change::of(o), id).await;
    }
    logged("delete", client, result)
}

/// The current dataset as stored: canonical GeoJSON that a PUT takes back unchanged.
#[utoipa::path(
    get, path = "/api/v1/dataset", operation_id = "downloadDataset", tag = "admin",
    summary = "Download the current dataset",
    description = "Public. The dataset exactly as stored: a WGS-84 FeatureCollection in id order, one feature per line, \
        without `open_now`/`dataset_version`, that `PUT /api/v1/stations` takes back unchanged (same version). \
        Replicas can copy a primary with it. With `format=csv`: the upload CSV (UTF-8 with a byte-order mark, CRLF, the \
        upload header then the state columns), which a `PUT` with `Content-Type: text/csv` takes back to the same version; \
        a text cell that begins with `=`, `+`, `-` or `@` (after any apostrophes) gets one leading apostrophe so that \
        spreadsheets show it as text, and the CSV import removes exactly that one.",
    params(("If-None-Match" = Option<String>, Header, nullable = false, example = "\"3f2a9c0e1b7d4a55\"",
            description = "The `ETag` of a response you hold (the dataset version, quoted). If it is still current the answer is 304 with no body."),
        ("format" = Option<String>, Query, description = "`geojson` (the default) or `csv`.", example = "csv")),
    responses((status = 200, description = "The dataset file.",
            content((doc::StoredCollection = "application/geo+json"), (doc::UploadCsv = "text/csv")),
            headers(("ETag" = String, description = "The dataset version, quoted (strong), then `-` and the state digest when any \
                    station has state: the token of `GET /api/v1/changes`. The CSV's is the same with `.csv` appended."),
                ("Content-Disposition" = String, description = "`attachment; filename=\"stations-<version>.geojson\"` (`.csv`)."))),
        (status = 304, response = doc::NotModified),
        (status = 400, response = doc::BadRequest),
        (status = 500, response = doc::InternalError),
        (status = 507, response = doc::InsufficientStorage),
        (status = 503, response = doc::Unavailable))
)]
pub async fn download(
    State(app): State<AppState>,
    inm: super::respond::IfNoneMatch,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["format"])?;
    let csv = match p.get("format").map(str::trim) {
        None | Some("geojson") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::param(
                "format",
                format!("format must be geojson (the default) or csv, got {other:?}"),
            ))
        }
    };
    let cur = app.live.current();
    let ds = cur.snapshot.clone();
    let tag = cur.token();
    let etag = if csv {
        format!("{tag}.csv")
    } else {
        tag.clone()
    };
    if let Some(r) = super::respond::not_modified(&inm, &etag) {
        return Ok(r);
    }
    // A stalled client holds a slot (and at most a few buffers), never a copy of the file.
    let permit = app
        .downloads
        .clone()
        .try_acquire_owned()
        .map_err(|_| super::guard::busy("too many dataset downloads are running"))?;
    if csv {
        return Ok(super::export::csv(cur, &tag, permit));
    }
    if !cur.states.is_empty() {
        return Ok(super::export::with_state(cur, &tag, permit));
    }
    let live = app.live.clone();
    let version = ds.version().to_owned();
    let (file, len) = blocking("open", move || live.open_stored(&version))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let stream =
        tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), 64 * 1024);
    let mut r = Body::new(super::respond::Guarded {
        inner: Body::from_stream(stream),
        len: Some(len),
        _guard: permit,
    })
    .into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    if let Some(v) = super::etag::header_value(ds.version()) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"stations-{}.geojson\"",
        ds.version()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

#[utoipa::path(
    get, path = "/api/v1/dataset/versions", operation_id = "listVersions", tag = "admin",
    summary = "Stored dataset versions (for rollback)",
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The current version and the stored ones.", content_type = "application/json",
            body = doc::VersionList, headers(("ETag" = String, description = "The dataset version, quoted (strong)."))),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 500, response = doc::InternalError),
        (status = 507, response = doc::InsufficientStorage),
        (status = 429, response = doc::TooManyRequests),
        (status = 503, response = doc::Unavailable))
)]
pub async fn versions(_: Admin, State(app): State<AppState>) -> ApiResult<Response> {
    let live = app.live.clone();
    let list = blocking("versions", move || live.versions()).await??;
    let ds = app.live.snapshot();
    Ok(private_json(
        ds.version(),
        &serde_json::json!({ "current": ds.version(), "versions": list }),
    ))
}

#[utoipa::path(
    post, path = "/api/v1/dataset/rollback", operation_id = "rollbackDataset", tag = "admin",
    summary = "Make a stored version current again (回滚)",
    security(("bearerAuth" = [])),
    params(("version" = String, Query, pattern = "^[0-9a-f]{16}$",
        description = "The version to make current: one of `GET /api/v1/dataset/versions`.")),
    responses((status = 200, description = "Rolled back.", content_type = "application/json", body = doc::UploadOutcome, headers(("ETag" = String, description = "The dataset version, quoted (strong)."))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
        (status = 500, response = doc::InternalError),
        (status = 507, response = doc::InsufficientStorage),
        (status = 429, response = doc::TooManyRequests),
        (status = 503, response = doc::Unavailable))
)]
pub async fn rollback(
    Admin(who): Admin,
    ClientAddr(client): ClientAddr,
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let before = app.live.snapshot().version().to_owned();
    let result = rollback_to(&app, q).await;
    if let Ok(o) = &result {
        let detail = format!("from {before} to {}", o.dataset_version);
        record(&app, &who, "rollback", Change::of(o), detail).await;
    }
    logged("rollback", client, result)
}

async fn rollback_to(app: &AppState, q: Option<String>) -> ApiResult<Outcome> {
    let p = Params::parse(q.as_deref())?;
    let version = p
        .get("version")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::param(
                "version",
                "version is required: one of GET /api/v1/dataset/versions",
            )
        })?
        .to_owned();
    let live = app.live.clone();
    Ok(blocking("rollback", move || live.rollback(&version)).await??)
}
