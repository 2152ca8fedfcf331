//! A corpus of malformed uploads (built here, in `tests/fixtures/bad/`, and by seeded random mutation): each is
//! a 4xx problem+json, and afterwards the downloaded dataset is byte-identical and the version unchanged.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const H: &str = "id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone";

struct Case {
    name: String,
    method: Method,
    query: &'static str,
    content_type: Option<&'static str>,
    encoding: Option<&'static str>,
    body: Vec<u8>,
    /// The exact status the contract asks for, or None for "some 4xx".
    expect: Option<u16>,
}

fn case(
    name: impl Into<String>,
    ct: &'static str,
    body: impl Into<Vec<u8>>,
    expect: Option<u16>,
) -> Case {
    Case {
        name: name.into(),
        method: Method::PUT,
        query: "",
        content_type: Some(ct),
        encoding: None,
        body: body.into(),
        expect,
    }
}

fn base() -> Vec<MSt> {
    bulk("base", 12, 77)
}

fn good_feature(i: usize) -> Value {
    let mut s = MSt::new(&format!("new-{i}"), 116.3 + i as f64 * 0.001, 39.9);
    s.amenities = vec!["water"];
    s.hours = Some("24/7");
    s.to_feature()
}

/// A collection of three good features where `edit` spoils the middle one.
fn spoiled(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut f1 = good_feature(1);
    edit(&mut f1);
    serde_json::to_vec(
        &json!({"type": "FeatureCollection", "features": [good_feature(0), f1, good_feature(2)]}),
    )
    .unwrap()
}

