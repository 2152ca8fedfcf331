//! Demand and coverage insights (issue 18): searches counted per H3 cell, unmet ones, the privacy floor, the
//! counts surviving a restart, and no query coordinate in the server's log.

use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{Datelike, Timelike};
use serde_json::Value;

use crate::helpers::*;

/// Near 望京 (many stations within 1 km in the bundled sample); unusual digits so a log grep cannot match by
/// chance.
const WANGJING: (&str, &str) = ("116.470513", "39.992187");
/// Far out in the Yanqing mountains: no station within 1 km.
const MOUNTAIN: (&str, &str) = ("115.812347", "40.731859");

fn nearest(p: (&str, &str), extra: &str) -> String {
    format!("/api/v1/stations/nearest?lon={}&lat={}{extra}", p.0, p.1)
}

async fn admin_json(base: &dyn Fn(&str) -> String, client: &reqwest::Client, path: &str) -> Value {
    let r = client
        .get(base(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "GET {path}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// The demand features by their `searches`, sorted.
fn searches(v: &Value) -> Vec<(u64, u64)> {
    let mut s: Vec<(u64, u64)> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["searches"].as_u64().unwrap(),
                p["unmet"].as_u64().unwrap(),
            )
        })
        .collect();
    s.sort();
    s
}

#[tokio::test]
async fn searches_count_per_cell_unmet_ones_too_and_small_cells_stay_hidden() {
    let app = spawn_app(None).await;
    // 7 plain searches near Wangjing: met. 2 more with a radius of 10 m: nothing returned, but a station lies
    // within 1 km, so still met (the exact check).
    for _ in 0..7 {
        assert_eq!(app.get(&nearest(WANGJING, "&k=3")).await.status(), 200);
    }
    for _ in 0..2 {
        let v = app.get_json(&nearest(WANGJING, "&max_distance_m=10")).await;
        assert_eq!(v["count"], 0);
    }
    // 5 searches there whose filter matches nothing: unmet.
    for _ in 0..5 {
        app.get_json(&nearest(WANGJING, "&q=zzqqxx-no-such-station"))
            .await;
    }
    // 4 searches in the mountains: unmet, but below the floor, so never shown.
    for _ in 0..4 {
        app.get_json(&nearest(MOUNTAIN, "")).await;
    }
    let base = |p: &str| app.url(p);
    let v = admin_json(&base, &app.client, "/api/v1/insights/demand").await;
    assert_eq!(searches(&v), vec![(14, 5)], "{v}");
    let f = &v["features"][0];
    assert_eq!(f["geometry"]["type"], "Polygon");
    let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
    assert_eq!(ring.len(), 7, "a hexagon, closed");
    assert_eq!(f["properties"]["unmet_share"], 0.357);
    // One more mountain search makes 5: now shown, all unmet.
    app.get_json(&nearest(MOUNTAIN, "")).await;
    let v = admin_json(&base, &app.client, "/api/v1/insights/demand").await;
    assert_eq!(searches(&v), vec![(5, 5), (14, 5)], "{v}");
    // A higher floor hides it again; the floor never goes below 5.
    let v = admin_json(&base, &app.client, "/api/v1/insights/demand?min_count=6").await;
    assert_eq!(searches(&v), vec![(14, 5)]);
    let r = app
        .admin(reqwest::Method::GET, "/api/v1/insights/demand?min_count=4")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, &["min_count"], "a floor below 5").await;
    // By hour of the week: now's hour holds them, the next one nothing.
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let how = now.weekday().num_days_from_monday() * 24 + now.hour();
    let v = admin_json(
        &base,
        &app.client,
        &format!("/api/v1/insights/demand?hour_of_week={how}"),
    )
    .await;
    assert_eq!(searches(&v).len(), 2, "{v}");
    let v = admin_json(
        &base,
        &app.client,
        &format!("/api/v1/insights/demand?hour_of_week={}", (how + 1) % 168),
    )
    .await;
    assert_eq!(searches(&v).len(), 0, "{v}");
    // An along query counts in the cell of its route's first point.
    let path = format!("{},{};116.48,40.0", WANGJING.0, WANGJING.1);
    app.get_json(&format!("/api/v1/stations/along?path={}", enc(&path)))
        .await;
    let v = admin_json(&base, &app.client, "/api/v1/insights/demand").await;
    assert_eq!(searches(&v), vec![(5, 5), (15, 5)]);
    // CSV: the same cells.
    let r = app
        .admin(reqwest::Method::GET, "/api/v1/insights/demand?format=csv")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with("cell,lon,lat,searches,unmet,unmet_share\n"));
}

