//! `GET /api/v1/qr-sheet?district=`: the confirmation links of a district's stations with their QR codes (SVG),
//! a batch at a time, for the printable sheet at `/admin/qr`. An API rather than a server-rendered page because
//! the admin's token lives in the admin page's script (sent as a Bearer header), not in a cookie a plain page
//! load would carry.

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Json;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::Serialize;

use super::{base_url, link_url};
use crate::api::auth::Admin;
use crate::api::error::{ApiError, ApiResult};
use crate::api::params::Params;
use crate::api::respond::private;
use crate::api::AppState;

/// Stations per answer by default and at most: 8 and 20 A4 sheets of 12.
pub const DEFAULT_LIMIT: usize = 96;
pub const MAX_LIMIT: usize = 240;

#[derive(Serialize, utoipa::ToSchema)]
pub struct QrSheet {
    /// The district asked for, or `null` for all stations.
    district: Option<String>,
    /// Every district with its number of stations, for the page's chooser.
    districts: Vec<DistrictCount>,
    /// Stations in the district (or in all).
    total: usize,
    offset: usize,
    limit: usize,
    stations: Vec<QrCard>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DistrictCount {
    district: String,
    count: usize,
}

/// One card of the sheet.
#[derive(Serialize, utoipa::ToSchema)]
pub struct QrCard {
    id: String,
    name: String,
    address: Option<String>,
    district: Option<String>,
    /// The confirmation link, as `GET /api/v1/stations/{id}/confirm-link` gives it.
    url: String,
    /// The link as a QR code (error correction M, with its quiet zone): a standalone SVG document.
    svg: String,
}

#[utoipa::path(
    get, path = "/api/v1/qr-sheet", operation_id = "getQrSheet", tags = ["admin", "confirm"],
    summary = "Confirmation links with QR codes, by district (二维码打印)",
    description = "What the printable sheet `/admin/qr` shows: stations in id order with their confirmation link and \
        its QR code as SVG, `limit` at a time.",
    security(("bearerAuth" = [])),
    params(("district" = Option<String>, Query, description = "Only this district (exact match); without it, all stations.", example = "朝阳区"),
        ("offset" = Option<usize>, Query, description = "Stations to skip.", minimum = 0),
        ("limit" = Option<usize>, Query, description = "Stations in this answer.", minimum = 1, maximum = 240)),
    responses((status = 200, description = "A batch of cards.", content_type = "application/json", body = QrSheet),
        (status = 400, response = crate::api::openapi::BadRequest),
        (status = 401, response = crate::api::openapi::Unauthorized),
        (status = 403, response = crate::api::openapi::AdminDisabled),
        (status = 429, response = crate::api::openapi::TooManyRequests),
        (status = 503, response = crate::api::openapi::Unavailable))
)]
pub async fn qr_sheet(
    Admin(who): Admin,
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["district", "offset", "limit"])?;
    let district = p
        .get("district")
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned);
    // The links confirm stations: a district token prints only its own districts' (its only one by default).
    let district = match (&who.districts, district) {
        (None, d) => d,
        (Some(ds), None) if ds.len() == 1 => Some(ds[0].clone()),
        (Some(ds), Some(d)) if ds.contains(&d) => Some(d),
        (Some(ds), _) => return Err(ApiError::AllDistrictsOnly(ds.join(", "))),
    };
    let offset = p.usize_in("offset", 0, usize::MAX, 0)?;
    let limit = p.usize_in("limit", 1, MAX_LIMIT, DEFAULT_LIMIT)?;
    let base = base_url(&app.settings, &headers, &uri);
    let job = app.clone();
    let sheet = app
        .heavy
        .run("QR sheet", move || {
            build(&job, &base, district, offset, limit)
        })
        .await??;
    Ok(private(Json(sheet)))
}

fn build(
    app: &AppState,
    base: &str,
    district: Option<String>,
    offset: usize,
    limit: usize,
) -> ApiResult<QrSheet> {
    let snapshot = app.live.snapshot();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in snapshot.stations() {
        if let Some(d) = s.district().filter(|d| !d.is_empty()) {
            *counts.entry(d).or_default() += 1;
        }
    }
    let wanted =
        |s: &&crate::domain::Station| district.as_deref().is_none_or(|d| s.district() == Some(d));
    let total = snapshot.stations().iter().filter(wanted).count();
    let mut stations = Vec::with_capacity(limit.min(total));
    for s in snapshot
        .stations()
        .iter()
        .filter(wanted)
        .skip(offset)
        .take(limit)
    {
        let url = link_url(app, base, s.id());
        stations.push(QrCard {
            id: s.id().to_owned(),
            name: s.name().to_owned(),
            address: s.address().map(str::to_owned),
            district: s.district().map(str::to_owned),
            svg: qr_svg(&url)?,
            url,
        });
    }
    Ok(QrSheet {
        districts: counts
            .into_iter()
            .map(|(d, count)| DistrictCount {
                district: d.to_owned(),
                count,
            })
            .collect(),
        district,
        total,
        offset,
        limit,
        stations,
    })
}

/// The QR code of `text` as SVG, 4 modules of quiet zone (what readers expect), black on white.
fn qr_svg(text: &str) -> ApiResult<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| ApiError::Internal(format!("QR code of a {}-byte link: {e}", text.len())))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build())
}
