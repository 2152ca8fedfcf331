//! `POST /api/v1/stations/{id}/confirm`: the host (anyone holding the link's key) says the station is open as
//! listed, or temporarily closed until a date; either way `verified_at` becomes now.

use crate::api::body::{read_limited, require_json};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::api::error::{blocking, ApiError, ApiResult};
use crate::api::extract::{ClientAddr, StationIdPath};
use crate::api::respond::private;
use crate::api::AppState;
use crate::domain::state::{StatePatch, StationState, Status};
use crate::live::Live;

/// Largest accepted body: a 500-character note in UTF-8 plus the JSON around it.
pub const MAX_BODY: usize = 8 * 1024;

/// How far ahead a closure may say it ends: a longer one is a removal, for an admin.
pub const MAX_CLOSURE_DAYS: i64 = 365;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"key": "mzxw6ytbojuw4zdfmzxw6ytb", "status": "temporarily_closed",
    "reopens_on": "2026-12-08", "status_note": "内部装修"})))]
pub struct Confirmation {
    /// The `key` of the confirmation link.
    key: String,
    /// `open` (as listed; clears `reopens_on` and `status_note`) or `temporarily_closed`.
    #[schema(value_type = String, examples("open", "temporarily_closed"))]
    status: String,
    /// With `temporarily_closed` only: the first day (service time zone) the station is open again; after
    /// today and at most 365 days ahead. Without it the closure lasts until someone says otherwise.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    reopens_on: Option<String>,
    /// With `temporarily_closed` only: why, shown to riders (≤ 500 characters).
    #[serde(default)]
    status_note: Option<String>,
}

/// The station's state after the confirmation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Confirmed {
    id: String,
    #[schema(value_type = String, examples("open", "temporarily_closed"))]
    status: &'static str,
    status_note: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    reopens_on: Option<NaiveDate>,
    /// RFC 3339, UTC: now.
    #[schema(value_type = String, format = DateTime)]
    verified_at: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/stations/{id}/confirm", operation_id = "confirmStation", tag = "confirm",
    summary = "The host confirms its station (驿站自助确认)",
    description = format!("For whoever holds the station's confirmation link: `open` (as listed) or \
        `temporarily_closed` (optionally until `reopens_on`, with a note). Sets `verified_at` to now. A wrong key is \
        403 (and logged, without the key); {} wrong keys a minute from one client, then 429. At most {} confirmations \
        per station and hour, then 429 with `Retry-After`.", super::WRONG_KEYS_PER_MINUTE, super::CONFIRMS_PER_HOUR),
    params(("id" = String, Path, description = "Station id (percent-encode it in the path).", example = "bj-chy-00042")),
    request_body(content = Confirmation, content_type = "application/json"),
    responses((status = 200, description = "Stored (durably).", content_type = "application/json", body = Confirmed),
        (status = 400, response = crate::api::openapi::BadRequest),
        (status = 403, description = "Wrong key.", content_type = "application/problem+json", body = crate::api::openapi::Problem),
        (status = 404, response = crate::api::openapi::NotFound),
        (status = 408, response = crate::api::openapi::RequestTimeout),
        (status = 413, response = crate::api::openapi::PayloadTooLarge),
        (status = 415, response = crate::api::openapi::UnsupportedMediaType),
        (status = 422, response = crate::api::openapi::Unprocessable),
        (status = 429, response = crate::api::openapi::TooManyRequests),
        (status = 500, response = crate::api::openapi::InternalError),
        (status = 503, response = crate::api::openapi::Unavailable),
        (status = 507, response = crate::api::openapi::InsufficientStorage))
)]
pub async fn confirm(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    StationIdPath(id): StationIdPath,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Response> {
    require_json(&headers, &[])?;
    if app.live.snapshot().get(&id).is_none() {
        return Err(ApiError::NotFound(format!("no station with id {id:?}")));
    }
    let bytes = read_limited(body, MAX_BODY, || {
        ApiError::PayloadTooLarge(format!("a confirmation body is at most {MAX_BODY} bytes"))
    })
    .await?;
    let c: Confirmation = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body must be JSON {{\"key\", \"status\", \"reopens_on\"?, \"status_note\"?}}: {e}"
        ))
    })?;
    let confirm = &app.confirm;
    let now = std::time::Instant::now();
    confirm
        .wrong_keys
        .check_at(client, now)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    if !confirm.secret.verify(&id, &c.key) {
        tracing::warn!(station = %id, client = %client, "confirmation with a wrong key");
        confirm.wrong_keys.fail_at(client, now);
        return Err(ApiError::Forbidden(
            "this confirmation link is not valid (wrong or outdated key); ask the admin for a new one".into(),
        ));
    }
    let verified_at = Utc::now();
    let today = verified_at
        .with_timezone(&app.settings.timezone)
        .date_naive();
    let patch = patch_of(&c, today, verified_at)?;
    confirm
        .limiter
        .check(&id)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    let live = app.live.clone();
    let key_id = id.clone();
    let state = blocking("confirm", move || apply(&live, &key_id, patch)).await??;
    tracing::info!(station = %id, status = state.status.key(), "station confirmed by its host");
    let version = app.live.snapshot().version().to_owned();
    let change = crate::api::audit::Change::one_updated(&version);
    let detail = format!("{id}: {}", state.status.key());
    crate::api::audit::record_as(&app, format!("host:{id}"), "confirm", change, detail).await;
    Ok(private(Json(Confirmed {
        id,
        status: state.status.key(),
        status_note: state.status_note,
        reopens_on: state.reopens_on,
        verified_at: state
            .verified_at
            .map(|v| v.to_rfc3339_opts(SecondsFormat::Secs, true)),
    })))
}

