//! Problem details in the client's language: `Accept-Language: zh` → Chinese `title`, `detail` and every
//! `errors[].message`, over a corpus of bad requests that reaches each layer's messages; English otherwise;
//! keys, `type` and parameter names never change.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

fn one() -> Value {
    json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "a", "geometry": {"type": "Point", "coordinates": [116.4, 39.9]},
         "properties": {"name": "驿站 a", "district": "朝阳区", "amenities": ["water"], "opening_hours": "24/7"}}]})
}

/// Bad rows that reach the import rules, the domain and the readers (each row one kind of mistake).
fn bad_upload() -> Value {
    let f = |id: Value, coords: Value, props: Value| json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": coords}, "properties": props});
    json!({"type": "FeatureCollection", "features": [
        f(json!("lon"), json!([216.4, 39.9]), json!({"name": "经度错"})),
        f(json!("lat"), json!([116.4, 99.0]), json!({"name": "纬度错"})),
        f(json!("noname"), json!([116.41, 39.9]), json!({"name": ""})),
        f(json!("dup"), json!([116.42, 39.9]), json!({"name": "重复一"})),
        f(json!("dup"), json!([116.43, 39.9]), json!({"name": "重复二"})),
        f(json!("phone"), json!([116.44, 39.9]), json!({"name": "电话", "phone": "010-abc"})),
        f(json!("bidi"), json!([116.45, 39.9]), json!({"name": "驿站\u{202e}反"})),
        f(json!("zw"), json!([116.46, 39.9]), json!({"name": "\u{200b}"})),
        f(json!("nearest"), json!([116.47, 39.9]), json!({"name": "保留"})),
        f(json!("hours"), json!([116.48, 39.9]), json!({"name": "时间", "opening_hours": "Mo-Fr 25:00-99:00"})),
        f(json!("amen"), json!([116.49, 39.9]), json!({"name": "设施", "amenities": ["teleport"]})),
        f(json!("status"), json!([116.50, 39.9]), json!({"name": "状态", "status": "maybe"})),
        f(json!("future"), json!([116.51, 39.9]), json!({"name": "确认", "verified_at": "2999-01-01T00:00:00Z"})),
        json!({"type": "Feature", "id": "nogeom", "properties": {"name": "无坐标"}}),
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [116.52, 39.9]}, "properties": {"name": "无 id"}}),
    ]})
}

/// (what, method, path, content type, body, with the admin token)
type Case = (&'static str, Method, String, &'static str, Vec<u8>, bool);

fn corpus() -> Vec<Case> {
    let get = |what, p: &str| (what, Method::GET, p.to_owned(), "", vec![], false);
    vec![
        get(
            "lat out of range",
            "/api/v1/stations/nearest?lat=100&lon=116.4",
        ),
        get(
            "misspelt parameter",
            "/api/v1/stations/nearest?lat=39.9&lon=116.4&amenity=water",
        ),
        get("bad bbox", "/api/v1/stations?bbox=1,2"),
        get("bad path", "/api/v1/stations/along?path=10,0"),
        get(
            "bad crs",
            "/api/v1/stations/nearest?lat=39.9&lon=116.4&crs=utm",
        ),
        get(
            "bad amenity",
            "/api/v1/stations/nearest?lat=39.9&lon=116.4&amenities=teleport",
        ),
        get(
            "bad at",
            "/api/v1/stations/nearest?lat=39.9&lon=116.4&at=tomorrow",
        ),
        get("unknown ticket", "/api/v1/tickets/ABCD-EFGH"),
        get("unknown station", "/api/v1/stations/zzz"),
        (
            "no token",
            Method::PUT,
            "/api/v1/stations".into(),
            "application/geo+json",
            one().to_string().into_bytes(),
            false,
        ),
        (
            "report as text/plain",
            Method::POST,
            "/api/v1/stations/a/reports".into(),
            "text/plain",
            br#"{"reason":"closed"}"#.to_vec(),
            false,
        ),
        (
            "bad report reason",
            Method::POST,
            "/api/v1/stations/a/reports".into(),
            "application/json",
            br#"{"reason":"aliens"}"#.to_vec(),
            false,
        ),
        (
            "bad rows",
            Method::PUT,
            "/api/v1/stations".into(),
            "application/geo+json",
            bad_upload().to_string().into_bytes(),
            true,
        ),
        (
            "not a collection",
            Method::PUT,
            "/api/v1/stations".into(),
            "application/geo+json",
            br#"{"type":"Feature"}"#.to_vec(),
            true,
        ),
        (
            "not JSON",
            Method::PUT,
            "/api/v1/stations".into(),
            "application/geo+json",
            b"{\"type\":".to_vec(),
            true,
        ),
        (
            "long CSV row",
            Method::PUT,
            "/api/v1/stations".into(),
            "text/csv",
            "id,name,lon,lat\nx,驿站,116.4,39.9,extra\n"
                .as_bytes()
                .to_vec(),
            true,
        ),
        (
            "bad content type",
            Method::PUT,
            "/api/v1/stations".into(),
            "application/xml",
            b"<x/>".to_vec(),
            true,
        ),
        (
            "bad patch",
            Method::PATCH,
            "/api/v1/stations/a".into(),
            "application/merge-patch+json",
            br#"{"properties":{"status":"maybe"}}"#.to_vec(),
            true,
        ),
        (
            "bad calendar",
            Method::PUT,
            "/api/v1/calendar".into(),
            "application/json",
            br#"{"years":{"2026":{"holidays":["2026-13-01"],"workdays":["2026-10-09"]}}}"#.to_vec(),
            true,
        ),
        (
            "empty rollback",
            Method::POST,
            "/api/v1/dataset/rollback".into(),
            "application/json",
            b"{}".to_vec(),
            true,
        ),
    ]
}

