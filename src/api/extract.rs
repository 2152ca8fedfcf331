//! Typed extractors: each read's query string parsed and checked before its handler runs. A rejection is an
//! [`ApiError`], so a bad request gets problem+json naming the parameter, never axum's plain-text rejection.
//! Parameters are read in a fixed order, so a request with several bad ones always names the same one first.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use super::error::{ApiError, ApiResult};
use super::params::Params;
use super::AppState;
use crate::domain::{Filter, OpenAt};
use crate::geodesy::crs::Crs;
use crate::index::BBox;

/// Largest `k` for nearest queries.
pub const MAX_K: usize = 100;
pub const DEFAULT_K: usize = 5;
pub const MAX_LIMIT: usize = 10_000;
pub const DEFAULT_LIMIT: usize = 1_000;
/// Along a route: most points in `path`, default and largest `max_distance_m`, largest and default `limit`.
pub const MAX_PATH_POINTS: usize = 2_000;
pub const DEFAULT_ALONG_DISTANCE_M: f64 = 300.0;
pub const MAX_ALONG_DISTANCE_M: f64 = 5_000.0;
pub const MAX_ALONG_LIMIT: usize = 200;
pub const DEFAULT_ALONG_LIMIT: usize = 50;

/// The station id in the path.
pub struct StationIdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for StationIdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| StationIdPath(id))
            .map_err(|e| ApiError::param("id", format!("bad station id in the path: {e}")))
    }
}

/// The filters every read shares (with `q`), and `crs`, as the OpenAPI document lists them: declared once, here, beside
/// the extractor that parses them.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // only read by the OpenAPI derive
pub struct FilterParams {
    /// Comma-separated; a station must have **all** of them (设施筛选): `AmenityKey`s, or `24h` (open at all times).
    /// Chinese labels are accepted as aliases (e.g. `饮水,充电`), and `，` as a separator. An unknown token is a
    /// 400 that lists the valid ones.
    #[param(example = "water,charging,24h")]
    amenities: Option<String>,
    /// `true`: only stations whose `opening_hours` say open at `at` (or now). Stations with unknown hours are
    /// excluded.
    #[param(inline, value_type = Option<super::openapi::Off>)]
    open_now: Option<bool>,
    /// Only stations open now **and** still open for at least this many minutes (营业至少 N 分钟), holidays and
    /// make-up workdays included (see /api/v1/calendar). Implies `open_now=true`.
    #[param(minimum = 1, maximum = 1440, example = 30)]
    open_for: Option<u32>,
    /// The instant at which `open_now` is evaluated (RFC 3339, any offset), instead of the request time. Hours are
    /// read in the server's time zone (`timezone` in /api/v1/config).
    #[param(format = DateTime, example = "2026-11-25T10:30:00+08:00")]
    at: Option<String>,
    /// Coordinate system of the query coordinates **and** of the coordinates returned: `wgs84` (GPS, OSM),
    /// `gcj02` (Amap 高德, Tencent 腾讯), `bd09` (Baidu 百度). When not `wgs84` the response carries `"crs"`.
    #[param(inline, value_type = Option<super::openapi::CrsName>)]
    crs: Option<String>,
    /// Case-insensitive substring of the station's `name` or `address`.
    #[param(inline, value_type = Option<super::openapi::Q>)]
    q: Option<String>,
    /// Only stations confirmed by their host or an admin within the last N days before `at` (or now), N in
    /// 1..=3650: `verified_at` is set and recent enough.
    #[param(minimum = 1, maximum = 3650, example = 90)]
    verified_within_days: Option<u32>,
}

/// `If-None-Match` on the reads, as documented.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // only read by the OpenAPI derive
pub struct ConditionalParams {
    /// The `ETag` of a response you hold (the dataset version, quoted). If it is still current the answer is 304
    /// with no body.
    #[serde(rename = "If-None-Match")]
    #[param(example = "\"3f2a9c0e1b7d4a55\"", nullable = false)]
    if_none_match: Option<String>,
}

/// The filters every read shares (amenities with 24h, open_now, q) and the minute they are asked at (`at`).
pub struct Filtered {
    pub filter: Filter,
    pub at: OpenAt,
}

