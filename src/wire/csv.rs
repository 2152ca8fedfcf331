//! The dataset as the upload CSV: what admins open in a spreadsheet, edit, and `PUT` back. Written so that a
//! `PUT` of the file unchanged yields the same dataset version (and restores the same station state).
//!
//! Spreadsheets run a cell that begins with `=`, `+`, `-` or `@` as a formula (CSV injection), so such a text
//! cell is written with a leading apostrophe, which spreadsheets read as "this is text" and hide. The CSV
//! importer removes that one apostrophe again. To keep the mapping exactly reversible, a cell that already
//! begins with apostrophes followed by one of the four also gets one more (`'=x` is written `''=x`); a cell such
//! as `'s Hertogenbosch` is written unchanged.

use std::borrow::Cow;

use chrono::SecondsFormat;

use crate::domain::{Station, StationState};

/// The columns, in the order the contract's upload header lists them, then the optional state columns.
pub const HEADER: [&str; 15] = [
    "id",
    "name",
    "lon",
    "lat",
    "kind",
    "host_type",
    "address",
    "district",
    "amenities",
    "opening_hours",
    "phone",
    "status",
    "status_note",
    "reopens_on",
    "verified_at",
];

/// The first characters that make a spreadsheet read a cell as a formula.
pub const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

/// Whether `cell` needs the protecting apostrophe: it begins (after any apostrophes it already has) with a
/// formula character.
pub fn needs_apostrophe(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A text cell as written: with one more leading apostrophe when [`needs_apostrophe`].
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    if needs_apostrophe(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The UTF-8 byte-order mark: without it Excel reads the file as the local code page and garbles the Chinese
/// text. The importer skips it.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// Writes stations `from..from + n` (by position) as CSV rows into `out`, preceded by the BOM and the header when
/// `from` is 0, so that a large dataset can be streamed in pieces; `state_of` gives a station's state by
/// position (`None`: the default, written as empty cells, which an upload reads as "keep").
pub fn write_part<'a>(
    stations: &'a [Station],
    state_of: impl Fn(usize) -> Option<&'a StationState>,
    from: usize,
    n: usize,
    out: &mut Vec<u8>,
) {
    if from == 0 {
        out.extend_from_slice(BOM);
    }
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    if from == 0 {
        let _ = w.write_record(HEADER);
    }
    let end = (from + n).min(stations.len());
    let mut lon = ryu::Buffer::new();
    let mut lat = ryu::Buffer::new();
    for (i, s) in stations.iter().enumerate().take(end).skip(from) {
        let amenities: Vec<&str> = s.amenities.iter().map(|a| a.key()).collect();
        let st = state_of(i);
        let text = |v: Option<&'a str>| neutralised(v.unwrap_or(""));
        let record: [Cow<'_, str>; 15] = [
            neutralised(s.id()),
            neutralised(s.name()),
            Cow::Borrowed(lon.format(s.position.lon())),
            Cow::Borrowed(lat.format(s.position.lat())),
            Cow::Borrowed(s.kind.key()),
            Cow::Borrowed(s.host_type.key()),
            text(s.address()),
            text(s.district()),
            Cow::Owned(amenities.join(";")),
            text(s.opening_hours()),
            text(s.phone()),
            Cow::Borrowed(st.map_or("", |st| st.status.key())),
            text(st.and_then(|st| st.status_note.as_deref())),
            Cow::Owned(
                st.and_then(|st| st.reopens_on)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            Cow::Owned(
                st.and_then(|st| st.verified_at)
                    .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                    .unwrap_or_default(),
            ),
        ];
        // Writing into a Vec cannot fail.
        let _ = w.write_record(record.iter().map(|c| c.as_bytes()));
    }
    let _ = w.flush();
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::domain::{Amenities, HostType, Hours, Kind, Position, StationId, Status, Texts};
    use crate::geodesy::crs::Crs;
    use crate::import::{self, Format};

    fn station(id: &str, name: &str, address: Option<&str>, phone: Option<&str>) -> Station {
        Station::new(
            &StationId::parse(id).unwrap(),
            Texts {
                name,
                address,
                district: Some("朝阳区"),
                phone,
            },
            Kind::Station,
            HostType::Bank,
            Amenities::from_bits(0b1011),
            Some(Arc::new(
                Hours::parse("Mo-Fr 08:00-18:00; Sa 09:00-12:00").unwrap(),
            )),
            Position::new(116.397_128_1, 39.916_527_3).unwrap(),
        )
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_get_one_apostrophe() {
        for (cell, written) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+86 10 1234", "'+86 10 1234"),
            ("-x", "'-x"),
            ("@me", "'@me"),
            ("'=x", "''=x"),
            ("'s Hertogenbosch", "'s Hertogenbosch"),
            ("望京=驿站", "望京=驿站"),
            ("", ""),
        ] {
            assert_eq!(neutralised(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn an_upload_of_the_csv_gives_back_the_same_stations_and_state() {
        let names = [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-驿站",
            "@站",
            "'=已经有撇号",
            "'s Hertogenbosch",
            "逗号, \"引号\"",
            "两行\n名字",
            "普通驿站",
        ];
        let mut stations: Vec<Station> = names
            .iter()
            .enumerate()
            .map(|(i, n)| station(&format!("s{i}"), n, Some(n), Some("+86 10 6512 3456")))
            .collect();
        stations.push(station("-neg", "x", None, None));
        stations.sort_unstable_by(|a, b| a.id().cmp(b.id()));
        let state = StationState {
            status: Status::TemporarilyClosed,
            status_note: Some("-装修, 暂停".into()),
            reopens_on: "2026-12-10".parse().ok(),
            verified_at: chrono::DateTime::from_timestamp(1_700_000_000, 123_000_000),
        };
        let state_of = |i: usize| (i == 1).then_some(&state);
        let mut out = Vec::new();
        for from in (0..stations.len()).step_by(4) {
            write_part(&stations, state_of, from, 4, &mut out);
        }
        let parsed = import::parse(&out, Format::Csv, Crs::Wgs84, &HashMap::new())
            .unwrap_or_else(|e| panic!("{e:?}\n{}", String::from_utf8_lossy(&out)));
        assert_eq!(parsed.stations.len(), stations.len());
        for (a, b) in parsed.stations.iter().zip(&stations) {
            assert_eq!(a.id(), b.id());
            assert_eq!(a.name(), b.name());
            assert_eq!(a.address(), b.address());
            assert_eq!(a.phone(), b.phone());
            assert_eq!(a.opening_hours(), b.opening_hours());
            assert_eq!(a.amenities, b.amenities);
            assert_eq!(a.position.lon().to_bits(), b.position.lon().to_bits());
            assert_eq!(a.position.lat().to_bits(), b.position.lat().to_bits());
        }
        assert_eq!(parsed.states.len(), 1, "{:?}", parsed.states);
        let (id, patch) = &parsed.states[0];
        assert_eq!(id, stations[1].id());
        assert_eq!(StationState::default().patched(patch), state);
    }
}
