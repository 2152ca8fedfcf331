//! Readers during a big upload: never an error, always a complete old-or-new answer, never blocked.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_are_not_blocked_and_see_old_or_new() {
    let _heavy = HEAVY.lock().await;
    let n: usize = std::env::var("YZ_BIG_UPLOAD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60_000);
    let old = bulk("old", 2_000, 1);
    let app = Arc::new(spawn_app(Some(fc(&old))).await);
    let v_old = app.version().await;
    let new_body = serde_json::to_vec(&fc(&bulk("new", n, 2))).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for r in 0..4u64 {
        let (app, stop, v_old) = (app.clone(), stop.clone(), v_old.clone());
        readers.push(tokio::spawn(async move {
            let mut rng = Rng::new(100 + r);
            let mut max = Duration::ZERO;
            let mut versions = std::collections::BTreeSet::new();
            let mut count = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let (lon, lat) = (rng.range(115.6, 117.4), rng.range(39.5, 40.9));
                let url = if r == 3 {
                    format!(
                        "/api/v1/stations?bbox={},{},{},{}&limit=50",
                        lon - 0.1,
                        lat - 0.1,
                        lon + 0.1,
                        lat + 0.1
                    )
                } else {
                    format!("/api/v1/stations/nearest?lat={lat}&lon={lon}&k=10")
                };
                let t = Instant::now();
                let resp = app
                    .client
                    .get(app.url(&url))
                    .send()
                    .await
                    .expect("reader request");
                assert_eq!(resp.status(), 200, "{url}");
                let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
                let v: Value = resp.json().await.expect("a complete JSON answer");
                max = max.max(t.elapsed());
                let version = v["dataset_version"].as_str().unwrap().to_owned();
                assert_eq!(etag, format!("\"{version}\""));
                let prefix = if version == v_old { "old-" } else { "new-" };
                let got = ids(&v);
                if r != 3 {
                    assert_eq!(got.len(), 10, "{url}");
                }
                // Every feature belongs to the version the answer claims.
                assert!(
                    got.iter().all(|id| id.starts_with(prefix)),
                    "{url}: mixed answer for {version}: {got:?}"
                );
                versions.insert(version);
                count += 1;
            }
            (max, versions, count)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let t = Instant::now();
    let r = app
        .upload(
            reqwest::Method::PUT,
            "/api/v1/stations",
            "application/geo+json",
            new_body,
        )
        .await;
    let upload_time = t.elapsed();
    assert_eq!(r.status(), 200);
    let v_new: Value = r.json().await.unwrap();
    let v_new = v_new["dataset_version"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut max = Duration::ZERO;
    let mut total = 0;
    for h in readers {
        let (m, versions, count) = h.await.expect("a reader failed");
        max = max.max(m);
        total += count;
        for v in &versions {
            assert!(*v == v_old || *v == v_new, "unknown version {v}");
        }
        assert!(
            versions.contains(&v_new),
            "a reader never saw the new version"
        );
    }
    eprintln!("upload of {n} stations: {upload_time:?}; {total} reads, max reader latency {max:?}");
    assert_eq!(app.health().await, (v_new, n as u64));
    assert!(
        max * 3 < upload_time,
        "max reader latency {max:?} is not far below the upload time {upload_time:?}"
    );
}
