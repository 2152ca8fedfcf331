//! `GET /c/{id}?key=`: the phone page a host's staff open from the QR code. Rendered here (the station's name
//! and address are in the HTML, escaped, so the page shows them even before its script runs); the buttons are
//! static/confirm.js, which posts to `/api/v1/stations/{id}/confirm` with the key from the address bar.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use chrono::NaiveDate;

use super::post::MAX_CLOSURE_DAYS;
use crate::api::extract::StationIdPath;
use crate::api::pages::private_page;
use crate::api::params::Params;
use crate::api::AppState;
use crate::domain::state::{StationState, Status};

const TEMPLATE: &str = include_str!("page.html");

#[utoipa::path(
    get, path = "/c/{id}", operation_id = "hostConfirmPage", tags = ["pages", "confirm"],
    summary = "The host's confirmation page (驿站自助确认页)",
    description = "The page a station's confirmation link opens: the station's name and address and two big buttons, \
        \"open as listed\" and \"temporarily closed until …\". A wrong or missing key gets a 403 page that says so.",
    params(("id" = String, Path, description = "Station id.", example = "bj-chy-00042"),
        ("key" = String, Query, description = "The link's key.")),
    responses((status = 200, description = "HTML (strict Content-Security-Policy, `Cache-Control: no-store`, no referrer).",
            content_type = "text/html", body = String),
        (status = 400, description = "A parameter other than `key`.", content_type = "text/html", body = String),
        (status = 403, description = "Wrong or missing key.", content_type = "text/html", body = String),
        (status = 404, description = "No such station.", content_type = "text/html", body = String))
)]
pub async fn host_page(
    State(app): State<AppState>,
    id: Result<StationIdPath, crate::api::error::ApiError>,
    RawQuery(q): RawQuery,
) -> Response {
    let Ok(StationIdPath(id)) = id else {
        return message(
            StatusCode::BAD_REQUEST,
            "链接不完整",
            "This link is incomplete.",
        );
    };
    let key = match Params::parse(q.as_deref()).and_then(|p| p.only(&["key"]).map(|()| p)) {
        Ok(p) => p.get("key").unwrap_or("").to_owned(),
        Err(_) => {
            return message(
                StatusCode::BAD_REQUEST,
                "链接不完整",
                "This link is incomplete.",
            )
        }
    };
    let current = app.live.current();
    let snapshot = &current.snapshot;
    let Some(station) = snapshot.get(&id) else {
        return message(
            StatusCode::NOT_FOUND,
            "找不到这个驿站，可能已被移除。请联系管理员。",
            "This station is not listed (any more). Please contact the admin.",
        );
    };
    if !app.confirm.secret.verify(&id, &key) {
        return message(
            StatusCode::FORBIDDEN,
            "此确认链接无效或已过期。请向管理员索取新的二维码。",
            "This confirmation link is not valid (wrong or outdated key). Ask the admin for a new QR code.",
        );
    }
    let today = chrono::Utc::now()
        .with_timezone(&app.settings.timezone)
        .date_naive();
    let state = snapshot
        .position_of(&id)
        .and_then(|i| current.states.get(i))
        .cloned()
        .unwrap_or_default();
    let now = describe(&state, today, app.settings.timezone);
    let min = (today + chrono::Days::new(1)).to_string();
    let max = (today + chrono::Days::new(MAX_CLOSURE_DAYS as u64)).to_string();
    let today = today.to_string();
    let body = fill(
        TEMPLATE,
        &[
            ("id", station.id()),
            ("name", station.name()),
            ("address", station.address().unwrap_or("")),
            ("district", station.district().unwrap_or("")),
            ("today", &today),
            ("current", &now),
            ("min", &min),
            ("max", &max),
        ],
    );
    html(StatusCode::OK, body)
}

/// The station's state as the page shows it: "now: open · last confirmed …", in Chinese and English.
fn describe(state: &StationState, today: NaiveDate, tz: chrono_tz::Tz) -> String {
    let status = match (state.status_on(today), state.reopens_on) {
        (Status::Open, _) => "营业正常 open".to_owned(),
        (Status::TemporarilyClosed, Some(d)) => format!("暂停服务至 {d} closed until {d}"),
        (Status::TemporarilyClosed, None) => "暂停服务 temporarily closed".to_owned(),
    };
    let note = match (&state.status_note, state.status_on(today)) {
        (Some(n), Status::TemporarilyClosed) => format!("（{n}）"),
        _ => String::new(),
    };
    let verified = match state.verified_at {
        Some(v) => format!(
            " · 上次确认 last confirmed {}",
            v.with_timezone(&tz).format("%Y-%m-%d %H:%M")
        ),
        None => " · 尚未确认 never confirmed".to_owned(),
    };
    format!("当前 now: {status}{note}{verified}")
}

/// A page with one message, Chinese first.
fn message(status: StatusCode, zh: &str, en: &str) -> Response {
    let body = fill(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\">\
         <title>驿站自助确认</title><link rel=\"stylesheet\" href=\"/confirm.css\"></head>\
         <body><main class=\"confirm\"><p class=\"result error\" id=\"result\" role=\"alert\">{{zh}}<br><span lang=\"en\">{{en}}</span></p>\
         </main></body></html>\n",
        &[("zh", zh), ("en", en)],
    );
    html(status, body)
}

/// The key is in the address: a private page, never indexed.
fn html(status: StatusCode, body: String) -> Response {
    let mut r = private_page(status, body);
    r.headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex"));
    r
}

/// Replaces each `{{name}}` of `template` with its value, HTML-escaped, in one pass (so a value that contains
/// `{{…}}` is never expanded); an unknown name is left empty.
pub(crate) fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        if let Some((_, v)) = values.iter().find(|(k, _)| *k == name) {
            escape_into(&mut out, v);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// HTML escaping for text and quoted attribute values.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_never_expanded_again() {
        let got = fill(
            "<h1>{{name}}</h1><p data-id=\"{{id}}\">{{address}}{{nope}}</p>",
            &[
                ("name", "<script>alert(1)</script> & {{address}}"),
                ("id", "a\"b'c"),
                ("address", "x"),
            ],
        );
        assert_eq!(
            got,
            "<h1>&lt;script&gt;alert(1)&lt;/script&gt; &amp; {{address}}</h1><p data-id=\"a&quot;b&#39;c\">x</p>"
        );
        assert!(TEMPLATE.contains("{{name}}") && TEMPLATE.contains("data-id=\"{{id}}\""));
    }
}
