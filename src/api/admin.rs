//! Admin endpoints: uploads, deletion, dataset download, versions and rollback. All need the bearer token.

use std::io::Read;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::{blocking, path_id, ApiError, ApiResult};
use super::metrics::UploadOutcome;
use super::params::Params;
use super::respond::private_json;
use super::AppState;
use crate::import::Format;
use crate::live::{Mode, Upload};

/// The admin token, kept only as its hash so that comparison time says nothing about it.
#[derive(Clone)]
pub struct AdminToken(Option<[u8; 32]>);

impl AdminToken {
    pub fn new(token: Option<&str>) -> Self {
        AdminToken(
            token
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Sha256::digest(t.as_bytes()).into()),
        )
    }

    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }

    /// 403 when admin is disabled, 401 when the bearer token is missing or wrong.
    pub fn check(&self, headers: &HeaderMap) -> ApiResult<()> {
        let Some(want) = &self.0 else {
            return Err(ApiError::AdminDisabled);
        };
        // Bytes, not `to_str`: a token may contain non-ASCII characters (sent as UTF-8).
        let given = headers
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes())
            .and_then(|v| {
                v.strip_prefix(b"Bearer ")
                    .or_else(|| v.strip_prefix(b"bearer "))
            })
            .map(|v| v.trim_ascii())
            .ok_or(ApiError::Unauthorized)?;
        let got: [u8; 32] = Sha256::digest(given).into();
        if bool::from(got.ct_eq(want)) {
            Ok(())
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}

fn format_of(headers: &HeaderMap) -> ApiResult<Format> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
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
/// cannot exhaust memory.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<Vec<u8>> {
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "the upload is larger than {} MiB; raise --max-upload-mb or split it into POST batches",
            limit / (1024 * 1024)
        ))
    };
    let raw = axum::body::to_bytes(body, limit).await.map_err(|e| {
        let is_limit = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.to_string().contains("length limit");
        if is_limit {
            too_large()
        } else {
            ApiError::BadRequest(format!("could not read the request body: {e}"))
        }
    })?;
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity");
    match encoding.trim().to_ascii_lowercase().as_str() {
        "identity" | "" => Ok(raw.to_vec()),
        "gzip" | "x-gzip" => {
            let out = gunzip_all(&raw, limit)?;
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
    headers: HeaderMap,
    q: Option<String>,
    body: Body,
    mode: Mode,
) -> ApiResult<Response> {
    app.admin.check(&headers)?;
    let p = Params::parse(q.as_deref())?;
    let crs = p.crs()?;
    let dry_run = p.bool("dry_run")?;
    let allow_empty = p.bool("allow_empty")?;
    let format = format_of(&headers)?;
    let bytes = read_body(&headers, body, app.settings.max_upload_bytes).await?;
    let live = app.live.clone();
    let result = blocking("upload", move || {
        live.upload(Upload {
            body: &bytes,
            format,
            crs,
            mode,
            dry_run,
            allow_empty,
        })
    })
    .await?;
    app.metrics.upload_outcome(match &result {
        Ok(o) if o.dry_run => UploadOutcome::DryRun,
        Ok(_) => UploadOutcome::Accepted,
        Err(_) => UploadOutcome::Rejected,
    });
    let outcome = result?;
    Ok(private_json(&outcome.dataset_version, &outcome))
}

pub async fn replace(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    upload(app, headers, q, body, Mode::Replace).await
}

pub async fn upsert(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    upload(app, headers, q, body, Mode::Upsert).await
}

pub async fn delete(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> ApiResult<Response> {
    app.admin.check(&headers)?;
    let id = path_id(id)?;
    let live = app.live.clone();
    let outcome = blocking("delete", move || live.delete(&id)).await??;
    Ok(private_json(&outcome.dataset_version, &outcome))
}

/// The current dataset as stored: canonical GeoJSON that a PUT takes back unchanged.
pub async fn download(
    State(app): State<AppState>,
    inm: super::respond::IfNoneMatch,
) -> ApiResult<Response> {
    let ds = app.live.snapshot();
    if let Some(r) = super::respond::not_modified(&inm, ds.version()) {
        return Ok(r);
    }
    let live = app.live.clone();
    let version = ds.version().to_owned();
    let bytes = blocking("read", move || live.stored(&version))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut r = Body::from(bytes).into_response();
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

pub async fn versions(State(app): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    app.admin.check(&headers)?;
    let live = app.live.clone();
    let list = blocking("versions", move || live.versions()).await??;
    let ds = app.live.snapshot();
    Ok(private_json(
        ds.version(),
        &serde_json::json!({ "current": ds.version(), "versions": list }),
    ))
}

pub async fn rollback(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    app.admin.check(&headers)?;
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
    let outcome = blocking("rollback", move || live.rollback(&version)).await??;
    Ok(private_json(&outcome.dataset_version, &outcome))
}
