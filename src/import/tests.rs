use super::*;

fn gj(features: &str) -> Vec<u8> {
    format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#).into_bytes()
}

fn feature(id: &str, lon: f64, lat: f64, props: &str) -> String {
    format!(
        r#"{{"type":"Feature","id":"{id}","geometry":{{"type":"Point","coordinates":[{lon},{lat}]}},"properties":{{"name":"n","kind":"station","host_type":"bank"{props}}}}}"#
    )
}

fn run(bytes: &[u8], format: Format) -> Result<Parsed, ImportError> {
    parse(bytes, format, Crs::Wgs84, &HashMap::new())
}

fn errors(r: Result<Parsed, ImportError>) -> Vec<RowError> {
    match r {
        Err(ImportError::Invalid(e)) => e,
        other => panic!("expected 422 errors, got {other:?}"),
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let body = gj(&[
        feature("a", 116.4, 39.9, r#","amenities":["water","饮水"]"#),
        feature("b", 500.0, 39.9, ""),
        feature(
            "c",
            116.4,
            39.9,
            r#","amenities":["unicorn"],"opening_hours":"Mo-Xx 25:00""#,
        ),
        feature("a", 116.4, 39.9, ""),
    ]
    .join(","));
    let errs = errors(run(&body, Format::GeoJson));
    let got: Vec<(usize, &str)> = errs.iter().map(|e| (e.index, e.field.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (1, "geometry"),
            (2, "amenities"),
            (2, "opening_hours"),
            (3, "id")
        ]
    );
    assert!(
        errs[0].message.contains("longitude 500"),
        "{}",
        errs[0].message
    );
    assert!(errs[3].message.contains("index 0"), "{}", errs[3].message);
}

#[test]
fn integer_ids_become_strings_and_aliases_are_keys() {
    let body = gj(
        r#"{"type":"Feature","id":42,"geometry":{"type":"Point","coordinates":[116.4,39.9]},"properties":{"name":"n","amenities":["充电","药箱"],"opening_hours":"24/7"}}"#,
    );
    let p = run(&body, Format::GeoJson).unwrap();
    let s = &p.stations[0];
    assert_eq!(s.id(), "42");
    assert_eq!(
        s.amenities.iter().map(|a| a.key()).collect::<Vec<_>>(),
        vec!["charging", "medicine"]
    );
    assert!(s.amenities.has_all(crate::domain::Amenities::ALWAYS_OPEN));
}

#[test]
fn structural_problems_are_400_not_422() {
    for body in [
        &b"{not json"[..],
        b"[]",
        b"null",
        b"42",
        br#"{"type":"Feature"}"#,
        br#"{"type":"FeatureCollection"}"#,
    ] {
        match run(body, Format::GeoJson) {
            Err(ImportError::Syntax { .. }) | Err(ImportError::Shape(_)) => {}
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    assert!(matches!(
        run(deep.as_bytes(), Format::GeoJson),
        Err(ImportError::Syntax { .. })
    ));
}

#[test]
fn geometry_errors() {
    let cases = [
        (
            r#"{"type":"LineString","coordinates":[[1,2],[3,4]]}"#,
            "Point",
        ),
        (r#"null"#, "missing"),
        (r#"{"type":"Point","coordinates":["116","39"]}"#, "Point"),
        (r#"{"type":"Point","coordinates":[116]}"#, "two or more"),
        (r#"{"type":"Point","coordinates":[116,-91]}"#, "latitude"),
    ];
    for (geom, needle) in cases {
        let body = gj(&format!(
            r#"{{"type":"Feature","id":"x","geometry":{geom},"properties":{{"name":"n"}}}}"#
        ));
        let errs = errors(run(&body, Format::GeoJson));
        assert_eq!(errs[0].field, "geometry", "{geom}");
        assert!(
            errs[0].message.contains(needle),
            "{geom}: {}",
            errs[0].message
        );
    }
}

#[test]
fn csv_with_bom_crlf_quotes_and_aliases() {
    let csv = "\u{feff}id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone\r\nzz1,\"驿站,甲\",116.41,39.91,station,bank,a,朝阳区,饮水;充电,24/7,\r\n";
    let p = run(csv.as_bytes(), Format::Csv).unwrap();
    assert_eq!(p.stations[0].name(), "驿站,甲");
    assert_eq!(
        p.stations[0]
            .amenities
            .iter()
            .map(|a| a.key())
            .collect::<Vec<_>>(),
        vec!["water", "charging"]
    );
}

#[test]
fn csv_rows_report_line_numbers() {
    let csv = "id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone\nx1,n,116.4,39.9,station,bank,,,water,,\n\"x2\",\"multi\nline\",abc,39.9,station,bank,,,water,,\nx1,n,116.4\n";
    let errs = errors(run(csv.as_bytes(), Format::Csv));
    let got: Vec<(usize, Option<u64>, &str)> = errs
        .iter()
        .map(|e| (e.index, e.line, e.field.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, Some(3), "geometry"),
            (2, Some(5), "id"),
            (2, Some(5), "row"),
            (2, Some(5), "geometry")
        ]
    );
}

#[test]
fn csv_row_with_more_fields_than_the_header_is_rejected() {
    // An unquoted comma in the address shifts every later field: reject it, naming the row and line.
    let csv = "id,name,lon,lat,kind,host_type,address,district,amenities,opening_hours,phone\nx1,n,116.4,39.9,station,bank,,,water,,\nx2,n,116.4,39.9,station,bank,1 Road, Gate 2,朝阳区,water,,\n";
    let errs = errors(run(csv.as_bytes(), Format::Csv));
    assert_eq!((errs[0].index, errs[0].line), (1, Some(3)));
    assert_eq!(errs[0].field, "row");
    assert!(
        errs[0].message.contains("12 field(s)"),
        "{}",
        errs[0].message
    );
}

#[test]
fn csv_without_header_is_a_shape_error() {
    assert!(matches!(
        run(b"a,b,c\n1,2,3\n", Format::Csv),
        Err(ImportError::Shape(_))
    ));
    assert!(matches!(run(b"", Format::Csv), Err(ImportError::Shape(_))));
    assert!(matches!(
        run(b"\xff\xfe", Format::Csv),
        Err(ImportError::Syntax { .. })
    ));
}

#[test]
fn gcj02_upload_is_stored_in_wgs84() {
    let (gx, gy) = crate::geodesy::crs::wgs84_to_gcj02(116.404, 39.915);
    let body = gj(&feature("c", gx, gy, ""));
    let p = parse(&body, Format::GeoJson, Crs::Gcj02, &HashMap::new()).unwrap();
    let pos = p.stations[0].position;
    assert!((pos.lon() - 116.404).abs() < 1e-9 && (pos.lat() - 39.915).abs() < 1e-9);
}

#[test]
fn warnings_for_near_duplicates_and_far_away_points() {
    let body = gj(&[
        feature("a", 116.4, 39.9, ""),
        feature("b", 116.400_001, 39.9, ""),
        feature("p", 2.35, 48.85, ""),
    ]
    .join(","));
    let p = run(&body, Format::GeoJson).unwrap();
    assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    assert!(p.warnings[0].contains("\"p\""));
    assert!(p.warnings[1].contains("\"a\" and \"b\""));
}

#[test]
fn ids_names_texts_and_phones_that_mislead_are_rejected() {
    let row = |id: &str, props: &str| feature(id, 116.4, 39.9, props);
    let cases = [
        (row(".", ""), "id"),
        (row("..", ""), "id"),
        (row("nearest", ""), "id"),
        (row("along", ""), "id"),
        (row("z1", r#","name":"\u200b\u200d""#), "name"),
        (row("z2", r#","address":"Gate \u202e2""#), "address"),
        (row("z3", r#","district":"\u2066朝阳区""#), "district"),
        (row("z4", r#","phone":"010\u200f-1234""#), "phone"),
        (row("z5", r#","phone":"call me""#), "phone"),
        (row("z6", r#","phone":"010-1234 / ""#), "phone"),
        (row("z7", r#","phone":"12""#), "phone"),
        (row("z8", r#","phone":"010+1234""#), "phone"),
        (row("z9", r#","phone":"010-1234 ext. ab""#), "phone"),
    ];
    for (f, field) in &cases {
        let errs = errors(run(&gj(f), Format::GeoJson));
        assert!(errs.iter().any(|e| e.field == *field), "{f}: {errs:?}");
    }
    for phone in [
        "010-64701234",
        "+86 10 6470 1234",
        "(010) 6470-1234 ext. 12",
        "010-64701234转12",
        "010-64701234 x12",
        "13800138000 / 010-64701234",
        "110、120；010-1234,010-5678",
    ] {
        let f = row("ok", &format!(r#","phone":"{phone}""#));
        assert!(run(&gj(&f), Format::GeoJson).is_ok(), "{phone}");
    }
}

#[test]
fn stored_datasets_load_under_the_rules_they_were_accepted_by() {
    let body = gj(&[
        feature("nearest", 116.4, 39.9, r#","phone":"Tel 010-1234""#),
        feature("z", 116.5, 39.9, r#","name":"\u200b","address":"a\u202eb""#),
    ]
    .join(","));
    assert!(run(&body, Format::GeoJson).is_err());
    let p = parse_stored(&body).unwrap();
    assert_eq!(p.stations.len(), 2);
}
