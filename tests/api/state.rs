//! Station state (v2 "Station state"): closures respected by open_now everywhere and ending on `reopens_on`,
//! PATCH as a JSON merge patch, uploads that keep or set state, verified_within_days, ETags that follow state.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// Three stations open 24/7 a few hundred metres apart, and one office station.
fn dataset() -> Value {
    let f = |id: &str, lon: f64, hours: &str| {
        json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, 39.9]},
            "properties": {"name": format!("驿站 {id}"), "district": "朝阳区", "amenities": ["water"], "opening_hours": hours}})
    };
    json!({"type": "FeatureCollection", "features": [
        f("a", 116.400, "24/7"), f("b", 116.403, "24/7"), f("c", 116.406, "24/7"), f("d", 116.409, "Mo-Fr 09:00-17:00")]})
}

async fn patch(app: &TestApp, id: &str, ct: &str, body: Value) -> reqwest::Response {
    app.admin(Method::PATCH, &format!("/api/v1/stations/{id}"))
        .header("content-type", ct)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn patch_ok(app: &TestApp, id: &str, body: Value) -> Value {
    let r = patch(app, id, "application/merge-patch+json", body.clone()).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "PATCH {id} {body}: {text}");
    serde_json::from_str(&text).unwrap()
}

const NEAR: &str = "/api/v1/stations/nearest?lat=39.9&lon=116.4&k=10";
const ALONG: &str = "/api/v1/stations/along?path=116.39,39.9;116.42,39.9&limit=10";
const LIST: &str = "/api/v1/stations?bbox=116.3,39.8,116.5,40.0";

