//! The index against brute force, on points anywhere on Earth.

use super::*;
use crate::domain::NO_HOURS;
use crate::geodesy::sphere::{haversine_m, unit_vector};
use proptest::prelude::*;

fn station(_i: usize, lon: f64, lat: f64, bits: u16) -> Entry {
    Entry {
        lon,
        lat,
        amenities: Amenities::from_bits(bits),
        hours: NO_HOURS,
    }
}

fn build(st: &[Entry]) -> Index {
    Index::build(st.iter().copied(), Vec::new())
}

fn q(lon: f64, lat: f64, k: usize, bits: u16) -> Nearest {
    Nearest {
        lon,
        lat,
        k,
        max_distance_m: None,
        required: Amenities::from_bits(bits),
    }
}

fn brute_nearest(
    st: &[Entry],
    lon: f64,
    lat: f64,
    k: usize,
    maxd: Option<f64>,
    req: Amenities,
) -> Vec<(f64, u32)> {
    let mut rows: Vec<(f64, u32)> = st
        .iter()
        .enumerate()
        .filter(|(_, s)| s.amenities.has_all(req))
        .map(|(i, s)| (haversine_m(lon, lat, s.lon, s.lat), i as u32))
        .filter(|(d, _)| maxd.is_none_or(|m| *d <= m))
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    rows.truncate(k);
    rows
}

/// Points anywhere on Earth (uniform on the sphere), bunched at the antimeridian and the poles, and with
/// exact duplicates, which are where lon/lat indexes and tie-breaking go wrong.
fn point() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        (-180.0f64..=180.0, -1.0f64..=1.0).prop_map(|(lon, z)| (lon, z.asin().to_degrees())),
        (
            prop_oneof![179.0f64..=180.0, -180.0f64..=-179.0],
            -60.0f64..60.0
        ),
        (
            -180.0f64..=180.0,
            prop_oneof![89.0f64..=90.0, -90.0f64..=-89.0]
        ),
        (116.0f64..117.0, 39.5f64..40.5),
        Just((116.4, 39.9)),
        Just((180.0, 0.0)),
        Just((-180.0, 0.0)),
        Just((0.0, 90.0)),
    ]
}

fn dataset() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec((point(), 0u16..1024, prop::bool::weighted(0.1)), 1..400).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, ((lon, lat), bits, rare))| {
                station(i, lon, lat, bits | if rare { 1 << 15 } else { 0 })
            })
            .collect()
    })
}

fn assert_same(got: &[Hit], want: &[(f64, u32)]) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        // Same station, or a different one at the same distance (float noise between equal distances).
        prop_assert!(
            g.idx == w.1 || (g.distance_m - w.0).abs() < 1e-6,
            "got {:?} want {:?}",
            got,
            want
        );
        prop_assert!((g.distance_m - w.0).abs() < 1e-6);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn nearest_matches_brute_force(st in dataset(), (lon, lat) in point(), k in 1usize..40,
                                   maxd in prop::option::of(1.0f64..2.5e7), bits in prop_oneof![Just(0u16), 0u16..16, Just(1u16 << 15), Just(1u16 | 1 << 15)]) {
        let idx = build(&st);
        let req = Amenities::from_bits(bits);
        let got = idx.nearest(&Nearest { lon, lat, k, max_distance_m: maxd, required: req }, None, |_| true);
        assert_same(&got, &brute_nearest(&st, lon, lat, k, maxd, req))?;
    }

    #[test]
    fn along_matches_brute_force(st in dataset(), path in prop::collection::vec(point(), 2..6),
                                 max_m in prop_oneof![1.0f64..2_000.0, 1.0f64..3_000_000.0], bits in prop_oneof![Just(0u16), 0u16..8]) {
        let idx = build(&st);
        let route = Route::new(&path);
        let req = Amenities::from_bits(bits);
        let q = AlongQuery { max_distance_m: max_m, limit: usize::MAX, required: req };
        let got: Vec<u32> = idx.along(&route, &q, |_| true).iter().map(|h| h.idx).collect();
        let all: Vec<u32> = (0..route.segments() as u32).collect();
        let mut want: Vec<(f64, f64, u32)> = st.iter().enumerate()
            .filter(|(_, s)| s.amenities.has_all(req))
            .filter_map(|(i, s)| {
                let at = route.locate(unit_vector(s.lon, s.lat), all.iter().copied())?;
                (at.distance_m <= max_m).then_some((at.along_m, at.distance_m, i as u32))
            })
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        prop_assert_eq!(got, want.into_iter().map(|w| w.2).collect::<Vec<_>>());
    }

    #[test]
    fn nearest_with_predicate(st in dataset(), (lon, lat) in point(), k in 1usize..20, m in 2u32..7) {
        let idx = build(&st);
        let got = idx.nearest(&Nearest { lon, lat, k, max_distance_m: None, required: Amenities::default() }, None, |i| i % m == 0);
        let mut want = brute_nearest(&st, lon, lat, usize::MAX, None, Amenities::default());
        want.retain(|(_, i)| i % m == 0);
        want.truncate(k);
        assert_same(&got, &want)?;
    }

    #[test]
    fn bbox_matches_brute_force(st in dataset(), a in -180.0f64..=180.0, c in -180.0f64..=180.0,
                                b in -90.0f64..=90.0, h in 0.0f64..180.0, bits in prop_oneof![Just(0u16), 0u16..8, Just(1u16 << 15)]) {
        let bbox = BBox { min_lon: a, min_lat: b, max_lon: c, max_lat: (b + h).min(90.0) };
        let idx = build(&st);
        let req = Amenities::from_bits(bits);
        let got = idx.in_bbox(&bbox, req);
        let want: Vec<u32> = st.iter().enumerate()
            .filter(|(_, s)| s.amenities.has_all(req) && bbox.contains(s.lon, s.lat))
            .map(|(i, _)| i as u32).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn bbox_edges_are_inclusive(lon in -180.0f64..=180.0, lat in -90.0f64..=90.0) {
        let st = vec![station(0, lon, lat, 0)];
        let idx = build(&st);
        let bbox = BBox { min_lon: lon, min_lat: lat, max_lon: lon, max_lat: lat };
        prop_assert_eq!(idx.in_bbox(&bbox, Amenities::default()), vec![0]);
    }
}

