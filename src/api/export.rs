//! The dataset downloads written from memory: with station state (GeoJSON), and as the upload CSV (`?format=csv`)
//! for admins who edit in spreadsheets; and the body type that holds a download slot.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::live::Current;
use crate::wire::csv::write_part;
use crate::wire::geojson::{write_collection_part, StateOut};

/// Stations written per piece: ≈ 50 KB.
const PIECE: usize = 256;

/// The CSV download, written from the snapshot in memory piece by piece as the client reads (a stalled client
/// stops the writing and holds only its download slot). `tag` is the GeoJSON download's ETag; the CSV's is
/// `tag` with `.csv` appended, since it is another representation of the same data.
pub fn csv(cur: Arc<Current>, tag: &str, permit: tokio::sync::OwnedSemaphorePermit) -> Response {
    let len = cur.snapshot.len();
    let pieces = futures_util::stream::unfold(Some(0usize), move |from| {
        let cur = cur.clone();
        async move {
            let from = from?;
            let mut buf = Vec::with_capacity(PIECE * 200);
            let state_of = |i: usize| cur.states.get(i as u32);
            write_part(cur.snapshot.stations(), state_of, from, PIECE, &mut buf);
            let next = from + PIECE;
            let more = (next < len).then_some(next);
            Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), more))
        }
    });
    let body = Body::from_stream(futures_util::StreamExt::fuse(pieces));
    let mut r = Body::new(super::respond::Guarded::streaming(body, permit)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let tag = format!("{tag}.csv");
    if let Some(v) = super::etag::header_value(&tag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"stations-{tag}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// Stations written per piece of a download with state: ≈ 100 KB.
const DOWNLOAD_PIECE: usize = 256;

/// The dataset with its stations' state, written from the snapshot in memory piece by piece as the client
/// reads (no copy of the file, and a stalled client stops the writing).
pub fn with_state(
    cur: Arc<Current>,
    tag: &str,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> Response {
    let len = cur.snapshot.len();
    let pieces = futures_util::stream::unfold(Some(0usize), move |from| {
        let cur = cur.clone();
        async move {
            let from = from?;
            let mut buf = Vec::with_capacity(DOWNLOAD_PIECE * 512);
            let ds = &cur.snapshot;
            let state_of = |i: usize| {
                cur.states.get(i as u32).map(|st| StateOut {
                    status: st.status,
                    status_note: st.status_note.as_deref(),
                    reopens_on: st.reopens_on,
                    verified_at: st.verified_at,
                    open_reports: None,
                })
            };
            write_collection_part(ds.stations(), state_of, from, DOWNLOAD_PIECE, &mut buf);
            let next = from + DOWNLOAD_PIECE;
            let more = (next < len).then_some(next);
            Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(buf)), more))
        }
    });
    // Fused: the stream ends once, whoever polls it after.
    let body = Body::from_stream(futures_util::StreamExt::fuse(pieces));
    let mut r = Body::new(super::respond::Guarded::streaming(body, permit)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    if let Some(v) = super::etag::header_value(tag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"stations-{tag}.geojson\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
