//! The rules every uploaded row must pass, shared by GeoJSON and CSV.

use std::collections::HashMap;
use std::sync::Arc;

use super::{ImportError, Parsed, RowError};
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{
    Amenities, Amenity, HostType, Hours, Kind, Position, StatePatch, Station, StationId, Status,
    Texts,
};
use crate::geodesy::crs::{out_of_china, Crs};
use crate::geodesy::sphere::haversine_m;

/// Longest accepted free-text field, in characters: generous for any real address, small enough that a
/// million stations stay compact.
pub const MAX_TEXT_CHARS: usize = 500;
/// Two stations closer than this are probably one station entered twice.
const NEAR_DUPLICATE_M: f64 = 1.0;
/// Remarks listed one by one before they are summarised.
const MAX_LISTED: usize = 20;

/// One row as read from the file, before any rule is applied. Format readers fill in what they found and
/// record in `errors` what they could not even read (a string where a number belongs, say).
#[derive(Debug, Default, Clone)]
pub struct Draft {
    pub index: usize,
    pub line: Option<u64>,
    pub id: Option<String>,
    /// `[lon, lat]` in the upload's crs, or why there is none.
    pub coords: Option<Result<(f64, f64), String>>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub host_type: Option<String>,
    pub address: Option<String>,
    pub district: Option<String>,
    pub phone: Option<String>,
    pub amenities: Vec<String>,
    pub opening_hours: Option<String>,
    pub state: StateDraft,
    pub errors: Vec<(&'static str, String)>,
}

/// The state fields of a row, as given: `None` not given (keep what the station has), `Some(None)` given
/// empty/null (clear it), `Some(Some(v))` set.
#[derive(Debug, Default, Clone)]
pub struct StateDraft {
    pub status: Option<Option<String>>,
    pub status_note: Option<Option<String>>,
    pub reopens_on: Option<Option<String>>,
    pub verified_at: Option<Option<String>>,
}

impl StateDraft {
    /// The field names, in the order of the CSV columns that may follow `phone`.
    pub const FIELDS: [&'static str; 4] = ["status", "status_note", "reopens_on", "verified_at"];

    pub fn set(&mut self, field: &str, v: Option<String>) {
        let slot = match field {
            "status" => &mut self.status,
            "status_note" => &mut self.status_note,
            "reopens_on" => &mut self.reopens_on,
            "verified_at" => &mut self.verified_at,
            _ => return,
        };
        *slot = Some(v);
    }
}

/// A confirmation time this far ahead of the server's clock is a mistake (a wrong year, a wrong zone).
const MAX_CLOCK_SKEW_MINUTES: i64 = 10;

/// The state fields of a row → a patch, or the problems with them.
fn state(d: StateDraft, hygiene: Hygiene, errs: &mut Errs) -> StatePatch {
    let mut p = StatePatch::default();
    if let Some(v) = d.status {
        p.status = match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(s) => Status::parse(s)
                .map_err(|e| errs.push(("status", e)))
                .ok()
                .map(Some),
        };
    }
    if let Some(v) = d.status_note {
        p.status_note = Some(text(v, "status_note", hygiene, errs).map(String::from));
    }
    if let Some(v) = d.reopens_on {
        p.reopens_on = match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(s) => parse_day(s)
                .map_err(|e| errs.push(("reopens_on", e)))
                .ok()
                .map(Some),
        };
    }
    if let Some(v) = d.verified_at {
        p.verified_at = match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(s) => parse_verified_at(s)
                .map_err(|e| errs.push(("verified_at", e)))
                .ok()
                .map(Some),
        };
    }
    p
}

/// A `reopens_on` day: `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
        .ok_or_else(|| format!("reopens_on must be a date YYYY-MM-DD, got {s:?}"))
}

fn parse_verified_at(s: &str) -> Result<DateTime<Utc>, String> {
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|_| {
            format!(
                "verified_at must be an RFC 3339 time such as 2026-12-01T09:30:00+08:00, got {s:?}"
            )
        })?
        .with_timezone(&Utc);
    if t > Utc::now() + chrono::TimeDelta::minutes(MAX_CLOCK_SKEW_MINUTES) {
        return Err(format!("verified_at {s:?} is in the future"));
    }
    Ok(t)
}