/// Stations centimetres apart around any point of the Earth (poles and antimeridian included), some exact
/// duplicates: the trees' `f32` points cannot tell them apart (≈ 0.5 m resolution), the exact re-rank must.
fn crowd() -> impl Strategy<Value = (Vec<Entry>, (f64, f64))> {
    let offset = prop_oneof![-3e-7f64..3e-7, Just(0.0)];
    (
        point(),
        prop::collection::vec((offset.clone(), offset.clone(), 0u16..4), 1..300),
        (offset.clone(), offset),
    )
        .prop_map(|((lon, lat), offs, (qx, qy))| {
            let at = |dx: f64, dy: f64| {
                (
                    (lon + dx).clamp(-180.0, 180.0),
                    (lat + dy).clamp(-90.0, 90.0),
                )
            };
            let st = offs
                .iter()
                .enumerate()
                .map(|(i, &(dx, dy, bits))| {
                    let (x, y) = at(dx, dy);
                    station(i, x, y, bits)
                })
                .collect();
            (st, at(qx, qy))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn nearest_in_a_crowd_matches_brute_force((st, (lon, lat)) in crowd(), k in 1usize..20,
                                              maxd in prop::option::of(0.0f64..0.05), bits in 0u16..4) {
        let idx = build(&st);
        let req = Amenities::from_bits(bits);
        let got = idx.nearest(&Nearest { lon, lat, k, max_distance_m: maxd, required: req }, None, |_| true);
        let want = brute_nearest(&st, lon, lat, k, maxd, req);
        let ids = |v: &[u32]| v.to_vec();
        prop_assert_eq!(ids(&got.iter().map(|h| h.idx).collect::<Vec<_>>()), ids(&want.iter().map(|w| w.1).collect::<Vec<_>>()));
        for (g, w) in got.iter().zip(&want) {
            prop_assert_eq!(g.distance_m, w.0);
        }
    }

    #[test]
    fn bbox_in_a_crowd_matches_brute_force((st, (lon, lat)) in crowd(), w in 0.0f64..4e-7, h in 0.0f64..4e-7) {
        let bbox = BBox { min_lon: lon, min_lat: lat, max_lon: (lon + w).min(180.0), max_lat: (lat + h).min(90.0) };
        let idx = build(&st);
        let got = idx.in_bbox(&bbox, Amenities::default());
        let want: Vec<u32> = st.iter().enumerate()
            .filter(|(_, s)| bbox.contains(s.lon, s.lat))
            .map(|(i, _)| i as u32).collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn open_now_at_night_walks_the_open_expressions_and_the_24h_tree() {
    // Expression 0 is open at all times, 1 only at night, 2 office hours; at 3 a.m. 0 and 1 are open.
    let (always, night, office) = (0u32, 1u32, 2u32);
    let st: Vec<Entry> = (0..2000)
        .map(|i| {
            // 10 % always open, 2 % open at night (under HOURS_TREE_SHARE), the rest office hours.
            let (h, bits) = match (i % 10, i % 50) {
                (0, _) => (always, Amenities::ALWAYS_OPEN.bits()),
                (_, 1) => (night, 0),
                _ => (office, 0),
            };
            Entry {
                hours: h,
                ..station(
                    i,
                    116.0 + (i % 50) as f64 * 0.01,
                    39.0 + (i / 50) as f64 * 0.01,
                    bits,
                )
            }
        })
        .collect();
    let idx = Index::build(st.iter().copied(), vec![true, false, false]);
    let open = vec![true, true, false];
    let trees = idx
        .open_trees(&open)
        .expect("every open expression has a tree");
    assert_eq!(trees.iter().map(|t| t.len()).sum::<usize>(), 240);
    let got: Vec<u32> = idx
        .nearest(&q(116.2, 39.2, 7, 0), Some(&open), |_| true)
        .iter()
        .map(|h| h.idx)
        .collect();
    let mut want = brute_nearest(&st, 116.2, 39.2, usize::MAX, None, Amenities::default());
    want.retain(|(_, i)| i % 10 == 0 || i % 50 == 1);
    want.truncate(7);
    assert_eq!(got, want.iter().map(|w| w.1).collect::<Vec<_>>());
}

#[test]
fn ties_at_one_point_are_broken_by_id() {
    let st: Vec<Entry> = (0..10).map(|i| station(i, 116.4, 39.9, 0)).collect();
    let idx = build(&st);
    let got: Vec<u32> = idx
        .nearest(&q(116.41, 39.9, 3, 0), None, |_| true)
        .iter()
        .map(|h| h.idx)
        .collect();
    assert_eq!(got, vec![0, 1, 2]);
}

#[test]
fn antimeridian_neighbours_are_near() {
    let st = vec![
        station(0, 179.9999, 0.0, 0),
        station(1, -170.0, 0.0, 0),
        station(2, 170.0, 0.0, 0),
    ];
    let idx = build(&st);
    let got = idx.nearest(&q(-179.9999, 0.0, 1, 0), None, |_| true);
    assert_eq!(got[0].idx, 0);
    assert!((got[0].distance_m - 22.239).abs() < 0.01, "{got:?}");
}

#[test]
fn selective_flag_gets_its_own_tree() {
    let st: Vec<Entry> = (0..1000)
        .map(|i| {
            station(
                i,
                (i as f64) * 0.01,
                0.0,
                if i % 100 == 0 { 1 << 9 } else { 1 },
            )
        })
        .collect();
    let idx = build(&st);
    assert_eq!(idx.selective.len(), 1);
    let got = idx.nearest(&q(5.5, 0.0, 2, 1 << 9), None, |_| true);
    assert_eq!(
        got.iter().map(|h| h.idx).collect::<Vec<_>>(),
        vec![500, 600]
    );
}

/// A route of many short steps (1–200 m, turning at random, sometimes doubling back over itself) from a
/// point of `point()`, and stations scattered within ≈ 6 km of its start, some on its vertices: what the
/// piece search of `along` is built for, at the API's scale.
fn dense_route() -> impl Strategy<Value = (Vec<(f64, f64)>, Vec<Entry>)> {
    let steps = prop::collection::vec((-1.0f64..1.0, 1.0f64..200.0), 1..400);
    let offs = prop::collection::vec((-0.06f64..0.06, -0.06f64..0.06, 0u16..4), 1..500);
    (point(), steps, prop::bool::ANY, offs, 0usize..20).prop_map(
        |(start, steps, back, offs, on)| {
            let (mut lon, mut lat, mut heading) = (start.0, start.1.clamp(-85.0, 85.0), 0.0f64);
            let mut path = vec![(lon, lat)];
            for (turn, d) in steps {
                heading += turn;
                lat = (lat + d * heading.sin() / 110_540.0).clamp(-89.0, 89.0);
                lon += d * heading.cos() / (111_320.0 * lat.to_radians().cos());
                lon = ((lon + 540.0) % 360.0) - 180.0;
                path.push((lon, lat));
            }
            if back {
                let rev: Vec<_> = path.iter().rev().skip(1).copied().collect();
                path.extend(rev);
            }
            let mut st: Vec<Entry> = offs
                .iter()
                .enumerate()
                .map(|(i, &(dx, dy, bits))| {
                    let x = ((path[0].0 + dx + 540.0) % 360.0) - 180.0;
                    station(i, x, (path[0].1 + dy).clamp(-90.0, 90.0), bits)
                })
                .collect();
            for (i, &(x, y)) in path.iter().step_by(path.len() / on.max(1) + 1).enumerate() {
                st.push(station(st.len() + i, x, y, 0));
            }
            (path, st)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Long dense routes: the same stations, distances and positions along as `locate` over every segment.
    #[test]
    fn along_a_long_dense_route_matches_brute_force((path, st) in dense_route(),
                                                    max_m in prop_oneof![1.0f64..100.0, 100.0f64..6_000.0], bits in 0u16..3) {
        let idx = build(&st);
        let route = Route::new(&path);
        let req = Amenities::from_bits(bits);
        let q = AlongQuery { max_distance_m: max_m, limit: usize::MAX, required: req };
        let got: Vec<(f64, f64, u32)> = idx.along(&route, &q, |_| true).iter().map(|h| (h.along_m, h.distance_m, h.idx)).collect();
        let mut want: Vec<(f64, f64, u32)> = st.iter().enumerate()
            .filter(|(_, s)| s.amenities.has_all(req))
            .filter_map(|(i, s)| {
                let at = route.locate(unit_vector(s.lon, s.lat), 0..route.segments() as u32)?;
                (at.distance_m <= max_m).then_some((at.along_m, at.distance_m, i as u32))
            })
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        prop_assert_eq!(got, want);
    }
}
