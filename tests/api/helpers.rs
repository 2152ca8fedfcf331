//! Shared test machinery: an in-process app on a random port, the real binary for process-level tests, a seeded
//! RNG, a synthetic dataset model and the brute-force answers computed from it (never from the crate's code).

#![allow(dead_code)]

pub use crate::support::model::*;
pub use crate::support::rng::Rng;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Client, Response};
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const TOKEN: &str = "test-admin-token-0123456789";

// ---------------------------------------------------------------------------------------------------------------
// The in-process app

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub data_dir: TempDir,
    pub token: String,
}

/// What to vary when starting an app.
#[derive(Clone)]
pub struct Opts {
    pub token: Option<String>,
    pub max_upload_mb: Option<u64>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            token: Some(TOKEN.to_owned()),
            max_upload_mb: None,
        }
    }
}

pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("reqwest client")
}

/// A client that shows bodies and headers exactly as sent (no gzip decoding).
pub fn raw_client() -> Client {
    Client::builder()
        .no_gzip()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("reqwest client")
}

/// The settings of a test app over `dir`: the defaults, on a free port.
pub fn settings(dir: &Path, opts: &Opts) -> yizhan::settings::Settings {
    let mut s = yizhan::settings::Settings {
        addr: "127.0.0.1:0".parse().expect("loopback address"),
        data_dir: dir.to_owned(),
        admin_token: opts.token.clone(),
        ..yizhan::settings::Settings::default()
    };
    if let Some(mb) = opts.max_upload_mb {
        s.max_upload_bytes = yizhan::settings::mib(mb);
    }
    s
}

/// Serves an app over `dir` on a random port; returns its address.
pub async fn serve_dir(dir: &Path, opts: &Opts) -> SocketAddr {
    let app = yizhan::app::Application::build(settings(dir, opts))
        .await
        .expect("building the app");
    let addr = app.addr();
    tokio::spawn(app.run_until(std::future::pending()));
    addr
}

/// Serves an app whose settings `adjust` changes (from the defaults over a new data directory, a report quota
/// that does not get in the way of filing many reports); the app and its state (to call what HTTP does not
/// reach, such as the insights' flush).
pub async fn spawn_adjusted(
    adjust: impl FnOnce(&mut yizhan::settings::Settings),
) -> (TestApp, yizhan::api::AppState) {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let mut s = settings(data_dir.path(), &Opts::default());
    s.reports_per_minute = 10_000;
    adjust(&mut s);
    let app = yizhan::app::Application::build(s)
        .await
        .expect("building the app");
    let addr = app.addr();
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let app = TestApp {
        addr,
        client: client(),
        data_dir,
        token: TOKEN.to_owned(),
    };
    (app, state)
}

pub async fn spawn_app(dataset: Option<Value>) -> TestApp {
    spawn_app_with(Opts::default(), dataset).await
}

pub async fn spawn_app_with(opts: Opts, dataset: Option<Value>) -> TestApp {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let addr = serve_dir(data_dir.path(), &opts).await;
    let app = TestApp {
        addr,
        client: client(),
        data_dir,
        token: opts.token.clone().unwrap_or_default(),
    };
    if let Some(ds) = dataset {
        let r = app.put_geojson(&ds).await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, 200, "initial upload failed: {body}");
    }
    app
}

impl TestApp {
    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    pub async fn get(&self, path_and_query: &str) -> Response {
        self.client
            .get(self.url(path_and_query))
            .send()
            .await
            .expect("GET")
    }

    /// A conditional GET: `If-None-Match` with `etag` as given (quote it yourself).
    pub async fn get_if_none_match(&self, path_and_query: &str, etag: &str) -> Response {
        self.client
            .get(self.url(path_and_query))
            .header("if-none-match", etag)
            .send()
            .await
            .expect("conditional GET")
    }

    /// GET, expect 200, parse JSON.
    pub async fn get_json(&self, path_and_query: &str) -> Value {
        let r = self.get(path_and_query).await;
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, 200, "GET {path_and_query}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path_and_query}: {e}: {text}"))
    }

    /// [`get_json`](Self::get_json) with the admin token.
    pub async fn admin_json(&self, path_and_query: &str) -> Value {
        let r = self
            .admin(reqwest::Method::GET, path_and_query)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, 200, "GET {path_and_query}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path_and_query}: {e}: {text}"))
    }

    pub fn admin(&self, method: reqwest::Method, path_and_query: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path_and_query))
            .bearer_auth(&self.token)
    }

    /// `POST /api/v1/dataset/rollback?version=…` with the admin token; the caller checks the answer.
    pub async fn rollback(&self, version: &str) -> Response {
        self.admin(
            reqwest::Method::POST,
            &format!("/api/v1/dataset/rollback?version={version}"),
        )
        .send()
        .await
        .expect("rollback")
    }

    pub async fn upload(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        self.admin(method, path_and_query)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("upload")
    }

    pub async fn put_geojson(&self, ds: &Value) -> Response {
        self.upload(
            reqwest::Method::PUT,
            "/api/v1/stations",
            "application/geo+json",
            serde_json::to_vec(ds).unwrap(),
        )
        .await
    }

    /// PUT, expect 200, return the new version.
    pub async fn put_ok(&self, ds: &Value) -> String {
        let r = self.put_geojson(ds).await;
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, 200, "PUT: {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        v["dataset_version"].as_str().unwrap().to_owned()
    }

    pub async fn health(&self) -> (String, u64) {
        let h = self.get_json("/healthz").await;
        assert_eq!(h["status"], "ok");
        (
            h["dataset_version"].as_str().unwrap().to_owned(),
            h["stations"].as_u64().unwrap(),
        )
    }

    pub async fn version(&self) -> String {
        self.health().await.0
    }

    /// The dataset as downloaded from GET /api/v1/dataset.
    pub async fn download(&self) -> Vec<u8> {
        let r = self.get("/api/v1/dataset").await;
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap().to_vec()
    }
}

