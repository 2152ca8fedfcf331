//! Golden files: the exact HTTP responses of today's code, so that a restructuring that claims "behaviour
//! unchanged" can prove it byte for byte.
//!
//! One app (seeded with the bundled synthetic sample, data/stations.geojson) answers every case of [`cases`] in
//! table order. Per case, `tests/golden/<case>.<ext>` holds the response body and `tests/golden/index.json` holds
//! the request, the status and the response headers.
//!
//! - Compare (default): every case is checked; mismatches are listed with the case name and, for bodies, the first
//!   differing byte offset with context; then the test fails.
//! - Record: `YIZHAN_GOLDEN_RECORD=1 cargo test --release --test api golden` rewrites the files from the current
//!   code (and removes body files of cases no longer in the table). Review `git diff tests/golden` before committing.
//!
//! What is normalised, and only because it is inherently variable:
//! - the `date` header (wall clock) is not recorded; `x-request-id` (process id + counter) is recorded as
//!   `<variable>`, i.e. only its presence is checked;
//! - `content-length` / `transfer-encoding` (framing) are not recorded: the body itself is compared byte for byte;
//! - `created_at` values in GET /api/v1/dataset/versions are replaced by `<timestamp>` in place (the rest of the
//!   body keeps its exact bytes);
//! - GET /api/v1/dataset (1.6 MB) is recorded as its SHA-256, length and first 512 bytes;
//! - the gzip case is recorded decompressed (the compressed bytes depend on the compression library, not on us);
//!   its headers (content-encoding, vary) are still compared.
//!
//! Nothing depends on the clock: every read that reports `open_now` gets a fixed `at=`. Deliberately not covered:
//! /openapi.json and /metrics (they will change on purpose), the HTML pages and static assets.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::*;

/// Tuesday 2026-11-24 08:30 in Beijing (`+` percent-encoded, or it would be a space).
macro_rules! day {
    () => {
        "at=2026-11-24T08:30:00%2B08:00"
    };
}

/// The same Tuesday at 02:10 at night.
macro_rules! night {
    () => {
        "at=2026-11-24T02:10:00%2B08:00"
    };
}

/// Tiananmen, WGS-84.
macro_rules! centre {
    () => {
        "lat=39.9087&lon=116.3975"
    };
}

/// A path through central Beijing (west → Tiananmen → Wangjing direction).
macro_rules! path {
    () => {
        "path=116.30,39.90;116.40,39.91;116.45,39.98"
    };
}

/// Replaced by the current ETag (`"<dataset_version>"`) in request header values.
const ETAG: &str = "{etag}";

#[derive(Clone, Copy, PartialEq)]
enum Treat {
    /// The body as sent.
    Raw,
    /// SHA-256, length and the first 512 bytes.
    Digest,
    /// `created_at` values replaced by `<timestamp>`.
    Timestamps,
    /// Gunzipped (the request asks for gzip).
    Gunzip,
}

impl Treat {
    fn label(self) -> &'static str {
        match self {
            Treat::Raw => "raw",
            Treat::Digest => "sha256+length+head",
            Treat::Timestamps => "created_at normalised",
            Treat::Gunzip => "gunzipped",
        }
    }
}

struct Case {
    name: &'static str,
    method: &'static str,
    target: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: Option<&'static str>,
    admin: bool,
    treat: Treat,
}

fn req(name: &'static str, method: &'static str, target: &'static str) -> Case {
    Case {
        name,
        method,
        target,
        headers: vec![],
        body: None,
        admin: false,
        treat: Treat::Raw,
    }
}

fn get(name: &'static str, target: &'static str) -> Case {
    req(name, "GET", target)
}

impl Case {
    fn header(mut self, k: &'static str, v: &'static str) -> Case {
        self.headers.push((k, v));
        self
    }
    fn body(mut self, content_type: &'static str, body: &'static str) -> Case {
        self.body = Some(body);
        self.header("content-type", content_type)
    }
    fn admin(mut self) -> Case {
        self.admin = true;
        self
    }
    fn treat(mut self, t: Treat) -> Case {
        self.treat = t;
        self
    }