/// The state change a confirmation asks for, or a 422 that says what is wrong with it.
fn patch_of(c: &Confirmation, today: NaiveDate, now: DateTime<Utc>) -> ApiResult<StatePatch> {
    let status = Status::parse(&c.status).map_err(ApiError::Unprocessable)?;
    let (reopens_on, note) = match status {
        Status::Open => {
            if c.reopens_on.is_some() || c.status_note.is_some() {
                return Err(ApiError::Unprocessable(
                    "reopens_on and status_note go with status temporarily_closed only; `open` clears them".into(),
                ));
            }
            (None, None)
        }
        Status::TemporarilyClosed => (
            c.reopens_on
                .as_deref()
                .map(|d| reopening_day(d, today))
                .transpose()?,
            crate::import::status_note(c.status_note.clone()).map_err(ApiError::Unprocessable)?,
        ),
    };
    Ok(StatePatch {
        status: Some(Some(status)),
        status_note: Some(note),
        reopens_on: Some(reopens_on),
        // Whole seconds: what the reads show, and what the next confirmation compares with.
        verified_at: Some(Some(chrono::SubsecRound::trunc_subsecs(now, 0))),
    })
}

/// `YYYY-MM-DD`, after `today` and at most [`MAX_CLOSURE_DAYS`] ahead.
fn reopening_day(s: &str, today: NaiveDate) -> ApiResult<NaiveDate> {
    let day = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::Unprocessable(format!("reopens_on must be a date YYYY-MM-DD, got {s:?}"))
    })?;
    let last = today + chrono::Days::new(MAX_CLOSURE_DAYS as u64);
    if day <= today || day > last {
        return Err(ApiError::Unprocessable(format!(
            "reopens_on must be after today ({today}) and at most {MAX_CLOSURE_DAYS} days ahead ({last}), got {day}"
        )));
    }
    Ok(day)
}

/// Stores the change, durably, before the answer.
fn apply(live: &Live, id: &str, patch: StatePatch) -> ApiResult<StationState> {
    Ok(live.patch_state(id, patch)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(status: &str, reopens_on: Option<&str>, note: Option<&str>) -> Confirmation {
        Confirmation {
            key: String::new(),
            status: status.into(),
            reopens_on: reopens_on.map(Into::into),
            status_note: note.map(Into::into),
        }
    }

    #[test]
    fn closures_need_a_reopening_day_within_a_year() {
        let today: NaiveDate = "2026-12-01".parse().unwrap();
        let now = Utc::now();
        let p = patch_of(
            &c("temporarily_closed", Some("2026-12-02"), Some(" 装修 ")),
            today,
            now,
        )
        .unwrap();
        assert_eq!(p.status, Some(Some(Status::TemporarilyClosed)));
        assert_eq!(p.reopens_on, Some(Some("2026-12-02".parse().unwrap())));
        assert_eq!(p.status_note, Some(Some("装修".into())));
        assert_eq!(p.verified_at.unwrap().unwrap().timestamp_subsec_nanos(), 0);
        assert!(patch_of(
            &c("temporarily_closed", Some("2027-12-01"), None),
            today,
            now
        )
        .is_ok());
        for bad in [
            "2026-12-01",
            "2026-11-30",
            "2027-12-02",
            "2026-13-01",
            "tomorrow",
        ] {
            assert!(
                patch_of(&c("temporarily_closed", Some(bad), None), today, now).is_err(),
                "{bad}"
            );
        }
        let open = patch_of(&c("open", None, None), today, now).unwrap();
        assert_eq!(open.reopens_on, Some(None));
        assert_eq!(open.status_note, Some(None));
        assert!(patch_of(&c("open", Some("2026-12-02"), None), today, now).is_err());
        assert!(patch_of(&c("closed", None, None), today, now).is_err());
        let long = "长".repeat(501);
        assert!(patch_of(&c("temporarily_closed", None, Some(&long)), today, now).is_err());
        assert!(patch_of(
            &c("temporarily_closed", None, Some("a\u{202E}b")),
            today,
            now
        )
        .is_err());
    }
}
