//! The admins' "needs attention" list: stations not confirmed for 90 days (or never), stations with ≥ 3 open
//! `closed` reports in 7 days.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// Stations `a-000000`..`a-000003`; the first two in 朝阳区, the third in 海淀区, the last in none.
async fn attention_app() -> TestApp {
    let (app, _) = spawn_adjusted(|_| {}).await;
    let mut ds = fc(&bulk("a", 4, 7));
    for (i, d) in ["朝阳区", "朝阳区", "海淀区"].iter().enumerate() {
        ds["features"][i]["properties"]["district"] = json!(d);
    }
    assert_eq!(app.put_geojson(&ds).await.status(), 200);
    app
}

async fn verified(app: &TestApp, id: &str, days_ago: i64) {
    let at = (chrono::Utc::now() - chrono::Duration::days(days_ago)).to_rfc3339();
    let r = app
        .admin(Method::PATCH, &format!("/api/v1/stations/{id}"))
        .header("content-type", "application/merge-patch+json")
        .body(json!({"verified_at": at}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn file(app: &TestApp, station: &str, reason: &str) -> String {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/stations/{station}/reports")))
        .json(&json!({"reason": reason}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

async fn attention(app: &TestApp, query: &str) -> Value {
    let r = app
        .admin(Method::GET, &format!("/api/v1/attention{query}"))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "{query}: {text}");
    serde_json::from_str(&text).unwrap()
}

fn listed(v: &Value, list: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attention_lists_unconfirmed_and_reported_closed_stations() {
    let app = attention_app().await;
    verified(&app, "a-000001", 10).await;
    verified(&app, "a-000002", 100).await;
    let mut closed = Vec::new();
    for _ in 0..3 {
        closed.push(file(&app, "a-000002", "closed").await);
        file(&app, "a-000001", "moved").await; // not a closure: never listed
    }
    for _ in 0..2 {
        file(&app, "a-000000", "closed").await; // below the threshold
    }

    let v = attention(&app, "").await;
    assert_eq!(v["unconfirmed_days"], 90);
    assert_eq!(v["unconfirmed_total"], 3, "{v}");
    // Never confirmed first (by id), then the oldest confirmation.
    assert_eq!(
        listed(&v, "unconfirmed"),
        ["a-000000", "a-000003", "a-000002"]
    );
    assert_eq!(v["unconfirmed"][0]["verified_at"], Value::Null);
    assert_eq!(v["unconfirmed"][0]["district"], "朝阳区");
    assert!(v["unconfirmed"][2]["verified_at"].is_string(), "{v}");
    assert_eq!(listed(&v, "reported_closed"), ["a-000002"]);
    assert_eq!(v["reported_closed"][0]["reports"], 3);
    assert_eq!(v["reported_closed"][0]["district"], "海淀区");
    assert_eq!(v["min_reports"], 3);
    assert_eq!(v["reported_closed_days"], 7);

    let v = attention(&app, "?unconfirmed_days=5").await;
    assert_eq!(
        v["unconfirmed_total"], 4,
        "a 10-day-old confirmation is older than 5 days"
    );
    let v = attention(&app, "?limit=1").await;
    assert_eq!(
        (
            listed(&v, "unconfirmed").len(),
            v["unconfirmed_total"].clone()
        ),
        (1, json!(3))
    );
    let v = attention(&app, &format!("?district={}", enc("朝阳区"))).await;
    assert_eq!(listed(&v, "unconfirmed"), ["a-000000"]);
    assert!(
        listed(&v, "reported_closed").is_empty(),
        "a-000002 is in 海淀区"
    );

    // A confirmation takes the station off the first list; a handled report off the second.
    verified(&app, "a-000002", 0).await;
    let r = app
        .admin(Method::PATCH, &format!("/api/v1/reports/{}", closed[0]))
        .header("content-type", "application/merge-patch+json")
        .body(json!({"status": "resolved", "reply": "已恢复"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v = attention(&app, "").await;
    assert_eq!(listed(&v, "unconfirmed"), ["a-000000", "a-000003"]);
    assert!(listed(&v, "reported_closed").is_empty(), "{v}");

    // Admin only; bad parameters are 400s that name them.
    let r = app.get("/api/v1/attention").await;
    assert_problem(r, 401, &[], "no token").await;
    for (q, name) in [
        ("?days=3", "days"),
        ("?unconfirmed_days=0", "unconfirmed_days"),
        ("?limit=5000", "limit"),
    ] {
        let r = app
            .admin(Method::GET, &format!("/api/v1/attention{q}"))
            .send()
            .await
            .unwrap();
        assert_problem(r, 400, &[name], q).await;
    }
}
