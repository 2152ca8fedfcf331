//! Hostile clients (issue 19): gzip members and trailing bytes, shifted CSV rows, odd ids and texts, unknown
//! query parameters, report abuse, auth failures, damaged versions.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

async fn upload_gz(app: &TestApp, body: Vec<u8>) -> reqwest::Response {
    app.admin(Method::PUT, "/api/v1/stations")
        .header("content-type", "application/geo+json")
        .header("content-encoding", "gzip")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_reads_every_member_and_rejects_trailing_bytes() {
    let app = spawn_app(None).await;
    // `gzip -c a >> b`: one JSON document split across two members.
    let doc = serde_json::to_vec(&fc(&bulk("gz", 40, 7))).unwrap();
    let (a, b) = doc.split_at(doc.len() / 2);
    let mut two = gzip(a);
    two.extend(gzip(b));
    let r = upload_gz(&app, two.clone()).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["count"], 40);
    // Anything after the last member is refused, and nothing changes.
    let before = app.version().await;
    for tail in [&b"garbage"[..], b"\0\0\0\0", b"\x1f"] {
        let mut body = two.clone();
        body.extend_from_slice(tail);
        assert_problem(upload_gz(&app, body).await, 400, &["gzip"], "trailing").await;
    }
    assert_eq!(app.version().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_limit_applies_to_the_total_of_all_members() {
    let opts = Opts {
        max_upload_mb: Some(1),
        ..Opts::default()
    };
    let app = spawn_app_with(opts, None).await;
    let blank = vec![b' '; 700 * 1024];
    let mut body = gzip(&blank);
    body.extend(gzip(&blank));
    assert_problem(
        upload_gz(&app, body).await,
        413,
        &[],
        "two members over the limit",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_row_with_an_unquoted_comma_is_422_with_row_and_line() {
    let app = spawn_app(None).await;
    let csv = "id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone\n\
               c1,A,116.40,39.90,station,bank,,,water,,\n\
               c2,B,116.41,39.91,station,bank,1 Road, Gate 2,朝阳区,water,,\n";
    let r = app
        .upload(Method::PUT, "/api/v1/stations", "text/csv", csv.into())
        .await;
    let v = assert_problem(r, 422, &[], "extra field").await;
    let e = &v["errors"][0];
    assert_eq!(
        (e["index"].as_u64(), e["line"].as_u64()),
        (Some(1), Some(3)),
        "{v}"
    );
    assert_eq!(e["field"], "row", "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_answers_name_the_scheme() {
    let app = spawn_app(None).await;
    for auth in [None, Some("Bearer wrong")] {
        let mut req = app.client.get(app.url("/api/v1/dataset/versions"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(
            r.headers().get("www-authenticate").unwrap(),
            "Bearer realm=\"yizhan\""
        );
    }
}

fn version_file(app: &TestApp, v: &str) -> std::path::PathBuf {
    app.data_dir
        .path()
        .join("versions")
        .join(format!("{v}.geojson"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_versions_are_marked_and_rollback_to_one_is_422() {
    let app = spawn_app(None).await;
    let old = app.put_ok(&fc(&bulk("r1", 20, 1))).await;
    let new = app.put_ok(&fc(&bulk("r2", 20, 2))).await;
    let path = version_file(&app, &old);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let r = app
        .admin(Method::GET, "/api/v1/dataset/versions")
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    let of = |v: &str| {
        list["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["version"] == v)
            .unwrap_or_else(|| panic!("{v} not listed: {list}"))["loadable"]
            .clone()
    };
    assert_eq!(of(&old), false, "{list}");
    assert_eq!(of(&new), true, "{list}");
    let r = app.rollback(&old).await;
    assert_problem(r, 422, &["damaged"], "rollback to a damaged version").await;
    assert_eq!(app.version().await, new);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_query_parameters_on_reads_are_400_naming_them() {
    let app = spawn_app(None).await;
    for (url, param, known) in [
        (
            "/api/v1/stations/nearest?lat=39.9&lon=116.4&amenity=water",
            "amenity",
            "amenities",
        ),
        (
            "/api/v1/stations/along?path=116.3,39.9;116.4,39.9&opennow=true",
            "opennow",
            "open_now",
        ),
        (
            "/api/v1/stations?limit=3&bbox=1,2,3,4&page=2",
            "page",
            "offset",
        ),
        ("/api/v1/stations/bj-chy-00042?lang=zh", "lang", "at"),
        (
            "/api/v1/stations/nearest?lat=39.9&lon=116.4&_=123",
            "_",
            "max_distance_m",
        ),
    ] {
        let v = assert_problem(app.get(url).await, 400, &[param, known], url).await;
        assert_eq!(v["parameter"], param, "{url}: {v}");
    }
    // Every documented parameter is still accepted.
    for url in [
        "/api/v1/stations/nearest?lat=39.9&lon=116.4&k=3&max_distance_m=5000&crs=wgs84&amenities=water&open_now=false&at=2026-11-24T08:30:00%2B08:00&q=a",
        "/api/v1/stations/along?path=116.3,39.9;116.4,39.9&max_distance_m=300&limit=5&crs=wgs84&amenities=water&open_now=false&at=2026-11-24T08:30:00%2B08:00&q=a",
        "/api/v1/stations?bbox=116,39,117,41&limit=3&offset=1&crs=wgs84&amenities=water&open_now=false&at=2026-11-24T08:30:00%2B08:00&q=a",
        "/api/v1/stations/bj-chy-00042?crs=gcj02&at=2026-11-24T08:30:00%2B08:00",
    ] {
        assert_eq!(app.get(url).await.status(), 200, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_auth_failures_are_slowed_per_client() {
    let app = spawn_app(None).await;
    let get = |token: &'static str| {
        app.client
            .get(app.url("/api/v1/dataset/versions"))
            .bearer_auth(token)
            .send()
    };
    for _ in 0..10 {
        assert_eq!(get("wrong").await.unwrap().status(), 401);
    }
    // Refused now, whatever the token: a guess is not even tried.
    for token in ["wrong", TOKEN] {
        let r = get(token).await.unwrap();
        let retry: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        assert_problem(r, 429, &[], "after 10 failures").await;
    }
    // Reads are not affected.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_must_be_json() {
    let app = spawn_app(None).await;
    let url = app.url("/api/v1/stations/bj-chy-00042/reports");
    let body = r#"{"reason":"closed"}"#;
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut rb = app.client.post(&url).body(body);
        if let Some(ct) = ct {
            rb = rb.header("content-type", ct);
        }
        let r = rb.send().await.unwrap();
        assert_problem(r, 415, &["application/json"], &format!("{ct:?}")).await;
    }
    let r = app
        .client
        .post(&url)
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let list: Value = app
        .admin(Method::GET, "/api/v1/reports")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["count"], 1, "{list}");
}