/// Validates a note given outside an upload (a host's confirmation, a PATCH): the rules of an upload's text.
pub fn status_note(v: Option<String>) -> Result<Option<String>, String> {
    let mut errs = Vec::new();
    let t = text(v, "status_note", Hygiene::Upload, &mut errs);
    match errs.pop() {
        Some((_, e)) => Err(e),
        None => Ok(t.map(String::from)),
    }
}

/// Whether the input-hygiene rules of issue 19 apply (ids that are path words, invisible names, bidi controls,
/// phone syntax): always to uploads, never to datasets stored before them, which must still load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hygiene {
    Upload,
    Stored,
}

fn text(
    v: Option<String>,
    field: &'static str,
    hygiene: Hygiene,
    errs: &mut Vec<(&'static str, String)>,
) -> Option<Box<str>> {
    let t = v?.trim().to_owned();
    if t.is_empty() {
        return None;
    }
    if t.chars().count() > MAX_TEXT_CHARS {
        errs.push((
            field,
            format!("{field} is longer than {MAX_TEXT_CHARS} characters"),
        ));
        return None;
    }
    if hygiene == Hygiene::Stored {
        return Some(t.into());
    }
    if let Some(c) = t.chars().find(|&c| is_bidi_control(c)) {
        errs.push((
            field,
            format!(
                "{field} contains the bidirectional control character U+{:04X}, which can make text display misleadingly; remove it",
                c as u32
            ),
        ));
        return None;
    }
    if field == "name" && !t.chars().any(|c| !is_invisible(c)) {
        errs.push((
            field,
            "name has no visible character (only spaces or zero-width characters)".into(),
        ));
        return None;
    }
    if field == "phone" {
        if let Err(e) = phone(&t) {
            errs.push((field, e));
            return None;
        }
    }
    Some(t.into())
}

/// The explicit bidirectional formatting characters (embeddings, overrides, isolates, marks).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that draw nothing: white space, controls, zero-width and other format characters, fillers.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206A}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
        )
}

/// Separators between several phone numbers in one field.
const PHONE_SEPARATORS: [char; 6] = ['/', ',', ';', '、', '，', '；'];

/// One or more phone numbers: digits, spaces, `+ - ( )`, each with an optional extension (`ext. 12`, `转12`,
/// `x12`, `分机12`), separated by `/ , ; 、`.
fn phone(p: &str) -> Result<(), String> {
    let bad = |why: &str| {
        format!(
            "phone {p:?} {why}: use digits, spaces, + - ( ), an extension like \"ext. 12\", \"转12\" or \"x12\", and separate several numbers with / , ; or 、"
        )
    };
    for part in p.split(PHONE_SEPARATORS).map(str::trim) {
        if part.is_empty() {
            return Err(bad("has an empty number between separators"));
        }
        let (number, ext) = split_extension(part);
        if let Some(ext) = ext {
            if ext.is_empty() || ext.len() > 8 || !ext.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(&format!("has a bad extension in {part:?}")));
            }
        }
        let number = number.trim();
        let ok_chars = number
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || " -()".contains(c) || (c == '+' && i == 0));
        let digits = number.bytes().filter(u8::is_ascii_digit).count();
        if !ok_chars {
            return Err(bad(&format!("has an unexpected character in {part:?}")));
        }
        if !(3..=20).contains(&digits) {
            return Err(bad(&format!(
                "has {digits} digit(s) in {part:?}, 3 to 20 expected"
            )));
        }
    }
    Ok(())
}

/// A number and its extension, if it has one (`ext.`, `ext`, `x`, `转`, `分机`, case-insensitive).
fn split_extension(part: &str) -> (&str, Option<&str>) {
    let lower = part.to_ascii_lowercase();
    for mark in ["ext.", "ext", "分机", "转", "x"] {
        if let Some(i) = lower.find(mark) {
            return (&part[..i], Some(part[i + mark.len()..].trim()));
        }
    }
    (part, None)
}

