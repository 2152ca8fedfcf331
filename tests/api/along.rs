//! Stations along a route, against closed-form answers: on a segment of the equator the nearest route point of a
//! station is straight south or north of it, so distance_m = |lat|·R and along_m = (lon − lon0)·R (radians).

use crate::helpers::*;

const R: f64 = 6_371_008.8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn along_the_equator_matches_closed_form() {
    let mut rng = Rng::new(0x000A_1096);
    let mut m: Vec<MSt> = (0..400)
        .map(|i| {
            MSt::new(
                &format!("e-{i:04}"),
                rng.range(9.99, 11.01),
                rng.range(-0.004, 0.004),
            )
        })
        .collect();
    // A pile at one point: ties broken by id.
    for id in ["tie-b", "tie-a", "tie-10"] {
        m.push(MSt::new(id, 10.5, 0.001));
    }
    let app = spawn_app(Some(fc(&m))).await;
    let (a, b) = (10.0f64, 11.0f64);
    for max_d in [300.0f64, 100.0, 440.0] {
        let mut want: Vec<(f64, f64, &str)> = m
            .iter()
            .map(|s| {
                let (along, dist) = if s.lon < a {
                    (0.0, haversine(s.lon, s.lat, a, 0.0))
                } else if s.lon > b {
                    ((b - a).to_radians() * R, haversine(s.lon, s.lat, b, 0.0))
                } else {
                    ((s.lon - a).to_radians() * R, s.lat.abs().to_radians() * R)
                };
                (along, dist, s.id.as_str())
            })
            .filter(|w| w.1 <= max_d)
            .collect();
        want.sort_by(|x, y| {
            x.0.total_cmp(&y.0)
                .then(x.1.total_cmp(&y.1))
                .then(x.2.as_bytes().cmp(y.2.as_bytes()))
        });
        want.truncate(200);
        let url =
            format!("/api/v1/stations/along?path={a},0;{b},0&max_distance_m={max_d}&limit=200");
        let got = app.get_json(&url).await;
        let feats = got["features"].as_array().unwrap();
        assert_eq!(got["count"].as_u64(), Some(feats.len() as u64));
        let got_ids = ids(&got);
        // Stations within 0.1 m of the max distance may go either way.
        let borderline = |id: &str| {
            want.iter()
                .chain([].iter())
                .any(|w| w.2 == id && (w.1 - max_d).abs() < 0.1)
        };
        let want_ids: Vec<&str> = want
            .iter()
            .map(|w| w.2)
            .filter(|id| !borderline(id))
            .collect();
        let got_core: Vec<&str> = got_ids
            .iter()
            .map(String::as_str)
            .filter(|id| !borderline(id))
            .collect();
        assert_eq!(got_core.len(), want_ids.len(), "{url}");
        for (f, w) in feats.iter().zip(&want) {
            let id = f["id"].as_str().unwrap();
            let (along, dist) = (
                f["properties"]["along_m"]
                    .as_f64()
                    .unwrap_or_else(|| panic!("no along_m: {f}")),
                f["properties"]["distance_m"]
                    .as_f64()
                    .unwrap_or_else(|| panic!("no distance_m: {f}")),
            );
            let mine = want
                .iter()
                .find(|x| x.2 == id)
                .unwrap_or_else(|| panic!("{url}: {id} not expected"));
            assert!(
                (along - mine.0).abs() <= 0.15,
                "{url}: {id} along_m {along}, want {}",
                mine.0
            );
            assert!(
                (dist - mine.1).abs() <= 0.15,
                "{url}: {id} distance_m {dist}, want {}",
                mine.1
            );
            if id != w.2 {
                assert!(
                    (mine.0 - w.0).abs() < 0.01 && (mine.1 - w.1).abs() < 0.01,
                    "{url}: order: {id} where {} belongs",
                    w.2
                );
            }
        }
        let pos = |id: &str| got_ids.iter().position(|x| x == id);
        if max_d >= 300.0 {
            assert!(
                pos("tie-10") < pos("tie-a") && pos("tie-a") < pos("tie-b"),
                "{url}: ties by id"
            );
        }
    }
    // Bad paths are 400s that name the parameter.
    for q in [
        "path=10,0",
        "path=",
        "path=10,0;abc,0",
        "path=10,0;11,95",
        "path=10,0;11,0&max_distance_m=5001",
        "path=10,0;11,0&limit=201",
        "path=10,0;11",
    ] {
        let r = app.get(&format!("/api/v1/stations/along?{q}")).await;
        let what = format!("along {q}");
        let param = if q.contains("max_distance_m=") {
            "max_distance_m"
        } else if q.contains("limit") {
            "limit"
        } else {
            "path"
        };
        assert_problem(r, 400, &[param], &what).await;
    }
    let many: Vec<String> = (0..2001)
        .map(|i| format!("{},0", 10.0 + i as f64 * 1e-4))
        .collect();
    let r = app
        .get(&format!("/api/v1/stations/along?path={}", many.join(";")))
        .await;
    assert_problem(r, 400, &["path"], "2001 points").await;
}
