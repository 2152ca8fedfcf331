//! Request bodies: the media-type check and the size-limited read that every JSON endpoint (reports, cases,
//! station patches, confirmations, the calendar) and the uploads share.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap};

use super::error::{ApiError, ApiResult};

/// The request's media type without parameters, lower-cased (`None` without a readable `Content-Type`).
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
}

/// JSON bodies only (`application/json`, or one of `also`): a form or `text/plain` body can be posted
/// cross-origin by any web page without a CORS preflight, so accepting one would let pages make their
/// visitors file reports, confirm stations or, with a stolen token, change data.
pub fn require_json(headers: &HeaderMap, also: &[&str]) -> ApiResult<()> {
    let essence = media_type(headers);
    match essence.as_deref() {
        Some("application/json") => Ok(()),
        Some(t) if also.contains(&t) => Ok(()),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "send Content-Type: {}, got {}",
            std::iter::once("application/json")
                .chain(also.iter().copied())
                .collect::<Vec<_>>()
                .join(" or "),
            other.map_or("none".to_owned(), |o| format!("{o:?}"))
        ))),
    }
}

/// The whole body, at most `limit` bytes: a longer one is `too_large()` (413); one that fails to arrive
/// (a broken or stalled connection) is a 400 saying so, never a 413.
pub async fn read_limited(
    body: Body,
    limit: usize,
    too_large: impl FnOnce() -> ApiError,
) -> ApiResult<Bytes> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let is_limit = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.to_string().contains("length limit");
        if is_limit {
            too_large()
        } else {
            ApiError::BadRequest(format!("could not read the request body: {e}"))
        }
    })
}
