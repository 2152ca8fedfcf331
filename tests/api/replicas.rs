//! Replicas on one PostgreSQL (issue 16): every change made on one replica is served by the others within a
//! second; concurrent writers on two replicas never collide; with the database unreachable, reads go on,
//! writes get 503 and `/healthz` says `store: unavailable`, and everything converges once it is back.
//!
//! Needs `YIZHAN_TEST_DATABASE_URL` (the test command starts a throwaway cluster and sets it). Without it these
//! tests say so and pass, except under CI (`CI` set), where a missing database is a failure: a test that
//! silently skips in CI cannot fail.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::*;

/// A database of its own for one test, on the test cluster; `None` (outside CI) when there is no cluster.
async fn fresh_database() -> Option<String> {
    let Ok(base) = std::env::var("YIZHAN_TEST_DATABASE_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "YIZHAN_TEST_DATABASE_URL is not set: the test command must start a PostgreSQL cluster"
        );
        eprintln!("skipped: YIZHAN_TEST_DATABASE_URL is not set (scripts/test.sh sets it)");
        return None;
    };
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "yz_t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let admin = base.clone();
    let db = name.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("test cluster");
        c.batch_execute(&format!("CREATE DATABASE {db}"))
            .expect("creating a test database");
    })
    .await
    .unwrap();
    Some(with_database(&base, &name))
}

/// `url` with its database name replaced.
fn with_database(url: &str, db: &str) -> String {
    let (head, query) = url.split_once('?').map_or((url, ""), |(h, q)| (h, q));
    let cut = head
        .rfind('/')
        .filter(|&i| i > "postgres://".len())
        .unwrap_or(head.len());
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{db}{q}", &head[..cut])
}

async fn replica(url: &str) -> TestApp {
    replica_with_state(url).await.0
}

async fn replica_with_state(url: &str) -> (TestApp, yizhan::api::AppState) {
    spawn_adjusted(|s| s.database_url = Some(url.to_owned())).await
}

/// Polls `check` every 5 ms until it holds; how long that took, or a failure after `limit`.
async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let t0 = Instant::now();
    loop {
        if check().await {
            return t0.elapsed();
        }
        assert!(t0.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn station(id: &str, lon: f64, district: &str) -> Value {
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, 39.9]},
           "properties": {"name": format!("驿站 {id}"), "kind": "station", "host_type": "bank",
                          "district": district, "amenities": ["water"], "opening_hours": "24/7"}})
}

fn dataset(ids: &[&str]) -> Value {
    json!({"type": "FeatureCollection", "features": ids.iter().enumerate()
        .map(|(i, id)| station(id, 116.40 + i as f64 * 0.001, "朝阳区")).collect::<Vec<_>>()})
}

async fn status_of(app: &TestApp, id: &str) -> Value {
    app.get_json(&format!("/api/v1/stations/{id}")).await["properties"]["status"].clone()
}

const PROPAGATION: Duration = Duration::from_secs(1);

