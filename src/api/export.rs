//! `GET /api/v1/dataset?format=csv`: the dataset as the upload CSV, for admins who edit in spreadsheets.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::live::Current;
use crate::wire::csv::write_part;

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
    let mut r = Body::new(super::admin::Held::new(body, permit)).into_response();
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
