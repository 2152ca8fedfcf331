//! Hosts confirm their own station (未诉先办): signed links, `POST …/confirm`, the `/c/{id}` page, the QR sheet.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// Three stations in two districts; one with a name that is HTML.
fn dataset() -> Value {
    let mut fc = fc(&[
        MSt::new("cf-1", 116.40, 39.90),
        MSt::new("cf 2/x", 116.41, 39.91),
        MSt::new("cf-3", 116.42, 39.92),
    ]);
    let features = fc["features"].as_array_mut().unwrap();
    features[0]["properties"]["district"] = json!("朝阳区");
    features[0]["properties"]["name"] = json!("<script>alert(1)</script> & 驿站");
    features[0]["properties"]["address"] = json!("朝阳路 \"1\" 号");
    features[1]["properties"]["district"] = json!("朝阳区");
    features[2]["properties"]["district"] = json!("海淀区");
    fc
}

async fn link(app: &TestApp, id: &str) -> String {
    let r = app
        .admin(
            Method::GET,
            &format!("/api/v1/stations/{}/confirm-link", enc(id)),
        )
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v["url"].as_str().unwrap().to_owned()
}

fn key_of(url: &str) -> String {
    url.split("key=").nth(1).unwrap().to_owned()
}

async fn confirm(app: &TestApp, id: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/stations/{}/confirm", enc(id))))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn state(app: &TestApp, id: &str) -> Value {
    let v = app.get_json(&format!("/api/v1/stations/{}", enc(id))).await;
    v["properties"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_needs_the_admin_token_and_names_this_server() {
    let app = spawn_app(Some(dataset())).await;
    let path = "/api/v1/stations/cf-1/confirm-link";
    assert_problem(app.get(path).await, 401, &["token"], "no token").await;
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, &["token"], "wrong token").await;
    let r = app
        .admin(Method::GET, "/api/v1/stations/nope/confirm-link")
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, &["nope"], "unknown station").await;

    let url = link(&app, "cf-1").await;
    let prefix = format!("http://{}/c/cf-1?key=", app.addr);
    assert!(url.starts_with(&prefix), "{url}");
    let key = key_of(&url);
    assert_eq!(key.len(), 24, "120 bits in base32: {key}");
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)),
        "{key}"
    );
    // The id is one percent-encoded path segment; different stations, different keys.
    let other = link(&app, "cf 2/x").await;
    assert!(other.contains("/c/cf%202%2Fx?key="), "{other}");
    assert_ne!(key_of(&other), key);
    // The link opens the host page.
    let page = app.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let other_page = app.client.get(&other).send().await.unwrap();
    assert_eq!(other_page.status(), 200, "{other}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_key_confirms_and_the_station_shows_it() {
    let app = spawn_app(Some(dataset())).await;
    assert_eq!(state(&app, "cf-1").await["verified_at"], Value::Null);
    let key = key_of(&link(&app, "cf-1").await);

    let before = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    let r = confirm(&app, "cf-1", json!({"key": key, "status": "open"})).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["id"], "cf-1");
    assert_eq!(v["status"], "open");
    assert_eq!(v["reopens_on"], Value::Null);
    assert_eq!(v["status_note"], Value::Null);
    let at: chrono::DateTime<chrono::Utc> = v["verified_at"].as_str().unwrap().parse().unwrap();
    assert!(at >= before && at <= chrono::Utc::now(), "{at}");
    let s = state(&app, "cf-1").await;
    assert_eq!(s["verified_at"], v["verified_at"], "{s}");
    assert_eq!(s["status"], "open");

    // A closure until a date, with a note; then open again clears both.
    let tz = chrono_tz::Asia::Shanghai;
    let day =
        (chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Days::new(5)).to_string();
    let r = confirm(
        &app,
        "cf-1",
        json!({"key": key.to_uppercase(), "status": "temporarily_closed", "reopens_on": day, "status_note": " 内部装修 "}),
    )
    .await;
    assert_eq!(r.status(), 200, "an upper-cased key works too");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "temporarily_closed");
    assert_eq!(v["reopens_on"], json!(day));
    assert_eq!(v["status_note"], "内部装修");
    let s = state(&app, "cf-1").await;
    assert_eq!(s["status"], "temporarily_closed");
    assert_eq!(s["reopens_on"], json!(day));
    assert_eq!(s["open_now"], false);
    let open_ids = ids(&app.get_json("/api/v1/stations?open_now=true").await);
    assert!(!open_ids.contains(&"cf-1".to_owned()), "{open_ids:?}");

    let r = confirm(&app, "cf-1", json!({"key": key, "status": "open"})).await;
    assert_eq!(r.status(), 200);
    let s = state(&app, "cf-1").await;
    assert_eq!(s["status"], "open");
    assert_eq!(
        s.get("reopens_on").cloned().unwrap_or(Value::Null),
        Value::Null,
        "{s}"
    );
    assert_eq!(
        s.get("status_note").cloned().unwrap_or(Value::Null),
        Value::Null,
        "{s}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_403_and_changes_nothing() {
    let app = spawn_app(Some(dataset())).await;
    let good_for_other = key_of(&link(&app, "cf-3").await);
    let before = app.get_json("/api/v1/stations/cf-1").await;
    for key in [good_for_other.as_str(), "", "aaaaaaaaaaaaaaaaaaaaaaaa"] {
        let r = confirm(
            &app,
            "cf-1",
            json!({"key": key, "status": "temporarily_closed"}),
        )
        .await;
        let v = assert_problem(r, 403, &["not valid"], "wrong key").await;
        assert!(
            !v.to_string().contains(&good_for_other),
            "the key is not echoed"
        );
    }
    assert_eq!(app.get_json("/api/v1/stations/cf-1").await, before);
    // Counted (per route and status), without the key anywhere in the metrics.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let line = r#"yizhan_http_requests_total{method="POST",route="/api/v1/stations/{id}/confirm",status="403"} 3"#;
    assert!(metrics.contains(line), "{metrics}");
    // The page says so too, as HTML.
    let r = app.get("/c/cf-1?key=aaaaaaaaaaaaaaaaaaaaaaaa").await;
    assert_eq!(r.status(), 403);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("此确认链接无效") && html.contains("not valid"),
        "{html}"
    );
    assert!(!html.contains("btn-open"));
    assert_eq!(app.get("/c/cf-1").await.status(), 403, "no key");
    assert_eq!(app.get("/c/nope?key=x").await.status(), 404);
    assert_eq!(
        app.get(&format!("/c/cf-3?key={good_for_other}&x=1"))
            .await
            .status(),
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_confirmations_are_4xx_and_change_nothing() {
    let app = spawn_app(Some(dataset())).await;
    let key = key_of(&link(&app, "cf-1").await);
    let tz = chrono_tz::Asia::Shanghai;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let before = app.get_json("/api/v1/stations/cf-1").await;
    let cases = [
        (json!({"key": key, "status": "closed"}), 422, "status"),
        (
            json!({"key": key, "status": "temporarily_closed", "reopens_on": today.to_string()}),
            422,
            "reopens_on",
        ),
        (
            json!({"key": key, "status": "temporarily_closed", "reopens_on": (today - chrono::Days::new(3)).to_string()}),
            422,
            "reopens_on",
        ),
        (
            json!({"key": key, "status": "temporarily_closed", "reopens_on": (today + chrono::Days::new(366)).to_string()}),
            422,
            "365",
        ),
        (
            json!({"key": key, "status": "temporarily_closed", "reopens_on": "next week"}),
            422,
            "YYYY-MM-DD",
        ),
        (
            json!({"key": key, "status": "temporarily_closed", "status_note": "长".repeat(501)}),
            422,
            "500",
        ),
        (
            json!({"key": key, "status": "temporarily_closed", "status_note": "a\u{202E}b"}),
            422,
            "bidirectional",
        ),
        (
            json!({"key": key, "status": "open", "reopens_on": (today + chrono::Days::new(3)).to_string()}),
            422,
            "temporarily_closed",
        ),
        (
            json!({"key": key, "status": "open", "verified_at": "2026-01-01T00:00:00Z"}),
            400,
            "verified_at",
        ),
        (json!({"status": "open"}), 400, "key"),
    ];
    for (body, status, mention) in cases {
        let r = confirm(&app, "cf-1", body.clone()).await;
        assert_problem(r, status, &[mention], &body.to_string()).await;
    }
    let r = app
        .client
        .post(app.url("/api/v1/stations/cf-1/confirm"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("key={key}&status=open"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 415, &["application/json"], "a form").await;
    let r = confirm(&app, "nope", json!({"key": key, "status": "open"})).await;
    assert_problem(r, 404, &["nope"], "unknown station").await;
    assert_eq!(app.get_json("/api/v1/stations/cf-1").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmations_are_rate_limited_per_station() {
    let app = spawn_app(Some(dataset())).await;
    let key = key_of(&link(&app, "cf-1").await);
    for i in 0..10 {
        let r = confirm(&app, "cf-1", json!({"key": key, "status": "open"})).await;
        assert_eq!(r.status(), 200, "confirmation {i}");
    }
    let r = confirm(&app, "cf-1", json!({"key": key, "status": "open"})).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=360).contains(&retry), "{retry}");
    assert_problem(r, 429, &["retry"], "the 11th in an hour").await;
    // Another station has its own quota.
    let key3 = key_of(&link(&app, "cf-3").await);
    let r = confirm(&app, "cf-3", json!({"key": key3, "status": "open"})).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_keys_are_braked_per_client() {
    let app = spawn_app(Some(dataset())).await;
    for _ in 0..10 {
        let r = confirm(&app, "cf-1", json!({"key": "x", "status": "open"})).await;
        assert_eq!(r.status(), 403);
    }
    let key = key_of(&link(&app, "cf-1").await);
    let r = confirm(&app, "cf-1", json!({"key": key, "status": "open"})).await;
    assert_eq!(
        r.status(),
        429,
        "even the right key, for the rest of the minute"
    );
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_survives_a_restart_and_each_data_dir_has_its_own() {
    let app = spawn_app(Some(dataset())).await;
    let key = key_of(&link(&app, "cf-1").await);
    let secret = app.data_dir.path().join("confirm-secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // The same data directory, a new process's worth of state: the same key.
    let addr = serve_dir(app.data_dir.path(), &Opts::default()).await;
    let r = app
        .client
        .get(format!("http://{addr}/api/v1/stations/cf-1/confirm-link"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(key_of(v["url"].as_str().unwrap()), key);
    // Another data directory: another secret.
    let other = spawn_app(Some(dataset())).await;
    assert_ne!(key_of(&link(&other, "cf-1").await), key);
    // Rotating the secret (then restarting) invalidates the old links.
    yizhan::app::rotate_confirm_secret(app.data_dir.path(), None).unwrap();
    let addr = serve_dir(app.data_dir.path(), &Opts::default()).await;
    let url = format!("http://{addr}/api/v1/stations/cf-1/confirm-link");
    let v: Value = app
        .client
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(key_of(v["url"].as_str().unwrap()), key);
    let r = app
        .client
        .post(format!("http://{addr}/api/v1/stations/cf-1/confirm"))
        .json(&json!({"key": key, "status": "open"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "the old key after a rotation");
    // A damaged secret stops the start with a clear error instead of silently making a new one.
    std::fs::write(&secret, "0123\n").unwrap();
    let err = yizhan::app::Application::build(settings(app.data_dir.path(), &Opts::default()))
        .await
        .err()
        .expect("a damaged secret must stop the start");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("confirm-secret") && msg.contains("damaged"),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_page_escapes_the_station_and_the_sheet_lists_the_district() {
    let app = spawn_app(Some(dataset())).await;
    let url = link(&app, "cf-1").await;
    let html = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; 驿站"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("朝阳路 &quot;1&quot; 号"));
    assert!(html.contains("<script src=\"/confirm.js\" defer></script>"));

    assert_problem(
        app.get("/api/v1/qr-sheet").await,
        401,
        &["token"],
        "sheet without token",
    )
    .await;
    let r = app
        .admin(
            Method::GET,
            &format!("/api/v1/qr-sheet?district={}", enc("朝阳区")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["total"], 2);
    assert_eq!(
        v["districts"],
        json!([{"district": "朝阳区", "count": 2}, {"district": "海淀区", "count": 1}])
    );
    let cards = v["stations"].as_array().unwrap();
    assert_eq!(cards.len(), 2);
    for c in cards {
        let id = c["id"].as_str().unwrap();
        assert_eq!(c["url"].as_str().unwrap(), link(&app, id).await);
        let svg = c["svg"].as_str().unwrap();
        assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    }
    let r = app
        .admin(Method::GET, "/api/v1/qr-sheet?offset=1&limit=1")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["total"].as_u64(), v["stations"].as_array().unwrap().len()),
        (Some(3), 1)
    );
    let r = app
        .admin(Method::GET, "/api/v1/qr-sheet?limit=0")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, &["limit"], "limit 0").await;
    let r = app
        .admin(Method::GET, "/api/v1/qr-sheet?distrct=x")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, &["distrct"], "misspelt parameter").await;
    let page = app.get("/admin/qr").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("/admin-qr.js"));
}
