//! Durability with the real binary: kill -9 during uploads, damaged files, restarts.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::*;

pub(crate) async fn put(p: &Proc, body: Vec<u8>) -> Result<(u16, Option<String>), String> {
    let r = p
        .client
        .put(p.url("/api/v1/stations"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/geo+json")
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let v: Option<Value> = r.json().await.ok();
    Ok((
        status,
        v.and_then(|v| v["dataset_version"].as_str().map(str::to_owned)),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_uploads_leaves_a_or_b() {
    let _heavy = HEAVY.lock().await;
    let rounds: usize = std::env::var("YZ_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let size: usize = std::env::var("YZ_KILL_SIZE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let a = serde_json::to_vec(&fc(&bulk("ka", size, 1))).unwrap();
    let b = serde_json::to_vec(&fc(&bulk("kb", size + 1, 2))).unwrap();
    // The versions of A and B from a clean upload.
    let clean = spawn_app(None).await;
    let va = clean.put_ok(&serde_json::from_slice(&a).unwrap()).await;
    let vb = clean.put_ok(&serde_json::from_slice(&b).unwrap()).await;
    drop(clean);
    let expected = |v: &str| -> Option<u64> {
        if v == va {
            Some(size as u64)
        } else if v == vb {
            Some(size as u64 + 1)
        } else {
            None
        }
    };

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("yizhan.log");
    let mut p = start_bin(&data, Some(TOKEN), &log);
    p.wait_ready().await.expect("first start");
    // The binary's own upload time sets the range of kill moments.
    let t = Instant::now();
    assert_eq!(put(&p, b.clone()).await, Ok((200, Some(vb.clone()))));
    let upload_ms = t.elapsed().as_millis().max(20) as usize;
    assert_eq!(put(&p, a.clone()).await, Ok((200, Some(va.clone()))));
    let mut rng = Rng::new(0xDEAD_BEEF);
    let (mut completed, mut interrupted) = (0, 0);
    for round in 0..rounds {
        let (body, want) = if round % 2 == 0 {
            (b.clone(), &vb)
        } else {
            (a.clone(), &va)
        };
        let client = p.client.clone();
        let url = p.url("/api/v1/stations");
        let upload = tokio::spawn(async move {
            let r = client
                .put(url)
                .bearer_auth(TOKEN)
                .header("content-type", "application/geo+json")
                .body(body)
                .send()
                .await;
            match r {
                Ok(r) => {
                    let s = r.status().as_u16();
                    (s, r.json::<Value>().await.ok())
                }
                Err(_) => (0, None),
            }
        });
        let delay = rng.usize(0, upload_ms + 1);
        tokio::time::sleep(Duration::from_millis(delay as u64)).await;
        p.kill9();
        let (status, answer) = upload.await.unwrap();
        p = start_bin(&data, Some(TOKEN), &log);
        if let Err(st) = p.wait_ready().await {
            panic!(
                "round {round}: the binary exited with {st} after a kill -9:\n{}",
                p.log_text()
            );
        }
        let (v, n) = p.health().await;
        assert_eq!(
            expected(&v),
            Some(n),
            "round {round} (kill after {delay} ms): serving {v} with {n} stations, neither A ({va}) nor B ({vb})"
        );
        if status == 200 {
            completed += 1;
            let answered = answer.unwrap()["dataset_version"]
                .as_str()
                .unwrap()
                .to_owned();
            assert_eq!(&answered, want);
            assert_eq!(
                &v, want,
                "round {round}: a 200 was answered but the upload did not survive kill -9"
            );
        } else {
            assert_eq!(status, 0, "round {round}: upload answered {status}");
            interrupted += 1;
        }
        // Reads work and agree with the version.
        let r = p
            .client
            .get(p.url("/api/v1/stations?limit=5"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["etag"].to_str().unwrap(), format!("\"{v}\""));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["total"].as_u64(), Some(n));
        let prefix = if v == va { "ka-" } else { "kb-" };
        assert!(ids(&body).iter().all(|id| id.starts_with(prefix)));
    }
    eprintln!("{rounds} kill -9 rounds: {completed} uploads completed before the kill, {interrupted} interrupted");
}

fn corrupt(path: &std::path::Path) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_current_falls_back_and_all_damaged_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("yizhan.log");
    let mut p = start_bin(&data, Some(TOKEN), &log);
    p.wait_ready().await.expect("first start");
    let a = serde_json::to_vec(&fc(&bulk("da", 100, 1))).unwrap();
    let b = serde_json::to_vec(&fc(&bulk("db", 120, 2))).unwrap();
    let (_, va) = put(&p, a).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (_, vb) = put(&p, b).await.unwrap();
    let (va, vb) = (va.unwrap(), vb.unwrap());
    p.kill9();
    let versions = data.join("versions");
    assert_eq!(
        std::fs::read_to_string(data.join("CURRENT"))
            .unwrap()
            .trim(),
        vb
    );
    // CURRENT's file is damaged → the newest good version (A), loudly logged.
    corrupt(&versions.join(format!("{vb}.geojson")));
    let mut p = start_bin(&data, Some(TOKEN), &log);
    p.wait_ready()
        .await
        .unwrap_or_else(|st| panic!("exited {st}: {}", p.log_text()));
    assert_eq!(p.health().await, (va.clone(), 100));
    let text = p.log_text();
    assert!(
        text.contains(&vb),
        "the fallback is not logged with the damaged version:\n{text}"
    );
    p.kill9();
    // A damaged file that still parses: a flipped digit in a coordinate (the hash no longer matches).
    let pa = versions.join(format!("{va}.geojson"));
    let s = std::fs::read_to_string(&pa).unwrap();
    let i = s.find("\"coordinates\":[").unwrap() + 16;
    let mut bytes = s.into_bytes();
    bytes[i] = if bytes[i] == b'5' { b'6' } else { b'5' };
    std::fs::write(&pa, &bytes).unwrap();
    let mut p = start_bin(&data, Some(TOKEN), &log);
    match p.wait_ready().await {
        Ok(()) => {
            let (v, n) = p.health().await;
            assert!(v != va && v != vb && n > 0, "served a damaged version {v}");
            p.kill9();
        }
        Err(st) => assert!(!st.success()),
    }
    // Every version damaged → exit non-zero with a clear message, never an empty service.
    for e in std::fs::read_dir(&versions).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "geojson") {
            corrupt(&path);
        }
    }
    std::fs::write(&log, b"").unwrap();
    let mut p = start_bin(&data, Some(TOKEN), &log);
    let st = p
        .wait_ready()
        .await
        .expect_err("started with every dataset damaged");
    assert!(!st.success(), "{st}");
    let text = p.log_text().to_lowercase();
    assert!(text.contains("error"), "no error message:\n{text}");
    assert!(
        text.contains("damaged") || text.contains("cannot be loaded") || text.contains("corrupt"),
        "the message does not say the data is damaged:\n{text}"
    );
    // CURRENT naming a version whose file is gone.
    let dir2 = tempfile::tempdir().unwrap();
    let data2 = dir2.path().join("data");
    let mut p = start_bin(&data2, Some(TOKEN), &log);
    p.wait_ready().await.unwrap();
    let (seeded, n) = p.health().await;
    let (_, vc) = put(&p, serde_json::to_vec(&fc(&bulk("dc", 10, 3))).unwrap())
        .await
        .unwrap();
    p.kill9();
    std::fs::remove_file(
        data2
            .join("versions")
            .join(format!("{}.geojson", vc.unwrap())),
    )
    .unwrap();
    let mut p = start_bin(&data2, Some(TOKEN), &log);
    p.wait_ready()
        .await
        .unwrap_or_else(|st| panic!("exited {st}"));
    assert_eq!(p.health().await, (seeded, n));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_serves_the_last_accepted_upload_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("yizhan.log");
    let mut p = start_bin(&data, Some(TOKEN), &log);
    p.wait_ready().await.unwrap();
    let (_, v1) = put(&p, serde_json::to_vec(&fc(&bulk("x", 30, 1))).unwrap())
        .await
        .unwrap();
    // POST upsert and DELETE are durable too.
    let r = p
        .client
        .post(p.url("/api/v1/stations"))
        .bearer_auth(TOKEN)
        .header("content-type", "text/csv")
        .body("id,name,lon,lat\nextra,Extra,116.4,39.9\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = p
        .client
        .delete(p.url("/api/v1/stations/x-000003"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v3: Value = r.json().await.unwrap();
    let v3 = v3["dataset_version"].as_str().unwrap().to_owned();
    assert_ne!(Some(&v3), v1.as_ref());
    let r = p
        .client
        .post(p.url("/api/v1/stations/extra/reports"))
        .json(&serde_json::json!({"reason": "closed", "comment": "门关着"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    p.kill9();
    let mut p = start_bin(&data, Some(TOKEN), &log);
    p.wait_ready().await.unwrap();
    assert_eq!(p.health().await, (v3, 30));
    assert_eq!(
        p.client
            .get(p.url("/api/v1/stations/x-000003"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        p.client
            .get(p.url("/api/v1/stations/extra"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let reports: Value = p
        .client
        .get(p.url("/api/v1/reports"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = reports["reports"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{reports}");
    assert_eq!(list[0]["station_id"], "extra");
    assert_eq!(list[0]["comment"], "门关着");
}