fn code_cases() -> Vec<Case> {
    let gj = "application/geo+json";
    let mut out = Vec::new();
    let good = serde_json::to_vec(
        &json!({"type":"FeatureCollection","features":[good_feature(0), good_feature(1)]}),
    )
    .unwrap();
    // Not JSON at all / truncated.
    for (n, body) in [
        ("empty", "".to_owned()),
        ("open brace", "{".to_owned()),
        ("garbage", "hello".to_owned()),
        ("single quotes", "{'type':'FeatureCollection','features':[]}".to_owned()),
        ("trailing comma", r#"{"type":"FeatureCollection","features":[],}"#.to_owned()),
        ("two documents", format!("{}{}", String::from_utf8_lossy(&good), String::from_utf8_lossy(&good))),
        ("NaN", r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[NaN,1]},"properties":{"name":"a"}}]}"#.to_owned()),
        ("Infinity", r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[Infinity,1]},"properties":{"name":"a"}}]}"#.to_owned()),
        ("1e999", r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1e999,1]},"properties":{"name":"a"}}]}"#.to_owned()),
        ("deep arrays", format!("{}{}", "[".repeat(50_000), "]".repeat(50_000))),
        ("deep objects", format!("{}1{}", "{\"a\":".repeat(20_000), "}".repeat(20_000))),
        ("deep in properties", format!(r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"a","geometry":{{"type":"Point","coordinates":[1,1]}},"properties":{{"name":{}1{}}}}}]}}"#, "[".repeat(5000), "]".repeat(5000))),
    ] {
        // 1e999 and deep nesting are valid JSON grammar beyond the parser's limits: 400 or 422 are both fair.
        let expect = if n == "1e999" || n == "deep in properties" { None } else { Some(400) };
        out.push(case(format!("json: {n}"), gj, body, expect));
    }
    for cut in [
        1usize,
        5,
        17,
        40,
        80,
        120,
        200,
        good.len() / 2,
        good.len() - 3,
        good.len() - 1,
    ] {
        out.push(case(
            format!("json: truncated at {cut}"),
            gj,
            good[..cut.min(good.len() - 1)].to_vec(),
            Some(400),
        ));
    }
    out.push(case("json: invalid UTF-8 in a string", gj, {
        let mut b = br#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1,1]},"properties":{"name":"X"}}]}"#.to_vec();
        let p = b.iter().position(|&c| c == b'X').unwrap();
        b[p] = 0xff;
        b
    }, Some(400)));
    // JSON, but not a FeatureCollection.
    for (n, v) in [
        ("null", json!(null)),
        ("number", json!(42)),
        ("string", json!("FeatureCollection")),
        ("array", json!([good_feature(0)])),
        ("bare feature", good_feature(0)),
        ("no type", json!({"features": [good_feature(0)]})),
        (
            "wrong type",
            json!({"type": "Topology", "features": [good_feature(0)]}),
        ),
        ("no features", json!({"type": "FeatureCollection"})),
        (
            "features null",
            json!({"type": "FeatureCollection", "features": null}),
        ),
        (
            "features object",
            json!({"type": "FeatureCollection", "features": {"a": good_feature(0)}}),
        ),
        (
            "features string",
            json!({"type": "FeatureCollection", "features": "all"}),
        ),
        ("type number", json!({"type": 1, "features": []})),
    ] {
        out.push(case(
            format!("shape: {n}"),
            gj,
            serde_json::to_vec(&v).unwrap(),
            None,
        ));
    }
    // Wrong types and bad values, one feature spoiled at a time: 422.
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("feature is a number", Box::new(|f| *f = json!(5))),
        ("feature is null", Box::new(|f| *f = json!(null))),
        ("feature is an array", Box::new(|f| *f = json!([1, 2]))),
        (
            "feature type Point",
            Box::new(|f| f["type"] = json!("Point")),
        ),
        (
            "feature type missing",
            Box::new(|f| {
                f.as_object_mut().unwrap().remove("type");
            }),
        ),
        ("id true", Box::new(|f| f["id"] = json!(true))),
        ("id array", Box::new(|f| f["id"] = json!(["a"]))),
        ("id object", Box::new(|f| f["id"] = json!({"a": 1}))),
        ("id float", Box::new(|f| f["id"] = json!(1.5))),
        ("id huge float", Box::new(|f| f["id"] = json!(1e30))),
        ("id empty", Box::new(|f| f["id"] = json!(""))),
        ("id blank", Box::new(|f| f["id"] = json!("   "))),
        ("id control char", Box::new(|f| f["id"] = json!("a\u{0}b"))),
        ("id newline", Box::new(|f| f["id"] = json!("a\nb"))),
        (
            "id too long",
            Box::new(|f| f["id"] = json!("i".repeat(5000))),
        ),
        (
            "id missing",
            Box::new(|f| {
                f.as_object_mut().unwrap().remove("id");
            }),
        ),
        ("id duplicate", Box::new(|f| f["id"] = json!("new-0"))),
        ("geometry null", Box::new(|f| f["geometry"] = json!(null))),
        (
            "geometry missing",
            Box::new(|f| {
                f.as_object_mut().unwrap().remove("geometry");
            }),
        ),
        (
            "geometry string",
            Box::new(|f| f["geometry"] = json!("POINT(1 2)")),
        ),
        (
            "geometry no coordinates",
            Box::new(|f| f["geometry"] = json!({"type": "Point"})),
        ),
        (
            "geometry empty coordinates",
            Box::new(|f| f["geometry"]["coordinates"] = json!([])),
        ),
        (
            "geometry one coordinate",
            Box::new(|f| f["geometry"]["coordinates"] = json!([116.4])),
        ),
        (
            "geometry string coordinates",
            Box::new(|f| f["geometry"]["coordinates"] = json!(["116.4", "39.9"])),
        ),
        (
            "geometry null coordinates",
            Box::new(|f| f["geometry"]["coordinates"] = json!([null, null])),
        ),
        (
            "geometry nested coordinates",
            Box::new(|f| f["geometry"]["coordinates"] = json!([[116.4, 39.9]])),
        ),
        (
            "geometry polygon",
            Box::new(|f| {
                f["geometry"] =
                    json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
            }),
        ),
        (
            "geometry multipoint",
            Box::new(|f| f["geometry"] = json!({"type": "MultiPoint", "coordinates": [[0, 0]]})),
        ),
        (
            "geometry type lower",
            Box::new(|f| f["geometry"]["type"] = json!("point")),
        ),
        (
            "lon 180.0001",
            Box::new(|f| f["geometry"]["coordinates"] = json!([180.0001, 39.9])),
        ),
        (
            "lon -200",
            Box::new(|f| f["geometry"]["coordinates"] = json!([-200, 39.9])),
        ),
        (
            "lat 90.5",
            Box::new(|f| f["geometry"]["coordinates"] = json!([116.4, 90.5])),
        ),
        (
            "lat -1000",
            Box::new(|f| f["geometry"]["coordinates"] = json!([116.4, -1000])),
        ),
        (
            "lat/lon swapped out of range",
            Box::new(|f| f["geometry"]["coordinates"] = json!([39.9, 116.4])),
        ),
        (
            "coordinates 1e308",
            Box::new(|f| f["geometry"]["coordinates"] = json!([1e308, 1e308])),
        ),
        (
            "properties null",
            Box::new(|f| f["properties"] = json!(null)),
        ),
        (
            "properties missing",
            Box::new(|f| {
                f.as_object_mut().unwrap().remove("properties");
            }),
        ),
        (
            "properties array",
            Box::new(|f| f["properties"] = json!(["name"])),
        ),
        (
            "properties string",
            Box::new(|f| f["properties"] = json!("name")),
        ),
        (
            "name missing",
            Box::new(|f| {
                f["properties"].as_object_mut().unwrap().remove("name");
            }),
        ),
        (
            "name empty",
            Box::new(|f| f["properties"]["name"] = json!("")),
        ),
        (
            "name blank",
            Box::new(|f| f["properties"]["name"] = json!("  \t ")),
        ),
        (
            "name true",
            Box::new(|f| f["properties"]["name"] = json!(true)),
        ),
        (
            "name array",
            Box::new(|f| f["properties"]["name"] = json!(["a"])),
        ),
        (
            "name object",
            Box::new(|f| f["properties"]["name"] = json!({"zh": "a"})),
        ),
        (
            "name too long",
            Box::new(|f| f["properties"]["name"] = json!("名".repeat(501))),
        ),
        (
            "address too long",
            Box::new(|f| f["properties"]["address"] = json!("a".repeat(100_000))),
        ),
        (
            "address object",
            Box::new(|f| f["properties"]["address"] = json!({})),
        ),
        (
            "district array",
            Box::new(|f| f["properties"]["district"] = json!(["朝阳区"])),
        ),
        (
            "phone object",
            Box::new(|f| f["properties"]["phone"] = json!({"n": 1})),
        ),
        (
            "kind unknown",
            Box::new(|f| f["properties"]["kind"] = json!("castle")),
        ),
        (
            "kind number",
            Box::new(|f| f["properties"]["kind"] = json!(1)),
        ),
        (
            "kind array",
            Box::new(|f| f["properties"]["kind"] = json!(["station"])),
        ),
        (
            "host_type unknown",
            Box::new(|f| f["properties"]["host_type"] = json!("bakery")),
        ),
        (
            "host_type bool",
            Box::new(|f| f["properties"]["host_type"] = json!(false)),
        ),
        (
            "amenities string",
            Box::new(|f| f["properties"]["amenities"] = json!("water;charging")),
        ),
        (
            "amenities unknown",
            Box::new(|f| f["properties"]["amenities"] = json!(["water", "sauna"])),
        ),
        (
            "amenities numbers",
            Box::new(|f| f["properties"]["amenities"] = json!([1, 2])),
        ),
        (
            "amenities null item",
            Box::new(|f| f["properties"]["amenities"] = json!([null])),
        ),
        (
            "amenities object",
            Box::new(|f| f["properties"]["amenities"] = json!({"water": true})),
        ),
        (
            "amenities 24h token",
            Box::new(|f| f["properties"]["amenities"] = json!(["24h"])),
        ),
        (
            "hours garbage",
            Box::new(|f| f["properties"]["opening_hours"] = json!("whenever")),
        ),
        (
            "hours bad day",
            Box::new(|f| f["properties"]["opening_hours"] = json!("Mo-Xx 09:00-18:00")),
        ),
        (
            "hours bad time",
            Box::new(|f| f["properties"]["opening_hours"] = json!("Mo-Fr 25:00-99:00")),
        ),
        (
            "hours unterminated",
            Box::new(|f| f["properties"]["opening_hours"] = json!("Mo-Fr 09:00-")),
        ),
        (
            "hours number",
            Box::new(|f| f["properties"]["opening_hours"] = json!(24)),
        ),
        (
            "hours array",
            Box::new(|f| f["properties"]["opening_hours"] = json!(["24/7"])),
        ),
        (
            "hours too long",
            Box::new(|f| f["properties"]["opening_hours"] = json!("Mo 09:00-10:00; ".repeat(200))),
        ),
    ];
    for (n, e) in edits {
        out.push(case(format!("feature: {n}"), gj, spoiled(e), Some(422)));
    }
    // Several problems at once, and duplicates across int/string ids.
    out.push(case(
        "ids: int and string collide",
        gj,
        {
            let mut a = good_feature(0);
            let mut b = good_feature(1);
            a["id"] = json!(42);
            b["id"] = json!("42");
            serde_json::to_vec(&json!({"type":"FeatureCollection","features":[a, b]})).unwrap()
        },
        Some(422),
    ));
    out.push(case("ids: u64 overflow", gj, br#"{"type":"FeatureCollection","features":[{"type":"Feature","id":18446744073709551616,"geometry":{"type":"Point","coordinates":[116.4,39.9]},"properties":{"name":"a"}}]}"#.to_vec(), Some(422)));
    // CSV.
    let csv = "text/csv";
    for (n, body, expect) in [
        ("empty", "".to_owned(), Some(400)),
        ("only a BOM", "\u{feff}".to_owned(), Some(400)),
        (
            "wrong header",
            "identifier,title,x,y\n1,A,116.4,39.9\n".to_owned(),
            Some(400),
        ),
        (
            "header without lat",
            "id,name,lon\na,A,116.4\n".to_owned(),
            Some(400),
        ),
        (
            "semicolon separated",
            "id;name;lon;lat\na;A;116.4;39.9\n".to_owned(),
            Some(400),
        ),
        (
            "GeoJSON as CSV",
            String::from_utf8(good.clone()).unwrap(),
            Some(400),
        ),
        (
            "short row",
            format!("{H}\na,A,116.4,39.9,,,,,,,\nb,B,116.4\n"),
            Some(422),
        ),
        ("only id", format!("{H}\na\n"), Some(422)),
        (
            "unterminated quote",
            format!("{H}\na,\"A,116.4,39.9,,,,,,,\nb,B,116.4,39.9,,,,,,,\n"),
            None,
        ),
        (
            "lon not a number",
            format!("{H}\na,A,abc,39.9,,,,,,,\n"),
            Some(422),
        ),
        ("lat empty", format!("{H}\na,A,116.4,,,,,,,,\n"), Some(422)),
        (
            "lat 1e999",
            format!("{H}\na,A,116.4,1e999,,,,,,,\n"),
            Some(422),
        ),
        ("lon NaN", format!("{H}\na,A,NaN,39.9,,,,,,,\n"), Some(422)),
        ("lon inf", format!("{H}\na,A,inf,39.9,,,,,,,\n"), Some(422)),
        (
            "decimal comma",
            format!("{H}\na,A,\"116,4\",39.9,,,,,,,\n"),
            Some(422),
        ),
        (
            "lat out of range",
            format!("{H}\na,A,116.4,99,,,,,,,\n"),
            Some(422),
        ),
        (
            "bad kind",
            format!("{H}\na,A,116.4,39.9,castle,,,,,,\n"),
            Some(422),
        ),
        (
            "bad host",
            format!("{H}\na,A,116.4,39.9,,bakery,,,,,\n"),
            Some(422),
        ),
        (
            "bad amenity",
            format!("{H}\na,A,116.4,39.9,,,,,water;sauna,,\n"),
            Some(422),
        ),
        (
            "bad hours",
            format!("{H}\na,A,116.4,39.9,,,,,,Mo-Xx,\n"),
            Some(422),
        ),
        (
            "empty id",
            format!("{H}\n,A,116.4,39.9,,,,,,,\n"),
            Some(422),
        ),
        (
            "empty name",
            format!("{H}\na,,116.4,39.9,,,,,,,\n"),
            Some(422),
        ),
        (
            "duplicate ids",
            format!("{H}\na,A,116.4,39.9,,,,,,,\na,B,116.5,39.9,,,,,,,\n"),
            Some(422),
        ),
    ] {
        out.push(case(format!("csv: {n}"), csv, body, expect));
    }
    let mut gbk = format!("{H}\na,").into_bytes();
    gbk.extend([0xd2, 0xdc, 0xd5, 0xbe]); // 驿站 in GBK
    gbk.extend(b",116.4,39.9,,,,,,,\n");
    out.push(case("csv: GBK, not UTF-8", csv, gbk, Some(400)));
    let mut utf16 = vec![0xff, 0xfe];
    for u in format!("{H}\na,A,116.4,39.9,,,,,,,\n").encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    out.push(case("csv: UTF-16", csv, utf16, Some(400)));
    // Content types → 415.
    for ct in [
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "application/geo+jsonx",
        "application/octet-stream",
        "image/png",
        ";;;",
    ] {
        out.push(case(
            format!("content-type {ct}"),
            ct,
            good.clone(),
            Some(415),
        ));
    }
    let mut none = case("no content-type", gj, good.clone(), Some(415));
    none.content_type = None;
    out.push(none);
    // Encodings.
    let gz = gzip(&good);
    for (n, enc, body, expect) in [
        ("not gzip", "gzip", good.clone(), Some(400)),
        (
            "truncated gzip",
            "gzip",
            gz[..gz.len() / 2].to_vec(),
            Some(400),
        ),
        ("gzip header only", "gzip", gz[..10].to_vec(), Some(400)),
        ("gzip of garbage", "gzip", gzip(b"{nope"), Some(400)),
        (
            "gzip of CSV under geo+json",
            "gzip",
            gzip(format!("{H}\na,A,116.4,39.9,,,,,,,\n").as_bytes()),
            Some(400),
        ),
        ("double gzip", "gzip", gzip(&gz), Some(400)),
        ("brotli", "br", good.clone(), Some(415)),
        ("deflate", "deflate", good.clone(), Some(415)),
        ("unknown", "zstd", good.clone(), Some(415)),
    ] {
        let mut c = case(format!("encoding: {n}"), gj, body, expect);
        c.encoding = Some(enc);
        out.push(c);
    }
    // Bad upload parameters.
    for (q, n) in [
        ("?crs=mars", "crs"),
        ("?dry_run=maybe", "dry_run"),
        ("?allow_empty=sure", "allow_empty"),
        ("?crs=wgs84&crs=gcj02", "crs twice"),
    ] {
        let mut c = case(format!("param: {n}"), gj, good.clone(), Some(400));
        c.query = q;
        out.push(c);
    }
    // The same spoiled bodies through POST (upsert) must be just as atomic.
    let post: Vec<Case> = out
        .iter()
        .filter(|c| {
            c.name.starts_with("feature: id")
                || c.name.starts_with("csv: bad")
                || c.name.starts_with("json: t")
        })
        .map(|c| Case {
            name: format!("POST {}", c.name),
            method: Method::POST,
            query: c.query,
            content_type: c.content_type,
            encoding: c.encoding,
            body: c.body.clone(),
            expect: c.expect,
        })
        .collect();
    out.extend(post);
    out
}

fn fixture_cases() -> Vec<Case> {
    let dir = fixtures().join("bad");
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".md") {
            continue;
        }
        let (inner, encoding) = match name.strip_suffix(".gz") {
            Some(inner) => (inner.to_owned(), Some("gzip")),
            None => (name.clone(), None),
        };
        let ct = if inner.ends_with(".csv") {
            "text/csv"
        } else if inner.ends_with(".txt") {
            "text/plain"
        } else {
            "application/geo+json"
        };
        let expect = name.split('-').next().unwrap().parse::<u16>().ok();
        let mut c = case(
            format!("fixture {name}"),
            ct,
            std::fs::read(&p).unwrap(),
            expect,
        );
        c.encoding = encoding;
        out.push(c);
    }
    assert!(out.len() >= 25, "fixtures missing: {}", out.len());
    out
}