/// Checks a problem+json response: status, content type, the four members, and that `detail` mentions each of
/// `mentions` (case-insensitive). Returns the body.
pub async fn assert_problem(r: Response, status: u16, mentions: &[&str], what: &str) -> Value {
    let got = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = r.text().await.unwrap_or_default();
    assert_eq!(got, status, "{what}: expected {status}, got {got}: {text}");
    check_problem_body(&ct, &text, status, mentions, what)
}

pub fn check_problem_body(
    ct: &str,
    text: &str,
    status: u16,
    mentions: &[&str],
    what: &str,
) -> Value {
    assert!(
        ct.starts_with("application/problem+json"),
        "{what}: content-type {ct:?}: {text}"
    );
    let v: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{what}: problem body not JSON ({e}): {text}"));
    assert!(v["type"].is_string(), "{what}: no type: {v}");
    assert!(v["title"].is_string(), "{what}: no title: {v}");
    assert_eq!(v["status"].as_u64(), Some(status as u64), "{what}: {v}");
    let detail = v["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no detail: {v}"));
    assert!(!detail.trim().is_empty(), "{what}: empty detail");
    for m in mentions {
        assert!(
            detail.to_lowercase().contains(&m.to_lowercase()),
            "{what}: detail does not mention {m:?}: {detail}"
        );
    }
    v
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Sends raw bytes as one HTTP/1.1 request (the caller includes `Connection: close`) and reads the whole answer.
/// Returns (status, lower-cased head, body).
pub async fn raw_http(addr: SocketAddr, request: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request).await.expect("write");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf))
        .await
        .expect("raw_http timed out")
        .expect("read");
    parse_raw_response(&buf)
}

pub fn parse_raw_response(buf: &[u8]) -> (u16, String, Vec<u8>) {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    (status, head, buf[end + 4..].to_vec())
}

// ---------------------------------------------------------------------------------------------------------------
// The real binary

pub struct Proc {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
    pub client: Client,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `yizhan serve` on `dir`; stderr goes to `log` (appended).
pub fn start_bin(dir: &Path, token: Option<&str>, log: &Path) -> Proc {
    start_bin_args(dir, token, log, &[])
}

/// [`start_bin`] with more `serve` arguments.
pub fn start_bin_args(dir: &Path, token: Option<&str>, log: &Path, extra: &[&str]) -> Proc {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let logf = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yizhan"));
    cmd.arg("serve")
        .arg("--addr")
        .arg(addr.to_string())
        .arg("--data-dir")
        .arg(dir)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(logf));
    for v in [
        "YIZHAN_ADDR",
        "YIZHAN_DATA_DIR",
        "YIZHAN_ADMIN_TOKEN",
        "YIZHAN_ADMIN_TOKEN_FILE",
        "YIZHAN_MAX_UPLOAD_MB",
        "RUST_LOG",
    ] {
        cmd.env_remove(v);
    }
    if let Some(t) = token {
        cmd.env("YIZHAN_ADMIN_TOKEN", t);
    }
    let child = cmd.spawn().expect("starting the yizhan binary");
    Proc {
        child,
        addr,
        log: log.to_owned(),
        client: Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap(),
    }
}

impl Proc {
    pub fn url(&self, p: &str) -> String {
        format!("http://{}{}", self.addr, p)
    }

    /// Polls /healthz until it answers; Err(exit status) if the process exits first.
    pub async fn wait_ready(&mut self) -> Result<(), std::process::ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return Err(st);
            }
            if let Ok(r) = self.client.get(self.url("/healthz")).send().await {
                if r.status() == 200 {
                    return Ok(());
                }
            }
            assert!(
                Instant::now() < deadline,
                "the binary did not get ready in 60 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn health(&self) -> (String, u64) {
        let h: Value = self
            .client
            .get(self.url("/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            h["dataset_version"].as_str().unwrap().to_owned(),
            h["stations"].as_u64().unwrap(),
        )
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM through the `kill` utility (the crate is libc-free).
    pub fn sigterm(&self) {
        let st = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill -TERM");
        assert!(st.success());
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return Some(st);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Feature ids of a FeatureCollection response.
pub fn ids(v: &Value) -> Vec<String> {
    v["features"]
        .as_array()
        .unwrap_or_else(|| panic!("no features: {v}"))
        .iter()
        .map(|f| {
            f["id"]
                .as_str()
                .unwrap_or_else(|| panic!("id not a string: {f}"))
                .to_owned()
        })
        .collect()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Sends `head` and `body` on one connection while reading the answer at the same time, ignoring write errors:
/// a server may answer (413, 401) and close before the body is all sent, which a normal client reports as an error.
pub async fn raw_http_early(
    addr: SocketAddr,
    head: String,
    body: Vec<u8>,
) -> (u16, String, Vec<u8>) {
    let s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = tokio::io::split(s);
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let _ = wr.write_all(&body).await;
        let _ = wr.flush().await;
        wr
    });
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match tokio::time::timeout(Duration::from_secs(30), rd.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => panic!("raw_http_early timed out"),
        }
    }
    drop(writer);
    parse_raw_response(&buf)
}

/// Held by the timing-sensitive tests so that they do not compete with each other for the two cores.
pub static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