/// A row's problems so far, as `(field, message)`.
type Errs = Vec<(&'static str, String)>;

fn id(raw: Option<&str>, hygiene: Hygiene, errs: &mut Errs) -> Option<StationId> {
    let parse = match hygiene {
        Hygiene::Upload => StationId::parse,
        Hygiene::Stored => StationId::parse_stored,
    };
    match raw.map(parse) {
        None => {
            if !errs.iter().any(|(f, _)| *f == "id") {
                errs.push((
                    "id",
                    "id is missing; every station needs a unique id".into(),
                ));
            }
            None
        }
        Some(Err(e)) => {
            errs.push(("id", e));
            None
        }
        Some(Ok(id)) => Some(id),
    }
}

/// The position in WGS-84: checked as given, then converted from `crs` and checked again.
fn position(
    coords: Option<Result<(f64, f64), String>>,
    crs: Crs,
    errs: &mut Errs,
) -> Option<Position> {
    match coords {
        None => {
            errs.push((
                "geometry",
                "geometry is missing; a Point [lon, lat] is required".into(),
            ));
            None
        }
        Some(Err(e)) => {
            errs.push(("geometry", e));
            None
        }
        Some(Ok((lon, lat))) => match Position::new(lon, lat) {
            Err(e) => {
                errs.push(("geometry", e));
                None
            }
            Ok(_) => {
                let (x, y) = crs.to_wgs84(lon, lat);
                Position::new(x, y)
                    .map_err(|e| errs.push(("geometry", e)))
                    .ok()
            }
        },
    }
}

/// A present, non-blank value of a keyed field.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn amenities(raw: &[String], errs: &mut Errs) -> Amenities {
    let mut amenities = Amenities::default();
    for a in raw.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
        match Amenity::parse(a) {
            Ok(a) => amenities.insert(a),
            Err(e) => errs.push(("amenities", e)),
        }
    }
    amenities
}

/// The parsed hours, shared with every other row (and the live dataset) that has the same expression.
fn hours(
    raw: &Option<String>,
    known: &mut HashMap<String, Arc<Hours>>,
    errs: &mut Errs,
) -> Option<Arc<Hours>> {
    let raw = given(raw)?;
    if let Some(h) = known.get(raw) {
        return Some(h.clone());
    }
    match Hours::parse(raw) {
        Ok(h) => {
            let h = Arc::new(h);
            known.insert(raw.to_owned(), h.clone());
            Some(h)
        }
        Err(e) => {
            errs.push(("opening_hours", e));
            None
        }
    }
}

fn station(
    d: Draft,
    crs: Crs,
    hygiene: Hygiene,
    known_hours: &mut HashMap<String, Arc<Hours>>,
) -> Result<(Station, StatePatch), Errs> {
    // A feature that could not be read at all has one error saying so; listing every field as missing would mislead.
    if d.errors.iter().any(|(f, _)| *f == "feature") {
        return Err(d.errors);
    }
    let mut errs = d.errors;
    let id = id(d.id.as_deref(), hygiene, &mut errs);
    let position = position(d.coords, crs, &mut errs);
    let name = text(d.name, "name", hygiene, &mut errs);
    if name.is_none() && !errs.iter().any(|(f, _)| *f == "name") {
        errs.push(("name", "name is missing or empty".into()));
    }
    let kind = match given(&d.kind) {
        None => Some(Kind::Station),
        Some(k) => Kind::parse(k).map_err(|e| errs.push(("kind", e))).ok(),
    };
    let host_type = match given(&d.host_type) {
        None => Some(HostType::Other),
        Some(h) => HostType::parse(h)
            .map_err(|e| errs.push(("host_type", e)))
            .ok(),
    };
    let mut amenities = amenities(&d.amenities, &mut errs);
    let parsed_hours = hours(&d.opening_hours, known_hours, &mut errs);
    if parsed_hours.as_deref().is_some_and(Hours::always_open) {
        amenities = amenities.union(Amenities::ALWAYS_OPEN);
    }
    let address = text(d.address, "address", hygiene, &mut errs);
    let district = text(d.district, "district", hygiene, &mut errs);
    let phone = text(d.phone, "phone", hygiene, &mut errs);
    let state = state(d.state, hygiene, &mut errs);
    match (id, position, name, kind, host_type) {
        (Some(id), Some(position), Some(name), Some(kind), Some(host_type)) if errs.is_empty() => {
            let texts = Texts {
                name: &name,
                address: address.as_deref(),
                district: district.as_deref(),
                phone: phone.as_deref(),
            };
            let s = Station::new(
                &id,
                texts,
                kind,
                host_type,
                amenities,
                parsed_hours,
                position,
            );
            Ok((s, state))
        }
        _ => Err(errs),
    }
}