fn prop<'a>(v: &'a Value, id: &str, key: &str) -> &'a Value {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .map(|f| &f["properties"][key])
        .unwrap_or(&Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closure_hides_a_station_from_open_now_everywhere_until_it_reopens() {
    let app = spawn_app(Some(dataset())).await;
    let v1 = app.version().await;
    let one = patch_ok(&app, "a", json!({"status": "temporarily_closed", "status_note": "装修中", "reopens_on": "2026-12-10"})).await;
    assert_eq!(one["properties"]["status"], "temporarily_closed");
    assert_eq!(one["properties"]["status_note"], "装修中");
    assert_eq!(one["properties"]["reopens_on"], "2026-12-10");
    assert_eq!(
        one["dataset_version"],
        v1.as_str(),
        "state alone makes no new version"
    );
    assert_eq!(app.version().await, v1);

    let closed_at = "at=2026-12-09T23:59:00%2B08:00";
    let reopened_at = "at=2026-12-10T00:00:00%2B08:00";
    for base in [NEAR, ALONG, LIST] {
        let open = app
            .get_json(&format!("{base}&open_now=true&{closed_at}"))
            .await;
        assert!(!ids(&open).contains(&"a".to_owned()), "{base}: {open}");
        assert!(ids(&open).contains(&"b".to_owned()), "{base}");
        let all = app.get_json(&format!("{base}&{closed_at}")).await;
        assert_eq!(prop(&all, "a", "open_now"), false, "{base}");
        assert_eq!(prop(&all, "a", "status"), "temporarily_closed", "{base}");
        assert_eq!(prop(&all, "b", "status"), "open", "{base}");
        let back = app
            .get_json(&format!("{base}&open_now=true&{reopened_at}"))
            .await;
        assert!(ids(&back).contains(&"a".to_owned()), "{base}: {back}");
        assert_eq!(prop(&back, "a", "status"), "open", "{base}");
        assert_eq!(
            prop(&back, "a", "status_note"),
            &Value::Null,
            "{base}: a note of an ended closure is not shown"
        );
    }
    let one = app
        .get_json(&format!("/api/v1/stations/a?{closed_at}"))
        .await;
    assert_eq!(one["properties"]["open_now"], false);
    let one = app
        .get_json(&format!("/api/v1/stations/a?{reopened_at}"))
        .await;
    assert_eq!(one["properties"]["open_now"], true);
    assert_eq!(one["properties"]["status"], "open");

    // An open-ended closure; null clears fields; `open` ends it.
    patch_ok(&app, "a", json!({"reopens_on": null})).await;
    let far = app
        .get_json(&format!(
            "{NEAR}&open_now=true&at=2030-01-01T12:00:00%2B08:00"
        ))
        .await;
    assert!(!ids(&far).contains(&"a".to_owned()));
    let one = patch_ok(&app, "a", json!({"status": "open", "status_note": null})).await;
    assert_eq!(one["properties"]["status"], "open");
    assert!(one["properties"].get("status_note").is_none());
    let now = app.get_json(&format!("{NEAR}&open_now=true")).await;
    assert!(ids(&now).contains(&"a".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_of_the_station_itself_makes_a_version_and_bad_patches_change_nothing() {
    let app = spawn_app(Some(dataset())).await;
    let v1 = app.version().await;
    let one = patch_ok(
        &app,
        "b",
        json!({"phone": "010-6470 1234", "address": "朝阳区某路1号"}),
    )
    .await;
    assert_eq!(one["properties"]["phone"], "010-6470 1234");
    let v2 = app.version().await;
    assert_ne!(v1, v2);
    assert_eq!(one["dataset_version"], v2.as_str());
    // A Feature-shaped body works too; null removes a property.
    let one = patch_ok(
        &app,
        "b",
        json!({"type": "Feature", "properties": {"address": null}}),
    )
    .await;
    assert!(one["properties"].get("address").is_none(), "{one}");

    let before = app.download().await;
    let bad = [
        (json!({"name": ""}), 422, "name"),
        (json!({"name": "\u{200b}"}), 422, "visible"),
        (
            json!({"opening_hours": "Mo-Xx 25:00"}),
            422,
            "opening_hours",
        ),
        (json!({"status": "closed"}), 422, "temporarily_closed"),
        (json!({"reopens_on": "10/12/2026"}), 422, "YYYY-MM-DD"),
        (
            json!({"verified_at": "2999-01-01T00:00:00Z"}),
            422,
            "future",
        ),
        (json!({"status_note": "a\u{202e}b"}), 422, "bidirectional"),
        (json!({"open_now": true}), 422, "open_now"),
        (
            json!({"geometry": {"type": "Point", "coordinates": [116.0, 39.0]}}),
            422,
            "upload",
        ),
        (json!([1, 2]), 400, "object"),
    ];
    let state_before = app.get_json("/api/v1/stations/b").await;
    for (body, status, mention) in bad {
        let r = patch(&app, "b", "application/merge-patch+json", body.clone()).await;
        // The message is in `detail`, or in `errors[]` when the patched station fails validation.
        let p = assert_problem(r, status, &[], &body.to_string()).await;
        assert!(p.to_string().contains(mention), "{body}: {p}");
    }
    let r = patch(&app, "b", "text/plain", json!({"name": "x"})).await;
    assert_problem(r, 415, &["merge-patch"], "content type").await;
    let r = patch(&app, "nope", "application/json", json!({"name": "x"})).await;
    assert_problem(r, 404, &["nope"], "unknown id").await;
    let r = app
        .client
        .patch(app.url("/api/v1/stations/b"))
        .header("content-type", "application/json")
        .body("{\"name\":\"x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(app.download().await, before, "nothing changed");
    assert_eq!(app.get_json("/api/v1/stations/b").await, state_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_keep_state_they_do_not_mention_and_set_what_they_give() {
    let app = spawn_app(Some(dataset())).await;
    patch_ok(
        &app,
        "a",
        json!({"status": "temporarily_closed", "status_note": "停电"}),
    )
    .await;
    patch_ok(
        &app,
        "c",
        json!({"verified_at": "2026-11-01T08:00:00+08:00"}),
    )
    .await;
    // The master list again, without state: state stays.
    app.put_ok(&dataset()).await;
    let all = app.get_json(LIST).await;
    assert_eq!(prop(&all, "a", "status"), "temporarily_closed");
    assert_eq!(prop(&all, "a", "status_note"), "停电");
    assert_eq!(prop(&all, "c", "verified_at"), "2026-11-01T00:00:00Z");
    assert_eq!(prop(&all, "b", "verified_at"), &Value::Null);
    // A CSV upsert with state columns: empty cells keep, given cells set.
    let csv = "id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone,status,status_note,reopens_on,verified_at\n\
        a,驿站 a,116.400,39.9,,,,朝阳区,water,24/7,,open,,,\n\
        c,驿站 c,116.406,39.9,,,,朝阳区,water,24/7,,,,,\n\
        d,驿站 d,116.409,39.9,,,,朝阳区,water,Mo-Fr 09:00-17:00,,temporarily_closed,春节,2027-02-20,2026-11-30T10:00:00+08:00\n";
    let r = app
        .upload(
            Method::POST,
            "/api/v1/stations",
            "text/csv",
            csv.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let all = app.get_json(LIST).await;
    assert_eq!(prop(&all, "a", "status"), "open");
    assert_eq!(prop(&all, "c", "verified_at"), "2026-11-01T00:00:00Z");
    assert_eq!(prop(&all, "d", "status"), "temporarily_closed");
    assert_eq!(prop(&all, "d", "reopens_on"), "2027-02-20");
    assert_eq!(prop(&all, "d", "verified_at"), "2026-11-30T02:00:00Z");
    // A bad state cell is a 422 naming the row and the field, and nothing changes.
    let before = app.get_json(LIST).await;
    let bad = "id,name,lon,lat,status\nb,驿站 b,116.403,39.9,shut\n";
    let r = app
        .upload(
            Method::POST,
            "/api/v1/stations",
            "text/csv",
            bad.as_bytes().to_vec(),
        )
        .await;
    let p = assert_problem(r, 422, &[], "bad status cell").await;
    assert_eq!(p["errors"][0]["field"], "status", "{p}");
    assert_eq!(p["errors"][0]["line"], 2, "{p}");
    assert_eq!(app.get_json(LIST).await, before);
    // GeoJSON: a state property set to null clears it.
    let mut ds = dataset();
    ds["features"][3]["properties"]["status"] = Value::Null;
    app.put_ok(&ds).await;
    let all = app.get_json(LIST).await;
    assert_eq!(prop(&all, "d", "status"), "open");
    assert_eq!(
        prop(&all, "d", "verified_at"),
        "2026-11-30T02:00:00Z",
        "only the field given changes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verified_within_days_keeps_recently_confirmed_stations() {
    let app = spawn_app(Some(dataset())).await;
    patch_ok(
        &app,
        "a",
        json!({"verified_at": "2026-11-20T08:00:00+08:00"}),
    )
    .await;
    patch_ok(
        &app,
        "b",
        json!({"verified_at": "2026-06-01T08:00:00+08:00"}),
    )
    .await;
    let at = "at=2026-12-01T12:00:00%2B08:00";
    let got = app
        .get_json(&format!("{NEAR}&verified_within_days=30&{at}"))
        .await;
    assert_eq!(ids(&got), vec!["a"]);
    let got = app
        .get_json(&format!("{LIST}&verified_within_days=365&{at}"))
        .await;
    assert_eq!(ids(&got), vec!["a", "b"]);
    let got = app
        .get_json(&format!("{ALONG}&verified_within_days=5&{at}"))
        .await;
    assert!(ids(&got).is_empty());
    for bad in ["0", "x", "99999"] {
        let r = app.get(&format!("{NEAR}&verified_within_days={bad}")).await;
        assert_problem(r, 400, &["verified_within_days"], bad).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_etag_follows_state_and_state_survives_a_restart() {
    let app = spawn_app(Some(dataset())).await;
    let path = "/api/v1/stations/nearest?lat=39.9&lon=116.4&at=2026-12-01T12:00:00%2B08:00";
    let r = app.get(path).await;
    let tag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(app.get_if_none_match(path, &tag).await.status(), 304);
    patch_ok(&app, "a", json!({"status": "temporarily_closed"})).await;
    let r = app.get_if_none_match(path, &tag).await;
    assert_eq!(
        r.status(),
        200,
        "a closure changes the body, so the old tag must not match"
    );
    let tag2 = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(tag, tag2);
    assert_eq!(app.get_if_none_match(path, &tag2).await.status(), 304);

    // Restart on the same data directory: same state, same tag.
    let addr = serve_dir(app.data_dir.path(), &Opts::default()).await;
    let again = client()
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()["etag"].to_str().unwrap(), tag2);
    let body: Value = again.json().await.unwrap();
    assert_eq!(prop(&body, "a", "status"), "temporarily_closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_download_carries_state_and_an_upload_of_it_restores_it() {
    let app = spawn_app(Some(dataset())).await;
    let v = app.version().await;
    patch_ok(
        &app,
        "a",
        json!({"status": "temporarily_closed", "status_note": "装修", "reopens_on": "2027-01-05"}),
    )
    .await;
    patch_ok(
        &app,
        "c",
        json!({"verified_at": "2026-11-01T08:00:00+08:00"}),
    )
    .await;
    let bytes = app.download().await;
    let ds: Value = serde_json::from_slice(&bytes).unwrap();
    let a = &ds["features"][0]["properties"];
    assert_eq!(a["status"], "temporarily_closed", "{a}");
    assert_eq!(a["reopens_on"], "2027-01-05");
    assert!(
        a.get("open_reports").is_none() && a.get("open_now").is_none(),
        "{a}"
    );
    assert!(
        ds["features"][1]["properties"].get("status").is_none(),
        "no state, no fields"
    );

    let other = spawn_app(None).await;
    let r = other
        .upload(
            Method::PUT,
            "/api/v1/stations",
            "application/geo+json",
            bytes,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        other.version().await,
        v,
        "state is not part of the dataset version"
    );
    let all = other
        .get_json(&format!("{LIST}&at=2026-12-01T12:00:00%2B08:00"))
        .await;
    assert_eq!(prop(&all, "a", "status"), "temporarily_closed");
    assert_eq!(prop(&all, "a", "status_note"), "装修");
    assert_eq!(prop(&all, "c", "verified_at"), "2026-11-01T00:00:00Z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_reports_counts_received_and_in_progress_cases_and_moves_the_etag() {
    let app = spawn_app(Some(dataset())).await;
    let path = "/api/v1/stations/b?at=2026-12-01T12:00:00%2B08:00";
    let r = app.get(path).await;
    let tag = r.headers()["etag"].to_str().unwrap().to_owned();
    let one: Value = r.json().await.unwrap();
    assert_eq!(one["properties"]["open_reports"], 0);
    let mut ids_ = Vec::new();
    for _ in 0..2 {
        let r = app
            .client
            .post(app.url("/api/v1/stations/b/reports"))
            .json(&json!({"reason": "closed"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let v: Value = r.json().await.unwrap();
        ids_.push(v["id"].as_str().unwrap().to_owned());
    }
    let r = app.get_if_none_match(path, &tag).await;
    assert_eq!(r.status(), 200, "new reports change the body");
    let one: Value = r.json().await.unwrap();
    assert_eq!(one["properties"]["open_reports"], 2);
    let r = app
        .admin(Method::PATCH, &format!("/api/v1/reports/{}", ids_[0]))
        .json(&json!({"status": "resolved", "reply": "已处理"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let one = app.get_json(path).await;
    assert_eq!(one["properties"]["open_reports"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closure_sets_next_change_at_to_the_first_open_moment_from_its_reopening_day() {
    let app = spawn_app(Some(dataset())).await;
    patch_ok(
        &app,
        "a",
        json!({"status": "temporarily_closed", "reopens_on": "2026-12-03"}),
    )
    .await;
    patch_ok(
        &app,
        "d",
        json!({"status": "temporarily_closed", "reopens_on": "2026-12-05"}),
    )
    .await;
    let at = "at=2026-12-01T12:00:00%2B08:00";
    let a = app.get_json(&format!("/api/v1/stations/a?{at}")).await;
    assert_eq!(
        a["properties"]["next_change_at"], "2026-12-03T00:00:00+08:00",
        "{a}"
    );
    // d keeps office hours; 2026-12-05 is a Saturday, so it opens on Monday 7 December at 09:00.
    let d = app.get_json(&format!("/api/v1/stations/d?{at}")).await;
    assert_eq!(
        d["properties"]["next_change_at"], "2026-12-07T09:00:00+08:00",
        "{d}"
    );
    // An open-ended closure has no known next change.
    patch_ok(&app, "a", json!({"reopens_on": null})).await;
    let a = app.get_json(&format!("/api/v1/stations/a?{at}")).await;
    assert_eq!(a["properties"]["next_change_at"], Value::Null);
    // open_for never keeps a closed station.
    let got = app.get_json(&format!("{NEAR}&open_for=30&{at}")).await;
    assert!(!ids(&got).contains(&"a".to_owned()));
}

// ------------------------------------------------------------------------------------------------------------
// kill -9

/// The note worker `w`'s `k`-th patch writes: the number tells which acknowledged patch the server kept.
fn note(w: usize, k: usize) -> String {
    format!("w{w} n{k}")
}

/// Reads station `id`'s note from the restarted server, as the number of the patch that wrote it.
async fn kept_patch(p: &Proc, w: usize, id: &str) -> Option<usize> {
    let r = p
        .client
        .get(p.url(&format!("/api/v1/stations/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let n = v["properties"]["status_note"].as_str()?;
    let k = n.strip_prefix(&format!("w{w} n"))?;
    Some(k.parse().unwrap())
}

/// State patches are acknowledged only once the journal holds them: kill -9 at random moments during 100 of
/// them (four workers, one station each) and every acknowledged patch is there after the restart (or the one
/// that was in flight, which may have been written before its answer was lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_state_patches_loses_no_acknowledged_patch() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    const CHANGES: usize = 100;
    const IDS: [&str; 4] = ["a", "b", "c", "d"];
    let _heavy = HEAVY.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("yizhan.log");
    let mut p = start_bin_args(&data, Some(TOKEN), &log, &[]);
    p.wait_ready().await.expect("first start");
    let r = p
        .client
        .put(p.url("/api/v1/stations"))
        .bearer_auth(TOKEN)
        .json(&dataset())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut rng = Rng::new(0x5747E);
    // The number of the last acknowledged patch per worker.
    let mut acked: Vec<Option<usize>> = vec![None; IDS.len()];
    let done = Arc::new(AtomicUsize::new(0));
    let mut kills = 0;
    while done.load(Ordering::SeqCst) < CHANGES {
        let kill_at = (done.load(Ordering::SeqCst) + rng.usize(5, 30)).min(CHANGES);
        let mut tasks = vec![];
        for (w, last) in acked.iter().copied().enumerate() {
            let (client, addr, done) = (p.client.clone(), p.addr, done.clone());
            tasks.push(tokio::spawn(async move {
                let mut last = last;
                while done.load(Ordering::SeqCst) < CHANGES {
                    let k = last.map_or(0, |k| k + 1);
                    let body = json!({"status": "temporarily_closed", "status_note": note(w, k), "reopens_on": "2027-06-01"});
                    let sent = client
                        .patch(format!("http://{addr}/api/v1/stations/{}", IDS[w]))
                        .bearer_auth(TOKEN)
                        .header("content-type", "application/merge-patch+json")
                        .body(body.to_string())
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 200 => {}
                        Ok(r) => panic!("worker {w}: {}", r.status()),
                        Err(_) => break,
                    }
                    last = Some(k);
                    done.fetch_add(1, Ordering::SeqCst);
                }
                last
            }));
        }
        while done.load(Ordering::SeqCst) < kill_at {
            tokio::time::sleep(std::time::Duration::from_micros(200)).await;
        }
        p.kill9();
        kills += 1;
        let mut after = vec![];
        for t in tasks {
            after.push(t.await.unwrap());
        }
        p = start_bin_args(&data, Some(TOKEN), &log, &[]);
        if let Err(st) = p.wait_ready().await {
            panic!("exited {st} after kill -9:\n{}", p.log_text());
        }
        for (w, last) in after.iter().enumerate() {
            let kept = kept_patch(&p, w, IDS[w]).await;
            let next = last.map_or(0, |k| k + 1);
            assert!(
                kept == *last || kept == Some(next),
                "worker {w}: acknowledged up to {last:?}, the server kept {kept:?}"
            );
            acked[w] = kept;
        }
    }
    assert!(kills >= 3, "only {kills} kills");
    p.kill9();
}
