//! Which stations a writer may touch (a district admin's token: only its districts'), and how an upload
//! combines with what is there under that rule.
//!
//! The rule is checked under the write lock against the dataset in force, so what was checked is what is
//! changed. A station's district is its `district` property; a station without one belongs to no district
//! token. A district token's `PUT` replaces its districts' stations only: every other station is carried over
//! as it was (the same `Station` value, so its stored bytes are identical).

use std::collections::BTreeMap;

use crate::domain::Station;
use crate::snapshot::Snapshot;

use super::{LiveError, Mode, Upload};

/// Whose stations a change may touch.
#[derive(Debug, Clone, Copy, Default)]
pub enum Scope<'a> {
    /// Every station: the full admin token, or a token for all districts.
    #[default]
    All,
    /// Only stations whose `district` is one of these.
    Districts(&'a [String]),
}

impl Scope<'_> {
    pub fn allows(&self, district: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Districts(ds) => district.is_some_and(|d| ds.iter().any(|x| x == d)),
        }
    }

    fn names(&self) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Districts(ds) => ds.join(", "),
        }
    }
}

/// One row or station a change may not touch, with the district that puts it out of scope.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutOfScope {
    /// The row's 0-based position in the upload (0 for a PATCH or DELETE: the one station).
    pub index: usize,
    pub id: String,
    /// Always `district`: the field that puts the row out of scope (the shape of an upload's row errors).
    pub field: &'static str,
    /// The district that is not the token's (`null`: the station has none).
    pub district: Option<String>,
    pub message: String,
}

/// What a change did to the dataset, for the audit log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
}

fn refusal(
    scope: &Scope<'_>,
    index: usize,
    id: &str,
    district: Option<&str>,
    existing: bool,
) -> OutOfScope {
    let message = match (district, existing) {
        (Some(d), false) => format!(
            "station {id} is in {d}, outside this token's districts ({})",
            scope.names()
        ),
        (Some(d), true) => format!(
            "station {id} already exists in {d}, outside this token's districts ({})",
            scope.names()
        ),
        (None, _) => format!(
            "station {id} has no district; this token may only change stations of {}",
            scope.names()
        ),
    };
    OutOfScope {
        index,
        id: id.to_owned(),
        field: "district",
        district: district.map(str::to_owned),
        message,
    }
}

/// Every uploaded row outside `scope`: by its own district, or because the station it would replace is
/// another district's.
pub fn check_upload(
    scope: &Scope<'_>,
    base: &Snapshot,
    uploaded: &[Station],
) -> Result<(), LiveError> {
    if matches!(scope, Scope::All) {
        return Ok(());
    }
    let mut out = Vec::new();
    for (i, s) in uploaded.iter().enumerate() {
        if !scope.allows(s.district()) {
            out.push(refusal(scope, i, s.id(), s.district(), false));
        } else if let Some(old) = base.get(s.id()).filter(|o| !scope.allows(o.district())) {
            out.push(refusal(scope, i, s.id(), old.district(), true));
        }
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(LiveError::OutOfScope(out))
    }
}

/// A district `PUT` with no rows would empty its districts: like an upload that empties the dataset, only with
/// `?allow_empty=true`.
pub fn check_not_emptied(u: &Upload<'_>, no_rows: bool) -> Result<(), LiveError> {
    match u.scope {
        Scope::Districts(ds) if no_rows && u.mode == Mode::Replace && !u.allow_empty => {
            Err(LiveError::EmptyDistricts(ds.join(", ")))
        }
        _ => Ok(()),
    }
}

/// A change of one station (`before` → `after`; `None` after for a removal) inside `scope`, or why not.
pub fn check_station(
    scope: &Scope<'_>,
    before: &Station,
    after: Option<&Station>,
) -> Result<(), LiveError> {
    if !scope.allows(before.district()) {
        return Err(LiveError::OutOfScope(vec![refusal(
            scope,
            0,
            before.id(),
            before.district(),
            true,
        )]));
    }
    match after.filter(|a| !scope.allows(a.district())) {
        Some(a) => Err(LiveError::OutOfScope(vec![refusal(
            scope,
            0,
            a.id(),
            a.district(),
            false,
        )])),
        None => Ok(()),
    }
}

/// The stations after an upload (checked by [`check_upload`]) and what it did: `Replace` in a district scope
/// replaces that scope's stations and keeps every other one.
pub fn combine(
    mode: Mode,
    scope: &Scope<'_>,
    base: &Snapshot,
    uploaded: Vec<Station>,
) -> (Vec<Station>, Counts) {
    let updated = uploaded
        .iter()
        .filter(|s| base.get(s.id()).is_some())
        .count();
    let added = uploaded.len() - updated;
    match mode {
        Mode::Replace => {
            let kept: Vec<Station> = base
                .stations()
                .iter()
                .filter(|s| !scope.allows(s.district()))
                .cloned()
                .collect();
            let removed = base.len() - kept.len() - updated;
            let mut all = kept;
            all.extend(uploaded);
            let counts = Counts {
                added,
                updated,
                removed,
            };
            (all, counts)
        }
        Mode::Upsert => {
            let mut by_id: BTreeMap<_, _> = base
                .stations()
                .iter()
                .map(|s| (s.id().to_owned(), s.clone()))
                .collect();
            for s in uploaded {
                by_id.insert(s.id().to_owned(), s);
            }
            let counts = Counts {
                added,
                updated,
                removed: 0,
            };
            (by_id.into_values().collect(), counts)
        }
    }
}
