//! Bad query parameters → 400 problem+json naming the parameter; junk requests → never a 5xx.

use crate::helpers::*;

const N: &str = "/api/v1/stations/nearest";
const L: &str = "/api/v1/stations";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_400_problems_naming_the_parameter() {
    let app = spawn_app(None).await;
    let ok = "lat=39.9&lon=116.4";
    let cases: Vec<(String, &str)> = vec![
        // lat / lon
        (format!("{N}?lon=116.4"), "lat"),
        (format!("{N}?lat=39.9"), "lon"),
        (N.to_string(), "lat"),
        (format!("{N}?lat=&lon=116.4"), "lat"),
        (format!("{N}?lat=91&lon=116.4"), "lat"),
        (format!("{N}?lat=-90.0001&lon=116.4"), "lat"),
        (format!("{N}?lat=39.9&lon=180.5"), "lon"),
        (format!("{N}?lat=39.9&lon=-181"), "lon"),
        (format!("{N}?lat=NaN&lon=116.4"), "lat"),
        (format!("{N}?lat=nan&lon=116.4"), "lat"),
        (format!("{N}?lat=39.9&lon=inf"), "lon"),
        (format!("{N}?lat=-inf&lon=116.4"), "lat"),
        (format!("{N}?lat=39.9&lon=Infinity"), "lon"),
        (format!("{N}?lat=1e999&lon=116.4"), "lat"),
        (format!("{N}?lat=39.9&lon=-1e999"), "lon"),
        (format!("{N}?lat=abc&lon=116.4"), "lat"),
        (format!("{N}?lat=39.9&lon=116.4.5"), "lon"),
        (format!("{N}?lat=39%2C9&lon=116.4"), "lat"),
        (format!("{N}?lat=0x10&lon=116.4"), "lat"),
        // k
        (format!("{N}?{ok}&k=0"), "k"),
        (format!("{N}?{ok}&k=101"), "k"),
        (format!("{N}?{ok}&k=-1"), "k"),
        (format!("{N}?{ok}&k=99999999999999999999999999"), "k"),
        (format!("{N}?{ok}&k=abc"), "k"),
        (format!("{N}?{ok}&k=2.5"), "k"),
        // amenities
        (format!("{N}?{ok}&amenities=unicorn"), "amenities"),
        (format!("{N}?{ok}&amenities=water,unicorn"), "unicorn"),
        // max_distance_m
        (format!("{N}?{ok}&max_distance_m=0"), "max_distance_m"),
        (format!("{N}?{ok}&max_distance_m=-5"), "max_distance_m"),
        (format!("{N}?{ok}&max_distance_m=abc"), "max_distance_m"),
        (format!("{N}?{ok}&max_distance_m=NaN"), "max_distance_m"),
        // crs, at, open_now
        (format!("{N}?{ok}&crs=epsg3857"), "crs"),
        (format!("{L}?crs=mars"), "crs"),
        (format!("{N}?{ok}&at=yesterday"), "at"),
        (format!("{N}?{ok}&at=2026-11-25"), "at"),
        (format!("{N}?{ok}&at=2026-13-25T10:00:00Z"), "at"),
        (format!("{L}?at=2026-11-25T25:00:00%2B08:00"), "at"),
        (format!("{N}?{ok}&open_now=maybe"), "open_now"),
        (format!("{L}?open_now=2"), "open_now"),
        // bbox
        (format!("{L}?bbox=1,2,3"), "bbox"),
        (format!("{L}?bbox=1,2,3,4,5"), "bbox"),
        (format!("{L}?bbox=a,b,c,d"), "bbox"),
        (format!("{L}?bbox=116,39,117,"), "bbox"),
        (format!("{L}?bbox=116,-91,117,40"), "bbox"),
        (format!("{L}?bbox=116,39,117,90.5"), "bbox"),
        (format!("{L}?bbox=-181,39,117,40"), "bbox"),
        (format!("{L}?bbox=116,41,117,40"), "bbox"),
        (format!("{L}?bbox=116,NaN,117,40"), "bbox"),
        (format!("{L}?bbox=116,39,inf,40"), "bbox"),
        // limit / offset
        (format!("{L}?limit=0"), "limit"),
        (format!("{L}?limit=10001"), "limit"),
        (format!("{L}?limit=-3"), "limit"),
        (format!("{L}?limit=ten"), "limit"),
        (format!("{L}?offset=-1"), "offset"),
        (format!("{L}?offset=x"), "offset"),
        // duplicates
        (format!("{N}?{ok}&lat=40"), "lat"),
        (format!("{N}?{ok}&k=1&k=2"), "k"),
        (format!("{L}?limit=1&limit=1"), "limit"),
        (format!("{L}?bbox=1,2,3,4&bbox=1,2,3,4"), "bbox"),
        // a crs on one read
        (format!("{L}/bj-chy-00001?crs=nope"), "crs"),
    ];
    for (url, param) in &cases {
        let r = app.get(url).await;
        assert_problem(r, 400, &[param], url).await;
    }
    // The unknown amenity lists the valid keys.
    let r = app.get(&format!("{N}?{ok}&amenities=unicorn")).await;
    let v = assert_problem(r, 400, &["unicorn"], "amenity list").await;
    let detail = v["detail"].as_str().unwrap();
    for key in AMENITIES.iter().chain(&["24h"]) {
        assert!(detail.contains(key), "detail does not list {key}: {detail}");
    }
    // Edges that are valid.
    for url in [
        format!("{N}?lat=90&lon=180&k=100"),
        format!("{N}?lat=-90&lon=-180&k=1"),
        format!("{N}?{ok}&max_distance_m=0.001"),
        format!("{N}?{ok}&amenities=24h,water&open_now=false"),
        format!("{L}?limit=10000&offset=999999999"),
        format!("{L}?bbox=-180,-90,180,90&limit=1"),
        format!("{N}?{ok}&at=2026-11-25T10:30:00%2B08:00&open_now=true"),
        format!("{N}?{ok}&crs=GCJ02"),
    ] {
        let r = app.get(&url).await;
        assert_eq!(r.status(), 200, "{url}: {}", r.text().await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_requests_never_get_a_5xx() {
    let app = spawn_app(None).await;
    // Long ids, odd ids.
    let long = "x".repeat(10_000);
    for (path, want) in [
        (format!("/api/v1/stations/{long}"), 404u16),
        ("/api/v1/stations/%00".to_owned(), 404),
        ("/api/v1/stations/%E2%98%83".to_owned(), 404),
        ("/api/v1/stations/..%2F..%2Fetc%2Fpasswd".to_owned(), 404),
        ("/api/v2/stations".to_owned(), 404),
        ("/api/v1/nope".to_owned(), 404),
        ("/nope.html".to_owned(), 404),
        ("/api/v1/stations/nearest/extra".to_owned(), 404),
    ] {
        let r = app.get(&path).await;
        let status = r.status().as_u16();
        if want == 404 && status == 400 {
            // a 400 that names the id is acceptable for unreadable ids
            continue;
        }
        assert_problem(r, want, &[], &path[..path.len().min(80)]).await;
    }
    // Wrong methods → 405 problem+json.
    for (m, path) in [
        (reqwest::Method::PATCH, "/api/v1/stations"),
        (reqwest::Method::DELETE, "/api/v1/stations"),
        (reqwest::Method::POST, "/api/v1/stations/nearest"),
        (reqwest::Method::PUT, "/healthz"),
        (reqwest::Method::DELETE, "/api/v1/amenities"),
        (reqwest::Method::POST, "/metrics"),
        (reqwest::Method::PUT, "/api/v1/dataset"),
    ] {
        let r = app
            .client
            .request(m.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_problem(r, 405, &[], &format!("{m} {path}")).await;
    }
    // Raw requests that a URL library would refuse to send.
    for target in [
        "/api/v1/stations/%zz",
        "/api/v1/stations/%",
        "/api/v1/stations/%ff%fe",
        "/api/v1/stations/nearest?lat=%zz&lon=1",
        "/api/v1/stations/nearest?lat=39.9&lon=116.4&amenities=%ff",
        "/api/v1/stations/nearest?%ff=1&lat=39.9&lon=116.4",
        "/api/v1/stations?q=%ff%fe",
        "/api/v1/stations?bbox=%",
        "/api/v1/stations?&&&=&=",
        "/api/v1/stations/nearest?lat=39.9&lon=116.4&k",
        "/api/v1/stations/a%2Fb",
        "//api//v1//stations",
        "/%2e%2e/Cargo.toml",
    ] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (status, head, body) = raw_http(app.addr, req.as_bytes()).await;
        assert!(
            (400..500).contains(&status) || status == 200,
            "{target}: {status}"
        );
        if status == 200 {
            // e.g. q with replacement characters: fine, as long as it is a real answer
            assert!(target.contains('?'), "{target}: 200");
            continue;
        }
        let ct = head
            .lines()
            .find_map(|l| l.strip_prefix("content-type:"))
            .unwrap_or("")
            .trim()
            .to_owned();
        check_problem_body(&ct, &String::from_utf8_lossy(&body), status, &[], target);
    }
    // A very long query string and a very long q.
    let r = app.get(&format!("{L}?q={}", "a".repeat(5000))).await;
    assert_problem(r, 400, &["q"], "long q").await;
    let r = app
        .get(&format!(
            "{N}?lat=39.9&lon=116.4&amenities={}",
            "water,".repeat(2000)
        ))
        .await;
    assert_eq!(r.status(), 200);
}