impl Filtered {
    fn parse(p: &Params, app: &AppState) -> ApiResult<Filtered> {
        let required = p.amenities()?;
        let open_for = match p.usize_in("open_for", 1, MAX_OPEN_FOR, 0)? {
            0 => None,
            n => Some(n as u32),
        };
        let open_now = p.bool("open_now")? || open_for.is_some();
        let at = open_at(p, app)?;
        let instant = p.at()?;
        let text = p.text()?;
        let verified_since = match p.get("verified_within_days") {
            None => None,
            Some(_) => {
                let days = p.usize_in("verified_within_days", 1, MAX_VERIFIED_DAYS, 1)?;
                Some(instant - chrono::TimeDelta::days(days as i64))
            }
        };
        Ok(Filtered {
            filter: Filter {
                required,
                open_now,
                open_for,
                text,
                verified_since,
            },
            at,
        })
    }
}

/// Largest `verified_within_days`: ten years.
pub const MAX_VERIFIED_DAYS: usize = 3650;

/// The minute asked (`at`, or now) with the calendar in force: read per request, so a calendar PUT counts from
/// the next request on.
fn open_at(p: &Params, app: &AppState) -> ApiResult<OpenAt> {
    Ok(OpenAt::new(
        p.at()?,
        app.settings.timezone,
        app.calendar.rules(),
    ))
}

/// Longest `open_for`, in minutes: a day.
pub const MAX_OPEN_FOR: usize = 1440;

/// The parameters of [`Filtered`], shared by nearest, along and the list.
const FILTER_PARAMS: [&str; 6] = [
    "amenities",
    "open_now",
    "open_for",
    "at",
    "q",
    "verified_within_days",
];

/// Every parameter each read knows; any other is a 400 naming it.
pub const NEAREST_PARAMS: [&str; 11] = concat_params(["crs", "lat", "lon", "k", "max_distance_m"]);
pub const ALONG_PARAMS: [&str; 10] = concat_params(["crs", "path", "max_distance_m", "limit"]);
pub const LIST_PARAMS: [&str; 10] = concat_params(["crs", "bbox", "limit", "offset"]);
pub const ONE_PARAMS: [&str; 2] = ["crs", "at"];
/// The admins' "needs attention" list (not a station read: no filters).
pub const ATTENTION_PARAMS: [&str; 3] = ["unconfirmed_days", "district", "limit"];
/// OGC API – Features: the metadata resources and one item take the format only; the items also page and filter
/// (`datetime` is part of Core; stations have no time, so it filters nothing).
pub const OGC_PARAMS: [&str; 1] = ["f"];
pub const OGC_ITEMS_PARAMS: [&str; 5] = ["f", "bbox", "limit", "offset", "datetime"];
/// `GET /api/v1/insights/demand` (admin).
pub const INSIGHTS_DEMAND_PARAMS: [&str; 5] = ["from", "to", "min_count", "hour_of_week", "format"];
/// `GET /api/v1/insights/coverage` (admin).
pub const INSIGHTS_COVERAGE_PARAMS: [&str; 3] = ["from", "to", "format"];

/// `own` followed by [`FILTER_PARAMS`].
const fn concat_params<const N: usize, const M: usize>(
    own: [&'static str; N],
) -> [&'static str; M] {
    assert!(
        N + FILTER_PARAMS.len() == M,
        "M must be N + FILTER_PARAMS.len()"
    );
    let mut out = [""; M];
    let mut i = 0;
    while i < M {
        out[i] = if i < N { own[i] } else { FILTER_PARAMS[i - N] };
        i += 1;
    }
    out
}

/// Implements `FromRequestParts` for a query type from a function of the parsed parameters and the state.
macro_rules! query_extractor {
    ($ty:ty, $known:expr, $parse:expr) => {
        impl $ty {
            /// The query from a raw query string, exactly as the endpoint would read it.
            pub fn from_query(raw: Option<&str>, app: &AppState) -> ApiResult<Self> {
                let p = Params::parse(raw)?;
                p.only(&$known)?;
                $parse(&p, app)
            }
        }

        impl FromRequestParts<AppState> for $ty {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                app: &AppState,
            ) -> Result<Self, ApiError> {
                Self::from_query(parts.uri.query(), app)
            }
        }
    };
}

