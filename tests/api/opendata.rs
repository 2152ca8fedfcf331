//! Open data (v2 "Open data and interop"): the CSV download that round-trips through PUT, and the change feed
//! whose changes bring an old copy to the current download byte for byte.

use std::collections::BTreeMap;

use proptest::prelude::*;
use reqwest::Method;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::helpers::*;

/// Names and addresses a spreadsheet would take for formulas, with commas, quotes, newlines and CJK.
const TRICKY: [&str; 10] = [
    "=HYPERLINK(\"http://evil\",\"点我\")",
    "+86 10 6512 3456",
    "-驿站",
    "@SUM(1)",
    "'=已有撇号",
    "'s Hertogenbosch",
    "逗号, \"引号\"",
    "望京驿站",
    "=1+1, 再加\"引号\"",
    "-",
];

fn tricky_dataset() -> Value {
    let features: Vec<Value> = TRICKY
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({"type": "Feature", "id": format!("t{i}"),
                "geometry": {"type": "Point", "coordinates": [116.3 + i as f64 * 0.001_234_567, 39.9 + i as f64 * 0.000_765_432_1]},
                "properties": {"name": t, "address": format!("{t}\n二行"), "district": "朝阳区",
                    "amenities": ["water", "charging"], "opening_hours": "Mo-Fr 08:00-18:00; Sa 09:00-12:00",
                    "phone": "+86 10 6512 3456"}})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

async fn csv_download(app: &TestApp) -> (String, Vec<u8>) {
    let r = app.get("/api/v1/dataset?format=csv").await;
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/csv"), "{ct}");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    (etag, r.bytes().await.unwrap().to_vec())
}

async fn put_csv(app: &TestApp, body: Vec<u8>) -> Value {
    let r = app
        .upload(Method::PUT, "/api/v1/stations", "text/csv", body)
        .await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "PUT csv: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_download_goes_back_through_put_to_the_same_version_and_state() {
    let app = spawn_app(Some(tricky_dataset())).await;
    let before = app.version().await;
    let r = app
        .admin(Method::PATCH, "/api/v1/stations/t3")
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"status":"temporarily_closed","status_note":"-装修, \"暂停\"","reopens_on":"2027-01-05","verified_at":"2026-11-30T09:30:00.25+08:00"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let download = app.download().await;
    let (etag, csv) = csv_download(&app).await;
    assert!(etag.ends_with(".csv\""), "{etag}");
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(text.starts_with('\u{feff}'), "a BOM for Excel");
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(&csv[3..])
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), TRICKY.len());
    for (row, name) in rows.iter().zip(TRICKY) {
        let want = if name
            .trim_start_matches('\'')
            .starts_with(['=', '+', '-', '@'])
        {
            format!("'{name}")
        } else {
            name.to_owned()
        };
        assert_eq!(&row[1], want, "the name cell of {name:?}");
        assert_eq!(&row[10], "'+86 10 6512 3456");
        assert!(!row[2].starts_with('\''), "lon is a number");
    }
    let out = put_csv(&app, csv).await;
    assert_eq!(out["dataset_version"], before.as_str(), "{out}");
    assert_eq!(app.download().await, download, "same stations, same state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_format_or_parameter_is_a_400() {
    let app = spawn_app(None).await;
    for q in [
        "format=xlsx",
        "format=",
        "fromat=csv",
        "format=csv&format=csv",
    ] {
        let r = app.get(&format!("/api/v1/dataset?{q}")).await;
        assert_problem(r, 400, &[], q).await;
    }
    let r = app.get("/api/v1/dataset?format=geojson").await;
    assert_eq!(r.status(), 200);
}

// ---------------------------------------------------------------------------------------------------------------
// The change feed

#[derive(serde::Deserialize)]
struct ChangeSet<'a> {
    from: String,
    to: String,
    #[serde(borrow)]
    upserted: Collection<'a>,
    removed: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Collection<'a> {
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

/// A client's copy: each feature's text by id, and the token it is at. It knows only the download's layout (one
/// feature per line, in id order), never the server's code.
struct Copy {
    token: String,
    features: BTreeMap<String, String>,
}

fn feature_id(text: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap();
    v["id"].as_str().unwrap().to_owned()
}

