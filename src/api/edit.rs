//! `PATCH /api/v1/stations/{id}`: one station edited in place by a JSON merge patch, for the admin who fixes
//! a phone number or marks a station closed without uploading the whole list.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value};

use super::audit::{record, Change};
use super::auth::DistrictAdmin;
use super::body::{read_limited, require_json};
use super::error::{blocking, path_id, ApiError, ApiResult};
use super::extract::ClientAddr;
use super::openapi as doc;
use super::AppState;

/// Largest accepted patch body: one station's properties, generously.
pub const MAX_PATCH_BYTES: usize = 64 * 1024;

/// Properties a response computes: a patch cannot set them.
const READ_ONLY: [&str; 8] = [
    "open_now",
    "next_change_at",
    "open_reports",
    "distance_m",
    "along_m",
    "dataset_version",
    "crs",
    "id",
];

/// The properties patch: the body itself, or the `properties` of a Feature-shaped body.
fn properties_patch(body: &[u8]) -> ApiResult<Map<String, Value>> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the patch must be a JSON object: {e}")))?;
    let Value::Object(mut obj) = v else {
        return Err(ApiError::BadRequest(
            "the patch must be a JSON object of the properties to change, e.g. {\"status\": \"temporarily_closed\"}".into(),
        ));
    };
    if obj.contains_key("geometry") {
        return Err(ApiError::Unprocessable(
            "a PATCH changes properties only; to move a station, upload it again (POST /api/v1/stations)".into(),
        ));
    }
    if obj.contains_key("properties") || obj.get("type").and_then(Value::as_str) == Some("Feature")
    {
        obj = match obj.remove("properties") {
            Some(Value::Object(p)) => p,
            None => Map::new(),
            Some(_) => return Err(ApiError::BadRequest("properties must be an object".into())),
        };
    }
    let read_only: Vec<&str> = READ_ONLY
        .iter()
        .copied()
        .filter(|k| obj.contains_key(*k))
        .collect();
    if !read_only.is_empty() {
        return Err(ApiError::Unprocessable(format!(
            "{} cannot be set: computed for each response (or the station's identity)",
            read_only.join(", ")
        )));
    }
    Ok(obj)
}

#[utoipa::path(
    patch, path = "/api/v1/stations/{id}", operation_id = "patchStation", tag = "admin",
    summary = "Edit one station (JSON merge patch)",
    description = "A JSON merge patch (RFC 7396) of the station's properties: a key sets it, `null` removes it, absent keys stay. \
        The result is validated like an upload row (422 with `errors` otherwise; nothing changes). \
        `status`, `status_note`, `reopens_on` and `verified_at` are the station's state: changing only them does not make a new \
        dataset version (hosts confirm stations daily; the rollback history keeps the admins' uploads). Any other property makes a \
        new version. A Feature-shaped body (`{\"properties\": {…}}`) is taken too; `geometry` is not (upload the station again). \
        Computed fields (`open_now`, `next_change_at`, `open_reports`, `distance_m`, `id`…) → 422.",
    security(("bearerAuth" = [])),
    params(("id" = String, Path, description = "Station id (percent-encoded).", example = "bj-chy-00042")),
    request_body(content = Object, content_type = "application/merge-patch+json",
        example = json!({"status": "temporarily_closed", "status_note": "装修中", "reopens_on": "2026-12-15"})),
    responses((status = 200, description = "The station as `GET /api/v1/stations/{id}` now shows it, with the current `dataset_version`.",
            content_type = "application/geo+json", body = super::stations::One),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 429, response = doc::TooManyRequests),
        (status = 507, response = doc::InsufficientStorage),
        (status = 503, response = doc::Unavailable))
)]
pub async fn patch(
    DistrictAdmin(who): DistrictAdmin,
    ClientAddr(client): ClientAddr,
    State(app): State<AppState>,
    id: Result<Path<String>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Response> {
    let id = path_id(id)?;
    // A merge patch is `application/merge-patch+json` (RFC 7396); plain JSON is taken too, since many clients
    // cannot set another type.
    require_json(&headers, &["application/merge-patch+json"])?;
    let bytes = read_limited(body, MAX_PATCH_BYTES, || {
        ApiError::PayloadTooLarge(format!("a patch is at most {MAX_PATCH_BYTES} bytes"))
    })
    .await?;
    let patch = properties_patch(&bytes)?;
    let live = app.live.clone();
    let target = id.clone();
    let districts = who.districts.clone();
    let keys: Vec<String> = patch.keys().cloned().collect();
    let result = blocking("patch", move || {
        let scope = districts
            .as_deref()
            .map_or(crate::live::Scope::All, crate::live::Scope::Districts);
        live.patch_station(&target, &patch, scope)
    })
    .await?;
    match &result {
        Ok(e) => {
            tracing::info!(action = "patch", client = %client, version = %e.dataset_version, "admin action done")
        }
        Err(e) => {
            tracing::info!(action = "patch", client = %client, error = %e, "admin action refused")
        }
    }
    let edited = result?;
    let detail = format!("{id}: {}", keys.join(", "));
    record(
        &app,
        &who,
        "patch",
        Change::one_updated(&edited.dataset_version),
        detail,
    )
    .await;
    let at = crate::domain::OpenAt::new(
        chrono::Utc::now(),
        app.settings.timezone,
        app.calendar.rules(),
    );
    let r = super::stations::one_now(&app, &id, crate::geodesy::crs::Crs::Wgs84, &at, None)?;
    Ok(super::respond::private(r))
}
