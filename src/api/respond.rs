//! Successful responses: JSON bodies with the dataset version as ETag, and the 304 short-cut.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Reads may be cached briefly and then revalidated cheaply with the ETag.
const READ_CACHE_CONTROL: &str = "public, max-age=30";

fn etag(version: &str) -> String {
    format!("\"{version}\"")
}

/// A 304 when the client already holds this dataset version.
pub fn not_modified(headers: &HeaderMap, version: &str) -> Option<Response> {
    let inm = headers.get(header::IF_NONE_MATCH)?.to_str().ok()?;
    let want = etag(version);
    let hit = inm
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == want);
    hit.then(|| {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        set_cache_headers(r.headers_mut(), version);
        r
    })
}

fn set_cache_headers(h: &mut HeaderMap, version: &str) {
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(READ_CACHE_CONTROL),
    );
}

fn with_type<T: Serialize>(version: &str, body: &T, content_type: &'static str) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut r = Response::new(Body::from(bytes));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            set_cache_headers(r.headers_mut(), version);
            r
        }
        Err(e) => {
            super::error::ApiError::Internal(format!("serialising a response: {e}")).into_response()
        }
    }
}

pub fn geojson<T: Serialize>(version: &str, body: &T) -> Response {
    with_type(version, body, "application/geo+json")
}

pub fn json<T: Serialize>(version: &str, body: &T) -> Response {
    with_type(version, body, "application/json")
}
