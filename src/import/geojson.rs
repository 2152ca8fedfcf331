//! GeoJSON FeatureCollections → drafts.
//!
//! Two paths: a typed, borrowing fast path that reads a well-formed feature without building a JSON tree (a
//! million-station file would otherwise take gigabytes as `serde_json::Value`s), and a slow path over
//! `Value` for any feature that does not fit it, which finds the precise message for each wrong field.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::rules::{Draft, StateDraft};
use super::ImportError;

fn string_prop(
    props: &Map<String, Value>,
    key: &'static str,
    errs: &mut Vec<(&'static str, String)>,
) -> Option<String> {
    match props.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) if matches!(key, "phone" | "name" | "address") => {
            Some(n.to_string())
        }
        Some(other) => {
            errs.push((
                key,
                format!("{key} must be a string, got {}", type_name(other)),
            ));
            None
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn coords(geometry: Option<&Value>) -> Option<Result<(f64, f64), String>> {
    let g = match geometry {
        None | Some(Value::Null) => return None,
        Some(g) => g,
    };
    if let Some(t) = g.get("type").and_then(Value::as_str) {
        if t != "Point" {
            return Some(Err(format!("geometry must be a Point, got a {t}")));
        }
    }
    Some(match geojson::Geometry::from_json_value(g.clone()) {
        Err(e) => Err(format!("invalid Point geometry: {e}")),
        Ok(geom) => match geom.value {
            geojson::Value::Point(p) if p.len() >= 2 => Ok((p[0], p[1])),
            geojson::Value::Point(p) => Err(format!(
                "a Point needs [lon, lat], got {} number(s)",
                p.len()
            )),
            _ => Err("geometry must be a Point".into()),
        },
    })
}

/// The feature's `id`, or the `id` property: a string or an integer, kept as text.
fn feature_id(obj: &Map<String, Value>, errs: &mut Vec<(&'static str, String)>) -> Option<String> {
    match obj
        .get("id")
        .or_else(|| obj.get("properties").and_then(|p| p.get("id")))
    {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Some(other) => {
            errs.push((
                "id",
                format!(
                    "id must be a string or an integer, got {}",
                    type_name(other)
                ),
            ));
            None
        }
    }
}

/// The `amenities` property: an array of strings (validated as keys later).
fn amenities(props: &Map<String, Value>, errs: &mut Vec<(&'static str, String)>) -> Vec<String> {
    let mut out = Vec::new();
    match props.get("amenities") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => out.push(s.clone()),
                    other => errs.push((
                        "amenities",
                        format!("amenities must be strings, got {}", type_name(other)),
                    )),
                }
            }
        }
        Some(Value::String(_)) => errs.push((
            "amenities",
            "amenities must be a JSON array of keys, e.g. [\"water\", \"charging\"]".into(),
        )),
        Some(other) => errs.push((
            "amenities",
            format!("amenities must be an array, got {}", type_name(other)),
        )),
    }
    out
}

fn draft(index: usize, f: &Value) -> Draft {
    let mut d = Draft {
        index,
        ..Draft::default()
    };
    let Some(obj) = f.as_object() else {
        d.errors.push((
            "feature",
            format!(
                "each feature must be a GeoJSON Feature object, got {}",
                type_name(f)
            ),
        ));
        return d;
    };
    if obj.get("type").and_then(Value::as_str) != Some("Feature") {
        d.errors
            .push(("type", "each feature needs \"type\": \"Feature\"".into()));
    }
    d.id = feature_id(obj, &mut d.errors);
    d.coords = coords(obj.get("geometry"));
    let empty = Map::new();
    let props = match obj.get("properties") {
        Some(Value::Object(p)) => p,
        None | Some(Value::Null) => {
            d.errors.push((
                "properties",
                "properties are missing; at least a name is required".into(),
            ));
            &empty
        }
        Some(other) => {
            d.errors.push((
                "properties",
                format!("properties must be an object, got {}", type_name(other)),
            ));
            &empty
        }
    };
    let errs = &mut d.errors;
    d.name = string_prop(props, "name", errs);
    d.kind = string_prop(props, "kind", errs);
    d.host_type = string_prop(props, "host_type", errs);
    d.address = string_prop(props, "address", errs);
    d.district = string_prop(props, "district", errs);
    d.phone = string_prop(props, "phone", errs);
    d.opening_hours = string_prop(props, "opening_hours", errs);
    d.amenities = amenities(props, errs);
    for field in StateDraft::FIELDS {
        match props.get(field) {
            None => {}
            Some(Value::Null) => d.state.set(field, None),
            Some(Value::String(s)) => d.state.set(field, Some(s.clone())),
            Some(other) => errs.push((
                field,
                format!("{field} must be a string or null, got {}", type_name(other)),
            )),
        }
    }
    d
}

/// A property that may be absent (keep), null (clear) or a string (set).
fn given_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct RawCollection<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct FastPoint<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    coordinates: Vec<f64>,
}

#[derive(Deserialize)]
struct FastProps<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    host_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    address: Option<Cow<'a, str>>,
    #[serde(borrow)]
    district: Option<Cow<'a, str>>,
    #[serde(borrow)]
    phone: Option<Cow<'a, str>>,
    #[serde(borrow)]
    opening_hours: Option<Cow<'a, str>>,
    #[serde(borrow)]
    amenities: Option<Vec<Cow<'a, str>>>,
    #[serde(default, deserialize_with = "given_or_null")]
    status: Option<Option<String>>,
    #[serde(default, deserialize_with = "given_or_null")]
    status_note: Option<Option<String>>,
    #[serde(default, deserialize_with = "given_or_null")]
    reopens_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "given_or_null")]
    verified_at: Option<Option<String>>,
}