#[tokio::test]
async fn every_kind_of_change_on_one_replica_is_served_by_the_others_within_a_second() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let a = replica(&url).await;
    let b = replica(&url).await;
    let c = replica(&url).await;
    let mut times = Vec::new();

    // An upload on A.
    let v1 = a.put_ok(&dataset(&["s1", "s2", "s3"])).await;
    for r in [&b, &c] {
        times.push(within(PROPAGATION, "upload", || async { r.version().await == v1 }).await);
    }
    // An upsert (POST) on B.
    let r = b
        .admin(Method::POST, "/api/v1/stations")
        .header("content-type", "application/geo+json")
        .body(dataset(&["s4"]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v2 = b.version().await;
    assert_ne!(v1, v2);
    for r in [&a, &c] {
        times.push(within(PROPAGATION, "upsert", || async { r.version().await == v2 }).await);
        assert_eq!(r.get_json("/api/v1/stations/s4").await["id"], "s4");
    }
    // A state patch on C.
    let r = c
        .admin(Method::PATCH, "/api/v1/stations/s2")
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"status":"temporarily_closed","status_note":"维修"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for r in [&a, &b] {
        times.push(
            within(PROPAGATION, "patch", || async {
                status_of(r, "s2").await == "temporarily_closed"
            })
            .await,
        );
    }
    let q = "/api/v1/stations/nearest?lat=39.9&lon=116.4&k=10&open_now=true";
    assert!(!ids(&a.get_json(q).await).contains(&"s2".to_owned()));
    // A rollback on A, to the first upload.
    let r = a.rollback(&v1).await;
    assert_eq!(r.status(), 200);
    for r in [&b, &c] {
        times.push(
            within(PROPAGATION, "rollback", || async {
                r.version().await == v1
            })
            .await,
        );
        assert_eq!(r.get("/api/v1/stations/s4").await.status(), 404);
    }
    // A report on B: its ticket is found on A and C, and the admins see the case everywhere.
    let r = b
        .client
        .post(b.url("/api/v1/stations/s1/reports"))
        .json(&json!({"reason": "amenity_missing", "comment": "没水了"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let filed: Value = r.json().await.unwrap();
    let ticket = filed["ticket"].as_str().unwrap().to_owned();
    for r in [&a, &c] {
        let path = format!("/api/v1/tickets/{ticket}");
        times.push(
            within(PROPAGATION, "report", || async {
                r.get(&path).await.status() == 200
            })
            .await,
        );
        assert_eq!(
            r.get_json("/api/v1/stations/s1").await["properties"]["open_reports"],
            1
        );
    }
    // The case moved on A is seen moved on B (the rider follows it on any replica).
    let r = a
        .admin(
            Method::PATCH,
            &format!("/api/v1/reports/{}", filed["id"].as_str().unwrap()),
        )
        .json(&json!({"status": "resolved", "reply": "已补水"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let path = format!("/api/v1/tickets/{ticket}");
    times.push(
        within(PROPAGATION, "case", || async {
            b.get_json(&path).await["status"] == "resolved"
        })
        .await,
    );
    // The calendar, changed on C.
    let body = json!({"years": {"2026": {"holidays": ["2026-11-25"], "workdays": []}}});
    let r = c
        .admin(Method::PUT, "/api/v1/calendar")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    times.push(
        within(PROPAGATION, "calendar", || async {
            a.get_json("/api/v1/calendar").await["years"]["2026"]["holidays"]
                .as_array()
                .is_some_and(|h| h.iter().any(|d| d == "2026-11-25"))
        })
        .await,
    );
    // The audit trail is one: A lists what B and C did.
    let audit = a.admin_json("/api/v1/audit?limit=100").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for want in [
        "upload (replace)",
        "upload (upsert)",
        "patch",
        "rollback",
        "calendar",
    ] {
        assert!(actions.contains(&want), "{want} not in {actions:?}");
    }
    times.sort();
    eprintln!(
        "propagation over {} changes: p50 {:?}, max {:?}",
        times.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

#[tokio::test]
async fn a_token_added_to_the_database_works_on_every_replica_and_a_revoked_one_nowhere() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let a = replica(&url).await;
    let b = replica(&url).await;
    let u = url.clone();
    let secret = tokio::task::spawn_blocking(move || {
        let store =
            yizhan::store::open_backend(tempfile::tempdir().unwrap().path(), Some(&u)).unwrap();
        yizhan::store::tokens::add(&*store, "chaoyang", &["朝阳区".into()], false).unwrap()
    })
    .await
    .unwrap();
    let as_chaoyang = |app: &TestApp| {
        app.client
            .get(app.url("/api/v1/audit"))
            .bearer_auth(&secret)
            .send()
    };
    for app in [&a, &b] {
        within(Duration::from_secs(10), "token", || async {
            as_chaoyang(app).await.unwrap().status() == 200
        })
        .await;
    }
    let u = url.clone();
    tokio::task::spawn_blocking(move || {
        let store =
            yizhan::store::open_backend(tempfile::tempdir().unwrap().path(), Some(&u)).unwrap();
        yizhan::store::tokens::revoke(&*store, "chaoyang").unwrap();
    })
    .await
    .unwrap();
    for app in [&a, &b] {
        within(Duration::from_secs(10), "revocation", || async {
            as_chaoyang(app).await.unwrap().status() == 401
        })
        .await;
    }
}

#[tokio::test]
async fn concurrent_reports_and_patches_on_two_replicas_never_collide() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let a = replica(&url).await;
    let b = replica(&url).await;
    a.put_ok(&dataset(&["s1", "s2", "s3"])).await;
    within(Duration::from_secs(10), "upload", || async {
        b.version().await == a.version().await
    })
    .await;
    let file = |app: &TestApp, n: usize| {
        let req = app
            .client
            .post(app.url(&format!("/api/v1/stations/s{}/reports", n % 3 + 1)))
            .json(&json!({"reason": "closed"}));
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 202);
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let mut jobs = Vec::new();
    for n in 0..24 {
        jobs.push(file(if n % 2 == 0 { &a } else { &b }, n));
    }
    let mut got: Vec<String> = futures_util::future::join_all(jobs).await;
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 24, "two replicas handed out the same case id");
    for app in [&a, &b] {
        within(Duration::from_secs(10), "all cases", || async {
            app.admin_json("/api/v1/reports?limit=100").await["total"] == 24
        })
        .await;
    }
}

/// A TCP relay between the replicas and PostgreSQL that can be cut: the database "goes away" for them
/// (every connection dropped, new ones refused) while the cluster itself keeps running for the other tests.
struct Relay {
    addr: std::net::SocketAddr,
    down: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Relay {
    async fn to(url: &str) -> Relay {
        let target = url
            .split('@')
            .nth(1)
            .and_then(|h| h.split('/').next())
            .expect("host:port in the test database URL")
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay = Relay {
            addr: listener.local_addr().unwrap(),
            down: Arc::new(AtomicBool::new(false)),
            conns: Arc::new(Mutex::new(Vec::new())),
        };
        let (down, conns) = (relay.down.clone(), relay.conns.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if down.load(Ordering::SeqCst) {
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                conns.lock().unwrap().push(task.abort_handle());
            }
        });
        relay
    }

    fn url(&self, url: &str) -> String {
        let (creds, rest) = url.split_once('@').unwrap();
        let db = rest.split_once('/').map_or("", |(_, d)| d);
        format!("{creds}@{}/{db}", self.addr)
    }

    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

async fn patch_status(app: &TestApp, id: &str, status: &str) -> reqwest::Response {
    app.admin(Method::PATCH, &format!("/api/v1/stations/{id}"))
        .header("content-type", "application/merge-patch+json")
        .body(json!({"status": status}).to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn with_the_database_gone_reads_go_on_writes_get_503_and_all_converge_when_it_is_back() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let relay = Relay::to(&url).await;
    let a = replica(&relay.url(&url)).await;
    let b = replica(&relay.url(&url)).await;
    a.put_ok(&dataset(&["s1", "s2", "s3"])).await;
    within(Duration::from_secs(10), "upload", || async {
        b.version().await == a.version().await
    })
    .await;
    let health = |app: &TestApp| {
        let r = app.client.get(app.url("/healthz")).send();
        async move { r.await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(health(&a).await["store"], "ok");

    relay.cut();
    // Writes are refused, and say why; nothing was changed.
    let r = patch_status(&a, "s1", "temporarily_closed").await;
    let p = assert_problem(r, 503, &["store"], "patch while the database is gone").await;
    assert_eq!(p["type"], "/problems/store-unavailable");
    let r = b
        .client
        .post(b.url("/api/v1/stations/s1/reports"))
        .json(&json!({"reason": "closed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503, "a report while the database is gone");
    for app in [&a, &b] {
        within(
            Duration::from_secs(5),
            "healthz says unavailable",
            || async { health(app).await["store"] == "unavailable" },
        )
        .await;
        // Reads answer from memory, all of them.
        for _ in 0..50 {
            let r = app
                .get("/api/v1/stations/nearest?lat=39.9&lon=116.4&k=3&open_now=true")
                .await;
            assert_eq!(r.status(), 200);
        }
        assert_eq!(status_of(app, "s1").await, "open");
        assert_eq!(app.get("/healthz").await.status(), 200);
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(metrics.contains("\nyizhan_store_up 0\n"), "{metrics}");
    }

    relay.restore();
    // The next write succeeds once a connection is made again (at the latest on the next try).
    let t0 = Instant::now();
    loop {
        let r = patch_status(&a, "s1", "temporarily_closed").await;
        if r.status() == 200 {
            break;
        }
        assert_eq!(r.status(), 503);
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "writes stay refused after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    within(Duration::from_secs(10), "b converges", || async {
        status_of(&b, "s1").await == "temporarily_closed"
    })
    .await;
    for app in [&a, &b] {
        within(Duration::from_secs(10), "healthz ok again", || async {
            health(app).await["store"] == "ok"
        })
        .await;
        let metrics = app.get("/metrics").await.text().await.unwrap();
        assert!(metrics.contains("\nyizhan_store_up 1\n"), "{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_a_replica_during_uploads_leaves_the_database_on_a_or_b() {
    let Some(url) = fresh_database().await else {
        return;
    };
    crate::durability::kill_9_during_uploads(&["--database-url", &url], true).await;
}

#[tokio::test]
async fn demand_counts_of_every_replica_add_up() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let (a, sa) = replica_with_state(&url).await;
    let (b, sb) = replica_with_state(&url).await;
    a.put_ok(&dataset(&["s1"])).await;
    let q = "/api/v1/stations/nearest?lat=39.95&lon=116.45&k=1";
    for app in [&a, &a, &a, &a, &b, &b, &b] {
        assert_eq!(app.get(q).await.status(), 200);
    }
    // The minute flush, now.
    for s in [sa, sb] {
        tokio::task::spawn_blocking(move || s.insights.persist())
            .await
            .unwrap();
    }
    for app in [&a, &b] {
        let v: Value = app.admin_json("/api/v1/insights/demand?min_count=5").await;
        let searches: Vec<u64> = v["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["properties"]["searches"].as_u64())
            .collect();
        // 4 + 3: below the floor of 5 on either replica alone.
        assert_eq!(searches, [7], "{v}");
    }
}

#[tokio::test]
async fn a_damaged_cached_dataset_file_is_fetched_again_from_the_database() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let a = replica(&url).await;
    let b = replica(&url).await;
    // B caches each version it follows.
    let v1 = a.put_ok(&dataset(&["s1", "s2"])).await;
    within(Duration::from_secs(10), "v1", || async {
        b.version().await == v1
    })
    .await;
    let v2 = a.put_ok(&dataset(&["s1", "s2", "s3"])).await;
    within(Duration::from_secs(10), "v2", || async {
        b.version().await == v2
    })
    .await;
    let cached = b.data_dir.path().join(format!("versions/{v1}.geojson"));
    let bytes = std::fs::read(&cached).expect("the follower cached the first version");
    std::fs::write(&cached, &bytes[..bytes.len() / 2]).unwrap();
    let r = b.rollback(&v1).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(b.version().await, v1);
    assert_eq!(
        std::fs::read(&cached).unwrap(),
        bytes,
        "the cache holds the stored bytes again"
    );
}
