//! Reports as cases (接诉即办): tickets, the rider's view, admin changes and the case list; kill -9 during case
//! changes with the real binary.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// Stations `c-000000`..`c-000003`; the first two in 朝阳区, the third in 海淀区, the last in none.
fn dataset() -> Value {
    let mut ds = fc(&bulk("c", 4, 7));
    for (i, d) in ["朝阳区", "朝阳区", "海淀区"].iter().enumerate() {
        ds["features"][i]["properties"]["district"] = json!(d);
    }
    ds
}

/// An app whose report quota does not get in the way of filing many reports.
async fn cases_app() -> TestApp {
    let (app, _) = spawn_adjusted(|_| {}).await;
    assert_eq!(app.put_geojson(&dataset()).await.status(), 200);
    app
}

async fn file(app: &TestApp, station: &str, reason: &str) -> Value {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/stations/{station}/reports")))
        .json(&json!({"reason": reason, "comment": "门关着"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    r.json().await.unwrap()
}

async fn patch(app: &TestApp, id: &str, body: Value) -> reqwest::Response {
    app.admin(Method::PATCH, &format!("/api/v1/reports/{id}"))
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn patch_ok(app: &TestApp, id: &str, body: Value) -> Value {
    let r = patch(app, id, body.clone()).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "PATCH {id} {body}: {text}");
    serde_json::from_str(&text).unwrap()
}

fn steps(case: &Value) -> Vec<(String, Value)> {
    case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["status"].as_str().unwrap().to_owned(), e["reply"].clone()))
        .collect()
}

fn step(status: &str, reply: Value) -> (String, Value) {
    (status.to_owned(), reply)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_becomes_a_case_its_rider_follows_to_the_end() {
    let app = cases_app().await;
    let made = file(&app, "c-000000", "closed").await;
    let keys: Vec<&str> = made
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys, ["created_at", "id", "status", "ticket"], "{made}");
    assert_eq!(made["status"], "received");
    let ticket = made["ticket"].as_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(ticket.len(), 14, "{ticket}");
    let rider = |t: String| {
        let app = &app;
        async move { app.get_json(&format!("/api/v1/tickets/{t}")).await }
    };
    let v = rider(ticket.clone()).await;
    assert_eq!(v["status"], "received");
    assert_eq!(v["station_id"], "c-000000");
    assert_eq!(v["station_name"], "Station c-000000");
    assert_eq!(v["reason"], "closed");
    assert_eq!(v["comment"], "门关着");
    assert_eq!(v["reply"], Value::Null);
    assert_eq!(v["created_at"], made["created_at"]);
    assert_eq!(steps(&v), [step("received", Value::Null)]);
    assert!(
        v.get("id").is_none(),
        "the rider's view has no admin id: {v}"
    );
    // Typed loosely: lower case, no dashes.
    assert_eq!(rider(ticket.replace('-', "").to_lowercase()).await, v);

    patch_ok(
        &app,
        &id,
        json!({"status": "in_progress", "reply": "已转交属地工会"}),
    )
    .await;
    let done = patch_ok(
        &app,
        &id,
        json!({"status": "resolved", "reply": "驿站已恢复开放"}),
    )
    .await;
    assert_eq!(done["id"], id.as_str());
    assert_eq!(done["ticket"], ticket.as_str());
    let v = rider(ticket.clone()).await;
    assert_eq!(v["status"], "resolved");
    assert_eq!(v["reply"], "驿站已恢复开放");
    assert_eq!(
        steps(&v),
        [
            step("received", Value::Null),
            step("in_progress", json!("已转交属地工会")),
            step("resolved", json!("驿站已恢复开放")),
        ]
    );
    let h = v["history"].as_array().unwrap();
    assert_eq!(v["updated_at"], h[2]["at"]);
    assert!(h
        .windows(2)
        .all(|w| w[0]["at"].as_str() <= w[1]["at"].as_str()));

    // Reopen, then reject; a wrong move changes nothing.
    patch_ok(&app, &id, json!({"status": "in_progress", "reply": null})).await;
    let rejected = patch_ok(
        &app,
        &id,
        json!({"status": "rejected", "reply": "重复反馈"}),
    )
    .await;
    assert_eq!(steps(&rejected).len(), 5);
    let r = patch(&app, &id, json!({"status": "resolved"})).await;
    assert_problem(r, 422, &["rejected", "resolved"], "rejected → resolved").await;
    let r = patch(&app, &id, json!({"status": "done"})).await;
    assert_problem(r, 422, &["status", "in_progress"], "unknown status").await;
    let r = patch(&app, &id, json!({"reply": "x".repeat(501)})).await;
    assert_problem(r, 422, &["reply", "500"], "long reply").await;
    let r = patch(&app, &id, json!({"status": "received", "owner": "me"})).await;
    assert_problem(r, 400, &["owner"], "unknown field").await;
    let r = patch(&app, &id, json!(["received"])).await;
    assert_problem(r, 400, &[], "not an object").await;
    let r = app
        .admin(Method::PATCH, &format!("/api/v1/reports/{id}"))
        .header("content-type", "text/plain")
        .body(r#"{"status":"received"}"#)
        .send()
        .await
        .unwrap();
    assert_problem(r, 415, &["application/merge-patch+json"], "text/plain").await;
    assert_eq!(rider(ticket.clone()).await, ticket_of(&rejected));
    // Plain application/json is accepted too; a reopen to received.
    let r = app
        .admin(Method::PATCH, &format!("/api/v1/reports/{id}"))
        .json(&json!({"status": "received"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // 404s: unknown case, unknown or malformed tickets.
    let r = patch(&app, "r999", json!({"status": "resolved"})).await;
    assert_problem(r, 404, &[], "unknown case").await;
    for t in ["0000-0000-0000", "K7Q2-M9XD", "not a ticket", "%FF"] {
        let r = app.get(&format!("/api/v1/tickets/{t}")).await;
        assert_problem(r, 404, &[], t).await;
    }
    let r = app.get(&format!("/api/v1/tickets/{ticket}?x=1")).await;
    assert_problem(r, 400, &["x"], "unknown parameter").await;
    // Admins only.
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/reports/{id}")))
        .json(&json!({"status": "resolved"}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, &[], "PATCH without token").await;

    // All of it survives a restart.
    let before = rider(ticket.clone()).await;
    assert_eq!(before["status"], "received");
    let addr = serve_dir(app.data_dir.path(), &Opts::default()).await;
    let after: Value = app
        .client
        .get(format!("http://{addr}/api/v1/tickets/{ticket}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after, before);
}

/// The rider's view of an admin's case: the same without the id.
fn ticket_of(case: &Value) -> Value {
    let mut v = case.clone();
    v.as_object_mut().unwrap().remove("id");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_list_filters_and_pages() {
    let app = cases_app().await;
    // r1..r6: c0, c1, c2, c3, c0, c2
    let mut ids = vec![];
    for s in [
        "c-000000", "c-000001", "c-000002", "c-000003", "c-000000", "c-000002",
    ] {
        ids.push(
            file(&app, s, "closed").await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    patch_ok(&app, &ids[1], json!({"status": "in_progress"})).await;
    patch_ok(&app, &ids[2], json!({"status": "resolved"})).await;
    patch_ok(&app, &ids[3], json!({"status": "rejected"})).await;
    let list = |q: &'static str| {
        let app = &app;
        async move {
            let r = app
                .admin(Method::GET, &format!("/api/v1/reports{q}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{q}");
            assert_eq!(r.headers()["cache-control"], "private, no-store");
            let v: Value = r.json().await.unwrap();
            let got: Vec<String> = v["reports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(v["count"].as_u64().unwrap() as usize, got.len());
            (v["total"].as_u64().unwrap(), got)
        }
    };
    let id = |i: usize| ids[i].clone();
    // Default: received and in_progress, newest first.
    assert_eq!(list("").await, (4, vec![id(5), id(4), id(1), id(0)]));
    assert_eq!(
        list("?status=resolved,rejected").await,
        (2, vec![id(3), id(2)])
    );
    assert_eq!(list("?status=in_progress").await, (1, vec![id(1)]));
    assert_eq!(
        list("?status=received,in_progress,resolved,rejected&station_id=c-000002").await,
        (2, vec![id(5), id(2)])
    );
    assert_eq!(
        list("?district=%E6%9C%9D%E9%98%B3%E5%8C%BA").await,
        (3, vec![id(4), id(1), id(0)])
    );
    assert_eq!(
        list("?district=%E6%B5%B7%E6%B7%80%E5%8C%BA&status=resolved").await,
        (1, vec![id(2)])
    );
    assert_eq!(list("?limit=2").await, (4, vec![id(5), id(4)]));
    assert_eq!(list("?limit=2&offset=2").await, (4, vec![id(1), id(0)]));
    assert_eq!(list("?offset=10").await, (4, vec![]));
    // The full case in the list.
    let r = app
        .admin(Method::GET, "/api/v1/reports?station_id=c-000001")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let c = &v["reports"][0];
    assert_eq!(c["status"], "in_progress");
    assert_eq!(c["station_name"], "Station c-000001");
    assert_eq!(steps(c).len(), 2);
    assert!(c["ticket"].is_string());
    for (q, param) in [
        ("?status=open", "status"),
        ("?status=received,closed", "status"),
        ("?limit=0", "limit"),
        ("?offset=-1", "offset"),
        ("?station=c-000001", "station"),
    ] {
        let r = app
            .admin(Method::GET, &format!("/api/v1/reports{q}"))
            .send()
            .await
            .unwrap();
        let v = assert_problem(r, 400, &[param], q).await;
        assert_eq!(v["parameter"], param);
    }
    let r = app.get("/api/v1/reports").await;
    assert_problem(r, 401, &[], "list without token").await;
    // A removed station: its cases stay, with no name.
    let r = app
        .admin(Method::DELETE, "/api/v1/stations/c-000003")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .admin(
            Method::GET,
            "/api/v1/reports?station_id=c-000003&status=rejected",
        )
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["reports"][0]["station_name"], Value::Null);
}

// ------------------------------------------------------------------------------------------------------------
// kill -9

/// What a worker knows for sure about its case: the history of its last acknowledged answer.
#[derive(Clone, Default)]
struct Known {
    id: Option<String>,
    ticket: Option<String>,
    history: Vec<Value>,
}

/// The next status in a cycle that uses every transition.
fn next_status(current: &str, k: usize) -> &'static str {
    match current {
        "received" => "in_progress",
        "in_progress" if k.is_multiple_of(2) => "resolved",
        "in_progress" => "rejected",
        "resolved" => "in_progress",
        _ => "received",
    }
}

/// One change by worker `w`: files its case if it has none, else moves it on. `Err` once the server is gone.
async fn one_change(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    w: usize,
    k: usize,
    known: &mut Known,
) -> Result<(), ()> {
    let url = |path: &str| format!("http://{addr}{path}");
    let Some(id) = known.id.clone() else {
        let r = client
            .post(url(&format!("/api/v1/stations/c-00000{}/reports", w % 4)))
            .json(&json!({"reason": "closed", "comment": format!("worker {w}")}))
            .send()
            .await
            .map_err(|_| ())?;
        assert_eq!(r.status(), 202);
        let v: Value = r.json().await.map_err(|_| ())?;
        known.id = v["id"].as_str().map(str::to_owned);
        known.ticket = v["ticket"].as_str().map(str::to_owned);
        known.history = vec![json!({"status": "received", "at": v["created_at"], "reply": null})];
        return Ok(());
    };
    let current = known
        .history
        .last()
        .and_then(|e| e["status"].as_str())
        .unwrap_or("received")
        .to_owned();
    let r = client
        .patch(url(&format!("/api/v1/reports/{id}")))
        .bearer_auth(TOKEN)
        .json(&json!({"status": next_status(&current, k), "reply": format!("w{w} k{k}")}))
        .send()
        .await
        .map_err(|_| ())?;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.map_err(|_| ())?;
    known.history = v["history"].as_array().unwrap().clone();
    Ok(())
}

/// Every acknowledged change is on the server; at most one more (the one in flight) follows it. Returns what the
/// server has, as the workers' new knowledge.
async fn check_after_restart(p: &Proc, known: &[Known], round: usize) -> Vec<Known> {
    let mut out = vec![];
    for (w, k) in known.iter().enumerate() {
        let Some(ticket) = &k.ticket else {
            out.push(k.clone());
            continue;
        };
        let r = p
            .client
            .get(p.url(&format!("/api/v1/tickets/{ticket}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "round {round}: worker {w}'s acknowledged case {:?} is gone",
            k.id
        );
        let v: Value = r.json().await.unwrap();
        let server = v["history"].as_array().unwrap();
        assert!(
            server.len() >= k.history.len() && server.len() <= k.history.len() + 1,
            "round {round}, worker {w}: {} steps acknowledged, {} on the server",
            k.history.len(),
            server.len()
        );
        assert_eq!(
            server[..k.history.len()],
            k.history[..],
            "round {round}, worker {w}: acknowledged history changed"
        );
        assert_eq!(v["status"], server.last().unwrap()["status"]);
        out.push(Known {
            history: server.clone(),
            ..k.clone()
        });
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_case_changes_loses_no_acknowledged_change() {
    const WORKERS: usize = 4;
    const CHANGES: usize = 100;
    let _heavy = HEAVY.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("yizhan.log");
    let args = ["--reports-per-minute", "100000"];
    let mut p = start_bin_args(&data, Some(TOKEN), &log, &args);
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
    let mut rng = Rng::new(0x14CA5E);
    let mut known = vec![Known::default(); WORKERS];
    let done = Arc::new(AtomicUsize::new(0));
    let mut kills = 0;
    for round in 0.. {
        let acked = done.load(Ordering::SeqCst);
        if acked >= CHANGES {
            break;
        }
        // Kill somewhere in the next stretch of changes, with every worker's request in flight or about to be.
        let kill_at = (acked + rng.usize(5, 30)).min(CHANGES);
        let mut tasks = vec![];
        for (w, mut k) in known.iter().cloned().enumerate() {
            let (client, addr, done) = (p.client.clone(), p.addr, done.clone());
            tasks.push(tokio::spawn(async move {
                let mut step = round * 1000;
                while done.load(Ordering::SeqCst) < CHANGES {
                    if one_change(&client, addr, w, step, &mut k).await.is_err() {
                        break;
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                    step += 1;
                }
                k
            }));
        }
        while done.load(Ordering::SeqCst) < kill_at {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        p.kill9();
        kills += 1;
        let mut after_kill = vec![];
        for t in tasks {
            after_kill.push(t.await.unwrap());
        }
        p = start_bin_args(&data, Some(TOKEN), &log, &args);
        if let Err(st) = p.wait_ready().await {
            panic!(
                "round {round}: exited {st} after kill -9:\n{}",
                p.log_text()
            );
        }
        known = check_after_restart(&p, &after_kill, round).await;
    }
    assert!(kills >= 3, "only {kills} kills");
    // The admin list agrees with the tickets, and every case is readable by its ticket.
    let v: Value = p
        .client
        .get(p.url("/api/v1/reports?status=received,in_progress,resolved,rejected"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_id: HashMap<&str, &Value> = v["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c))
        .collect();
    for k in &known {
        let id = k.id.as_deref().unwrap();
        assert_eq!(by_id[id]["history"].as_array().unwrap(), &k.history);
    }
    p.kill9();
}