#[derive(Deserialize)]
struct FastFeature<'a> {
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(borrow)]
    id: &'a RawValue,
    #[serde(borrow)]
    geometry: FastPoint<'a>,
    #[serde(borrow)]
    properties: FastProps<'a>,
}

/// The fast path: `None` when the feature is anything but the plain, well-typed shape.
fn fast_draft(index: usize, raw: &RawValue) -> Option<Draft> {
    let f: FastFeature = serde_json::from_str(raw.get()).ok()?;
    if f.ty != "Feature" || f.geometry.ty != "Point" || f.geometry.coordinates.len() < 2 {
        return None;
    }
    let id = match serde_json::from_str::<Cow<str>>(f.id.get()) {
        Ok(s) => s.into_owned(),
        Err(_) => match (
            serde_json::from_str::<i64>(f.id.get()),
            serde_json::from_str::<u64>(f.id.get()),
        ) {
            (Ok(n), _) => n.to_string(),
            (_, Ok(n)) => n.to_string(),
            _ => return None,
        },
    };
    let p = f.properties;
    let own = |c: Option<Cow<str>>| c.map(Cow::into_owned);
    Some(Draft {
        index,
        line: None,
        id: Some(id),
        coords: Some(Ok((f.geometry.coordinates[0], f.geometry.coordinates[1]))),
        name: own(p.name),
        kind: own(p.kind),
        host_type: own(p.host_type),
        address: own(p.address),
        district: own(p.district),
        phone: own(p.phone),
        amenities: p
            .amenities
            .unwrap_or_default()
            .into_iter()
            .map(Cow::into_owned)
            .collect(),
        opening_hours: own(p.opening_hours),
        state: StateDraft {
            status: p.status,
            status_note: p.status_note,
            reopens_on: p.reopens_on,
            verified_at: p.verified_at,
        },
        errors: Vec::new(),
    })
}

/// The id of a feature that cannot be read as a whole, for the error report.
fn id_of(raw: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct IdOnly<'a> {
        #[serde(borrow)]
        id: Option<&'a RawValue>,
    }
    let id = serde_json::from_str::<IdOnly>(raw.get()).ok()?.id?;
    serde_json::from_str::<String>(id.get()).ok().or_else(|| {
        serde_json::from_str::<i64>(id.get())
            .ok()
            .map(|n| n.to_string())
    })
}

fn syntax(e: serde_json::Error) -> ImportError {
    ImportError::Syntax {
        message: format!("the body is not valid JSON: {e}"),
        line: Some(e.line() as u64),
        column: Some(e.column() as u64),
    }
}

/// The features as drafts, made one at a time as validation asks for them, so that a million-feature upload
/// never holds a million drafts at once.
pub fn drafts<'a>(
    bytes: &'a [u8],
) -> Result<Box<dyn ExactSizeIterator<Item = Draft> + 'a>, ImportError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    match serde_json::from_slice::<RawCollection>(bytes) {
        Ok(fc) if fc.ty == "FeatureCollection" => {
            return Ok(Box::new(fc.features.into_iter().enumerate().map(
                |(i, raw)| {
                    fast_draft(i, raw).unwrap_or_else(|| {
                        match serde_json::from_str::<Value>(raw.get()) {
                            Ok(v) => draft(i, &v),
                            // Well-formed but unreadable, e.g. a number out of range: one error, with the id if any.
                            Err(e) => Draft {
                                index: i,
                                id: id_of(raw),
                                errors: vec![(
                                    "feature",
                                    format!("the feature cannot be read: {e}"),
                                )],
                                ..Draft::default()
                            },
                        }
                    })
                },
            )));
        }
        Ok(_) => {}
        Err(e) if e.is_syntax() || e.is_eof() => return Err(syntax(e)),
        Err(_) => {}
    }
    Ok(Box::new(slow_drafts(bytes)?.into_iter()))
}

/// The whole document as a `Value`, for documents that are not the plain shape: finds the exact message.
fn slow_drafts(bytes: &[u8]) -> Result<Vec<Draft>, ImportError> {
    let v: Value = serde_json::from_slice(bytes).map_err(syntax)?;
    let Value::Object(mut root) = v else {
        return Err(ImportError::Shape(format!(
            "expected a GeoJSON FeatureCollection object, got {}",
            type_name(&v)
        )));
    };
    match root.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {}
        Some(other) => {
            return Err(ImportError::Shape(format!(
                "expected a GeoJSON FeatureCollection, got a {other}; wrap features in {{\"type\":\"FeatureCollection\",\"features\":[…]}}"
            )))
        }
        None => return Err(ImportError::Shape("expected \"type\": \"FeatureCollection\" at the top level".into())),
    }
    let Some(Value::Array(features)) = root.remove("features") else {
        return Err(ImportError::Shape(
            "a FeatureCollection needs a \"features\" array".into(),
        ));
    };
    Ok(features
        .iter()
        .enumerate()
        .map(|(i, f)| draft(i, f))
        .collect())
}