/// Validates every draft, collecting every problem, then checks ids across rows.
pub fn validate(
    drafts: impl ExactSizeIterator<Item = Draft>,
    crs: Crs,
    hygiene: Hygiene,
    known_hours: &HashMap<String, Arc<Hours>>,
) -> Result<Parsed, ImportError> {
    let mut hours = known_hours.clone();
    let mut errors = Vec::new();
    let mut stations = Vec::with_capacity(drafts.len());
    let mut states = Vec::new();
    let mut first_at: HashMap<String, usize> = HashMap::with_capacity(drafts.len());
    for d in drafts {
        let (index, line) = (d.index, d.line);
        let raw_id =
            d.id.as_deref()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty());
        let mut row_errors: Vec<(&'static str, String)> = Vec::new();
        if let Some(id) = &raw_id {
            if let Some(first) = first_at.get(id) {
                row_errors.push((
                    "id",
                    format!("duplicate id {id:?}: also used by the row at index {first}"),
                ));
            } else {
                first_at.insert(id.clone(), index);
            }
        }
        match station(d, crs, hygiene, &mut hours) {
            Ok((s, state)) if row_errors.is_empty() => {
                if !state.is_empty() {
                    states.push((s.id().to_owned(), state));
                }
                stations.push(s);
            }
            Ok(_) => {}
            Err(e) => row_errors.extend(e),
        }
        errors.extend(row_errors.into_iter().map(|(field, message)| RowError {
            index,
            line,
            id: raw_id.clone(),
            field: field.to_owned(),
            message,
        }));
    }
    if !errors.is_empty() {
        return Err(ImportError::Invalid(errors));
    }
    let warnings = warnings(&stations);
    Ok(Parsed {
        stations,
        warnings,
        states,
    })
}

/// Remarks that do not block an upload but that an admin should look at.
fn warnings(stations: &[Station]) -> Vec<String> {
    let mut out = Vec::new();
    let far: Vec<&str> = stations
        .iter()
        .filter(|s| out_of_china(s.position.lon(), s.position.lat()))
        .map(|s| s.id())
        .collect();
    if !far.is_empty() {
        out.push(format!(
            "{} station(s) lie outside mainland China (e.g. {}); check that the coordinates are [lon, lat] and the crs is right",
            far.len(),
            far.iter().take(5).map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
        ));
    }
    // Near-duplicates: a sweep in latitude order, comparing only rows within the band that 1 m of latitude spans.
    let band = NEAR_DUPLICATE_M / crate::geodesy::sphere::EARTH_RADIUS_M * 180.0
        / std::f64::consts::PI
        * 1.000_001;
    let mut order: Vec<usize> = (0..stations.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        stations[a]
            .position
            .lat()
            .total_cmp(&stations[b].position.lat())
    });
    let mut pairs = Vec::new();
    let mut count = 0usize;
    for (n, &i) in order.iter().enumerate() {
        let p = stations[i].position;
        // Bounded per row: a hostile file with every station on one parallel must not make this quadratic.
        for &j in order[n + 1..].iter().take(64) {
            let q = stations[j].position;
            if q.lat() - p.lat() > band {
                break;
            }
            if haversine_m(p.lon(), p.lat(), q.lon(), q.lat()) <= NEAR_DUPLICATE_M {
                count += 1;
                if pairs.len() < MAX_LISTED {
                    pairs.push(format!("{:?} and {:?}", stations[i].id(), stations[j].id()));
                }
            }
        }
    }
    if count > 0 {
        out.push(format!(
            "{count} pair(s) of stations are within {NEAR_DUPLICATE_M} m of each other (the same place entered twice?): {}{}",
            pairs.join("; "),
            if count > pairs.len() { "; …" } else { "" }
        ));
    }
    out
}