    /// How the request is described in the index (a changed request is a changed case: re-record).
    fn describe(&self) -> String {
        let mut s = format!("{} {}", self.method, self.target);
        if self.admin {
            s.push_str(" [admin token]");
        }
        for (k, v) in &self.headers {
            s.push_str(&format!(" [{k}: {v}]"));
        }
        if let Some(b) = self.body {
            s.push_str(&format!(" body={b}"));
        }
        s
    }
}

const NEAREST: &str = "/api/v1/stations/nearest";

fn cases() -> Vec<Case> {
    vec![
        // --- nearest
        get("nearest-default", concat!("/api/v1/stations/nearest?", centre!(), "&", day!())),
        get("nearest-k20", concat!("/api/v1/stations/nearest?", centre!(), "&k=20&", day!())),
        get(
            "nearest-water-open",
            concat!("/api/v1/stations/nearest?", centre!(), "&amenities=water&open_now=true&", day!()),
        ),
        get(
            "nearest-water-open-night",
            concat!("/api/v1/stations/nearest?", centre!(), "&amenities=water&open_now=true&", night!()),
        ),
        get(
            "nearest-amenities-zh",
            concat!("/api/v1/stations/nearest?", centre!(), "&amenities=饮水,充电&k=8&", day!()),
        ),
        get(
            "nearest-24h-open-night",
            concat!("/api/v1/stations/nearest?", centre!(), "&amenities=24h&open_now=true&k=10&", night!()),
        ),
        get(
            "nearest-rare-amenities",
            concat!("/api/v1/stations/nearest?", centre!(), "&amenities=medicine,heating,toilet&k=3&", day!()),
        ),
        get(
            "nearest-max-distance",
            concat!("/api/v1/stations/nearest?", centre!(), "&max_distance_m=800&k=100&", day!()),
        ),
        get(
            "nearest-max-distance-empty",
            concat!("/api/v1/stations/nearest?lat=40.9&lon=117.9&max_distance_m=50&", day!()),
        ),
        get("nearest-q", concat!("/api/v1/stations/nearest?lat=39.99&lon=116.47&q=望京&k=5&", day!())),
        get(
            "nearest-gcj02",
            concat!("/api/v1/stations/nearest?lat=39.91&lon=116.41&crs=gcj02&amenities=charging&", day!()),
        ),
        get("nearest-bd09", concat!("/api/v1/stations/nearest?lat=39.915&lon=116.404&crs=bd09&k=3&", night!())),
        // --- along
        get("along-basic", concat!("/api/v1/stations/along?", path!(), "&", day!())),
        get(
            "along-filters",
            concat!(
                "/api/v1/stations/along?",
                path!(),
                "&max_distance_m=500&amenities=water,charging&open_now=true&limit=10&",
                day!()
            ),
        ),
        get(
            "along-24h-night",
            concat!("/api/v1/stations/along?", path!(), "&amenities=24h&open_now=true&", night!()),
        ),
        get(
            "along-gcj02",
            concat!("/api/v1/stations/along?path=116.31,39.91;116.41,39.92&crs=gcj02&limit=8&", day!()),
        ),
        get(
            "along-bd09",
            concat!("/api/v1/stations/along?path=116.41,39.92;116.46,39.99&crs=bd09&limit=5&", night!()),
        ),
        // --- list
        get("list-bbox", concat!("/api/v1/stations?bbox=116.43,39.97,116.50,40.01&", day!())),
        get(
            "list-bbox-page",
            concat!("/api/v1/stations?bbox=116.43,39.97,116.50,40.01&limit=5&offset=10&", day!()),
        ),
        get(
            "list-bbox-24h-open-night",
            concat!("/api/v1/stations?bbox=116.30,39.85,116.50,39.95&amenities=24h&open_now=true&", night!()),
        ),
        get("list-q", concat!("/api/v1/stations?q=望京&limit=3&", day!())),
        get("list-offset-tail", concat!("/api/v1/stations?limit=3&offset=4068&", day!())),
        get(
            "list-gcj02",
            concat!("/api/v1/stations?bbox=116.40,39.90,116.42,39.92&crs=gcj02&limit=5&", day!()),
        ),
        // --- one station
        get("one-station", concat!("/api/v1/stations/bj-chy-00042?", day!())),
        get("one-station-bd09-night", concat!("/api/v1/stations/bj-chy-00042?crs=bd09&", night!())),
        get("one-unknown-404", concat!("/api/v1/stations/no-such-station?", day!())),
        // --- small reads
        get("amenities", "/api/v1/amenities"),
        get("amenities-gzip", "/api/v1/amenities")
            .header("accept-encoding", "gzip")
            .treat(Treat::Gunzip),
        get("healthz", "/healthz"),
        req("healthz-head", "HEAD", "/healthz"),
        get("config", "/api/v1/config"),
        // --- conditional requests
        get("nearest-304", concat!("/api/v1/stations/nearest?", centre!(), "&", day!()))
            .header("if-none-match", ETAG),
        get("one-station-304-star", concat!("/api/v1/stations/bj-chy-00042?", day!()))
            .header("if-none-match", "*"),
        get("list-stale-etag-200", concat!("/api/v1/stations?limit=2&", day!()))
            .header("if-none-match", "\"0000000000000000\""),
        // --- 400 problems
        get("err-missing-lat", concat!("/api/v1/stations/nearest?lon=116.4&", day!())),
        get("err-lat-out-of-range", concat!("/api/v1/stations/nearest?lat=91&lon=116.4&", day!())),
        get("err-k-zero", concat!("/api/v1/stations/nearest?", centre!(), "&k=0&", day!())),
        get("err-bad-amenity", concat!("/api/v1/stations/nearest?", centre!(), "&amenities=water,sauna&", day!())),
        get("err-duplicate-param", concat!("/api/v1/stations/nearest?lat=39.9&lat=39.91&lon=116.4&", day!())),
        get("err-bad-crs", concat!("/api/v1/stations/nearest?", centre!(), "&crs=wgs85&", day!())),
        get("err-bad-at", "/api/v1/stations/nearest?lat=39.9&lon=116.4&at=yesterday"),
        get("err-bad-bbox-3-numbers", concat!("/api/v1/stations?bbox=116.4,39.9,116.5&", day!())),
        get("err-bad-bbox-inverted", concat!("/api/v1/stations?bbox=116.4,40.0,116.5,39.9&", day!())),
        get("err-path-one-point", concat!("/api/v1/stations/along?path=116.3,39.9&", day!())),
        get("err-path-junk", concat!("/api/v1/stations/along?path=abc;def&", day!())),
        get("err-path-missing", concat!("/api/v1/stations/along?", day!())),
        // --- 405 and 404
        req("method-delete-amenities-405", "DELETE", "/api/v1/amenities"),
        req("method-patch-nearest-405", "PATCH", NEAREST),
        get("unknown-path-404", "/api/v1/no-such-endpoint"),
        // --- admin
        get("dataset-download", "/api/v1/dataset").treat(Treat::Digest),
        get("admin-versions", "/api/v1/dataset/versions")
            .admin()
            .treat(Treat::Timestamps),
        get("admin-versions-no-token-401", "/api/v1/dataset/versions"),
        get("admin-versions-wrong-token-401", "/api/v1/dataset/versions")
            .header("authorization", "Bearer wrong-token"),
        get("admin-reports-empty", "/api/v1/reports").admin(),
        req("admin-rollback-no-version-400", "POST", "/api/v1/dataset/rollback").admin(),
        req("admin-dry-run-invalid-422", "PUT", "/api/v1/stations?dry_run=true")
            .admin()
            .body(
                "application/geo+json",
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"x-1","geometry":{"type":"Point","coordinates":[200,39.9]},"properties":{"name":"","amenities":["sauna"]}}]}"#,
            ),
        // --- rider reports (validation only: nothing is stored)
        req("report-not-json-400", "POST", "/api/v1/stations/bj-chy-00042/reports")
            .body("application/json", "not json"),
        req("report-bad-reason-400", "POST", "/api/v1/stations/bj-chy-00042/reports")
            .body("application/json", r#"{"reason":"bored","comment":"门关着"}"#),
        req("report-unknown-station-404", "POST", "/api/v1/stations/no-such-station/reports")
            .body("application/json", r#"{"reason":"closed"}"#),
        // --- CORS
        req("cors-preflight", "OPTIONS", NEAREST)
            .header("origin", "https://app.example")
            .header("access-control-request-method", "GET"),
        get("cors-get-healthz", "/healthz").header("origin", "https://app.example"),
    ]
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

const INDEX: &str = "index.json";

/// One response as recorded: the index entry and the body bytes (after the case's treatment).
struct Got {
    entry: Value,
    ext: &'static str,
    body: Vec<u8>,
}

async fn run(app: &TestApp, client: &reqwest::Client, etag: &str, c: &Case) -> Got {
    let method = reqwest::Method::from_bytes(c.method.as_bytes()).unwrap();
    let mut rb = client.request(method, app.url(c.target));
    if c.admin {
        rb = rb.bearer_auth(&app.token);
    }
    for (k, v) in &c.headers {
        rb = rb.header(*k, v.replace(ETAG, etag));
    }
    if let Some(b) = c.body {
        rb = rb.body(b);
    }
    let r = rb
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", c.name));
    let status = r.status().as_u16();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in r.headers() {
        let k = k.as_str();
        if matches!(k, "date" | "content-length" | "transfer-encoding") {
            continue;
        }
        let v = if k == "x-request-id" {
            "<variable>".to_owned()
        } else {
            String::from_utf8_lossy(v.as_bytes()).into_owned()
        };
        headers
            .entry(k.to_owned())
            .and_modify(|old| {
                old.push_str(", ");
                old.push_str(&v);
            })
            .or_insert(v);
    }
    let raw = r.bytes().await.unwrap().to_vec();
    let body = match c.treat {
        Treat::Raw => raw,
        Treat::Digest => digest(&raw),
        Treat::Timestamps => normalise_created_at(&raw),
        Treat::Gunzip => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .unwrap_or_else(|e| panic!("{}: not gzip: {e}", c.name));
            out
        }
    };
    let ct = headers
        .get("content-type")
        .map(String::as_str)
        .unwrap_or("");
    let ext = if c.treat == Treat::Digest {
        "txt"
    } else if ct.contains("json") {
        "json"
    } else {
        "txt"
    };
    let file = format!("{}.{ext}", c.name);
    Got {
        entry: json!({
            "request": c.describe(),
            "status": status,
            "headers": headers,
            "body_file": file,
            "body": c.treat.label(),
        }),
        ext,
        body,
    }
}