impl Copy {
    async fn download(app: &TestApp) -> Copy {
        let r = app.get("/api/v1/dataset").await;
        assert_eq!(r.status(), 200);
        let token = r.headers()["etag"]
            .to_str()
            .unwrap()
            .trim_matches('"')
            .to_owned();
        let text = r.text().await.unwrap();
        let features = text
            .lines()
            .filter(|l| l.starts_with("{\"type\":\"Feature\""))
            .map(|l| l.strip_suffix(',').unwrap_or(l))
            .map(|l| (feature_id(l), l.to_owned()))
            .collect();
        Copy { token, features }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = String::from("{\"type\":\"FeatureCollection\",\"features\":[");
        for (i, f) in self.features.values().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            out.push_str(f);
        }
        out.push_str("\n]}\n");
        out.into_bytes()
    }

    async fn sync(&mut self, app: &TestApp) {
        let r = app
            .get(&format!("/api/v1/changes?since={}", self.token))
            .await;
        let status = r.status();
        let etag = r
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = r.text().await.unwrap();
        assert_eq!(status, 200, "changes since {}: {text}", self.token);
        let c: ChangeSet = serde_json::from_str(&text).unwrap();
        assert_eq!(c.from, self.token);
        assert_eq!(etag, Some(format!("\"{}\"", c.to)));
        for f in c.upserted.features {
            self.features
                .insert(feature_id(f.get()), f.get().to_owned());
        }
        for id in c.removed {
            assert!(
                self.features.remove(&id).is_some(),
                "removed {id} it did not hold"
            );
        }
        self.token = c.to;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_since_the_current_token_are_empty_and_unknown_ones_gone() {
    let app = spawn_app(Some(tricky_dataset())).await;
    let copy = Copy::download(&app).await;
    let c = app
        .get_json(&format!("/api/v1/changes?since={}", copy.token))
        .await;
    assert_eq!(c["from"], c["to"]);
    assert_eq!(c["upserted"]["features"], json!([]));
    assert_eq!(c["removed"], json!([]));
    let r = app
        .get_if_none_match(
            &format!("/api/v1/changes?since={}", copy.token),
            &format!("\"{}\"", copy.token),
        )
        .await;
    assert_eq!(r.status(), 304);
    for since in ["0123456789abcdef", "0123456789abcdef-0123456789abcdef"] {
        let r = app.get(&format!("/api/v1/changes?since={since}")).await;
        assert_problem(r, 410, &["/api/v1/dataset"], since).await;
    }
    for q in ["", "since=", "since=latest", "since=0123456789abcdef&x=1"] {
        let r = app.get(&format!("/api/v1/changes?{q}")).await;
        assert_problem(r, 400, &[], q).await;
    }
    assert_eq!(
        copy.bytes(),
        app.download().await,
        "the client's layout is the download's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_whose_version_was_pruned_is_gone() {
    let app = spawn_app(Some(tricky_dataset())).await;
    let old = Copy::download(&app).await;
    for i in 0..12 {
        let r = app
            .admin(Method::PATCH, "/api/v1/stations/t0")
            .header("content-type", "application/merge-patch+json")
            .body(json!({"name": format!("改名 {i}")}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = app
        .get(&format!("/api/v1/changes?since={}", old.token))
        .await;
    assert_problem(r, 410, &[], "pruned").await;
}

/// One step of a random history.
#[derive(Debug, Clone)]
enum Op {
    Put(Vec<(u8, u8, u8)>),
    Post(Vec<(u8, u8, u8)>),
    Delete(u8),
    Close(u8, u8),
    Reopen(u8),
    Confirm(u8, u32),
    Rename(u8, u8),
    Rollback(u8),
    Sync,
}

const NAMES: [&str; 6] = ["驿站", "=SUM(A1)", "a, \"b\"", "'s X", "@x", "工会驿站"];

fn station(id: u8, name: u8, lon: u8) -> Value {
    json!({"type": "Feature", "id": format!("s{id}"),
        "geometry": {"type": "Point", "coordinates": [116.3 + f64::from(lon) * 0.001, 39.9]},
        "properties": {"name": NAMES[usize::from(name) % NAMES.len()], "amenities": ["water"]}})
}

fn op() -> impl Strategy<Value = Op> {
    let stations = || prop::collection::vec((0u8..12, any::<u8>(), any::<u8>()), 1..6);
    prop_oneof![
        stations().prop_map(Op::Put),
        stations().prop_map(Op::Post),
        (0u8..12).prop_map(Op::Delete),
        (0u8..12, any::<u8>()).prop_map(|(i, n)| Op::Close(i, n)),
        (0u8..12).prop_map(Op::Reopen),
        (0u8..12, 0u32..10_000_000).prop_map(|(i, t)| Op::Confirm(i, t)),
        (0u8..12, any::<u8>()).prop_map(|(i, n)| Op::Rename(i, n)),
        any::<u8>().prop_map(Op::Rollback),
        Just(Op::Sync),
    ]
}

async fn patch(app: &TestApp, id: u8, body: Value) {
    let r = app
        .admin(Method::PATCH, &format!("/api/v1/stations/s{id}"))
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert!(
        status == 200 || status == 404,
        "PATCH s{id} {body}: {}",
        r.text().await.unwrap()
    );
}

/// A FeatureCollection of the stations (a later one of the same id wins).
fn collection(s: &[(u8, u8, u8)]) -> Value {
    let by_id: BTreeMap<u8, Value> = s.iter().map(|&(i, n, l)| (i, station(i, n, l))).collect();
    json!({"type": "FeatureCollection", "features": by_id.into_values().collect::<Vec<_>>()})
}

/// Applies `op`; returns whether it may have made a new stored dataset version.
async fn apply(app: &TestApp, op: &Op, versions: &mut Vec<String>, copy: &mut Copy) -> bool {
    match op {
        Op::Put(s) | Op::Post(s) => {
            let method = if matches!(op, Op::Put(_)) {
                Method::PUT
            } else {
                Method::POST
            };
            let r = app
                .upload(
                    method,
                    "/api/v1/stations",
                    "application/geo+json",
                    collection(s).to_string().into_bytes(),
                )
                .await;
            assert_eq!(r.status(), 200, "{op:?}: {}", r.text().await.unwrap());
        }
        Op::Delete(i) => {
            let r = app
                .admin(Method::DELETE, &format!("/api/v1/stations/s{i}"))
                .send()
                .await
                .unwrap();
            assert!([200, 404].contains(&r.status().as_u16()));
        }
        Op::Close(i, n) => {
            let note = NAMES[usize::from(*n) % NAMES.len()];
            patch(
                app,
                *i,
                json!({"status": "temporarily_closed", "status_note": note}),
            )
            .await;
        }
        Op::Reopen(i) => patch(app, *i, json!({"status": "open", "status_note": null})).await,
        Op::Confirm(i, t) => {
            let at = chrono::DateTime::from_timestamp(1_750_000_000 + i64::from(*t), 0).unwrap();
            patch(app, *i, json!({"verified_at": at.to_rfc3339()})).await;
        }
        Op::Rename(i, n) => patch(app, *i, json!({"name": format!("改名 {n}")})).await,
        Op::Rollback(k) => {
            let v = &versions[usize::from(*k) % versions.len()];
            let r = app.rollback(v).await;
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }
        Op::Sync => copy.sync(app).await,
    }
    let v = app.version().await;
    if !versions.contains(&v) {
        versions.push(v);
    }
    matches!(
        op,
        Op::Put(_) | Op::Post(_) | Op::Delete(_) | Op::Rename(..)
    )
}

/// The issue's sync test: over 100 random histories of uploads, deletions, state patches, edits and rollbacks,
/// a client that starts from an old download and applies the feed (now and then, and once at the end) ends
/// with exactly the bytes of `GET /api/v1/dataset`; so does one that only syncs once, at the end.
#[test]
fn a_client_applying_the_feed_ends_byte_identical_to_the_download() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(100));
    let strategy = (
        prop::collection::vec((0u8..12, any::<u8>(), any::<u8>()), 1..8),
        prop::collection::vec(op(), 1..14),
    );
    runner
        .run(&strategy, |(initial, ops)| {
            rt.block_on(async {
                let app = spawn_app(Some(collection(&initial))).await;
                let mut versions = vec![app.version().await];
                let mut copy = Copy::download(&app).await;
                let mut once = Copy::download(&app).await;
                let mut made = 0;
                for op in &ops {
                    // The start's version must stay among the kept ones (10).
                    if made >= 7
                        && matches!(
                            op,
                            Op::Put(_) | Op::Post(_) | Op::Delete(_) | Op::Rename(..)
                        )
                    {
                        continue;
                    }
                    made += usize::from(apply(&app, op, &mut versions, &mut copy).await);
                }
                copy.sync(&app).await;
                once.sync(&app).await;
                let want = app.download().await;
                assert_eq!(
                    String::from_utf8(copy.bytes()).unwrap(),
                    String::from_utf8(want.clone()).unwrap(),
                    "{ops:?}"
                );
                assert_eq!(once.bytes(), want, "{ops:?}");
            });
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// OGC API – Features

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ogc_items_page_through_every_station_by_their_next_links() {
    let app = spawn_app(Some(tricky_dataset())).await;
    let landing = app.get_json("/ogc").await;
    let rels: Vec<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel), "{rel}: {landing}");
    }
    let conf = app.get_json("/ogc/conformance").await;
    assert!(conf["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c.as_str().unwrap().ends_with("/conf/geojson")));
    let coll = app.get_json("/ogc/collections/stations").await;
    let bbox = &coll["extent"]["spatial"]["bbox"][0];
    assert!((bbox[0].as_f64().unwrap() - 116.3).abs() < 1e-9, "{coll}");
    let want: Vec<String> = (0..TRICKY.len()).map(|i| format!("t{i}")).collect();
    let mut url = app.url("/ogc/collections/stations/items?limit=3");
    let mut got = Vec::new();
    let mut pages = 0;
    loop {
        let r = app.client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/geo+json");
        let page: Value = r.json().await.unwrap();
        assert_eq!(page["numberMatched"], TRICKY.len());
        assert_eq!(
            page["numberReturned"].as_u64().unwrap() as usize,
            page["features"].as_array().unwrap().len()
        );
        assert!(page["timeStamp"].is_string());
        got.extend(ids(&page));
        pages += 1;
        let next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next");
        match next {
            Some(l) => url = l["href"].as_str().unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 4);
    let mut sorted = want.clone();
    sorted.sort();
    assert_eq!(got, sorted);
    let one = app.get_json("/ogc/collections/stations/items/t3").await;
    assert_eq!(one["id"], "t3");
    assert_eq!(one["properties"]["name"], TRICKY[3]);
    let boxed = app
        .get_json(
            "/ogc/collections/stations/items?bbox=116.2999,39.8999,116.3013,39.9009&limit=100000",
        )
        .await;
    assert_eq!(ids(&boxed), ["t0", "t1"], "{boxed}");
    let first = app.get_json("/ogc/collections/stations/items").await;
    assert_eq!(first["numberReturned"], 10, "the default limit");
    for q in [
        "limit=0",
        "limit=-1",
        "limit=x",
        "crs=wgs84",
        "f=html",
        "bbox=1,2,3",
    ] {
        let r = app
            .get(&format!("/ogc/collections/stations/items?{q}"))
            .await;
        assert_problem(r, 400, &[], q).await;
    }
    let r = app.get("/ogc/collections/stations/items/nope").await;
    assert_problem(r, 404, &[], "unknown item").await;
}

// ---------------------------------------------------------------------------------------------------------------
// The station page

fn json_ld(html: &str) -> Value {
    let start = html
        .find("<script type=\"application/ld+json\">")
        .expect("a JSON-LD block")
        + 35;
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end])
        .unwrap_or_else(|e| panic!("JSON-LD: {e}: {}", &html[start..end]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_station_page_has_json_ld_open_graph_and_escapes_everything() {
    let evil = "</script><script>alert(1)</script> \"引号\" & <b>";
    let ds = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "bj-1", "geometry": {"type": "Point", "coordinates": [116.4074, 39.9042]},
         "properties": {"name": evil, "address": "东城区<img src=x>", "district": "东城区", "phone": "010-6512 3456",
            "amenities": ["water", "charging"], "opening_hours": "Mo-Fr 08:00-18:00; PH off"}}]});
    let app = spawn_app(Some(ds)).await;
    let r = app.get("/s/bj-1").await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(
        html.starts_with("<!doctype html>\n<html lang=\"zh-CN\">"),
        "Chinese by default"
    );
    assert!(
        !html.contains("<script>alert") && !html.contains("<img src=x>") && !html.contains("<b>"),
        "{html}"
    );
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the JSON-LD data block: {html}"
    );
    assert!(html.contains(
        "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &quot;引号&quot; &amp; &lt;b&gt;"
    ));
    let ld = json_ld(&html);
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "CivicStructure");
    assert_eq!(ld["name"], evil);
    assert_eq!(ld["geo"]["@type"], "GeoCoordinates");
    assert_eq!(ld["geo"]["latitude"], 39.9042);
    assert_eq!(ld["geo"]["longitude"], 116.4074);
    assert_eq!(ld["address"]["streetAddress"], "东城区<img src=x>");
    assert_eq!(ld["openingHours"], json!(["Mo-Fr 08:00-18:00"]));
    assert_eq!(ld["amenityFeature"].as_array().unwrap().len(), 2);
    assert_eq!(
        ld["amenityFeature"][0]["@type"],
        "LocationFeatureSpecification"
    );
    assert!(ld["url"].as_str().unwrap().ends_with("/s/bj-1"), "{ld}");
    for prop in ["og:title", "og:description", "og:url"] {
        assert!(
            html.contains(&format!("<meta property=\"{prop}\" content=\"")),
            "{prop}"
        );
    }
    assert!(
        html.contains("href=\"/?lat=39.904200&amp;lon=116.407400\""),
        "the map link"
    );
    assert!(
        html.contains("https://uri.amap.com/navigation?to=116.41"),
        "Amap in GCJ-02"
    );
    assert!(html.contains("coord_type=bd09ll"), "Baidu in BD-09");

    let en = app
        .client
        .get(app.url("/s/bj-1"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(en.headers()["content-language"], "en");
    let en = en.text().await.unwrap();
    assert!(en.contains("<html lang=\"en\">") && en.contains("Navigate (Amap)"));
    let zh = app
        .client
        .get(app.url("/s/bj-1?lang=zh"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert!(zh.text().await.unwrap().contains("<html lang=\"zh-CN\">"));
    assert_eq!(app.get("/s/nope").await.status(), 404);
    assert_eq!(app.get("/s/bj-1?x=1").await.status(), 400);
    assert_eq!(app.get("/s/bj-1?lang=fr").await.status(), 400);
}
