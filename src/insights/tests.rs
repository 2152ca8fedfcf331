use super::*;

fn key(cell: u64, hour: u32) -> Key {
    Key { cell, hour }
}

#[test]
fn past_the_cap_new_keys_count_only_in_the_overflow() {
    let mut a = Aggregate::with_cap(2);
    a.add(key(1, 0), Counts::one(false));
    a.add(key(2, 0), Counts::one(true));
    a.add(key(3, 0), Counts::one(true));
    // A key already held still counts in place.
    a.add(key(1, 0), Counts::one(false));
    assert_eq!(a.len(), 2);
    assert_eq!(
        a.overflow,
        Counts {
            searches: 1,
            unmet: 1
        }
    );
    let held: u64 = a.iter().map(|(_, c)| c.searches).sum();
    assert_eq!(held + a.overflow.searches, 4);
}

#[test]
fn merge_adds_counts_and_overflows() {
    let mut a = Aggregate::with_cap(10);
    a.add(key(1, 5), Counts::one(true));
    let mut b = Aggregate::with_cap(1);
    b.add(key(1, 5), Counts::one(false));
    b.add(key(2, 5), Counts::one(false));
    a.merge(&b);
    let mut rows: Vec<_> = a.iter().collect();
    rows.sort_by_key(|r| r.0);
    assert_eq!(
        rows,
        vec![(
            key(1, 5),
            Counts {
                searches: 2,
                unmet: 1
            }
        )]
    );
    assert_eq!(a.overflow.searches, 1);
}

#[test]
fn drain_empties_the_source_and_keeps_its_capacity() {
    let mut a = Aggregate::with_cap(100);
    for c in 0..50 {
        a.add(key(c, 1), Counts::one(false));
    }
    let mut into = Aggregate::with_cap(100);
    a.drain_into(&mut into);
    assert!(a.is_empty());
    assert_eq!(into.len(), 50);
}

#[test]
fn encode_and_decode_round_trip_and_add_up() {
    let mut a = Aggregate::with_cap(10);
    let cell = cell_of(116.4, 39.9).unwrap();
    a.add(
        key(cell, 493_000),
        Counts {
            searches: 7,
            unmet: 2,
        },
    );
    a.overflow = Counts {
        searches: 3,
        unmet: 1,
    };
    let bytes = a.encode();
    let mut b = Aggregate::with_cap(10);
    b.decode_into(&bytes).unwrap();
    b.decode_into(&bytes).unwrap();
    assert_eq!(
        b.iter().collect::<Vec<_>>(),
        vec![(
            key(cell, 493_000),
            Counts {
                searches: 14,
                unmet: 4
            }
        )]
    );
    assert_eq!(
        b.overflow,
        Counts {
            searches: 6,
            unmet: 2
        }
    );
    assert!(b.decode_into(b"something else\n").is_err());
    assert!(b.decode_into(b"yizhan-insights 1 0 0\nzz 1 1 1\n").is_err());
}

#[test]
fn retention_drops_old_hours_only() {
    let mut a = Aggregate::with_cap(10);
    a.add(key(1, 10), Counts::one(false));
    a.add(key(1, 20), Counts::one(false));
    a.retain_from(15);
    assert_eq!(a.iter().map(|(k, _)| k.hour).collect::<Vec<_>>(), vec![20]);
}

#[test]
fn cells_are_resolution_8_and_their_boundary_closes_around_the_centre() {
    let cell = cell_of(116.4, 39.9).unwrap();
    let c = h3o::CellIndex::try_from(cell).unwrap();
    assert_eq!(c.resolution(), RESOLUTION);
    let ring = cell_boundary(cell).unwrap();
    assert_eq!(ring.first(), ring.last());
    let (lon, lat) = cell_centre(cell).unwrap();
    assert!((lon - 116.4).abs() < 0.01 && (lat - 39.9).abs() < 0.01);
    assert!(ring
        .iter()
        .all(|p| (p[0] - lon).abs() < 0.01 && (p[1] - lat).abs() < 0.01));
}

#[test]
fn the_districts_file_has_16_districts_with_population() {
    let d = districts::all();
    assert_eq!(d.len(), 16);
    assert!(d
        .iter()
        .all(|d| d.population > 100_000 && d.name.ends_with('区')));
}

#[test]
fn by_cell_adds_hours_within_the_days_and_the_hour_of_week() {
    let mut a = Aggregate::with_cap(100);
    // Day 20,000 (2024-10-04) is a Friday: weekday 4, so hour 10 of it is hour of week 106.
    let day = 20_000u32;
    a.add(
        key(7, day * 24 + 10),
        Counts {
            searches: 3,
            unmet: 1,
        },
    );
    a.add(
        key(7, day * 24 + 11),
        Counts {
            searches: 2,
            unmet: 0,
        },
    );
    a.add(
        key(7, (day + 1) * 24 + 10),
        Counts {
            searches: 100,
            unmet: 0,
        },
    );
    a.add(
        key(8, day * 24 + 10),
        Counts {
            searches: 1,
            unmet: 1,
        },
    );
    assert_eq!(key(7, day * 24 + 10).hour_of_week(), 106);
    let r = Range {
        first_day: day,
        last_day: day,
        hour_of_week: None,
    };
    assert_eq!(
        by_cell(&a, &r),
        vec![
            (
                7,
                Counts {
                    searches: 5,
                    unmet: 1
                }
            ),
            (
                8,
                Counts {
                    searches: 1,
                    unmet: 1
                }
            )
        ]
    );
    let r = Range {
        first_day: day,
        last_day: day + 1,
        hour_of_week: Some(106),
    };
    assert_eq!(
        by_cell(&a, &r)[0],
        (
            7,
            Counts {
                searches: 3,
                unmet: 1
            }
        )
    );
}
