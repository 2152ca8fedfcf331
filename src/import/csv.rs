//! CSV files with the contract's header → drafts.

use super::rules::{Draft, StateDraft};
use super::ImportError;

/// The header of the contract, in order. Columns may come in any order; extra columns are ignored.
pub const HEADER: [&str; 11] = [
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
];
const REQUIRED: [&str; 4] = ["id", "name", "lon", "lat"];

/// Separators accepted inside the amenities field: the contract's `;`, and the full-width and enumeration
/// marks that Chinese spreadsheets produce.
const AMENITY_SEPARATORS: [char; 3] = [';', '；', '、'];

/// The first characters that make a spreadsheet run a cell as a formula: the CSV download (`wire::csv`) writes a
/// text cell that begins with one of them with a leading apostrophe, which is removed here.
const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

/// A cell without the apostrophe that protects it in a spreadsheet: exactly one leading `'` is removed when
/// what follows it (after any further apostrophes) begins with `=`, `+`, `-` or `@`. So `'=SUM(A1)` reads as
/// `=SUM(A1)` and `''=x` as `'=x`, while `'s Hertogenbosch` keeps its apostrophe. Not applied to lon and lat.
fn unprotected(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

fn number(s: &str, what: &str) -> Result<f64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(format!("{what} is empty"));
    }
    t.parse::<f64>()
        .map_err(|_| format!("{what} {t:?} is not a number"))
}

pub fn drafts(bytes: &[u8]) -> Result<Vec<Draft>, ImportError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(ImportError::Syntax {
            message: "the CSV file is not UTF-8; save it as \"CSV UTF-8\"".into(),
            line: None,
            column: None,
        });
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let (cols, width) = columns(&mut rdr)?;
    let state_cols = state_columns(&mut rdr);
    let mut out = Vec::new();
    for (index, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| ImportError::Syntax {
            message: format!("malformed CSV: {e}"),
            line: e.position().map(|p| p.line()),
            column: None,
        })?;
        let mut d = draft(index, &rec, &cols, width);
        // An empty cell keeps what the station has: a spreadsheet cannot tell "empty" from "not given".
        for (field, col) in StateDraft::FIELDS.iter().zip(&state_cols) {
            if let Some(v) = col
                .and_then(|c| rec.get(c))
                .map(unprotected)
                .filter(|v| !v.trim().is_empty())
            {
                d.state.set(field, Some(v.to_owned()));
            }
        }
        out.push(d);
    }
    Ok(out)
}

/// Where each column of [`HEADER`] is in this file (any order, case-insensitive), and how many columns the
/// header has; an error when a required column is missing.
fn columns(rdr: &mut csv::Reader<&[u8]>) -> Result<(Vec<Option<usize>>, usize), ImportError> {
    let headers = rdr
        .headers()
        .map_err(|e| ImportError::Syntax {
            message: format!("cannot read the CSV header: {e}"),
            line: Some(1),
            column: None,
        })?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| col(c).is_none())
        .collect();
    if headers.is_empty() || !missing.is_empty() {
        return Err(ImportError::Shape(format!(
            "the CSV header lacks {}; expected the header {}",
            missing.join(", "),
            HEADER.join(",")
        )));
    }
    Ok((HEADER.iter().map(|h| col(h)).collect(), headers.len()))
}

/// Where the optional state columns (`status,status_note,reopens_on,verified_at`) are, if present.
fn state_columns(rdr: &mut csv::Reader<&[u8]>) -> Vec<Option<usize>> {
    let headers = rdr.headers().cloned().unwrap_or_default();
    StateDraft::FIELDS
        .iter()
        .map(|f| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(f))
        })
        .collect()
}

/// One data row as a draft; `width` is the header's number of columns.
fn draft(index: usize, rec: &csv::StringRecord, cols: &[Option<usize>], width: usize) -> Draft {
    let line = rec.position().map(|p| p.line());
    let get = |i: usize| {
        cols[i]
            .and_then(|c| rec.get(c))
            .map(|v| if i == 2 || i == 3 { v } else { unprotected(v) })
            .map(str::to_owned)
            .filter(|s| !s.trim().is_empty())
    };
    let mut d = Draft {
        index,
        line,
        ..Draft::default()
    };
    if rec.len() < width {
        d.errors.push((
            "row",
            format!("row has {} field(s), the header has {}", rec.len(), width),
        ));
    } else if rec.len() > width {
        d.errors.push((
            "row",
            format!(
                "row has {} field(s), the header has {}: quote a field that contains a comma (\"a, b\")",
                rec.len(),
                width
            ),
        ));
    }
    d.id = get(0);
    d.name = get(1);
    d.coords = match (get(2), get(3)) {
        (None, None) => None,
        (lon, lat) => Some(
            number(lon.as_deref().unwrap_or(""), "lon")
                .and_then(|x| number(lat.as_deref().unwrap_or(""), "lat").map(|y| (x, y))),
        ),
    };
    d.kind = get(4);
    d.host_type = get(5);
    d.address = get(6);
    d.district = get(7);
    d.amenities = get(8)
        .map(|a| a.split(AMENITY_SEPARATORS).map(str::to_owned).collect())
        .unwrap_or_default();
    d.opening_hours = get(9);
    d.phone = get(10);
    d
}
