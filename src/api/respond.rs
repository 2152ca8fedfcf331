//! Successful responses: JSON bodies with the dataset version as ETag, and the 304 short-cut.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use super::etag::IfNoneMatch;

/// Reads may be cached briefly and then revalidated cheaply with the ETag.
const READ_CACHE_CONTROL: &str = "public, max-age=30";

/// Admin answers are for the token holder only: no cache may keep them (a shared one would hand them to anyone).
const PRIVATE_CACHE_CONTROL: &str = "private, no-store";

/// A 304 when the client already holds this dataset version.
pub fn not_modified(inm: &IfNoneMatch, version: &str) -> Option<Response> {
    inm.matches(version).then(|| {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        set_cache_headers(r.headers_mut(), version);
        r
    })
}

fn set_cache_headers(h: &mut HeaderMap, version: &str) {
    if let Some(v) = super::etag::header_value(version) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(READ_CACHE_CONTROL),
    );
}

fn with_bytes(version: &str, bytes: Vec<u8>, content_type: &'static str) -> Response {
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    set_cache_headers(r.headers_mut(), version);
    r
}

fn with_type<T: Serialize>(version: &str, body: &T, content_type: &'static str) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => with_bytes(version, bytes, content_type),
        Err(e) => {
            super::error::ApiError::Internal(format!("serialising a response: {e}")).into_response()
        }
    }
}

pub fn geojson<T: Serialize>(version: &str, body: &T) -> Response {
    with_type(version, body, "application/geo+json")
}

/// A GeoJSON body already written (see `Feature::write_json`).
pub fn geojson_bytes(version: &str, body: Vec<u8>) -> Response {
    with_bytes(version, body, "application/geo+json")
}

pub fn json<T: Serialize>(version: &str, body: &T) -> Response {
    with_type(version, body, "application/json")
}

/// An admin answer: `json`, but never stored by a cache.
pub fn private_json<T: Serialize>(version: &str, body: &T) -> Response {
    private(json(version, body))
}

/// Marks an admin answer as not to be stored by any cache.
pub fn private(r: impl IntoResponse) -> Response {
    let mut r = r.into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(PRIVATE_CACHE_CONTROL),
    );
    r
}

/// A response body that holds `G` (a download slot, the request's place among those in flight) until hyper has
/// sent it or dropped it: what the guard stands for ends with the bytes, not with the handler.
pub struct Guarded<G> {
    pub inner: Body,
    /// The length when known (a stored file keeps its `Content-Length`); `None`: the inner body's own hint.
    pub len: Option<u64>,
    pub _guard: G,
}

impl<G> Guarded<G> {
    /// A body written as it goes (or whose own size hint is right).
    pub fn streaming(inner: Body, guard: G) -> Self {
        Guarded {
            inner,
            len: None,
            _guard: guard,
        }
    }
}

impl<G: Unpin> hyper::body::Body for Guarded<G> {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self.len {
            Some(n) => hyper::body::SizeHint::with_exact(n),
            None => self.inner.size_hint(),
        }
    }
}