async fn send(app: &TestApp, c: &Case) -> reqwest::Response {
    let mut rb = app
        .admin(c.method.clone(), &format!("/api/v1/stations{}", c.query))
        .body(c.body.clone());
    if let Some(ct) = c.content_type {
        rb = rb.header("content-type", ct);
    }
    if let Some(e) = c.encoding {
        rb = rb.header("content-encoding", e);
    }
    rb.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_uploads_are_rejected_and_change_nothing() {
    let app = spawn_app(Some(fc(&base()))).await;
    let v0 = app.version().await;
    let d0 = app.download().await;
    let mut cases = code_cases();
    let n_code = cases.len();
    cases.extend(fixture_cases());
    assert!(n_code >= 100, "only {n_code} cases built in code");
    let mut failures = Vec::new();
    for c in &cases {
        let r = send(&app, c).await;
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = r.text().await.unwrap_or_default();
        let ok_status = match c.expect {
            Some(s) => status == s,
            None => (400..500).contains(&status),
        };
        if !ok_status {
            failures.push(format!(
                "{}: expected {:?}, got {status}: {}",
                c.name,
                c.expect,
                &text[..text.len().min(300)]
            ));
            continue;
        }
        let v = check_problem_body(&ct, &text, status, &[], &c.name);
        if status == 422 && v.get("errors").is_some() {
            let errors = v["errors"].as_array().unwrap();
            assert!(!errors.is_empty(), "{}: empty errors", c.name);
            for e in errors {
                assert!(
                    e["index"].is_u64() && e["field"].is_string() && e["message"].is_string(),
                    "{}: {e}",
                    c.name
                );
                if c.content_type == Some("text/csv") {
                    assert!(
                        e["line"].is_u64(),
                        "{}: CSV error without line: {e}",
                        c.name
                    );
                }
            }
        }
        if c.name.starts_with("feature: ") && status == 422 {
            let errors = v["errors"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: 422 without errors: {v}", c.name));
            assert!(
                errors.iter().all(|e| e["index"] == 1),
                "{}: errors for the good features: {v}",
                c.name
            );
        }
        assert_eq!(app.version().await, v0, "{}: version changed", c.name);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(app.download().await, d0, "the dataset changed");
    assert_eq!(app.health().await, (v0, base().len() as u64));
}

/// Seeded random byte mutations of a valid GeoJSON and a valid CSV body.
fn mutate(rng: &mut Rng, body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    for _ in 0..rng.usize(1, 4) {
        if b.is_empty() {
            break;
        }
        let i = rng.usize(0, b.len());
        match rng.usize(0, 6) {
            0 => b[i] = rng.next_u64() as u8,
            1 => {
                let j = (i + rng.usize(1, 40)).min(b.len());
                b.drain(i..j);
            }
            2 => b.insert(i, *rng.pick(b"{}[],:\"\\0123456789.-eE \n\r\xff\xc3")),
            3 => b.truncate(i),
            4 => {
                let j = (i + rng.usize(1, 30)).min(b.len());
                let piece = b[i..j].to_vec();
                let k = rng.usize(0, b.len());
                b.splice(k..k, piece);
            }
            _ => b[i] ^= 1 << rng.usize(0, 8),
        }
    }
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_mutations_never_half_apply() {
    let stations = base();
    let app = spawn_app(Some(fc(&stations))).await;
    let v0 = app.version().await;
    let d0 = app.download().await;
    let geojson = serde_json::to_vec(&fc(&bulk("m", 6, 5))).unwrap();
    let mut csv = format!("{H}\n");
    for s in bulk("c", 6, 6) {
        csv.push_str(&format!(
            "{},{},{},{},station,bank,\"{}\",,{},{},\n",
            s.id,
            s.name,
            s.lon,
            s.lat,
            s.address.clone().unwrap_or_default(),
            s.amenities.join(";"),
            s.hours.unwrap_or("")
        ));
    }
    let rounds: usize = std::env::var("YZ_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(80);
    let mut rng = Rng::new(0x0BAD_DA7A);
    let mut rejected = [0usize; 2];
    for round in 0..rounds * 2 {
        let (kind, body, ct) = if round % 2 == 0 {
            (0, mutate(&mut rng, &geojson), "application/geo+json")
        } else {
            (1, mutate(&mut rng, csv.as_bytes()), "text/csv")
        };
        let method = if rng.chance(0.5) {
            Method::PUT
        } else {
            Method::POST
        };
        let r = app
            .upload(method.clone(), "/api/v1/stations", ct, body.clone())
            .await;
        let status = r.status().as_u16();
        let rct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = r.text().await.unwrap();
        let what = format!(
            "mutation {round} ({method} {ct}): {:?}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        );
        assert!(
            status == 200 || (400..500).contains(&status),
            "{what}: {status} {text}"
        );
        if status == 200 {
            // Still a valid dataset: it must parse as what it claims to be, and the answer counts its stations.
            let out: Value = serde_json::from_str(&text).unwrap();
            if kind == 0 {
                let v: Value = serde_json::from_slice(&body)
                    .unwrap_or_else(|e| panic!("{what}: accepted but not JSON: {e}"));
                assert_eq!(v["type"], "FeatureCollection", "{what}");
                let n = v["features"].as_array().unwrap().len() as u64;
                if method == Method::PUT {
                    assert_eq!(out["count"].as_u64(), Some(n), "{what}");
                }
            } else {
                assert!(
                    std::str::from_utf8(&body).is_ok(),
                    "{what}: accepted non-UTF-8 CSV"
                );
            }
            // Restore the baseline; same content → same version.
            let r = app
                .upload(
                    Method::PUT,
                    "/api/v1/stations",
                    "application/geo+json",
                    d0.clone(),
                )
                .await;
            assert_eq!(r.status(), 200);
            assert_eq!(app.version().await, v0);
            continue;
        }
        rejected[kind] += 1;
        check_problem_body(&rct, &text, status, &[], &what);
        assert_eq!(app.version().await, v0, "{what}: version changed");
        assert_eq!(app.download().await, d0, "{what}: dataset changed");
    }
    assert!(
        rejected[0] >= 50 && rejected[1] >= 50,
        "too few rejected mutations: {rejected:?} (set YZ_MUTATIONS higher)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_feature_gets_one_honest_error() {
    let app = spawn_app(None).await;
    let body = br#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1e999,1]},"properties":{"name":"a"}}]}"#;
    let r = app
        .upload(
            Method::PUT,
            "/api/v1/stations",
            "application/geo+json",
            body.to_vec(),
        )
        .await;
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert!(status == 400 || status == 422, "{status}");
    if status == 422 {
        let errors = v["errors"].as_array().unwrap();
        for e in errors {
            let m = e["message"].as_str().unwrap();
            assert!(
                !m.contains("is missing"),
                "a spurious error for a field that is there: {e}"
            );
        }
    }
}