/// `GET /api/v1/stations/nearest`.
pub struct NearestQuery {
    pub crs: Crs,
    pub lon: f64,
    pub lat: f64,
    pub k: usize,
    pub max_distance_m: Option<f64>,
    pub filtered: Filtered,
}

query_extractor!(NearestQuery, NEAREST_PARAMS, |p: &Params,
                                                app: &AppState|
 -> ApiResult<
    NearestQuery,
> {
    Ok(NearestQuery {
        crs: p.crs()?,
        lat: p.required_f64("lat", -90.0, 90.0)?,
        lon: p.required_f64("lon", -180.0, 180.0)?,
        k: p.usize_in("k", 1, MAX_K, DEFAULT_K)?,
        max_distance_m: p.positive_f64("max_distance_m", f64::MAX)?,
        filtered: Filtered::parse(p, app)?,
    })
});

/// `GET /api/v1/stations/along`: the path already in WGS-84.
pub struct AlongQuery {
    pub crs: Crs,
    pub path: Vec<(f64, f64)>,
    pub max_distance_m: f64,
    pub limit: usize,
    pub filtered: Filtered,
}

query_extractor!(AlongQuery, ALONG_PARAMS, |p: &Params,
                                            app: &AppState|
 -> ApiResult<AlongQuery> {
    let crs = p.crs()?;
    Ok(AlongQuery {
        crs,
        path: p.path(crs, MAX_PATH_POINTS)?,
        max_distance_m: p
            .positive_f64("max_distance_m", MAX_ALONG_DISTANCE_M)?
            .unwrap_or(DEFAULT_ALONG_DISTANCE_M),
        limit: p.usize_in("limit", 1, MAX_ALONG_LIMIT, DEFAULT_ALONG_LIMIT)?,
        filtered: Filtered::parse(p, app)?,
    })
});

/// `GET /api/v1/stations`: the box already in WGS-84.
pub struct ListQuery {
    pub crs: Crs,
    pub bbox: Option<BBox>,
    pub limit: usize,
    pub offset: usize,
    pub filtered: Filtered,
}

query_extractor!(ListQuery, LIST_PARAMS, |p: &Params,
                                          app: &AppState|
 -> ApiResult<ListQuery> {
    let crs = p.crs()?;
    Ok(ListQuery {
        crs,
        bbox: p.bbox(crs)?,
        limit: p.usize_in("limit", 1, MAX_LIMIT, DEFAULT_LIMIT)?,
        offset: p.usize_in("offset", 0, usize::MAX, 0)?,
        filtered: Filtered::parse(p, app)?,
    })
});

/// `GET /api/v1/stations/{id}`.
pub struct OneQuery {
    pub crs: Crs,
    pub at: OpenAt,
}

query_extractor!(OneQuery, ONE_PARAMS, |p: &Params,
                                        app: &AppState|
 -> ApiResult<OneQuery> {
    Ok(OneQuery {
        crs: p.crs()?,
        at: open_at(p, app)?,
    })
});

/// The client's address, for per-client limits and logs: the TCP peer, or behind a trusted proxy
/// (`--trust-forwarded-for`) the last `X-Forwarded-For` entry.
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        Ok(ClientAddr(client_addr(
            &parts.headers,
            peer,
            app.reports.trust_forwarded_for,
        )))
    }
}

/// The rate-limited client: the TCP peer, or behind a trusted proxy the last `X-Forwarded-For` entry.
fn client_addr(headers: &HeaderMap, peer: Option<IpAddr>, trust_forwarded_for: bool) -> IpAddr {
    let forwarded = trust_forwarded_for
        .then(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(",")
        })
        // Only the last entry (the one our proxy appended): when it does not parse, an earlier one is the
        // client's own word, so the proxy's address is used instead.
        .and_then(|list| list.rsplit(',').next()?.trim().parse::<IpAddr>().ok());
    forwarded
        .or(peer)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_only_when_trusted() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let peer = Some(proxy);
        assert_eq!(client_addr(&h, peer, false), proxy);
        assert_eq!(
            client_addr(&h, peer, true),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        h.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(client_addr(&h, peer, true), proxy);
        h.insert("x-forwarded-for", "203.0.113.9, garbage".parse().unwrap());
        assert_eq!(
            client_addr(&h, peer, true),
            proxy,
            "an earlier, client-supplied entry"
        );
    }
}
