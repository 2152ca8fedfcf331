//! The holiday calendar over HTTP: GET and PUT /api/v1/calendar, `open_now` and `next_change_at` on the days
//! that matter, the `open_for` filter, and the calendar surviving a kill -9.

use reqwest::Method;
use serde_json::{json, Value};

use super::helpers::*;

fn feature(id: &str, lon: f64, hours: Option<&str>) -> Value {
    let mut props = json!({"name": format!("驿站 {id}"), "kind": "station", "host_type": "bank", "amenities": ["water"]});
    if let Some(h) = hours {
        props["opening_hours"] = json!(h);
    }
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, 39.9]}, "properties": props})
}

/// Five stations in a row along 39.9° N, west to east: a bank closed on holidays, an all-day one, a night one,
/// a short-hours one, and one with unknown hours.
fn dataset() -> Value {
    json!({"type": "FeatureCollection", "features": [
        feature("bank", 116.400, Some("Mo-Fr 09:00-17:00; PH off")),
        feature("allday", 116.401, Some("24/7")),
        feature("night", 116.402, Some("Mo-Su 22:00-02:00")),
        feature("short", 116.403, Some("Mo-Su 09:00-10:20")),
        feature("unknown", 116.404, None),
    ]})
}

/// `(id, open_now, next_change_at)` of every feature of a nearest query at `at` (`+08:00` written as `%2B08:00`).
async fn states(app: &TestApp, at: &str, extra: &str) -> Vec<(String, Value, Value)> {
    let q = format!(
        "/api/v1/stations/nearest?lat=39.9&lon=116.4&k=10&at={}{extra}",
        enc(at)
    );
    let v = app.get_json(&q).await;
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                f["id"].as_str().unwrap().to_owned(),
                p["open_now"].clone(),
                p["next_change_at"].clone(),
            )
        })
        .collect()
}

fn row(id: &str, open: Value, next: Value) -> (String, Value, Value) {
    (id.to_owned(), open, next)
}

async fn put_calendar(app: &TestApp, body: &Value) -> reqwest::Response {
    app.admin(Method::PUT, "/api/v1/calendar")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn national_day_and_a_make_up_saturday_with_next_change_at() {
    let app = spawn_app(Some(dataset())).await;
    // Thursday 1 October 2026, 10:00: the bank is closed (PH off) until Thursday 8 October 09:00.
    assert_eq!(
        states(&app, "2026-10-01T10:00:00+08:00", "").await,
        [
            row("bank", json!(false), json!("2026-10-08T09:00:00+08:00")),
            row("allday", json!(true), Value::Null),
            row("night", json!(false), json!("2026-10-01T22:00:00+08:00")),
            row("short", json!(true), json!("2026-10-01T10:20:00+08:00")),
            row("unknown", Value::Null, Value::Null),
        ]
    );
    // Saturday 14 February 2026 (调休上班): the bank keeps Monday's hours, so it is open until 17:00; then the
    // Spring Festival keeps it closed past the 8-day horizon.
    let sat = states(&app, "2026-02-14T10:00:00+08:00", "").await;
    assert_eq!(
        sat[0],
        row("bank", json!(true), json!("2026-02-14T17:00:00+08:00"))
    );
    let evening = states(&app, "2026-02-14T18:00:00+08:00", "").await;
    assert_eq!(evening[0], row("bank", json!(false), Value::Null));
    // Across midnight: open at 01:00 (from 22:00 the day before) until 02:00. `at` in UTC is the same minute.
    let night = states(&app, "2026-11-24T17:00:00Z", "").await;
    assert_eq!(
        night[2],
        row("night", json!(true), json!("2026-11-25T02:00:00+08:00"))
    );
    // The station read and the list carry it too.
    let one = app
        .get_json(&format!(
            "/api/v1/stations/bank?at={}",
            enc("2026-10-01T10:00:00+08:00")
        ))
        .await;
    assert_eq!(
        one["properties"]["next_change_at"],
        "2026-10-08T09:00:00+08:00"
    );
    let list = app
        .get_json(&format!(
            "/api/v1/stations?at={}",
            enc("2026-10-01T10:00:00+08:00")
        ))
        .await;
    assert_eq!(ids(&list), ["allday", "bank", "night", "short", "unknown"]);
    assert_eq!(
        list["features"][1]["properties"]["next_change_at"],
        "2026-10-08T09:00:00+08:00"
    );
    let along = app
        .get_json(&format!(
            "/api/v1/stations/along?path=116.399,39.9;116.405,39.9&at={}",
            enc("2026-10-01T10:00:00+08:00")
        ))
        .await;
    assert_eq!(
        along["features"][0]["properties"]["next_change_at"],
        "2026-10-08T09:00:00+08:00"
    );
}

#[tokio::test]
async fn open_for_keeps_stations_open_long_enough() {
    let app = spawn_app(Some(dataset())).await;
    let ids_at = |extra: &'static str| {
        let app = &app;
        async move {
            let q = format!(
                "/api/v1/stations/nearest?lat=39.9&lon=116.4&k=10&at={}{extra}",
                enc("2026-11-25T10:00:00+08:00")
            );
            ids(&app.get_json(&q).await)
        }
    };
    // Wednesday 25 November 2026, 10:00: bank (until 17:00), allday, short (until 10:20) are open.
    assert_eq!(ids_at("&open_now=true").await, ["bank", "allday", "short"]);
    assert_eq!(ids_at("&open_for=20").await, ["bank", "allday", "short"]);
    assert_eq!(ids_at("&open_for=21").await, ["bank", "allday"]);
    assert_eq!(ids_at("&open_for=1440").await, ["allday"]);
    // The list and along take it too.
    let list = app
        .get_json(&format!(
            "/api/v1/stations?open_for=30&at={}",
            enc("2026-11-25T10:00:00+08:00")
        ))
        .await;
    assert_eq!(ids(&list), ["allday", "bank"]);
    assert_eq!(list["total"], 2);
    let along = app
        .get_json(&format!(
            "/api/v1/stations/along?path=116.399,39.9;116.405,39.9&open_for=30&at={}",
            enc("2026-11-25T10:00:00+08:00")
        ))
        .await;
    assert_eq!(ids(&along), ["bank", "allday"]);
    // Out of range or not a number: 400 naming the parameter; unknown parameters are still refused.
    for bad in ["0", "1441", "-5", "half"] {
        let r = app
            .get(&format!(
                "/api/v1/stations/nearest?lat=39.9&lon=116.4&open_for={bad}"
            ))
            .await;
        let v = assert_problem(r, 400, &["open_for"], bad).await;
        assert_eq!(v["parameter"], "open_for");
    }
    let r = app
        .get("/api/v1/stations/nearest?lat=39.9&lon=116.4&open_for_min=30")
        .await;
    assert_problem(r, 400, &["open_for_min", "open_for"], "unknown parameter").await;
}

