//! Operations: CORS, compression, metrics, problem reports, page security headers, path traversal, SIGTERM.

use std::io::Read;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_for_reads_and_preflight() {
    let app = spawn_app(None).await;
    let r = app
        .client
        .get(app.url("/api/v1/stations/nearest?lat=39.9&lon=116.4"))
        .header("origin", "https://example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let acao = r
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        acao.as_deref() == Some("*") || acao.as_deref() == Some("https://example.org"),
        "{acao:?}"
    );
    let expose = r
        .headers()
        .get("access-control-expose-headers")
        .map(|v| v.to_str().unwrap().to_lowercase())
        .unwrap_or_default();
    assert!(
        expose.contains("etag"),
        "ETag not exposed to browsers: {expose:?}"
    );
    let r = app
        .client
        .request(
            Method::OPTIONS,
            app.url("/api/v1/stations/nearest?lat=39.9&lon=116.4"),
        )
        .header("origin", "https://example.org")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "if-none-match")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "preflight: {}", r.status());
    assert!(r.headers().contains_key("access-control-allow-origin"));
    let methods = r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_uppercase();
    assert!(methods.contains("GET"), "{methods}");
    // Errors carry CORS headers too, so that a browser app can read the problem.
    let r = app
        .client
        .get(app.url("/api/v1/stations/nearest?lat=999&lon=116.4"))
        .header("origin", "https://example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_responses_when_asked() {
    let app = spawn_app(None).await;
    let raw = raw_client();
    let url = app.url("/api/v1/stations?limit=500");
    let plain = raw.get(&url).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_body = plain.bytes().await.unwrap();
    let r = raw
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let vary = r
        .headers()
        .get("vary")
        .map(|v| v.to_str().unwrap().to_lowercase())
        .unwrap_or_default();
    assert!(vary.contains("accept-encoding"), "Vary: {vary:?}");
    let gz = r.bytes().await.unwrap();
    assert!(
        gz.len() * 3 < plain_body.len(),
        "{} vs {}",
        gz.len(),
        plain_body.len()
    );
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut out)
        .unwrap();
    let a: Value = serde_json::from_slice(&out).unwrap();
    let b: Value = serde_json::from_slice(&plain_body).unwrap();
    assert_eq!(a, b);
    // The dataset download compresses too.
    let r = raw
        .get(app.url("/api/v1/dataset"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
}

fn metric_sum(text: &str, name: &str, must: &[&str]) -> f64 {
    text.lines()
        .filter(|l| {
            !l.starts_with('#') && l.starts_with(name) && must.iter().all(|m| l.contains(m))
        })
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_after_requests() {
    let app = spawn_app(None).await;
    let metrics = || async {
        let r = app.get("/metrics").await;
        assert_eq!(r.status(), 200);
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/plain"), "{ct}");
        r.text().await.unwrap()
    };
    let before = metrics().await;
    for _ in 0..3 {
        app.get_json("/api/v1/stations/nearest?lat=39.9&lon=116.4")
            .await;
    }
    let _ = app.get("/api/v1/stations/nearest?lat=999&lon=1").await;
    let r = app
        .put_geojson(&json!({"type": "FeatureCollection", "features": [1]}))
        .await;
    assert_eq!(r.status(), 422);
    let after = metrics().await;
    let d = |must: &[&str]| {
        metric_sum(&after, "yizhan_http_requests_total", must)
            - metric_sum(&before, "yizhan_http_requests_total", must)
    };
    assert_eq!(d(&["nearest", "\"200\""]), 3.0, "{after}");
    assert_eq!(d(&["nearest", "\"400\""]), 1.0, "{after}");
    let rejected = |t: &str| metric_sum(t, "yizhan_uploads_total", &["rejected"]);
    assert_eq!(rejected(&after) - rejected(&before), 1.0, "{after}");
    // Raw paths never become labels (a client must not be able to grow the metrics without bound).
    let _ = app.get("/api/v1/stations/some-unique-id-12345").await;
    let _ = app.get("/no/such/path/abcdef").await;
    // Nor do made-up methods: they are all counted under one label.
    let odd = reqwest::Method::from_bytes(b"FROBNICATE").unwrap();
    let r = app
        .client
        .request(odd, app.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let text = metrics().await;
    assert!(
        !text.contains("some-unique-id-12345")
            && !text.contains("abcdef")
            && !text.contains("FROBNICATE"),
        "{text}"
    );
    assert!(
        text.contains(r#"method="OTHER",route="/healthz",status="405""#),
        "{text}"
    );
}

async fn report(app: &TestApp, id: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/stations/{}/reports", enc(id))))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problem_reports_validate_and_rate_limit() {
    let app = spawn_app(Some(fc(&bulk("p", 5, 1)))).await;
    // Bad reports first: 400/404, each a problem.
    let r = report(&app, "p-000001", json!({"reason": "haunted"})).await;
    let v = assert_problem(r, 400, &["reason"], "unknown reason").await;
    assert!(
        v["detail"].as_str().unwrap().contains("closed"),
        "valid reasons not listed: {v}"
    );
    let r = report(&app, "nope", json!({"reason": "closed"})).await;
    assert_problem(r, 404, &[], "unknown station").await;
    let r = report(
        &app,
        "p-000001",
        json!({"reason": "other", "comment": "x".repeat(501)}),
    )
    .await;
    assert_problem(r, 400, &["comment"], "long comment").await;
    let r = app
        .client
        .post(app.url("/api/v1/stations/p-000001/reports"))
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, &[], "not JSON").await;
    let r = report(&app, "p-000001", json!({"comment": "no reason"})).await;
    assert_problem(r, 400, &[], "no reason").await;
    let r = app
        .client
        .post(app.url("/api/v1/stations/p-000001/reports"))
        .header("content-type", "application/json")
        .body(vec![b' '; 100_000])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    // A fresh app for the quota, so the bad requests above cannot have used it up.
    let app = spawn_app(Some(fc(&bulk("p", 5, 1)))).await;
    let reasons = [
        "closed",
        "moved",
        "amenity_missing",
        "wrong_hours",
        "refused_entry",
        "other",
    ];
    for i in 0..10 {
        let comment = if i == 0 {
            "名".repeat(500)
        } else {
            format!("report {i}")
        };
        let r = report(
            &app,
            &format!("p-00000{}", i % 5),
            json!({"reason": reasons[i % 6], "comment": comment}),
        )
        .await;
        assert_eq!(r.status(), 202, "report {i}: {}", r.text().await.unwrap());
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let r = report(&app, "p-000001", json!({"reason": "closed"})).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_problem(r, 429, &[], "11th report").await;
    // The admin list: token needed, newest first.
    let r = app
        .client
        .get(app.url("/api/v1/reports"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, &[], "reports without token").await;
    let r = app
        .admin(Method::GET, "/api/v1/reports")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let list = v["reports"].as_array().unwrap();
    assert_eq!(list.len(), 10);
    let comments: Vec<&str> = list
        .iter()
        .map(|r| r["comment"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(comments[0], "report 9", "newest first: {comments:?}");
    assert_eq!(comments[8], "report 1");
    let times: Vec<&str> = list
        .iter()
        .map(|r| r["created_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert_eq!(list[9]["reason"], "closed");
    assert_eq!(list[9]["station_id"], "p-000000");
    // Reports survive a restart of the app on the same data directory.
    let addr = serve_dir(app.data_dir.path(), &Opts::default()).await;
    let r = app
        .client
        .get(format!("http://{addr}/api/v1/reports"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let v2: Value = r.json().await.unwrap();
    assert_eq!(v2["reports"], v["reports"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_have_security_headers_and_no_traversal() {
    let app = spawn_app(None).await;
    for page in [
        "/",
        "/admin",
        "/?lat=39.9&lon=116.4&amenities=water&open_now=true",
    ] {
        let r = app.get(page).await;
        assert_eq!(r.status(), 200, "{page}");
        let h = r.headers();
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        assert_eq!(h["x-content-type-options"], "nosniff", "{page}");
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{page}: no CSP"))
            .to_str()
            .unwrap()
            .to_owned();
        let script = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .or_else(|| {
                csp.split(';')
                    .map(str::trim)
                    .find(|d| d.starts_with("default-src"))
            })
            .unwrap_or_else(|| panic!("{page}: no script-src: {csp}"));
        assert!(
            !script.contains("'unsafe-inline'") && !script.contains("'unsafe-eval'"),
            "{page}: {csp}"
        );
        assert!(csp.contains("frame-ancestors"), "{page}: {csp}");
        let body = r.text().await.unwrap();
        assert!(
            !body.to_lowercase().contains("<script>"),
            "{page}: inline script"
        );
    }
    for target in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/%2E%2E/Cargo.toml",
        "/vendor/../../src/main.rs",
        "/vendor/%2e%2e/%2e%2e/src/main.rs",
        "/..%2fCargo.toml",
        "/%2e%2e%2fsrc%2fmain.rs",
        "/.%2e/Cargo.toml",
        "/static/../Cargo.toml",
        "/..\\Cargo.toml",
        "/%5c..%5cCargo.toml",
        "/./../../../../etc/passwd",
        "/%00/etc/passwd",
        "/Cargo.toml",
        "/src/main.rs",
        "/data/stations.geojson",
    ] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (status, _, body) = raw_http(app.addr, req.as_bytes()).await;
        let text = String::from_utf8_lossy(&body);
        assert!(status == 404 || status == 400, "{target}: {status}");
        assert!(
            !text.contains("[package]")
                && !text.contains("fn main")
                && !text.contains("root:")
                && !text.contains("FeatureCollection"),
            "{target}: file contents served"
        );
    }
    // Assets are served with a type and nosniff.
    let r = app.get("/app.js").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("yizhan.log");
    let mut p = start_bin(&data, Some(TOKEN), &log);
    p.wait_ready().await.unwrap();
    let body = serde_json::to_vec(&fc(&bulk("t", 200, 1))).unwrap();
    let head = format!(
        "PUT /api/v1/stations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/geo+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(p.addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..body.len() / 2]).await.unwrap();
    s.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.sigterm();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        p.child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );
    s.write_all(&body[body.len() / 2..]).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let (status, _, resp) = parse_raw_response(&buf);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&resp));
    let st = p
        .wait_exit(Duration::from_secs(20))
        .expect("did not exit after SIGTERM");
    assert!(st.success(), "exit status {st}: {}", p.log_text());
    // The upload that finished during shutdown is durable.
    let mut p = start_bin(&data, Some(TOKEN), &log);
    p.wait_ready().await.unwrap();
    assert_eq!(p.health().await.1, 200);
    // An idle server exits 0 on SIGTERM, promptly.
    p.sigterm();
    let st = p
        .wait_exit(Duration::from_secs(10))
        .expect("idle server did not exit");
    assert!(st.success(), "{st}");
}

/// Slow clients cannot hold connections: one that sends nothing and one that never finishes its headers are
/// both closed after the 10 s header timeout, while a normal client is served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_clients_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app(None).await;
    let mut silent = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let mut slow = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let r = app
        .client
        .get(format!("http://{}/healthz", app.addr))
        .send()
        .await
        .expect("healthz");
    assert_eq!(r.status(), 200);
    let mut buf = [0u8; 256];
    for (name, s) in [("silent", &mut silent), ("slow", &mut slow)] {
        let n = tokio::time::timeout(std::time::Duration::from_secs(20), s.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("{name} connection still open after 20 s"));
        // closed (0 bytes or reset), or at most an error response before the close
        if let Ok(n) = n {
            assert!(
                n == 0 || !buf[..n].starts_with(b"HTTP/1.1 200"),
                "{name}: served"
            );
        }
    }
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(9),
        "closed too early: {:?}",
        started.elapsed()
    );
}

fn cache_control(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Admin answers are for the token holder only: `private, no-store`, so that no shared cache keeps one and hands
/// it to someone else. Public reads keep their caching.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_answers_are_never_stored_and_reads_keep_their_caching() {
    let app = spawn_app(Some(fc(&bulk("c", 5, 1)))).await;
    let v = app.version().await;
    let private = Some("private, no-store".to_owned());
    // The admin GETs.
    for path in ["/api/v1/dataset/versions", "/api/v1/reports"] {
        let r = app.admin(Method::GET, path).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(cache_control(&r), private, "{path}");
    }
    // The admin writes.
    let r = app.put_geojson(&fc(&bulk("c", 5, 1))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(cache_control(&r), private, "PUT");
    let r = app
        .admin(Method::DELETE, "/api/v1/stations/c-000004")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(cache_control(&r), private, "DELETE");
    let r = app.rollback(&v).await;
    assert_eq!(r.status(), 200);
    assert_eq!(cache_control(&r), private, "rollback");
    assert_eq!(app.version().await, v);
    // Public reads, 200 and 304, as before.
    let public = Some("public, max-age=30".to_owned());
    for path in [
        "/api/v1/stations/nearest?lat=39.9&lon=116.4",
        "/api/v1/stations?limit=3",
        "/api/v1/stations/c-000001",
        "/api/v1/amenities",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(cache_control(&r), public, "{path}");
        let r = app.get_if_none_match(path, &format!("\"{v}\"")).await;
        assert_eq!(r.status(), 304, "{path}");
        assert_eq!(cache_control(&r), public, "{path} 304");
    }
    // The dataset download is public (no token needed; replicas and the admin page's plain link use it): its
    // answer, with a token or without, is as it was — no Cache-Control on the 200, the reads' one on a 304.
    for token in [false, true] {
        let mut req = app.client.get(app.url("/api/v1/dataset"));
        if token {
            req = req.bearer_auth(TOKEN);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(cache_control(&r), None, "download (token: {token})");
    }
    let r = app
        .get_if_none_match("/api/v1/dataset", &format!("\"{v}\""))
        .await;
    assert_eq!(r.status(), 304);
    assert_eq!(cache_control(&r), public, "download 304");
    // Pages and assets.
    for (path, want) in [
        ("/", "no-cache"),
        ("/admin", "no-cache"),
        ("/sw.js", "no-cache"),
        ("/app.js", "public, max-age=3600"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(cache_control(&r).as_deref(), Some(want), "{path}");
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        for inm in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"zzz\", {etag}"),
        ] {
            let r = app.get_if_none_match(path, &inm).await;
            assert_eq!(r.status(), 304, "{path} with If-None-Match {inm}");
            assert_eq!(cache_control(&r).as_deref(), Some(want), "{path} 304");
            assert_eq!(r.headers()["etag"].to_str().unwrap(), etag, "{path} 304");
        }
    }
}
