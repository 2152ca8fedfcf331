//! Read endpoints against brute force over a generated world the code has never seen.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::helpers::*;

const SEED: u64 = 0x00C0_FFEE_2026;

fn model() -> Vec<MSt> {
    let mut m = world(SEED, 3000);
    m.extend(edge_stations());
    m
}

/// Checks one nearest answer against brute force: same ids in order (a swap only between stations whose
/// distances are equal to float noise), distance_m rounded to 0.1 m, open_now, count.
fn check_nearest(
    what: &str,
    got: &Value,
    want: &[(f64, &MSt)],
    by_id: &BTreeMap<&str, &MSt>,
    q: (f64, f64),
    at: Option<&At>,
) {
    let feats = got["features"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: {got}"));
    assert_eq!(got["type"], "FeatureCollection", "{what}");
    assert_eq!(
        got["count"].as_u64(),
        Some(feats.len() as u64),
        "{what}: count"
    );
    let got_ids = ids(got);
    assert_eq!(
        feats.len(),
        want.len(),
        "{what}: {} results, want {}: got {:?}, want {:?}",
        feats.len(),
        want.len(),
        got_ids,
        want.iter().map(|w| &w.1.id).collect::<Vec<_>>()
    );
    let mut seen = BTreeSet::new();
    for (i, (f, (wd, ws))) in feats.iter().zip(want).enumerate() {
        let id = f["id"].as_str().unwrap();
        assert!(seen.insert(id.to_owned()), "{what}: {id} twice");
        let s = by_id
            .get(id)
            .unwrap_or_else(|| panic!("{what}: unknown id {id}"));
        let d = haversine(q.0, q.1, s.lon, s.lat);
        if id != ws.id {
            assert!(
                (d - wd).abs() < 1e-6,
                "{what}: position {i}: got {id} at {d} m, want {} at {wd} m; got {got_ids:?}",
                ws.id
            );
        }
        let dm = f["properties"]["distance_m"]
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: no distance_m in {f}"));
        assert!(
            (dm - d).abs() <= 0.05 + 1e-6 * d.max(1.0),
            "{what}: {id}: distance_m {dm}, brute force {d}"
        );
        assert!(
            ((dm * 10.0).round() - dm * 10.0).abs() < 1e-6,
            "{what}: distance_m {dm} not rounded to 0.1 m"
        );
        close(
            &f["geometry"]["coordinates"],
            [s.lon, s.lat],
            1e-9,
            &format!("{what}: {id} coordinates"),
        );
        if let Some(at) = at {
            let want_open = at.open(s.hours);
            assert_eq!(
                f["properties"]["open_now"].as_bool(),
                want_open,
                "{what}: {id} open_now with hours {:?} at {}",
                s.hours,
                at.rfc3339
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nearest_matches_brute_force() {
    let m = model();
    let app = spawn_app(Some(fc(&m))).await;
    let by_id: BTreeMap<&str, &MSt> = m.iter().map(|s| (s.id.as_str(), s)).collect();
    let instants = test_instants();
    let mut rng = Rng::new(SEED ^ 1);
    let mut queries: Vec<(f64, f64)> = vec![
        (116.4, 39.9),
        (116.41, 39.91),
        (180.0, 10.0),
        (-180.0, 10.0),
        (179.999, 10.0),
        (-179.999, 9.999),
        (0.0, 90.0),
        (123.0, 90.0),
        (0.0, -90.0),
        (-45.0, -89.95),
        (121.5, 31.2),
        (0.0, 0.0),
        (116.25, 39.9),
    ];
    for _ in 0..180 {
        let q = match rng.usize(0, 5) {
            0 => (rng.range(116.2, 116.7), rng.range(39.8, 40.2)),
            1 => {
                let z: f64 = rng.range(-1.0, 1.0);
                (rng.range(-180.0, 180.0), z.asin().to_degrees())
            }
            2 => (
                if rng.chance(0.5) {
                    rng.range(179.98, 180.0)
                } else {
                    rng.range(-180.0, -179.98)
                },
                rng.range(9.98, 10.02),
            ),
            3 => (
                rng.range(-180.0, 180.0),
                if rng.chance(0.5) {
                    rng.range(89.8, 90.0)
                } else {
                    rng.range(-90.0, -89.8)
                },
            ),
            _ => (rng.range(75.0, 134.0), rng.range(18.0, 53.0)),
        };
        queries.push(q);
    }
    for (n, &(lon, lat)) in queries.iter().enumerate() {
        let k = match n % 4 {
            0 => 100,
            1 => 1,
            _ => rng.usize(1, 101),
        };
        let mut url = format!("/api/v1/stations/nearest?lat={lat}&lon={lon}&k={k}");
        let max_d = if rng.chance(0.3) {
            let d = 10f64.powf(rng.range(1.0, 7.3));
            url.push_str(&format!("&max_distance_m={d}"));
            Some(d)
        } else {
            None
        };
        let mut req: Vec<&str> = Vec::new();
        if rng.chance(0.4) {
            req.push(*rng.pick(&AMENITIES));
            if rng.chance(0.3) {
                req.push(*rng.pick(&AMENITIES));
            }
        }
        let need24 = rng.chance(0.15);
        let mut tokens: Vec<&str> = req.clone();
        if need24 {
            tokens.push("24h");
        }
        if !tokens.is_empty() {
            url.push_str(&format!("&amenities={}", tokens.join(",")));
        }
        let open_now = rng.chance(0.3);
        let at = rng.pick(&instants).clone();
        url.push_str(&format!("&at={}", enc(&at.rfc3339)));
        if open_now {
            url.push_str("&open_now=true");
        }
        let want = brute_nearest(&m, lon, lat, k, max_d, |s| {
            req.iter().all(|a| s.amenities.contains(a))
                && (!need24 || s.always_open())
                && (!open_now || at.open(s.hours) == Some(true))
        });
        let got = app.get_json(&url).await;
        check_nearest(&url, &got, &want, &by_id, (lon, lat), Some(&at));
        assert!(got["dataset_version"].is_string(), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ties_are_ordered_by_id_bytes() {
    let m = model();
    let app = spawn_app(Some(fc(&m))).await;
    // A pile at (116.4, 39.9): byte order puts "Tie-Z" first, then "tie-10" < "tie-9" < "tie-_" < "tie-a" < …
    let got = app
        .get_json("/api/v1/stations/nearest?lat=39.9&lon=116.4&k=7")
        .await;
    assert_eq!(
        ids(&got),
        ["Tie-Z", "tie-10", "tie-9", "tie-_", "tie-a", "tie-b", "tie-é"]
    );
    for f in got["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["distance_m"].as_f64(), Some(0.0));
    }
    // k cuts inside the pile: the first ids by byte order.
    let got = app
        .get_json("/api/v1/stations/nearest?lat=39.9&lon=116.4&k=3")
        .await;
    assert_eq!(ids(&got), ["Tie-Z", "tie-10", "tie-9"]);
    // Integer ids are strings, in byte order.
    let got = app
        .get_json("/api/v1/stations/nearest?lat=39.91&lon=116.41&k=3")
        .await;
    assert_eq!(ids(&got), ["100", "11", "9"]);
    let got = app
        .get_json("/api/v1/stations/nearest?lat=31.2&lon=121.5&k=3")
        .await;
    assert_eq!(ids(&got), ["sh-001", "sh-01", "sh-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_matches_brute_force() {
    let m = model();
    let app = spawn_app(Some(fc(&m))).await;
    let instants = test_instants();
    let mut rng = Rng::new(SEED ^ 2);
    let mut boxes: Vec<Option<[f64; 4]>> = vec![
        None,
        Some([116.25, 39.75, 116.55, 40.05]),
        Some([179.995, 5.0, -179.995, 15.0]),
        Some([170.0, -90.0, -170.0, 90.0]),
        Some([-180.0, -90.0, 180.0, 90.0]),
        Some([-180.0, 89.95, 180.0, 90.0]),
        Some([-180.0, -90.0, 180.0, -89.95]),
        Some([116.4, 39.9, 116.4, 39.9]),
        Some([180.0, 5.0, 180.0, 5.0]),
        Some([-180.0, 0.0, -180.0, 20.0]),
        Some([180.0, 0.0, -180.0, 20.0]),
        Some([73.0, 18.0, 135.0, 54.0]),
    ];
    for _ in 0..40 {
        let a = rng.range(-180.0, 180.0);
        let c = if rng.chance(0.3) {
            rng.range(-180.0, 180.0)
        } else {
            (a + rng.range(0.0, 60.0)).min(180.0)
        };
        let b = rng.range(-90.0, 90.0);
        let d = (b + rng.range(0.0, 60.0)).min(90.0);
        boxes.push(Some([a, b, c, d]));
    }
    let words = [
        "alpha",
        "BETA",
        "δELTA",
        "驿站",
        "xyz",
        "ROAD 1",
        "no-such-words",
        "Station tie",
    ];
    for (n, bbox) in boxes.iter().enumerate() {
        for variant in 0..3 {
            let mut url = "/api/v1/stations?".to_owned();
            if let Some([a, b, c, d]) = bbox {
                url.push_str(&format!("bbox={a},{b},{c},{d}&"));
            }
            let mut req: Vec<&str> = vec![];
            let mut need24 = false;
            let mut open_now = false;
            let mut q: Option<&str> = None;
            let at = rng.pick(&instants).clone();
            url.push_str(&format!("at={}", enc(&at.rfc3339)));
            if variant == 1 {
                req.push(*rng.pick(&AMENITIES));
                need24 = rng.chance(0.3);
                open_now = rng.chance(0.5);
                let mut t = req.clone();
                if need24 {
                    t.push("24h");
                }
                url.push_str(&format!("&amenities={}", t.join(",")));
                if open_now {
                    url.push_str("&open_now=true");
                }
            }
            if variant == 2 || n == 0 {
                q = Some(*rng.pick(&words));
                url.push_str(&format!("&q={}", enc(q.unwrap())));
            }
            let mut want: Vec<&MSt> = m
                .iter()
                .filter(|s| bbox.is_none_or(|b| in_bbox(s, b)))
                .filter(|s| req.iter().all(|a| s.amenities.contains(a)))
                .filter(|s| !need24 || s.always_open())
                .filter(|s| !open_now || at.open(s.hours) == Some(true))
                .filter(|s| {
                    q.is_none_or(|q| {
                        let q = q.to_lowercase();
                        s.name.to_lowercase().contains(&q)
                            || s.address
                                .as_deref()
                                .is_some_and(|a| a.to_lowercase().contains(&q))
                    })
                })
                .collect();
            want.sort_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
            let total = want.len();
            let (limit, offset) = match rng.usize(0, 3) {
                0 => (None, None),
                1 => (Some(rng.usize(1, 50)), Some(rng.usize(0, total + 3))),
                _ => (Some(10_000), Some(0)),
            };
            if let Some(l) = limit {
                url.push_str(&format!("&limit={l}"));
            }
            if let Some(o) = offset {
                url.push_str(&format!("&offset={o}"));
            }
            let page: Vec<&str> = want
                .iter()
                .skip(offset.unwrap_or(0))
                .take(limit.unwrap_or(1000))
                .map(|s| s.id.as_str())
                .collect();
            let got = app.get_json(&url).await;
            assert_eq!(got["type"], "FeatureCollection", "{url}");
            assert_eq!(ids(&got), page, "{url}");
            assert_eq!(got["total"].as_u64(), Some(total as u64), "{url}: total");
            assert_eq!(
                got["count"].as_u64(),
                Some(page.len() as u64),
                "{url}: count"
            );
            for f in got["features"].as_array().unwrap() {
                let s = want
                    .iter()
                    .find(|s| s.id == f["id"].as_str().unwrap())
                    .unwrap();
                assert_eq!(
                    f["properties"]["open_now"].as_bool(),
                    at.open(s.hours),
                    "{url}"
                );
                assert!(
                    f["properties"].get("distance_m").is_none(),
                    "{url}: distance_m on a list"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bbox_edges_are_inclusive() {
    let m = model();
    let app = spawn_app(Some(fc(&m))).await;
    let got = app
        .get_json("/api/v1/stations?bbox=116.25,39.75,116.55,40.05&q=station%20edge")
        .await;
    assert_eq!(
        ids(&got),
        ["edge-e", "edge-n", "edge-ne", "edge-s", "edge-sw", "edge-w"]
    );
    let got = app
        .get_json("/api/v1/stations?bbox=179.995,5,-179.995,15&q=station%20am-")
        .await;
    assert_eq!(
        ids(&got),
        [
            "AM-y",
            "am-1",
            "am-10",
            "am-2",
            "am-edge-180",
            "am-edge-e",
            "am-edge-m180",
            "am-edge-w",
            "am-x"
        ],
        "the piles at (±180, 10) are inside too; the stations 1e-6° outside are not"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_station_amenities_and_health() {
    let m = model();
    let app = spawn_app(Some(fc(&m))).await;
    let at = At::new(2026, 11, 25, 10, 30, 0, 480);
    for s in m
        .iter()
        .step_by(97)
        .chain(m.iter().filter(|s| s.int_id).take(3))
    {
        let url = format!("/api/v1/stations/{}?at={}", enc(&s.id), enc(&at.rfc3339));
        let f = app.get_json(&url).await;
        assert_eq!(f["type"], "Feature", "{url}");
        assert_eq!(f["id"].as_str(), Some(s.id.as_str()), "{url}");
        assert_eq!(f["properties"]["name"].as_str(), Some(s.name.as_str()));
        assert_eq!(f["properties"]["kind"].as_str(), Some(s.kind));
        assert_eq!(f["properties"]["host_type"].as_str(), Some(s.host_type));
        assert_eq!(f["properties"]["address"].as_str(), s.address.as_deref());
        assert_eq!(f["properties"]["opening_hours"].as_str(), s.hours);
        assert_eq!(
            f["properties"]["open_now"].as_bool(),
            at.open(s.hours),
            "{url}"
        );
        if s.hours.is_none() {
            assert!(
                f["properties"]["open_now"].is_null(),
                "{url}: open_now must be null"
            );
        }
        let got: BTreeSet<&str> = f["properties"]["amenities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let want: BTreeSet<&str> = s.amenities.iter().copied().collect();
        assert_eq!(got, want, "{url}: amenities (aliases become keys)");
        close(&f["geometry"]["coordinates"], [s.lon, s.lat], 1e-9, &url);
        assert!(f["dataset_version"].is_string());
    }
    for id in ["nope", "s-99999", "TIE-A", "tie-a ", "%20"] {
        let r = app.get(&format!("/api/v1/stations/{}", enc(id))).await;
        assert_problem(r, 404, &[], id).await;
    }
    // amenities: counts by brute force, 24h included.
    let rows = app.get_json("/api/v1/amenities").await;
    let rows = rows.as_array().unwrap();
    for (i, key) in AMENITIES.iter().enumerate() {
        let row = rows
            .iter()
            .find(|r| r["key"] == *key)
            .unwrap_or_else(|| panic!("no row for {key}"));
        let want = m.iter().filter(|s| s.amenities.contains(key)).count();
        assert_eq!(row["count"].as_u64(), Some(want as u64), "{key}");
        assert!(row["label_zh"].is_string());
        assert!(row["label_en"].is_string());
        if i == 0 {
            assert_eq!(row["label_zh"], "饮水");
        }
    }
    let row24 = rows.iter().find(|r| r["key"] == "24h").expect("a 24h row");
    assert_eq!(
        row24["count"].as_u64(),
        Some(m.iter().filter(|s| s.always_open()).count() as u64)
    );
    let (v, n) = app.health().await;
    assert_eq!(n, m.len() as u64);
    assert!(v.len() >= 8, "version {v:?}");
}

#[derive(serde::Deserialize)]
struct Vectors {
    wgs84_to_gcj02: Vec<Pair>,
    gcj02_to_wgs84_iterative: Vec<Pair>,
    gcj02_to_bd09: Vec<Pair>,
    wgs84_to_bd09: Vec<Pair>,
    outside_china_unchanged: Vec<[f64; 2]>,
}
#[derive(serde::Deserialize)]
struct Pair {
    #[serde(rename = "in")]
    input: [f64; 2],
    out: [f64; 2],
}

fn vectors() -> Vectors {
    let text = std::fs::read_to_string(fixtures().join("crs-test-vectors.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn close(got: &Value, want: [f64; 2], tol: f64, what: &str) {
    let (x, y) = (got[0].as_f64().unwrap(), got[1].as_f64().unwrap());
    assert!(
        (x - want[0]).abs() <= tol && (y - want[1]).abs() <= tol,
        "{what}: got [{x}, {y}], want {want:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crs_on_queries_and_output_uses_published_vectors() {
    let v = vectors();
    let mut m = Vec::new();
    for (i, p) in v.wgs84_to_gcj02.iter().enumerate() {
        m.push(MSt::new(&format!("w{i}"), p.input[0], p.input[1]));
    }
    for (i, p) in v.gcj02_to_wgs84_iterative.iter().enumerate() {
        m.push(MSt::new(&format!("g{i}"), p.out[0], p.out[1]));
    }
    for (i, p) in v.outside_china_unchanged.iter().enumerate() {
        m.push(MSt::new(&format!("x{i}"), p[0], p[1]));
    }
    let app = spawn_app(Some(fc(&m))).await;
    // WGS-84 → GCJ-02 on output; the query is in GCJ-02 too, so the station is at distance 0.
    for (i, p) in v.wgs84_to_gcj02.iter().enumerate() {
        let f = app
            .get_json(&format!("/api/v1/stations/w{i}?crs=gcj02"))
            .await;
        close(
            &f["geometry"]["coordinates"],
            p.out,
            1e-9,
            "wgs84→gcj02 output",
        );
        assert_eq!(f["crs"], "gcj02");
        let url = format!(
            "/api/v1/stations/nearest?crs=gcj02&lon={}&lat={}&k=1",
            p.out[0], p.out[1]
        );
        let got = app.get_json(&url).await;
        assert_eq!(ids(&got), [format!("w{i}")], "{url}");
        assert!(
            got["features"][0]["properties"]["distance_m"]
                .as_f64()
                .unwrap()
                <= 0.01,
            "{url}: {got}"
        );
        assert_eq!(got["crs"], "gcj02", "{url}");
        close(
            &got["features"][0]["geometry"]["coordinates"],
            p.out,
            1e-9,
            &url,
        );
    }
    // GCJ-02 → WGS-84 (iterative) on the query.
    for (i, p) in v.gcj02_to_wgs84_iterative.iter().enumerate() {
        let url = format!(
            "/api/v1/stations/nearest?crs=gcj02&lon={}&lat={}&k=1",
            p.input[0], p.input[1]
        );
        let got = app.get_json(&url).await;
        assert_eq!(ids(&got), [format!("g{i}")], "{url}");
        assert!(
            got["features"][0]["properties"]["distance_m"]
                .as_f64()
                .unwrap()
                <= 0.01,
            "{url}: {got}"
        );
    }
    // WGS-84 → BD-09 on output and query.
    for p in &v.wgs84_to_bd09 {
        let f = app.get_json("/api/v1/stations/w0?crs=bd09").await;
        if p.input == v.wgs84_to_gcj02[0].input {
            close(
                &f["geometry"]["coordinates"],
                p.out,
                1e-9,
                "wgs84→bd09 output",
            );
            assert_eq!(f["crs"], "bd09");
        }
        let url = format!(
            "/api/v1/stations/nearest?crs=bd09&lon={}&lat={}&k=1",
            p.out[0], p.out[1]
        );
        let got = app.get_json(&url).await;
        assert!(
            got["features"][0]["properties"]["distance_m"]
                .as_f64()
                .unwrap()
                <= 0.01,
            "{url}: {got}"
        );
    }
    // bbox in GCJ-02 around the GCJ-02 position finds the station, the WGS-84 box around the same numbers does not.
    let p = &v.wgs84_to_gcj02[0];
    let bb = format!(
        "{},{},{},{}",
        p.out[0] - 1e-5,
        p.out[1] - 1e-5,
        p.out[0] + 1e-5,
        p.out[1] + 1e-5
    );
    let got = app
        .get_json(&format!("/api/v1/stations?crs=gcj02&bbox={bb}"))
        .await;
    assert_eq!(ids(&got), ["w0"]);
    assert_eq!(got["crs"], "gcj02");
    let got = app.get_json(&format!("/api/v1/stations?bbox={bb}")).await;
    assert_eq!(ids(&got), Vec::<String>::new());
    assert!(got.get("crs").is_none() || got["crs"] == "wgs84", "{got}");
    // Outside China: GCJ-02 leaves points alone.
    for (i, p) in v.outside_china_unchanged.iter().enumerate() {
        let f = app
            .get_json(&format!("/api/v1/stations/x{i}?crs=gcj02"))
            .await;
        close(
            &f["geometry"]["coordinates"],
            *p,
            0.0,
            "outside China, gcj02",
        );
    }
    // The default carries no crs member (or the canonical one).
    let got = app
        .get_json("/api/v1/stations/nearest?lat=39.9&lon=116.4")
        .await;
    assert!(got.get("crs").is_none() || got["crs"] == "wgs84", "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcj02_to_bd09_vector_on_upload_and_read() {
    let v = vectors();
    let p = &v.gcj02_to_bd09[0];
    let iter = &v.gcj02_to_wgs84_iterative[0];
    assert_eq!(p.input, iter.input);
    let app = spawn_app(None).await;
    // Uploaded in BD-09 → stored as the WGS-84 of the GCJ-02 point.
    let ds = fc(&[MSt::new("b", p.out[0], p.out[1])]);
    let r = app
        .upload(
            reqwest::Method::PUT,
            "/api/v1/stations?crs=bd09",
            "application/geo+json",
            serde_json::to_vec(&ds).unwrap(),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let f = app.get_json("/api/v1/stations/b").await;
    close(
        &f["geometry"]["coordinates"],
        iter.out,
        2e-7,
        "bd09 upload stored as wgs84",
    );
    let f = app.get_json("/api/v1/stations/b?crs=gcj02").await;
    close(
        &f["geometry"]["coordinates"],
        p.input,
        1e-8,
        "read back in gcj02",
    );
    let f = app.get_json("/api/v1/stations/b?crs=bd09").await;
    close(
        &f["geometry"]["coordinates"],
        p.out,
        1e-8,
        "read back in bd09",
    );
    let url = format!(
        "/api/v1/stations/nearest?crs=bd09&lon={}&lat={}&k=1",
        p.out[0], p.out[1]
    );
    let got = app.get_json(&url).await;
    assert!(
        got["features"][0]["properties"]["distance_m"]
            .as_f64()
            .unwrap()
            <= 0.01,
        "{got}"
    );
    // Uploaded in GCJ-02.
    let ds = fc(&[MSt::new("g", p.input[0], p.input[1])]);
    let r = app
        .upload(
            reqwest::Method::PUT,
            "/api/v1/stations?crs=gcj02",
            "application/geo+json",
            serde_json::to_vec(&ds).unwrap(),
        )
        .await;
    assert_eq!(r.status(), 200);
    let f = app.get_json("/api/v1/stations/g").await;
    close(
        &f["geometry"]["coordinates"],
        iter.out,
        2e-7,
        "gcj02 upload stored as wgs84",
    );
    // The stored file is WGS-84 too.
    let stored: Value = serde_json::from_slice(&app.download().await).unwrap();
    close(
        &stored["features"][0]["geometry"]["coordinates"],
        iter.out,
        2e-7,
        "download",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bd09_leaves_points_outside_china_alone() {
    let v = vectors();
    let m: Vec<MSt> = v
        .outside_china_unchanged
        .iter()
        .enumerate()
        .map(|(i, p)| MSt::new(&format!("x{i}"), p[0], p[1]))
        .chain([MSt::new("am", 180.0, 10.0)])
        .collect();
    let app = spawn_app(Some(fc(&m))).await;
    for (i, p) in v.outside_china_unchanged.iter().enumerate() {
        let f = app
            .get_json(&format!("/api/v1/stations/x{i}?crs=bd09"))
            .await;
        close(
            &f["geometry"]["coordinates"],
            *p,
            0.0,
            "outside China, bd09",
        );
    }
    // Never a longitude beyond 180.
    let f = app.get_json("/api/v1/stations/am?crs=bd09").await;
    close(
        &f["geometry"]["coordinates"],
        [180.0, 10.0],
        0.0,
        "antimeridian, bd09",
    );
}

/// Reads the coordinate pairs of a FeatureCollection as text and parses them with the standard library (exact),
/// so that no JSON parser's float rounding hides a change.
pub fn coordinate_texts(body: &str) -> Vec<(f64, f64)> {
    body.split("\"coordinates\":[")
        .skip(1)
        .map(|rest| {
            let inner = &rest[..rest.find(']').unwrap()];
            let mut it = inner.split(',').map(|t| t.trim().parse::<f64>().unwrap());
            (it.next().unwrap(), it.next().unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploaded_coordinates_are_kept_exactly() {
    let app = spawn_app(None).await;
    let mut rng = Rng::new(99);
    let texts: Vec<(String, String)> = (0..2000)
        .map(|_| {
            (
                format!("{}", rng.range(73.0, 135.0)),
                format!("{}", rng.range(18.0, 53.0)),
            )
        })
        .collect();
    let feats: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, (x, y))| {
            format!(r#"{{"type":"Feature","id":"p{i:05}","geometry":{{"type":"Point","coordinates":[{x},{y}]}},"properties":{{"name":"n"}}}}"#)
        })
        .collect();
    let body = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        feats.join(",")
    );
    let r = app
        .upload(
            reqwest::Method::PUT,
            "/api/v1/stations",
            "application/geo+json",
            body.into_bytes(),
        )
        .await;
    assert_eq!(r.status(), 200);
    let down = String::from_utf8(app.download().await).unwrap();
    let got = coordinate_texts(&down);
    assert_eq!(got.len(), texts.len());
    let mut off = Vec::new();
    for (i, ((x, y), (gx, gy))) in texts.iter().zip(&got).enumerate() {
        let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
        if x != *gx || y != *gy {
            off.push(format!("p{i:05}: sent [{x}, {y}], stored [{gx}, {gy}]"));
        }
    }
    assert!(
        off.is_empty(),
        "{} of {} changed, e.g. {:?}",
        off.len(),
        texts.len(),
        &off[..off.len().min(3)]
    );
}