#[tokio::test]
async fn get_and_put_the_calendar() {
    let app = spawn_app(Some(dataset())).await;
    let r = app.get("/api/v1/calendar").await;
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let cal: Value = r.json().await.unwrap();
    assert_eq!(cal["timezone"], "Asia/Shanghai");
    assert_eq!(
        cal["years"]["2026"]["workdays"],
        json!([
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10"
        ])
    );
    assert_eq!(cal["years"]["2025"]["holidays"][0], "2025-01-01");
    assert_eq!(
        app.get_if_none_match("/api/v1/calendar", &etag)
            .await
            .status(),
        304
    );

    // Not an admin: 401, nothing changed.
    let body = json!({"years": {"2026": {"holidays": ["2026-11-25"], "workdays": []}}});
    let r = app
        .client
        .put(app.url("/api/v1/calendar"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).unwrap())
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, &["token"], "no token").await;
    // Bad dates: 422 listing each, nothing changed.
    let bad = json!({"years": {"2026": {"holidays": ["2026-11-25", "2027-01-01", "2026-02-30"], "workdays": ["2026-11-26"]}, "1999": {}}});
    let v = assert_problem(
        put_calendar(&app, &bad).await,
        422,
        &["calendar"],
        "bad dates",
    )
    .await;
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "years.1999",
            "years.2026.holidays[1]",
            "years.2026.holidays[2]",
            "years.2026.workdays[0]"
        ]
    );
    for b in [
        json!({"years": {}}),
        json!({"timezone": "Europe/Paris", "years": {"2027": {}}}),
        json!({"years": {"2027": {"holidays": "2027-01-01"}}}),
        json!({"yrs": {}}),
    ] {
        assert_problem(put_calendar(&app, &b).await, 422, &[], &b.to_string()).await;
    }
    let r = app
        .admin(Method::PUT, "/api/v1/calendar")
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, &[], "not JSON").await;
    let r = app
        .admin(Method::PUT, "/api/v1/calendar")
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(r, 415, &["application/json"], "text/plain").await;
    assert_eq!(
        app.get_json("/api/v1/calendar").await,
        cal,
        "nothing changed"
    );
    assert!(!app.data_dir.path().join("calendar.json").exists());

    // Wednesday 25 November 2026 made a holiday: the bank closes from the very next request.
    let at = enc("2026-11-25T10:00:00+08:00");
    let q = format!("/api/v1/stations/bank?at={at}");
    assert_eq!(app.get_json(&q).await["properties"]["open_now"], true);
    let r = put_calendar(&app, &body).await;
    assert_eq!(r.status(), 200);
    let put: Value = r.json().await.unwrap();
    assert_eq!(
        put["years"]["2026"],
        json!({"holidays": ["2026-11-25"], "workdays": []})
    );
    assert_eq!(
        put["years"]["2025"], cal["years"]["2025"],
        "years not named are kept"
    );
    assert_eq!(app.get_json("/api/v1/calendar").await, put);
    assert_eq!(
        app.get_if_none_match("/api/v1/calendar", &etag)
            .await
            .status(),
        200
    );
    let bank = app.get_json(&q).await;
    assert_eq!(bank["properties"]["open_now"], false);
    assert_eq!(
        bank["properties"]["next_change_at"],
        "2026-11-26T09:00:00+08:00"
    );
    // National Day is no longer a holiday in 2026.
    let oct = app
        .get_json(&format!(
            "/api/v1/stations/bank?at={}",
            enc("2026-10-01T10:00:00+08:00")
        ))
        .await;
    assert_eq!(oct["properties"]["open_now"], true);
}

#[tokio::test]
async fn the_calendar_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.txt");
    let data = dir.path().join("data");
    let mut p = start_bin(&data, Some(TOKEN), &log);
    p.wait_ready()
        .await
        .unwrap_or_else(|st| panic!("exited {st}: {}", p.log_text()));
    let body = json!({"years": {"2027": {"holidays": ["2027-01-01"], "workdays": []}}});
    let r = p
        .client
        .put(p.url("/api/v1/calendar"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let put: Value = r.json().await.unwrap();
    p.kill9();
    let mut p = start_bin(&data, Some(TOKEN), &log);
    p.wait_ready()
        .await
        .unwrap_or_else(|st| panic!("exited {st}: {}", p.log_text()));
    let got: Value = p
        .client
        .get(p.url("/api/v1/calendar"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, put);
    assert_eq!(got["years"]["2027"]["holidays"], json!(["2027-01-01"]));
    assert!(got["years"]["2026"]["holidays"].as_array().unwrap().len() > 30);
    p.kill9();
}
