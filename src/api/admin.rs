//! Admin endpoints: uploads, deletion, dataset download, versions and rollback. All need the bearer token.

use std::io::Read;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::{blocking, path_id, ApiError, ApiResult};
use super::extract::ClientAddr;
use super::metrics::UploadOutcome;
use super::params::Params;
use super::ratelimit::AuthFailures;
use super::respond::private_json;
use super::AppState;
use crate::import::Format;
use crate::live::{Mode, Outcome, Upload};

/// Failed authentications a client may make in a minute before it is refused for the rest of it.
pub const AUTH_FAILURES_PER_MINUTE: u32 = 10;

/// The admin token, kept only as its hash so that comparison time says nothing about it, and the brake on
/// clients that keep guessing it.
#[derive(Clone)]
pub struct AdminToken(Option<[u8; 32]>, Arc<AuthFailures>);

impl AdminToken {
    pub fn new(token: Option<&str>) -> Self {
        AdminToken(
            token
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Sha256::digest(t.as_bytes()).into()),
            Arc::new(AuthFailures::per_minute(AUTH_FAILURES_PER_MINUTE)),
        )
    }

    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }

    /// [`check`](Self::check) for `client`: a client that failed too often lately gets 429 whatever it sends;
    /// a failure is logged (the client's address, never the token) and counted.
    pub fn authorize(&self, headers: &HeaderMap, client: IpAddr) -> ApiResult<()> {
        if self.0.is_some() {
            self.1
                .check_at(client, Instant::now())
                .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
        }
        let result = self.check(headers);
        if let Err(ApiError::Unauthorized) = &result {
            tracing::warn!(client = %client, "admin authentication failed");
            self.1.fail_at(client, Instant::now());
        }
        result
    }

    /// 403 when admin is disabled, 401 when the bearer token is missing or wrong.
    fn check(&self, headers: &HeaderMap) -> ApiResult<()> {
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

/// An authorised admin request: extracting it answers 403, 401 or 429 otherwise (see
/// [`AdminToken::authorize`]). Put it first among a handler's extractors, so nothing else is looked at before.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let Ok(ClientAddr(client)) = ClientAddr::from_request_parts(parts, app).await;
        app.admin.authorize(&parts.headers, client).map(|()| Admin)
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
) -> ApiResult<Outcome> {
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
    Ok(result?)
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

pub async fn replace(
    _: Admin,
    ClientAddr(client): ClientAddr,
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let result = upload(app, headers, q, body, Mode::Replace).await;
    logged("upload (replace)", client, result)
}

pub async fn upsert(
    _: Admin,
    ClientAddr(client): ClientAddr,
    State(app): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Body,
) -> ApiResult<Response> {
    let result = upload(app, headers, q, body, Mode::Upsert).await;
    logged("upload (upsert)", client, result)
}

pub async fn delete(
    _: Admin,
    ClientAddr(client): ClientAddr,
    State(app): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> ApiResult<Response> {
    let result = async {
        let id = path_id(id)?;
        let live = app.live.clone();
        Ok(blocking("delete", move || live.delete(&id)).await??)
    }
    .await;
    logged("delete", client, result)
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

pub async fn versions(_: Admin, State(app): State<AppState>) -> ApiResult<Response> {
    let live = app.live.clone();
    let list = blocking("versions", move || live.versions()).await??;
    let ds = app.live.snapshot();
    Ok(private_json(
        ds.version(),
        &serde_json::json!({ "current": ds.version(), "versions": list }),
    ))
}

pub async fn rollback(
    _: Admin,
    ClientAddr(client): ClientAddr,
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let result = rollback_to(&app, q).await;
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
