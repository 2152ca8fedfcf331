//! The audit trail over HTTP: every handler that changes something calls [`record`] after the change is
//! durable; `GET /api/v1/audit` lists the entries, newest first.
//!
//! An entry is written after its change (the change is what the client is waiting for): if the audit append
//! fails, the change stands and the failure is logged loudly, rather than answering an error for a change that
//! was made.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde::Serialize;

use super::auth::{Admin, Principal};
use super::error::{blocking, ApiError, ApiResult};
use super::openapi as doc;
use super::params::Params;
use super::respond::private;
use super::AppState;
use crate::live::Outcome;
use crate::store::audit::AuditEntry;

/// Default and largest page of the audit list.
pub const DEFAULT_AUDIT_LIMIT: usize = 100;
pub const MAX_AUDIT_LIMIT: usize = 1_000;

/// What a change did to the dataset.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub dataset_version: Option<String>,
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
}

impl Change {
    /// An upload's, a deletion's or a rollback's outcome.
    pub fn of(o: &Outcome) -> Change {
        Change {
            dataset_version: Some(o.dataset_version.clone()),
            added: o.counts.added,
            updated: o.counts.updated,
            removed: o.counts.removed,
        }
    }

    /// One station changed, under `version`.
    pub fn one_updated(version: &str) -> Change {
        Change {
            dataset_version: Some(version.to_owned()),
            updated: 1,
            ..Change::default()
        }
    }
}

/// Appends an entry by `who` (durable before it returns); a failure is logged, not answered.
pub async fn record(app: &AppState, who: &Principal, action: &str, change: Change, detail: String) {
    record_as(app, who.actor.clone(), action, change, detail).await
}

/// [`record`] for an actor without a token (`host:<station id>` for a host's confirmation).
pub async fn record_as(
    app: &AppState,
    actor: String,
    action: &str,
    change: Change,
    detail: String,
) {
    let entry = AuditEntry {
        at: String::new(),
        actor,
        action: action.to_owned(),
        dataset_version: change.dataset_version,
        added: change.added,
        updated: change.updated,
        removed: change.removed,
        detail,
    };
    let log = app.audit.clone();
    match blocking("audit", move || log.append(entry)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::error!(error = %e, action, "the audit entry of a change could not be written")
        }
        Err(e) => {
            tracing::error!(error = %e, action, "the audit entry of a change could not be written")
        }
    }
}

/// One audit entry, as listed.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // only read by the OpenAPI derive
pub struct AuditView {
    /// RFC 3339, UTC.
    #[schema(format = DateTime)]
    at: String,
    /// The token's name, `admin` for the full token (`YIZHAN_ADMIN_TOKEN` and the command line), or
    /// `host:<station id>` for a host's confirmation.
    #[schema(examples("chaoyang", "admin", "host:bj-chy-00042"))]
    actor: String,
    /// `upload (replace)`, `upload (upsert)`, `patch`, `delete`, `rollback`, `confirm`, `case`, `calendar`,
    /// `token add`, `token revoke`.
    #[schema(examples("upload (replace)"))]
    action: String,
    /// The dataset version after the change; `null` when it did not concern the dataset.
    #[schema(pattern = "^[0-9a-f]{16}$")]
    dataset_version: Option<String>,
    added: usize,
    updated: usize,
    removed: usize,
    /// What was changed: station ids, a case and its status, a token and its scope.
    detail: String,
}

#[utoipa::path(
    get, path = "/api/v1/audit", operation_id = "listAudit", tag = "admin",
    summary = "The audit trail: who changed what, newest first",
    description = "Every change (upload, patch, delete, rollback, host confirmation, case change, calendar, token) appends an \
        entry before or right after its answer; entries are never edited or removed. Any admin token may read it \
        (read-only ones included).",
    security(("bearerAuth" = [])),
    params(("since" = Option<String>, Query, description = "Only entries at or after this RFC 3339 time.", example = "2026-12-01T00:00:00Z"),
        ("actor" = Option<String>, Query, description = "Only this actor's entries.", example = "chaoyang"),
        ("limit" = Option<usize>, Query, description = "Page size, 1..=1000 (default 100).", minimum = 1, maximum = 1000),
        ("offset" = Option<usize>, Query, description = "Entries to skip, newest first (default 0).")),
    responses((status = 200, description = "Newest first; `X-Total-Count` has the number of all matching entries.",
            content_type = "application/json", body = Vec<AuditView>,
            headers(("X-Total-Count" = usize, description = "Matching entries in all pages."))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 429, response = doc::TooManyRequests),
        (status = 500, response = doc::InternalError),
        (status = 503, response = doc::Unavailable))
)]
pub async fn list(
    _: Admin,
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = Params::parse(q.as_deref())?;
    p.only(&["since", "actor", "limit", "offset"])?;
    let since = match p.get("since").map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|_| {
                    ApiError::param(
                        "since",
                        format!("since must be an RFC 3339 time such as 2026-12-01T00:00:00Z, got {s:?}"),
                    )
                })?
                .with_timezone(&chrono::Utc),
        ),
    };
    let actor = p.get("actor").map(str::to_owned).filter(|a| !a.is_empty());
    let limit = p.usize_in("limit", 1, MAX_AUDIT_LIMIT, DEFAULT_AUDIT_LIMIT)?;
    let offset = p.usize_in("offset", 0, usize::MAX, 0)?;
    let log = app.audit.clone();
    let (page, total) = blocking("audit", move || {
        let keep = |e: &AuditEntry| {
            actor.as_ref().is_none_or(|a| *a == e.actor)
                && since.is_none_or(|t| {
                    chrono::DateTime::parse_from_rfc3339(&e.at).is_ok_and(|at| at >= t)
                })
        };
        log.newest_first(keep, offset, limit)
    })
    .await?
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut r = private(axum::Json(page));
    r.headers_mut().insert("x-total-count", total.into());
    Ok(r)
}
