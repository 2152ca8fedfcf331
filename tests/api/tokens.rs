//! Many admins (v2 "Many admins, one audit trail"): district tokens change only their districts' stations
//! (403 naming every other row, nothing changed), a district PUT leaves the other districts byte-identical,
//! revoked tokens are refused without a restart, read-only tokens read and never write, and the audit log
//! lists every change with its actor. Also `yizhan token add|list|revoke` as a subprocess.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn station(id: &str, lon: f64, district: Option<&str>) -> Value {
    let mut props =
        json!({"name": format!("驿站 {id}"), "amenities": ["water"], "opening_hours": "24/7"});
    if let Some(d) = district {
        props["district"] = json!(d);
    }
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, 39.9]}, "properties": props})
}

const CY: &str = "朝阳区";
const HD: &str = "海淀区";

fn dataset() -> Value {
    json!({"type": "FeatureCollection", "features": [
        station("cy-1", 116.40, Some(CY)), station("cy-2", 116.41, Some(CY)), station("cy-3", 116.42, Some(CY)),
        station("hd-1", 116.30, Some(HD)), station("hd-2", 116.31, Some(HD)), station("nd-1", 116.50, None)]})
}

/// A token added to the app's data directory, in force once the server has looked at the file again (it looks
/// at most once a second).
async fn add_token(app: &TestApp, name: &str, districts: &[&str], read_only: bool) -> String {
    let districts: Vec<String> = districts.iter().map(|d| d.to_string()).collect();
    let secret = yizhan::store::tokens::add(
        &yizhan::store::backend::Dir::open(app.data_dir.path()).unwrap(),
        name,
        &districts,
        read_only,
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    secret
}

async fn send(app: &TestApp, token: &str, method: Method, path: &str, body: Body) -> (u16, Value) {
    let mut rq = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some((ct, b)) = body {
        rq = rq.header("content-type", ct).body(b);
    }
    let r = rq.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A request body: its media type and text.
type Body = Option<(&'static str, String)>;

fn geo(v: &Value) -> Body {
    Some(("application/geo+json", v.to_string()))
}

fn merge(v: Value) -> Body {
    Some(("application/merge-patch+json", v.to_string()))
}

/// The stored dataset's feature lines (one feature per line), by district: exactly the bytes served.
async fn lines_by_district(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    let text = String::from_utf8(app.download().await).unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let l = line.trim_end_matches(',');
        if let Ok(f) = serde_json::from_str::<Value>(l) {
            if f["type"] == "Feature" {
                let d = f["properties"]["district"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                out.entry(d)
                    .or_default()
                    .push(line.trim_end_matches(',').to_owned());
            }
        }
    }
    out
}

fn named(errors: &Value) -> Vec<(String, String)> {
    errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["district"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_token_cannot_touch_other_districts_and_nothing_changes() {
    let app = spawn_app(Some(dataset())).await;
    let cy = add_token(&app, "chaoyang", &[CY], false).await;
    let before = app.download().await;

    // An upsert with one row of its own, one of 海淀区, one without a district and one that would take over
    // 海淀区's station: 403 naming the three others, nothing stored.
    let body = json!({"type": "FeatureCollection", "features": [
        station("cy-9", 116.43, Some(CY)), station("hd-9", 116.32, Some(HD)), station("nd-9", 116.5, None),
        station("hd-1", 116.44, Some(CY))]});
    let (status, p) = send(&app, &cy, Method::POST, "/api/v1/stations", geo(&body)).await;
    assert_eq!(status, 403, "{p}");
    assert_eq!(p["type"], "/problems/out-of-scope");
    assert_eq!(
        named(&p["errors"]),
        [
            ("hd-9".to_owned(), HD.to_owned()),
            ("nd-9".to_owned(), String::new()),
            ("hd-1".to_owned(), HD.to_owned())
        ]
    );
    assert_eq!(p["errors"][0]["index"], 1);
    assert!(
        p["errors"][0]["message"].as_str().unwrap().contains(HD),
        "{p}"
    );

    // The same for a PUT, a PATCH and a DELETE of 海淀区's station, and a PATCH that would move its own
    // station to 海淀区.
    let (status, p) = send(&app, &cy, Method::PUT, "/api/v1/stations", geo(&body)).await;
    assert_eq!(
        (status, p["type"].as_str()),
        (403, Some("/problems/out-of-scope"))
    );
    let (status, p) = send(
        &app,
        &cy,
        Method::PATCH,
        "/api/v1/stations/hd-2",
        merge(json!({"phone": "010-1"})),
    )
    .await;
    assert_eq!(status, 403, "{p}");
    assert_eq!(named(&p["errors"]), [("hd-2".to_owned(), HD.to_owned())]);
    let (status, _) = send(
        &app,
        &cy,
        Method::PATCH,
        "/api/v1/stations/cy-1",
        merge(json!({"district": HD})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, p) = send(&app, &cy, Method::DELETE, "/api/v1/stations/hd-1", None).await;
    assert_eq!(status, 403, "{p}");
    assert_eq!(named(&p["errors"]), [("hd-1".to_owned(), HD.to_owned())]);
    // A rollback or a calendar concerns every district.
    let (status, p) = send(
        &app,
        &cy,
        Method::POST,
        "/api/v1/dataset/rollback?version=0123456789abcdef",
        None,
    )
    .await;
    assert_eq!(
        (status, p["type"].as_str()),
        (403, Some("/problems/out-of-scope")),
        "{p}"
    );

    assert_eq!(
        app.download().await,
        before,
        "a refused change changed the dataset"
    );

    // A confirmation link confirms a station: only its own districts' links, and QR sheets.
    let (status, p) = send(
        &app,
        &cy,
        Method::GET,
        "/api/v1/stations/hd-1/confirm-link",
        None,
    )
    .await;
    assert_eq!(status, 403, "{p}");
    assert_eq!(named(&p["errors"]), [("hd-1".to_owned(), HD.to_owned())]);
    let (status, _) = send(
        &app,
        &cy,
        Method::GET,
        "/api/v1/stations/cy-1/confirm-link",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let q = format!("/api/v1/qr-sheet?district={HD}");
    let (status, p) = send(&app, &cy, Method::GET, &q, None).await;
    assert_eq!(
        (status, p["type"].as_str()),
        (403, Some("/problems/out-of-scope")),
        "{p}"
    );
    let (status, sheet) = send(&app, &cy, Method::GET, "/api/v1/qr-sheet", None).await;
    assert_eq!(status, 200, "{sheet}");
    let ids: Vec<&str> = sheet["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cy-1", "cy-2", "cy-3"]);

    // Chinese, on request.
    let r = app
        .client
        .delete(app.url("/api/v1/stations/hd-1"))
        .bearer_auth(&cy)
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    let p: Value = r.json().await.unwrap();
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("不在此令牌的辖区"),
        "{p}"
    );

    // Its own stations it may change.
    let (status, p) = send(
        &app,
        &cy,
        Method::PATCH,
        "/api/v1/stations/cy-1",
        merge(json!({"phone": "010-12345678"})),
    )
    .await;
    assert_eq!(status, 200, "{p}");
    let (status, p) = send(&app, &cy, Method::DELETE, "/api/v1/stations/cy-2", None).await;
    assert_eq!(status, 200, "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_put_replaces_only_its_districts_and_leaves_the_rest_byte_identical() {
    let app = spawn_app(Some(dataset())).await;
    // Some state on another district's station, which must survive too.
    let (status, _) = send(
        &app,
        TOKEN,
        Method::PATCH,
        "/api/v1/stations/hd-1",
        merge(json!({"status": "temporarily_closed"})),
    )
    .await;
    assert_eq!(status, 200);
    let cy = add_token(&app, "chaoyang", &[CY], false).await;
    let before = lines_by_district(&app).await;

    // cy-1 changed, cy-2 kept, cy-3 dropped, cy-4 new.
    let mut cy1 = station("cy-1", 116.40, Some(CY));
    cy1["properties"]["name"] = json!("驿站 cy-1 新名字");
    let body = json!({"type": "FeatureCollection", "features": [cy1, station("cy-2", 116.41, Some(CY)), station("cy-4", 116.45, Some(CY))]});
    let (status, p) = send(&app, &cy, Method::PUT, "/api/v1/stations", geo(&body)).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        p["count"], 6,
        "3 of 朝阳区, 2 of 海淀区, 1 without a district: {p}"
    );

    let after = lines_by_district(&app).await;
    assert_eq!(after[HD], before[HD], "海淀区's stations changed");
    assert_eq!(
        after[""], before[""],
        "the station without a district changed"
    );
    let ids: Vec<String> = after[CY]
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["cy-1", "cy-2", "cy-4"]);
    let hd1 = app.get_json("/api/v1/stations/hd-1").await;
    assert_eq!(hd1["properties"]["status"], "temporarily_closed");

    // The audit says who did it and what.
    let audit = app
        .admin(Method::GET, "/api/v1/audit?limit=1")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let e = &audit[0];
    assert_eq!(
        (e["actor"].as_str(), e["action"].as_str()),
        (Some("chaoyang"), Some("upload (replace)")),
        "{audit}"
    );
    assert_eq!(
        (
            e["added"].as_u64(),
            e["updated"].as_u64(),
            e["removed"].as_u64()
        ),
        (Some(1), Some(2), Some(1)),
        "{e}"
    );
    assert_eq!(e["dataset_version"], p["dataset_version"]);

    // An empty district PUT would empty its districts: only with allow_empty, and the rest stays.
    let empty = json!({"type": "FeatureCollection", "features": []});
    let (status, p) = send(&app, &cy, Method::PUT, "/api/v1/stations", geo(&empty)).await;
    assert_eq!(status, 422, "{p}");
    let (status, p) = send(
        &app,
        &cy,
        Method::PUT,
        "/api/v1/stations?allow_empty=true",
        geo(&empty),
    )
    .await;
    assert_eq!((status, p["count"].as_u64()), (200, Some(3)), "{p}");
    let last = lines_by_district(&app).await;
    assert_eq!(last[HD], before[HD]);
    assert!(!last.contains_key(CY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_take_effect_and_revoked_ones_are_refused_without_a_restart() {
    let app = spawn_app(Some(dataset())).await;
    let secret = add_token(&app, "temp", &[], false).await;
    let (status, _) = send(&app, &secret, Method::GET, "/api/v1/dataset/versions", None).await;
    assert_eq!(
        status, 200,
        "a token added while the server runs is accepted"
    );
    let (status, p) = send(
        &app,
        &secret,
        Method::PATCH,
        "/api/v1/stations/hd-1",
        merge(json!({"phone": "010-1"})),
    )
    .await;
    assert_eq!(
        status, 200,
        "a token without districts changes every district: {p}"
    );

    yizhan::store::tokens::revoke(
        &yizhan::store::backend::Dir::open(app.data_dir.path()).unwrap(),
        "temp",
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, p) = send(&app, &secret, Method::GET, "/api/v1/dataset/versions", None).await;
    assert_eq!(status, 401, "revoked: {p}");
    assert_eq!(p["type"], "/problems/unauthorized");
    let (status, _) = send(
        &app,
        "yz_000000000000000000000000000000000000000000000000",
        Method::GET,
        "/api/v1/dataset/versions",
        None,
    )
    .await;
    assert_eq!(status, 401, "unknown");
    // The full token still works.
    let (status, _) = send(&app, TOKEN, Method::GET, "/api/v1/dataset/versions", None).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_token_reads_the_admin_endpoints_and_changes_nothing() {
    let app = spawn_app(Some(dataset())).await;
    let ro = add_token(&app, "auditor", &[], true).await;
    for path in [
        "/api/v1/dataset/versions",
        "/api/v1/reports",
        "/api/v1/audit",
        "/api/v1/attention",
    ] {
        let (status, p) = send(&app, &ro, Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {p}");
    }
    let before = app.download().await;
    let writes: Vec<(Method, &str, Body)> = vec![
        (Method::PUT, "/api/v1/stations", geo(&dataset())),
        (Method::POST, "/api/v1/stations", geo(&dataset())),
        (
            Method::PATCH,
            "/api/v1/stations/cy-1",
            merge(json!({"phone": "010-1"})),
        ),
        (Method::DELETE, "/api/v1/stations/cy-1", None),
        (
            Method::POST,
            "/api/v1/dataset/rollback?version=0123456789abcdef",
            None,
        ),
        (
            Method::PUT,
            "/api/v1/calendar",
            Some(("application/json", json!({"years": {}}).to_string())),
        ),
        (
            Method::PATCH,
            "/api/v1/reports/r1",
            merge(json!({"status": "resolved"})),
        ),
    ];
    for (m, path, body) in writes {
        let label = format!("{m} {path}");
        let (status, p) = send(&app, &ro, m, path, body).await;
        assert_eq!(status, 403, "{label}: {p}");
        assert_eq!(p["type"], "/problems/read-only", "{label}");
    }
    assert_eq!(app.download().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_lists_every_change_with_its_actor_newest_first() {
    let app = spawn_app(Some(dataset())).await;
    let cy = add_token(&app, "chaoyang", &[CY], false).await;
    let v0 = app.version().await;
    // A district upsert, a patch, a delete, then the full admin rolls back.
    let body =
        json!({"type": "FeatureCollection", "features": [station("cy-5", 116.46, Some(CY))]});
    assert_eq!(
        send(&app, &cy, Method::POST, "/api/v1/stations", geo(&body))
            .await
            .0,
        200
    );
    assert_eq!(
        send(
            &app,
            &cy,
            Method::PATCH,
            "/api/v1/stations/cy-1",
            merge(json!({"status": "temporarily_closed"}))
        )
        .await
        .0,
        200
    );
    assert_eq!(
        send(&app, &cy, Method::DELETE, "/api/v1/stations/cy-3", None)
            .await
            .0,
        200
    );
    let (status, _) = send(
        &app,
        TOKEN,
        Method::POST,
        &format!("/api/v1/dataset/rollback?version={v0}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    // A host confirms its station through its link.
    let link = app
        .admin(Method::GET, "/api/v1/stations/hd-1/confirm-link")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let key = link["url"]
        .as_str()
        .unwrap()
        .split("key=")
        .nth(1)
        .unwrap()
        .to_owned();
    let r = app
        .client
        .post(app.url("/api/v1/stations/hd-1/confirm"))
        .json(&json!({"key": key, "status": "open"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A rider's report on cy-1 becomes a case the district admin moves along; 海淀区's is not its to see.
    let mut cases = Vec::new();
    for id in ["cy-1", "hd-2"] {
        let r = app
            .client
            .post(app.url(&format!("/api/v1/stations/{id}/reports")))
            .json(&json!({"reason": "closed"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        cases.push(
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (status, list) = send(&app, &cy, Method::GET, "/api/v1/reports", None).await;
    assert_eq!(status, 200);
    let seen: Vec<&str> = list["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["station_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        seen,
        ["cy-1"],
        "a district token sees only its districts' reports"
    );
    let (_, att) = send(&app, &cy, Method::GET, "/api/v1/attention", None).await;
    let listed: Vec<&str> = att["unconfirmed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        !listed.is_empty() && listed.iter().all(|id| id.starts_with("cy-")),
        "{att}"
    );
    let (status, _) = send(
        &app,
        &cy,
        Method::PATCH,
        &format!("/api/v1/reports/{}", cases[1]),
        merge(json!({"status": "in_progress"})),
    )
    .await;
    assert_eq!(status, 404, "another district's case");
    let (status, p) = send(
        &app,
        &cy,
        Method::PATCH,
        &format!("/api/v1/reports/{}", cases[0]),
        merge(json!({"status": "in_progress", "reply": "在处理"})),
    )
    .await;
    assert_eq!(status, 200, "{p}");

    let (status, audit) = send(&app, TOKEN, Method::GET, "/api/v1/audit", None).await;
    assert_eq!(status, 200);
    let got: Vec<(String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("chaoyang", "case"),
        ("host:hd-1", "confirm"),
        ("admin", "rollback"),
        ("chaoyang", "delete"),
        ("chaoyang", "patch"),
        ("chaoyang", "upload (upsert)"),
        ("admin", "upload (replace)"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want, "{audit}");
    assert_eq!(audit[1]["detail"], "hd-1: open");
    assert_eq!(audit[3]["removed"], 1);
    assert_eq!(audit[3]["detail"], "cy-3");
    assert_eq!(audit[2]["dataset_version"], v0.as_str());

    // Filters and paging.
    let (_, only) = send(
        &app,
        TOKEN,
        Method::GET,
        "/api/v1/audit?actor=chaoyang&limit=2&offset=1",
        None,
    )
    .await;
    let actions: Vec<&str> = only
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "patch"]);
    let (_, none) = send(
        &app,
        TOKEN,
        Method::GET,
        "/api/v1/audit?since=2999-01-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(none, json!([]));
    let (status, p) = send(
        &app,
        TOKEN,
        Method::GET,
        "/api/v1/audit?since=yesterday",
        None,
    )
    .await;
    assert_eq!((status, p["parameter"].as_str()), (400, Some("since")));
    let r = app
        .client
        .get(app.url("/api/v1/audit"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "admin-only");
}

fn yizhan(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("YIZHAN_DATA_DIR")
        .output()
        .expect("running yizhan")
}

#[test]
fn the_token_command_adds_lists_and_revokes_and_never_shows_a_secret_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = yizhan(
        &[
            "token",
            "add",
            "chaoyang",
            "--district",
            CY,
            "--district",
            "东城区",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(secret.len(), 51, "{secret}");
    assert!(secret.starts_with("yz_") && secret[3..].bytes().all(|b| b.is_ascii_hexdigit()));
    let out = yizhan(&["token", "add", "auditor", "--read-only"], dir.path());
    assert!(out.status.success());
    let second = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_ne!(second, secret);
    // The same name again is refused.
    assert!(!yizhan(&["token", "add", "chaoyang"], dir.path())
        .status
        .success());

    let stored = std::fs::read_to_string(dir.path().join("tokens.json")).unwrap();
    assert!(
        !stored.contains(&secret[3..]) && !stored.contains(&second[3..]),
        "a secret is on disk"
    );

    let out = yizhan(&["token", "list"], dir.path());
    assert!(out.status.success());
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(!list.contains(&secret[3..]));
    let row = |name: &str| {
        list.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(row("chaoyang").contains("朝阳区,东城区"), "{list}");
    assert!(
        row("auditor").contains("all districts, read-only"),
        "{list}"
    );
    assert!(
        row("chaoyang").trim_end().ends_with('-'),
        "not revoked yet: {list}"
    );

    let out = yizhan(&["token", "revoke", "chaoyang"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!yizhan(&["token", "revoke", "chaoyang"], dir.path())
        .status
        .success());
    assert!(!yizhan(&["token", "revoke", "nobody"], dir.path())
        .status
        .success());
    let list = String::from_utf8(yizhan(&["token", "list"], dir.path()).stdout).unwrap();
    let row = list.lines().find(|l| l.starts_with("chaoyang")).unwrap();
    assert!(!row.trim_end().ends_with('-'), "revoked: {list}");

    // Each change is in the audit log, by the full admin.
    let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    let actions: Vec<String> = audit
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(actions, ["token add", "token add", "token revoke"]);
}