#[tokio::test]
async fn coverage_puts_searches_in_the_nearest_stations_district() {
    let app = spawn_app(None).await;
    for _ in 0..6 {
        app.get_json(&nearest(WANGJING, "")).await;
    }
    let base = |p: &str| app.url(p);
    let v = admin_json(&base, &app.client, "/api/v1/insights/coverage").await;
    let rows = v["districts"].as_array().unwrap();
    assert_eq!(rows.len(), 16);
    let chaoyang = rows.iter().find(|r| r["district"] == "朝阳区").unwrap();
    assert_eq!(chaoyang["population"], 3452460);
    assert_eq!(chaoyang["searches"], 6, "{chaoyang}");
    assert!(chaoyang["stations"].as_u64().unwrap() > 0);
    // Districts below the floor show no searches at all.
    let haidian = rows.iter().find(|r| r["district"] == "海淀区").unwrap();
    assert_eq!(haidian["searches"], Value::Null);
    let r = app
        .admin(reqwest::Method::GET, "/api/v1/insights/coverage?format=csv")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap().lines().count(), 17);
}

#[tokio::test]
async fn insights_need_the_admin_token_and_know_their_parameters() {
    let app = spawn_app(None).await;
    assert_eq!(app.get("/api/v1/insights/demand").await.status(), 401);
    assert_eq!(app.get("/api/v1/insights/coverage").await.status(), 401);
    for (q, name) in [
        ("/api/v1/insights/demand?lat=39.9", "lat"),
        ("/api/v1/insights/demand?from=2026-13-01", "from"),
        (
            "/api/v1/insights/demand?from=2026-02-02&to=2026-02-01",
            "from",
        ),
        ("/api/v1/insights/demand?hour_of_week=168", "hour_of_week"),
        ("/api/v1/insights/coverage?min_count=5", "min_count"),
    ] {
        let r = app.admin(reqwest::Method::GET, q).send().await.unwrap();
        assert_problem(r, 400, &[name], q).await;
    }
}

/// Starts the binary with `RUST_LOG=debug` (every span on), stderr to `log`.
fn start_debug(dir: &std::path::Path, log: &std::path::Path, extra: &[&str]) -> Proc {
    let port = free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let logf = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .arg("serve")
        .arg("--addr")
        .arg(addr.to_string())
        .arg("--data-dir")
        .arg(dir)
        .args(extra)
        .env("RUST_LOG", "debug")
        .env("YIZHAN_ADMIN_TOKEN", TOKEN)
        .env_remove("YIZHAN_INSIGHTS")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(logf))
        .spawn()
        .unwrap();
    Proc {
        child,
        addr,
        log: log.to_owned(),
        client: client(),
    }
}

#[tokio::test]
async fn a_restart_keeps_the_counts_and_the_log_never_holds_a_query_coordinate() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let data = dir.path().join("data");
    let mut p = start_debug(&data, &log, &[]);
    p.wait_ready().await.unwrap();
    for extra in [
        "",
        "&k=2",
        "&amenities=water",
        "&q=zzqqxx",
        "&bad=1",
        "&max_distance_m=5",
    ] {
        p.client
            .get(p.url(&nearest(WANGJING, extra)))
            .send()
            .await
            .unwrap();
    }
    let path = format!("{},{};116.481234,40.012345", WANGJING.0, WANGJING.1);
    p.client
        .get(p.url(&format!("/api/v1/stations/along?path={}", enc(&path))))
        .send()
        .await
        .unwrap();
    p.sigterm();
    assert!(p
        .wait_exit(Duration::from_secs(30))
        .is_some_and(|s| s.success()));
    // 5 good nearest + 1 along (the one with an unknown parameter was a 400 and counts nothing).
    let mut p = start_debug(&data, &log, &["--insights", "off"]);
    p.wait_ready().await.unwrap();
    let base = |q: &str| p.url(q);
    let v = admin_json(&base, &p.client, "/api/v1/insights/demand").await;
    assert_eq!(searches(&v), vec![(6, 1)], "{v}");
    // Off: nothing more is recorded.
    p.client
        .get(p.url(&nearest(WANGJING, "")))
        .send()
        .await
        .unwrap();
    let v = admin_json(&base, &p.client, "/api/v1/insights/demand").await;
    assert_eq!(searches(&v), vec![(6, 1)], "{v}");
    p.sigterm();
    p.wait_exit(Duration::from_secs(30));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("request"), "debug spans were on: {text}");
    for needle in [
        "116.4705", "39.9921", "116.4812", "40.0123", "lat=", "lon=", "path=",
    ] {
        assert!(!text.contains(needle), "the log holds {needle:?}:\n{text}");
    }
}
