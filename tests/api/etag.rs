//! ETag = "<dataset_version>" on reads, If-None-Match → 304, a new version after an upload.

use crate::helpers::*;

const READS: [&str; 5] = [
    "/api/v1/stations/nearest?lat=39.9&lon=116.4",
    "/api/v1/stations?limit=3",
    "/api/v1/stations/e-000001",
    "/api/v1/amenities",
    "/api/v1/dataset",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_is_the_dataset_version_and_revalidates() {
    let app = spawn_app(Some(fc(&bulk("e", 20, 1)))).await;
    let v1 = app.version().await;
    for path in READS {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        assert_eq!(etag, format!("\"{v1}\""), "{path}");
        if path != "/api/v1/dataset" && path != "/api/v1/amenities" {
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(
                body["dataset_version"].as_str(),
                Some(v1.as_str()),
                "{path}"
            );
        }
        for inm in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"zzz\", {etag}"),
            "*".to_owned(),
        ] {
            let r = app.get_if_none_match(path, &inm).await;
            assert_eq!(r.status(), 304, "{path} with If-None-Match {inm}");
            assert!(r.bytes().await.unwrap().is_empty());
        }
        let r = app.get_if_none_match(path, "\"0000000000000000\"").await;
        assert_eq!(r.status(), 200, "{path} with a stale tag");
    }
    // An upload changes the version and thus the ETag; the old tag no longer matches.
    let mut ds = bulk("e", 20, 1);
    ds[0].name = "renamed".into();
    let v2 = app.put_ok(&fc(&ds)).await;
    assert_ne!(v1, v2);
    for path in READS {
        let r = app.get_if_none_match(path, &format!("\"{v1}\"")).await;
        assert_eq!(r.status(), 200, "{path} after an upload");
        assert_eq!(r.headers()["etag"].to_str().unwrap(), format!("\"{v2}\""));
    }
    // The version identifies the content: the same content again is the same version.
    let v1_again = app.put_ok(&fc(&bulk("e", 20, 1))).await;
    assert_eq!(v1_again, v1);
    // A bad parameter is still a 400 even with a matching tag? Not required; but an unknown station is 404.
    let r = app
        .get_if_none_match("/api/v1/stations/nope", &format!("\"{v1}\""))
        .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_survives_a_restart_of_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("yizhan.log");
    let data = dir.path().join("data");
    let mut p = start_bin(&data, Some(TOKEN), &log);
    p.wait_ready().await.expect("first start");
    let (seeded, n) = p.health().await;
    assert!(n > 0, "seeded from the bundled sample");
    let ds = fc(&bulk("r", 50, 7));
    let r = p
        .client
        .put(p.url("/api/v1/stations"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/geo+json")
        .body(serde_json::to_vec(&ds).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    let v = v["dataset_version"].as_str().unwrap().to_owned();
    assert_ne!(v, seeded);
    let etag_before = p
        .client
        .get(p.url("/api/v1/stations?limit=1"))
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .clone();
    p.kill9();
    let mut p = start_bin(&data, Some(TOKEN), &log);
    p.wait_ready().await.expect("restart");
    assert_eq!(p.health().await, (v.clone(), 50));
    let r = p
        .client
        .get(p.url("/api/v1/stations?limit=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["etag"], etag_before);
    let r = p
        .client
        .get(p.url("/api/v1/stations?limit=1"))
        .header("if-none-match", etag_before)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        304,
        "a client's cached tag still validates after a restart"
    );
}
