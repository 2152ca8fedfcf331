//! `GET /api/v1/changes?since=`: the change feed, for clients that keep a copy of the dataset in sync.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, ApiResult};
use super::openapi as doc;
use super::params::Params;
use super::respond::{not_modified, IfNoneMatch};
use super::AppState;

/// Whether `t` looks like a token: a 16-hex-digit dataset version, optionally `-` and a 16-hex-digit digest.
fn well_formed(t: &str) -> bool {
    let hex16 = |s: &str| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit());
    match t.split_once('-') {
        Some((v, d)) => hex16(v) && hex16(d),
        None => hex16(t),
    }
}

/// The changes since a download, as `{"from","to","upserted","removed"}`.
#[utoipa::path(
    get, path = "/api/v1/changes", operation_id = "listChanges", tag = "data",
    summary = "What changed since a download (incremental sync)",
    description = "Public. `since` is the `ETag` of a `GET /api/v1/dataset` you hold (without quotes), or the `to` of the \
        last change set you applied. Upsert every feature of `upserted` (by `id`) and remove every id of `removed`, \
        and your copy equals the current `GET /api/v1/dataset`, whose `ETag` is `to`: features are in the download's \
        form (with the state fields of stations that have state), one per line. Station state changes \
        (closures, confirmations) make no dataset version but change the token, so they are included. \
        `since` equal to the current token → both empty. A token whose dataset version is no longer kept \
        (the last ten versions are) or whose state history is no longer held (the last 100,000 state changes since \
        the server started) → 410: download `/api/v1/dataset` again.",
    params(("since" = String, Query, pattern = "^[0-9a-f]{16}(-[0-9a-f]{16})?$", example = "3f2a9c0e1b7d4a55",
            description = "The `ETag` of the download you hold (unquoted), or the `to` of the last change set."),
        ("If-None-Match" = Option<String>, Header, nullable = false,
            description = "The current token, quoted: 304 when nothing changed since it became current.")),
    responses((status = 200, description = "The changes.", content_type = "application/json", body = ChangeSet,
            headers(("ETag" = String, description = "`to`, quoted."))),
        (status = 304, response = doc::NotModified),
        (status = 400, response = doc::BadRequest),
        (status = 410, response = doc::Gone),
        (status = 500, response = doc::InternalError),
        (status = 503, response = doc::Unavailable))
)]
pub async fn changes(
    State(app): State<AppState>,
    inm: IfNoneMatch,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["since"])?;
    let since = p.get("since").map(str::trim).unwrap_or("").to_owned();
    if !well_formed(&since) {
        return Err(ApiError::param(
            "since",
            format!("since must be the ETag of a dataset download (16 hex digits, optionally -16 more), got {since:?}"),
        ));
    }
    let current = app.live.current().token();
    if let Some(r) = not_modified(&inm, &current) {
        return Ok(r);
    }
    let live = app.live.clone();
    let body = app
        .heavy
        .run("changes", move || {
            live.changes_since(&since).map(|c| {
                let s = &c.current;
                let b = crate::feed::write_changes(&since, &c.to, &s.snapshot, &s.states, &c.diff);
                (c.to, b)
            })
        })
        .await??;
    let (to, bytes) = body;
    let mut r = Body::from(bytes).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    if let Some(v) = super::etag::header_value(&to) {
        h.insert(header::ETAG, v);
    }
    Ok(r)
}

/// A change set (doc only; written by `feed::write_changes`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // only read by the OpenAPI derive
pub struct ChangeSet {
    /// The `since` asked.
    from: String,
    /// The current token: the `ETag` of `GET /api/v1/dataset` now; your next `since`.
    to: String,
    /// The stations to add or replace (by `id`), in the download's form, in id order.
    upserted: doc::StoredCollection,
    /// The ids to remove, in order.
    removed: Vec<String>,
}