fn digest(raw: &[u8]) -> Vec<u8> {
    let hex: String = Sha256::digest(raw)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let head = String::from_utf8_lossy(&raw[..raw.len().min(512)]);
    format!(
        "sha256: {hex}\nlength: {}\nfirst 512 bytes:\n{head}\n",
        raw.len()
    )
    .into_bytes()
}

/// Replaces the value of every `"created_at":"…"` by `<timestamp>`, leaving every other byte as it was.
fn normalise_created_at(raw: &[u8]) -> Vec<u8> {
    const KEY: &[u8] = b"\"created_at\":\"";
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i..].starts_with(KEY) {
            out.extend_from_slice(KEY);
            out.extend_from_slice(b"<timestamp>");
            i += KEY.len();
            while i < raw.len() && raw[i] != b'"' {
                i += 1;
            }
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    out
}

/// The first differing byte offset and some context of both sides.
fn first_difference(want: &[u8], got: &[u8]) -> String {
    let off = want
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let ctx = |b: &[u8]| {
        let lo = off.saturating_sub(80);
        let hi = (off + 80).min(b.len());
        String::from_utf8_lossy(&b[lo.min(hi)..hi])
            .escape_debug()
            .to_string()
    };
    format!(
        "first difference at byte {off} (golden {} bytes, got {} bytes)\n      golden: …{}…\n      got:    …{}…",
        want.len(),
        got.len(),
        ctx(want),
        ctx(got)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_responses_match_recorded_files() {
    let record = std::env::var("YIZHAN_GOLDEN_RECORD").is_ok_and(|v| v == "1");
    let cases = cases();
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(names.insert(c.name), "duplicate case name {}", c.name);
    }

    let app = spawn_app(None).await;
    let client = raw_client();
    let etag = format!("\"{}\"", app.version().await);

    let dir = golden_dir();
    let mut results = Vec::new();
    for c in &cases {
        results.push((c.name, run(&app, &client, &etag, c).await));
    }

    if record {
        std::fs::create_dir_all(&dir).unwrap();
        let mut index = serde_json::Map::new();
        let mut keep =
            std::collections::HashSet::from([INDEX.to_owned(), ".gitattributes".to_owned()]);
        for (name, got) in &results {
            let file = format!("{name}.{}", got.ext);
            std::fs::write(dir.join(&file), &got.body).unwrap();
            keep.insert(file);
            index.insert((*name).to_owned(), got.entry.clone());
        }
        let mut text = serde_json::to_string_pretty(&Value::Object(index)).unwrap();
        text.push('\n');
        std::fs::write(dir.join(INDEX), text).unwrap();
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let fname = e.file_name().to_string_lossy().into_owned();
            if e.file_type().unwrap().is_file() && !keep.contains(&fname) {
                std::fs::remove_file(e.path()).unwrap();
            }
        }
        eprintln!(
            "golden: recorded {} cases into {}",
            results.len(),
            dir.display()
        );
        return;
    }

    let hint = "re-record with YIZHAN_GOLDEN_RECORD=1 only if the change is intended";
    let index_text = std::fs::read_to_string(dir.join(INDEX))
        .unwrap_or_else(|e| panic!("golden: no {}: {e}; {hint}", dir.join(INDEX).display()));
    let index: serde_json::Map<String, Value> = serde_json::from_str(&index_text).unwrap();
    let mut failures: Vec<String> = Vec::new();
    for name in index.keys() {
        if !names.contains(name.as_str()) {
            failures.push(format!(
                "{name}: in {INDEX} but no longer a case in tests/api/golden.rs"
            ));
        }
    }
    for (name, got) in &results {
        let Some(want) = index.get(*name) else {
            failures.push(format!("{name}: not recorded in {INDEX}"));
            continue;
        };
        for field in ["request", "status", "headers", "body_file", "body"] {
            if want[field] != got.entry[field] {
                failures.push(format!(
                    "{name}: {field} differs\n      golden: {}\n      got:    {}",
                    want[field], got.entry[field]
                ));
            }
        }
        let file = dir.join(format!("{name}.{}", got.ext));
        match std::fs::read(&file) {
            Err(e) => failures.push(format!("{name}: cannot read {}: {e}", file.display())),
            Ok(want_body) if want_body != got.body => failures.push(format!(
                "{name}: body differs from {}: {}",
                file.display(),
                first_difference(&want_body, &got.body)
            )),
            Ok(_) => {}
        }
    }
    // The app reads its settings (timezone, tiles, CORS origins…) from YIZHAN_* variables too: name them.
    let env: Vec<String> = std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("YIZHAN_"))
        .collect();
    assert!(
        failures.is_empty(),
        "golden: {} mismatch(es) in {} cases ({hint}; YIZHAN_* variables set: {env:?}):\n  {}",
        failures.len(),
        results.len(),
        failures.join("\n  ")
    );
}
