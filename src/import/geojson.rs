//! GeoJSON FeatureCollections → drafts.

use serde_json::{Map, Value};

use super::validate::Draft;
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
    d.id = match obj
        .get("id")
        .or_else(|| obj.get("properties").and_then(|p| p.get("id")))
    {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Some(other) => {
            d.errors.push((
                "id",
                format!(
                    "id must be a string or an integer, got {}",
                    type_name(other)
                ),
            ));
            None
        }
    };
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
    match props.get("amenities") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => d.amenities.push(s.clone()),
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
    d
}

pub fn drafts(bytes: &[u8]) -> Result<Vec<Draft>, ImportError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let v: Value = serde_json::from_slice(bytes).map_err(|e| ImportError::Syntax {
        message: format!("the body is not valid JSON: {e}"),
        line: Some(e.line() as u64),
        column: Some(e.column() as u64),
    })?;
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
