//! The map page, the admin page and their assets, embedded in the binary so that one file is a whole
//! deployment (in debug builds rust-embed reads `static/` from disk, so edits show without rebuilding).

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use super::error::ApiError;
use super::etag::{self, IfNoneMatch};
use super::first_answer;
use super::first_list;
use super::AppState;
use crate::store::hex;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

/// No inline script or style, tiles from any https/http host (configurable), API calls to ourselves only.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https: http:; \
connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A page rendered on the server (the host's `/c/{id}`, the station page `/s/{id}`): HTML under the pages' CSP,
/// never framed. Each caller adds its own caching and referrer rules.
pub fn server_page(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

/// A server-rendered page that holds something personal (a confirmation key, a rider's place): no cache may
/// keep it and no link may carry its address away.
pub fn private_page(status: StatusCode, body: String) -> Response {
    let mut r = server_page(status, body);
    let h = r.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn serve(path: &str, headers: &HeaderMap) -> Option<Response> {
    let file = Assets::get(path)?;
    let tag = hex::encode(&file.metadata.sha256_hash()[..8]);
    let is_html = path.ends_with(".html");
    // Pages and the service worker must be revalidated so that a deploy shows at once; assets may be cached a while.
    let cache = if is_html || path == "sw.js" {
        "no-cache"
    } else {
        "public, max-age=3600"
    };
    let mut r = if IfNoneMatch::from_headers(headers).matches(&tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mime = mime_guess::from_path(path).first_or_octet_stream();
        let mut r = Body::from(file.data.into_owned()).into_response();
        if let Ok(v) = HeaderValue::from_str(mime.essence_str()) {
            let v = if mime.type_() == mime_guess::mime::TEXT
                || mime.subtype() == mime_guess::mime::JAVASCRIPT
            {
                HeaderValue::from_str(&format!("{}; charset=utf-8", mime.essence_str()))
                    .unwrap_or(v)
            } else {
                v
            };
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r
    };
    let h = r.headers_mut();
    if let Some(v) = etag::header_value(&tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if is_html {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    Some(r)
}

#[utoipa::path(
    get, path = "/", operation_id = "mapPage", tag = "pages",
    summary = "The rider map page (骑手地图)",
    description = "A phone page: nearest stations, filters, details, reports. A shareable link `/?lat=&lon=&amenities=&open_now=` centres \
        there (WGS-84) and lists the nearest matches without asking for the device's location. With a position in the link the server puts \
        the page's first nearest answer into the page (`<script type=\"application/json\" id=\"first-answer\">`, the request it answers and \
        the GeoJSON), saving the page a round trip; such a page is `Cache-Control: no-store` and carries no ETag. Parameters the API would \
        refuse only mean no first answer: the page then asks the API and shows its problem.",
    params(("lat" = Option<f64>, Query, minimum = -90, maximum = 90, description = "Centre latitude, WGS-84."),
        ("lon" = Option<f64>, Query, minimum = -180, maximum = 180, description = "Centre longitude, WGS-84."),
        ("amenities" = Option<String>, Query, description = "As in the read API."),
        ("open_now" = Option<bool>, Query, description = "As in the read API.")),
    responses((status = 200, description = "HTML (with a strict Content-Security-Policy). Without a first answer: `Cache-Control: no-cache` \
            and an `ETag` (the page's hash) for `If-None-Match`; with one: `Cache-Control: no-store`, `Referrer-Policy: no-referrer`, no `ETag`.",
            content_type = "text/html", body = String),
        (status = 304, description = "The page has not changed."))
)]
pub async fn index(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Some(first) = first_answer::for_page(&app, query.as_deref()) {
        if let Some(page) = Assets::get("index.html") {
            let html = String::from_utf8_lossy(&page.data)
                .replacen(first_answer::SLOT, &first.block, 1)
                .replacen(first_list::SLOT, &first.items, 1);
            // The page now holds a place and its answer: personal, and stale within minutes.
            return private_page(StatusCode::OK, html);
        }
    }
    serve("index.html", &headers).unwrap_or_else(|| {
        ApiError::NotFound("the map page is not built in".into()).into_response()
    })
}

#[utoipa::path(
    get, path = "/admin", operation_id = "adminPage", tag = "pages",
    summary = "The admin upload page",
    description = "Upload, validate (dry run) and roll back datasets in a browser; asks for the admin token.",
    responses((status = 200, description = "HTML (with a strict Content-Security-Policy; `Cache-Control: no-cache`).",
            content_type = "text/html", body = String, headers(("ETag" = String, description = "Hash of the page."))),
        (status = 304, description = "The page has not changed."))
)]
pub async fn admin(headers: HeaderMap) -> Response {
    serve("admin.html", &headers).unwrap_or_else(|| {
        ApiError::NotFound("the admin page is not built in".into()).into_response()
    })
}

#[utoipa::path(
    get, path = "/admin/qr", operation_id = "adminQrPage", tags = ["pages", "confirm"],
    summary = "Printable A4 sheet of confirmation QR codes (二维码打印)",
    description = "Opened from the admin page (it reuses that tab's token, or asks for one): a district's stations as a grid of \
        cards, each the QR code of its confirmation link with the station's name and id; prints 12 to an A4 page. The page \
        reads `district`, `offset` and `limit` and fetches `GET /api/v1/qr-sheet` with the token.",
    params(("district" = Option<String>, Query, description = "Read by the page."),
        ("offset" = Option<usize>, Query, description = "Read by the page."),
        ("limit" = Option<usize>, Query, description = "Read by the page.")),
    responses((status = 200, description = "HTML (with a strict Content-Security-Policy; `Cache-Control: no-cache`).",
            content_type = "text/html", body = String, headers(("ETag" = String, description = "Hash of the page."))),
        (status = 304, description = "The page has not changed."))
)]
pub async fn admin_qr(headers: HeaderMap) -> Response {
    serve("admin-qr.html", &headers).unwrap_or_else(|| {
        ApiError::NotFound("the QR sheet page is not built in".into()).into_response()
    })
}

/// Static assets by path; anything else is a problem+json 404. Paths with `..`, backslashes or NULs never
/// match an embedded file, so traversal cannot reach the disk.
pub async fn asset_or_404(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if !path.is_empty() && !path.starts_with("api/") && !path.contains("..") && !path.contains('\\')
    {
        if let Some(r) = serve(path, &headers) {
            return r;
        }
    }
    ApiError::NotFound(format!("no such resource: {}", uri.path())).into_response()
}
