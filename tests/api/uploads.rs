//! Admin uploads: the good paths, auth, limits, validation reports, versions and rollback.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const CSV_HEADER: &str =
    "id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone";

async fn ok_json(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "{what}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_replaces_post_upserts_delete_removes() {
    let app = spawn_app(None).await;
    let a = bulk("a", 30, 1);
    let out = ok_json(app.put_geojson(&fc(&a)).await, "PUT").await;
    assert_eq!(out["count"], 30);
    assert!(out["warnings"].is_array());
    let v1 = out["dataset_version"].as_str().unwrap().to_owned();
    assert_eq!(app.health().await, (v1.clone(), 30));
    // PUT replaces: the bundled sample is gone.
    let r = app.get("/api/v1/stations/bj-chy-00001").await;
    assert_eq!(r.status(), 404);
    // POST upserts: two changed, two new, the rest kept.
    let mut changed = vec![a[3].clone(), a[7].clone()];
    changed[0].name = "changed three".into();
    changed[1].lon = 116.0;
    changed.push(MSt::new("new-1", 116.3, 39.9));
    changed.push(MSt::new("new-2", 116.31, 39.91));
    let out = ok_json(
        app.upload(
            Method::POST,
            "/api/v1/stations",
            "application/json",
            serde_json::to_vec(&fc(&changed)).unwrap(),
        )
        .await,
        "POST",
    )
    .await;
    assert_eq!(out["count"], 32);
    let list = app.get_json("/api/v1/stations?limit=10000").await;
    assert_eq!(list["total"], 32);
    let f = app.get_json(&format!("/api/v1/stations/{}", a[3].id)).await;
    assert_eq!(f["properties"]["name"], "changed three");
    let f = app.get_json(&format!("/api/v1/stations/{}", a[7].id)).await;
    assert_eq!(f["geometry"]["coordinates"][0], 116.0);
    let f = app.get_json(&format!("/api/v1/stations/{}", a[8].id)).await;
    assert_eq!(f["properties"]["name"], a[8].name.as_str());
    // DELETE one.
    let r = app
        .admin(Method::DELETE, "/api/v1/stations/new-1")
        .send()
        .await
        .unwrap();
    let out = ok_json(r, "DELETE").await;
    assert_eq!(out["count"], 31);
    assert_eq!(app.get("/api/v1/stations/new-1").await.status(), 404);
    let r = app
        .admin(Method::DELETE, "/api/v1/stations/new-1")
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, &[], "DELETE twice").await;
    let r = app
        .client
        .delete(app.url("/api/v1/stations/new-2"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, &[], "DELETE without token").await;
    assert_eq!(app.health().await.1, 31);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_with_bom_crlf_quotes_and_chinese_aliases() {
    let app = spawn_app(None).await;
    let csv = format!(
        "\u{feff}{CSV_HEADER}\r\n\
         c1,\"Comma, Station\",116.4,39.9,station,bank,\"朝阳区, 望京街 1 号\",朝阳区,饮水;充电;歇脚,24/7,010-1\r\n\
         c2,\"He said \"\"hi\"\"\",116.41,39.91,workers_home,union_center,,,取暖;纳凉;药箱;热饭;卫生间;无线网;优惠餐,Mo-Fr 09:00-18:00,\r\n\
         3,Plain,116.42,39.92,,,,,water;WIFI; toilet ,,\r\n"
    );
    let out = ok_json(
        app.upload(
            Method::PUT,
            "/api/v1/stations",
            "text/csv; charset=utf-8",
            csv.into_bytes(),
        )
        .await,
        "CSV",
    )
    .await;
    assert_eq!(out["count"], 3);
    let f = app.get_json("/api/v1/stations/c1").await;
    assert_eq!(f["properties"]["name"], "Comma, Station");
    assert_eq!(f["properties"]["address"], "朝阳区, 望京街 1 号");
    assert_eq!(
        f["properties"]["amenities"],
        json!(["water", "charging", "rest"])
    );
    assert_eq!(f["properties"]["host_type"], "bank");
    assert_eq!(f["properties"]["opening_hours"], "24/7");
    assert_eq!(f["geometry"]["coordinates"], json!([116.4, 39.9]));
    let f = app.get_json("/api/v1/stations/c2").await;
    assert_eq!(f["properties"]["name"], "He said \"hi\"");
    assert_eq!(f["properties"]["kind"], "workers_home");
    let mut am: Vec<&str> = f["properties"]["amenities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    am.sort();
    assert_eq!(
        am,
        [
            "cooling",
            "discount_meal",
            "heating",
            "medicine",
            "microwave",
            "toilet",
            "wifi"
        ]
    );
    let f = app.get_json("/api/v1/stations/3").await;
    let mut am: Vec<&str> = f["properties"]["amenities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    am.sort();
    assert_eq!(am, ["toilet", "water", "wifi"]);
    // 24h from the CSV hours
    let got = app
        .get_json("/api/v1/stations/nearest?lat=39.9&lon=116.4&k=10&amenities=24h")
        .await;
    assert_eq!(ids(&got), ["c1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bodies_crs_dry_run_and_allow_empty() {
    let app = spawn_app(Some(fc(&bulk("z", 10, 2)))).await;
    let v0 = app.version().await;
    let before = app.download().await;
    // gzip GeoJSON
    let b = bulk("g", 40, 3);
    let r = app
        .admin(Method::PUT, "/api/v1/stations")
        .header("content-type", "application/geo+json")
        .header("content-encoding", "gzip")
        .body(gzip(&serde_json::to_vec(&fc(&b)).unwrap()))
        .send()
        .await
        .unwrap();
    let out = ok_json(r, "gzip").await;
    assert_eq!(out["count"], 40);
    // gzip CSV
    let csv = format!("{CSV_HEADER}\nq1,Q,116.4,39.9,,,,,,,\n");
    let r = app
        .admin(Method::PUT, "/api/v1/stations")
        .header("content-type", "text/csv")
        .header("content-encoding", "gzip")
        .body(gzip(csv.as_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok_json(r, "gzip csv").await["count"], 1);
    // Back to the start: the same content is the same version.
    let r = app
        .upload(
            Method::PUT,
            "/api/v1/stations",
            "application/geo+json",
            before.clone(),
        )
        .await;
    assert_eq!(
        ok_json(r, "restore").await["dataset_version"].as_str(),
        Some(v0.as_str())
    );
    // dry_run: reports what would happen, changes nothing.
    for (method, n) in [(Method::PUT, 40), (Method::POST, 50)] {
        let r = app
            .upload(
                method.clone(),
                "/api/v1/stations?dry_run=true",
                "application/geo+json",
                serde_json::to_vec(&fc(&b)).unwrap(),
            )
            .await;
        let out = ok_json(r, "dry run").await;
        assert_eq!(out["count"], n, "{method}");
        assert!(out["dataset_version"].is_string());
        assert_eq!(app.version().await, v0);
        assert_eq!(app.download().await, before);
    }
    // A dry run of an invalid upload is still a 422 and changes nothing.
    let mut bad = fc(&b);
    bad["features"][3]["geometry"]["coordinates"] = json!([500, 0]);
    let r = app
        .upload(
            Method::PUT,
            "/api/v1/stations?dry_run=true",
            "application/geo+json",
            serde_json::to_vec(&bad).unwrap(),
        )
        .await;
    assert_problem(r, 422, &[], "dry-run invalid").await;
    assert_eq!(app.download().await, before);
    // Empty: 422 unless allow_empty.
    let empty = json!({"type": "FeatureCollection", "features": []});
    let r = app.put_geojson(&empty).await;
    assert_problem(r, 422, &["allow_empty"], "empty").await;
    let r = app
        .upload(
            Method::PUT,
            "/api/v1/stations",
            "text/csv",
            format!("{CSV_HEADER}\n").into_bytes(),
        )
        .await;
    assert_problem(r, 422, &[], "empty csv").await;
    assert_eq!(app.version().await, v0);
    let r = app
        .upload(
            Method::PUT,
            "/api/v1/stations?allow_empty=true",
            "application/geo+json",
            serde_json::to_vec(&empty).unwrap(),
        )
        .await;
    assert_eq!(ok_json(r, "allow_empty").await["count"], 0);
    assert_eq!(app.health().await.1, 0);
    let got = app
        .get_json("/api/v1/stations/nearest?lat=39.9&lon=116.4")
        .await;
    assert_eq!(got["count"], 0);
    assert_eq!(got["features"], json!([]));
    // Deleting the last station of a one-station dataset: the contract forbids an empty dataset without
    // allow_empty on uploads; a DELETE must at least never break reads.
    let r = app
        .upload(
            Method::PUT,
            "/api/v1/stations",
            "application/geo+json",
            before.clone(),
        )
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_limits_and_auth() {
    let app = spawn_app_with(
        Opts {
            max_upload_mb: Some(1),
            ..Opts::default()
        },
        Some(fc(&bulk("l", 10, 4))),
    )
    .await;
    let v0 = app.version().await;
    // Just under the limit (valid) is fine, over it is 413.
    let big = serde_json::to_vec(&fc(&bulk("big", 6000, 5))).unwrap();
    assert!(big.len() > 1024 * 1024 + 10, "{}", big.len());
    let head = format!(
        "PUT /api/v1/stations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/geo+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        big.len()
    );
    let (status, head, body) = raw_http_early(app.addr, head, big.clone()).await;
    let ct = head
        .lines()
        .find_map(|l| l.strip_prefix("content-type:"))
        .unwrap_or("")
        .trim()
        .to_owned();
    check_problem_body(
        &ct,
        &String::from_utf8_lossy(&body),
        413,
        &[],
        "over the limit",
    );
    assert_eq!(status, 413);
    // A small gzip body that inflates beyond the limit.
    let r = app
        .admin(Method::PUT, "/api/v1/stations")
        .header("content-type", "application/geo+json")
        .header("content-encoding", "gzip")
        .body(gzip(&big))
        .send()
        .await
        .unwrap();
    assert_problem(r, 413, &[], "gzip over the limit").await;
    let bomb = gzip(&vec![b' '; 50 * 1024 * 1024]);
    assert!(bomb.len() < 1024 * 1024);
    let r = app
        .admin(Method::PUT, "/api/v1/stations")
        .header("content-type", "application/geo+json")
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_problem(r, 413, &[], "gzip bomb").await;
    let small = serde_json::to_vec(&fc(&bulk("small", 1000, 6))).unwrap();
    assert!(small.len() < 1024 * 1024);
    let r = app
        .upload(
            Method::PUT,
            "/api/v1/stations?dry_run=1",
            "application/geo+json",
            small.clone(),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.version().await, v0);
    // Auth: missing, wrong, wrong scheme → 401 for every admin endpoint. (A tiny body: a server may answer 401
    // before reading a big one and close the connection while the client is still sending.)
    let tiny = serde_json::to_vec(&fc(&bulk("tiny", 1, 6))).unwrap();
    let admin_calls: [(Method, &str); 6] = [
        (Method::PUT, "/api/v1/stations"),
        (Method::POST, "/api/v1/stations"),
        (Method::DELETE, "/api/v1/stations/l-000001"),
        (Method::GET, "/api/v1/reports"),
        (Method::GET, "/api/v1/dataset/versions"),
        (
            Method::POST,
            "/api/v1/dataset/rollback?version=0000000000000000",
        ),
    ];
    // A fresh app per endpoint: more than 10 failures a minute from one client are answered 429 instead.
    for (m, path) in &admin_calls {
        let app = spawn_app(None).await;
        let v0 = app.version().await;
        for auth in [
            None,
            Some("Bearer wrong"),
            Some("Basic dGVzdA=="),
            Some("Bearer "),
            Some(TOKEN),
        ] {
            let mut rb = app
                .client
                .request(m.clone(), app.url(path))
                .header("content-type", "application/geo+json")
                .body(tiny.clone());
            if let Some(a) = auth {
                rb = rb.header("authorization", a);
            }
            let r = rb.send().await.unwrap();
            let what = format!("{m} {path} with {auth:?}");
            assert_problem(r, 401, &[], &what).await;
        }
        assert_eq!(app.version().await, v0);
    }
    assert_eq!(app.version().await, v0);
    // No token configured → 403 that says how to enable admin.
    let closed = spawn_app_with(
        Opts {
            token: None,
            max_upload_mb: None,
        },
        None,
    )
    .await;
    let v = closed.version().await;
    for (m, path) in &admin_calls {
        for auth in [
            None,
            Some(format!("Bearer {TOKEN}")),
            Some("Bearer ".to_owned()),
        ] {
            let mut rb = closed
                .client
                .request(m.clone(), closed.url(path))
                .header("content-type", "application/geo+json")
                .body(tiny.clone());
            if let Some(a) = &auth {
                rb = rb.header("authorization", a);
            }
            let r = rb.send().await.unwrap();
            assert_problem(r, 403, &["YIZHAN_ADMIN_TOKEN"], &format!("{m} {path}")).await;
        }
    }
    assert_eq!(closed.version().await, v);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_lists_every_error() {
    let app = spawn_app(Some(fc(&bulk("v", 5, 8)))).await;
    let before = app.download().await;
    let mut feats: Vec<Value> = bulk("ok", 12, 9).iter().map(MSt::to_feature).collect();
    feats[1]["geometry"]["coordinates"] = json!([116.4, 95.0]);
    feats[3]["properties"]["name"] = json!("");
    feats[4]["id"] = json!("ok-000000"); // duplicate of index 0
    feats[6]["properties"]["kind"] = json!("castle");
    feats[7]["properties"]["host_type"] = json!("bakery");
    feats[8]["properties"]["amenities"] = json!(["water", "jacuzzi"]);
    feats[9]["properties"]["opening_hours"] = json!("Mo-Xx 25:00-99:00");
    feats[10]["geometry"] = json!({"type": "LineString", "coordinates": [[1, 2], [3, 4]]});
    feats[11]["id"] = json!(1.5);
    let r = app
        .put_geojson(&json!({"type": "FeatureCollection", "features": feats}))
        .await;
    let v = assert_problem(r, 422, &[], "invalid features").await;
    let errors = v["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {v}"));
    let want: [(u64, &str, Option<&str>); 9] = [
        (1, "geometry", Some("ok-000001")),
        (3, "name", Some("ok-000003")),
        (4, "id", Some("ok-000000")),
        (6, "kind", Some("ok-000006")),
        (7, "host_type", Some("ok-000007")),
        (8, "amenities", Some("ok-000008")),
        (9, "opening_hours", Some("ok-000009")),
        (10, "geometry", Some("ok-000010")),
        (11, "id", None),
    ];
    for (index, field, id) in want {
        let e = errors
            .iter()
            .find(|e| e["index"] == index && e["field"] == field)
            .unwrap_or_else(|| panic!("no error for index {index} field {field}: {errors:#?}"));
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
        if let Some(id) = id {
            assert_eq!(e["id"].as_str(), Some(id), "{e}");
        }
        assert!(e.get("line").is_none(), "GeoJSON errors have no line: {e}");
    }
    for e in errors {
        assert!(
            [1u64, 3, 4, 6, 7, 8, 9, 10, 11].contains(&e["index"].as_u64().unwrap()),
            "an error for a valid feature: {e}"
        );
    }
    let msg = errors.iter().find(|e| e["index"] == 8).unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("jacuzzi"), "{msg}");
    // CSV errors carry the 1-based line; a quoted newline shifts the lines.
    let csv = "id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone\n\
               a,A,116.4,39.9,,,,,,,\n\
               b,\"two\nlines\",116.4,39.91,,,,,,,\n\
               c,C,abc,39.9,,,,,,,\n\
               d,D,116.4,39.92,,,,,unicorn,,\n\
               a,E,116.4,39.93,,,,,,,\n\
               f,,116.4,39.94,,,,,,,\n";
    let r = app
        .upload(
            Method::PUT,
            "/api/v1/stations",
            "text/csv",
            csv.as_bytes().to_vec(),
        )
        .await;
    let v = assert_problem(r, 422, &[], "csv errors").await;
    let errors = v["errors"].as_array().unwrap();
    for (index, line, field) in [
        (2u64, 5u64, "geometry"),
        (3, 6, "amenities"),
        (4, 7, "id"),
        (5, 8, "name"),
    ] {
        assert!(
            errors
                .iter()
                .any(|e| e["index"] == index && e["line"] == line && e["field"] == field),
            "no CSV error index {index} line {line} field {field}: {errors:#?}"
        );
    }
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert_eq!(app.download().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_round_trips_and_versions_roll_back() {
    let app = spawn_app(None).await;
    // The bundled sample round-trips unchanged.
    let v0 = app.version().await;
    let d0 = app.download().await;
    let r = app
        .upload(
            Method::PUT,
            "/api/v1/stations",
            "application/geo+json",
            d0.clone(),
        )
        .await;
    assert_eq!(
        ok_json(r, "round trip").await["dataset_version"].as_str(),
        Some(v0.as_str())
    );
    assert_eq!(app.download().await, d0);
    // So does a generated world with integer ids, aliases, poles and the antimeridian.
    let m = world(42, 500);
    let v1 = app.put_ok(&fc(&m)).await;
    let d1 = app.download().await;
    let r = app
        .upload(
            Method::PUT,
            "/api/v1/stations",
            "application/json",
            d1.clone(),
        )
        .await;
    assert_eq!(
        ok_json(r, "round trip 2").await["dataset_version"].as_str(),
        Some(v1.as_str())
    );
    assert_eq!(app.download().await, d1);
    let parsed: Value = serde_json::from_slice(&d1).unwrap();
    assert_eq!(parsed["features"].as_array().unwrap().len(), m.len());
    let v2 = app.put_ok(&fc(&bulk("v2", 7, 10))).await;
    // versions list: newest first, current flagged, counts.
    let r = app
        .admin(Method::GET, "/api/v1/dataset/versions")
        .send()
        .await
        .unwrap();
    let vs = ok_json(r, "versions").await;
    assert_eq!(vs["current"].as_str(), Some(v2.as_str()));
    let list = vs["versions"].as_array().unwrap();
    let pos = |v: &str| {
        list.iter()
            .position(|i| i["version"] == v)
            .unwrap_or_else(|| panic!("{v} not listed: {vs}"))
    };
    assert_eq!(pos(&v2), 0, "{vs}");
    assert!(pos(&v1) < pos(&v0), "newest first: {vs}");
    assert_eq!(list[pos(&v1)]["count"], m.len());
    assert_eq!(list[pos(&v2)]["current"], true);
    // rollback
    let r = app.rollback(&v1).await;
    assert_eq!(
        ok_json(r, "rollback").await["dataset_version"].as_str(),
        Some(v1.as_str())
    );
    assert_eq!(app.health().await, (v1.clone(), m.len() as u64));
    assert_eq!(app.download().await, d1);
    let r = app.rollback("0123456789abcdef").await;
    assert_problem(r, 404, &[], "rollback to an unknown version").await;
    let r = app.rollback("../../etc/passwd").await;
    assert!(r.status().is_client_error(), "{}", r.status());
    let r = app
        .admin(Method::POST, "/api/v1/dataset/rollback")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, &["version"], "rollback without version").await;
    assert_eq!(app.version().await, v1);
}
