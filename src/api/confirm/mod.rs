//! Hosts confirm their own station (未诉先办): the signed link an admin prints as a QR code, the phone page it
//! opens (`/c/{id}?key=`), the confirmation itself, and the admin's printable sheet of links.
//!
//! The key is derived from the store's secret ([`crate::store::secret`]); nothing per station is stored. A wrong
//! key is logged with the station and the client address (never the key) and counted in
//! `yizhan_http_requests{route="/api/v1/stations/{id}/confirm",status="403"}`.

mod limit;
pub mod page;
pub mod post;
pub mod sheet;

use axum::extract::State;
use axum::http::{header, HeaderMap, Uri};
use axum::response::Response;
use axum::Json;

use crate::api::auth::Admin;
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::StationIdPath;
use crate::api::ratelimit::AuthFailures;
use crate::api::respond::private;
use crate::api::AppState;
use crate::settings::Settings;
use crate::store::secret::ConfirmSecret;
pub use limit::StationLimiter;
pub use page::host_page;
pub use post::confirm;
pub use sheet::qr_sheet;

/// Confirmations accepted per station and hour (a host tapping twice, a few staff members); more get 429.
pub const CONFIRMS_PER_HOUR: u32 = 10;

/// Wrong keys a client may send in a minute before it is refused for the rest of it.
pub const WRONG_KEYS_PER_MINUTE: u32 = 10;

/// What the confirmation endpoints share.
pub struct Confirm {
    pub secret: ConfirmSecret,
    pub limiter: StationLimiter,
    pub wrong_keys: AuthFailures,
}

impl Confirm {
    pub fn new(secret: ConfirmSecret) -> Self {
        Confirm {
            secret,
            limiter: StationLimiter::per_hour(CONFIRMS_PER_HOUR),
            wrong_keys: AuthFailures::per_minute(WRONG_KEYS_PER_MINUTE),
        }
    }
}

/// The confirmation link of a station.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(examples(json!({"url": "https://yizhan.example.cn/c/bj-chy-00042?key=mzxw6ytbojuw4zdfmzxw6ytb"})))]
pub struct ConfirmLink {
    /// Absolute when the server knows its address (`--public-url`, else the request's `Host`).
    url: String,
}

#[utoipa::path(
    get, path = "/api/v1/stations/{id}/confirm-link", operation_id = "getConfirmLink", tags = ["admin", "confirm"],
    summary = "A station's confirmation link for its host (确认链接)",
    description = "The link `/c/{id}?key=…` that lets the station's host confirm it or report a closure. The key is \
        HMAC-SHA256 of the id under the server's secret (120 bits, base32); rotating the secret (`yizhan rotate-confirm-secret`, \
        then a restart) invalidates every link. The base is `--public-url` if set, else the scheme and `Host` of this \
        request (`X-Forwarded-Proto` is honoured with `--trust-forwarded-for`).",
    security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "Station id (percent-encode it in the path).", example = "bj-chy-00042")),
    responses((status = 200, description = "The link.", content_type = "application/json", body = ConfirmLink),
        (status = 400, response = crate::api::openapi::BadRequest),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::AdminDisabled),
        (status = 404, response = crate::api::openapi::NotFound),
        (status = 429, response = crate::api::openapi::TooManyRequests),
        (status = 503, response = crate::api::openapi::Unavailable))
)]
pub async fn link(
    Admin(who): Admin,
    State(app): State<AppState>,
    StationIdPath(id): StationIdPath,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    let snap = app.live.snapshot();
    let Some(station) = snap.get(&id) else {
        return Err(ApiError::NotFound(format!("no station with id {id:?}")));
    };
    // The link confirms the station: a district token gets only its own districts' links.
    crate::live::scope::check_station(&who.scope(), station, None)?;
    let url = link_url(&app, &base_url(&app.settings, &headers, &uri), &id);
    Ok(private(Json(ConfirmLink { url })))
}

/// `<base>/c/<id>?key=<key>`.
fn link_url(app: &AppState, base: &str, id: &str) -> String {
    format!(
        "{base}/c/{}?key={}",
        encode_segment(id),
        app.confirm.secret.key_for(id)
    )
}

/// Where the links point: `--public-url`, else `http(s)://` + the request's host; an empty base (a relative
/// link) when the host is missing or not a plain host name, so a forged `Host` cannot inject anything.
fn base_url(settings: &Settings, headers: &HeaderMap, uri: &Uri) -> String {
    if let Some(u) = &settings.public_url {
        return u.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    let Some(host) = host.filter(|h| {
        !h.is_empty()
            && h.len() <= 255
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    }) else {
        return String::new();
    };
    let https = settings.trust_forwarded_for
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// Percent-encodes a path segment: every byte but the unreserved ones (RFC 3986).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_percent_encoded_as_one_segment() {
        assert_eq!(encode_segment("bj-chy-00042"), "bj-chy-00042");
        assert_eq!(encode_segment("a/b c?#"), "a%2Fb%20c%3F%23");
        assert_eq!(encode_segment("朝"), "%E6%9C%9D");
    }

    #[test]
    fn the_base_comes_from_the_setting_or_a_plain_host() {
        let mut s = Settings::default();
        let uri: Uri = "/api/v1/stations/x/confirm-link".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "yizhan.example.cn:8080".parse().unwrap());
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(base_url(&s, &h, &uri), "http://yizhan.example.cn:8080");
        s.trust_forwarded_for = true;
        assert_eq!(base_url(&s, &h, &uri), "https://yizhan.example.cn:8080");
        h.insert(header::HOST, "evil.example/<x>".parse().unwrap());
        assert_eq!(
            base_url(&s, &h, &uri),
            "",
            "a strange Host gives a relative link"
        );
        s.public_url = Some("https://yz.example.cn".into());
        assert_eq!(base_url(&s, &h, &uri), "https://yz.example.cn");
    }
}