async fn send(app: &TestApp, lang: &str, c: &Case) -> (u16, reqwest::header::HeaderMap, Value) {
    let (_, method, path, ct, body, admin) = c;
    let mut rb = if *admin {
        app.admin(method.clone(), path)
    } else {
        app.client.request(method.clone(), app.url(path))
    };
    if !ct.is_empty() {
        rb = rb.header("content-type", *ct);
    }
    let r = rb
        .header("accept-language", lang)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let v =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON ({e}): {text}", c.0));
    (status, headers, v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_speak_chinese_to_a_chinese_client_and_english_otherwise() {
    let app = spawn_app(Some(one())).await;
    let v0 = app.version().await;
    let mut untranslated = vec![];
    for c in corpus() {
        let (st_en, h_en, en) = send(&app, "en-US,en;q=0.9", &c).await;
        let (st_zh, h_zh, zh) = send(&app, "zh-CN,zh;q=0.9,en;q=0.8", &c).await;
        let what = c.0;
        assert!((400..500).contains(&st_en), "{what}: {st_en} {en}");
        assert_eq!(st_en, st_zh, "{what}");
        assert_eq!(h_zh["content-type"], "application/problem+json", "{what}");
        assert!(
            h_zh.get_all("vary")
                .iter()
                .any(|v| v.to_str().unwrap_or("").contains("Accept-Language")),
            "{what}: no Vary"
        );
        assert!(
            h_en.get_all("vary")
                .iter()
                .any(|v| v.to_str().unwrap_or("").contains("Accept-Language")),
            "{what}: no Vary"
        );
        // The same keys, type and parameter; English stays English.
        assert_eq!(en["type"], zh["type"], "{what}");
        assert_eq!(en["status"], zh["status"], "{what}");
        assert_eq!(en["parameter"], zh["parameter"], "{what}");
        assert!(!has_cjk(en["title"].as_str().unwrap()), "{what}: {en}");
        assert!(has_cjk(zh["title"].as_str().unwrap()), "{what}: {zh}");
        let detail = zh["detail"].as_str().unwrap();
        if !has_cjk(detail) {
            untranslated.push(format!("{what}: detail {detail:?}"));
        }
        let (e_en, e_zh) = (en["errors"].as_array(), zh["errors"].as_array());
        assert_eq!(e_en.map(Vec::len), e_zh.map(Vec::len), "{what}");
        for (a, b) in e_en.into_iter().flatten().zip(e_zh.into_iter().flatten()) {
            for key in ["index", "line", "id", "field"] {
                assert_eq!(a[key], b[key], "{what}: {key}");
            }
            let m = b["message"].as_str().unwrap();
            // Chinese, and with no English sentence left (quoted values and keys may stay).
            if !has_cjk(m) || m.contains(" must ") || m.contains(" is ") {
                untranslated.push(format!("{what}: errors[] {m:?} (en {:?})", a["message"]));
            }
        }
    }
    assert!(
        untranslated.is_empty(),
        "untranslated:\n{}",
        untranslated.join("\n")
    );
    // The bad upload really reached the row rules (15 rows, each wrong) and changed nothing.
    let (_, _, v) = send(&app, "zh", &corpus()[12]).await;
    assert!(v["errors"].as_array().unwrap().len() >= 13, "{v}");
    assert_eq!(app.version().await, v0);
    // Successful answers are untouched by the language.
    let r = app
        .client
        .get(app.url("/api/v1/stations/a"))
        .header("accept-language", "zh")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("content-language").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_translated_problem_keeps_its_values() {
    let app = spawn_app(Some(one())).await;
    let r = app
        .client
        .get(app.url("/api/v1/stations/nearest?lat=39.9&lon=116.4&k=5000"))
        .header("accept-language", "zh")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    let d = v["detail"].as_str().unwrap();
    assert!(d.contains("5000") && d.contains('k') && has_cjk(d), "{d}");
    assert_eq!(v["parameter"], "k");
}

/// `yizhan validate --lang zh` reports in Chinese what the API would; without it, English.
#[test]
fn validate_speaks_the_language_it_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.geojson");
    std::fs::write(&file, bad_upload().to_string()).unwrap();
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_yizhan"))
            .arg("validate")
            .args(extra)
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "invalid file → exit 1");
        String::from_utf8(out.stdout).unwrap()
    };
    let zh = run(&["--lang", "zh", "--json"]);
    let v: Value = serde_json::from_str(&zh).unwrap();
    let errors = v["errors"].as_array().unwrap();
    assert!(errors.len() >= 13, "{v}");
    for e in errors {
        assert!(has_cjk(e["message"].as_str().unwrap()), "{e}");
    }
    let en = run(&[]);
    assert!(en.contains("longitude 216.4 is outside"), "{en}");
    assert!(run(&["--lang", "zh"]).contains("经度 216.4"));
}
