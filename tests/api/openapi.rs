//! The generated OpenAPI document: it lists exactly the router's routes, every `$ref` resolves, every operation
//! is complete, and the limits in it are the code's constants. (`tests/openapi/validate.sh` checks the served
//! document with an independent validator and live answers against it.)

use std::collections::BTreeSet;

use serde_json::Value;
use yizhan::api::extract::{
    DEFAULT_ALONG_DISTANCE_M, DEFAULT_ALONG_LIMIT, DEFAULT_K, DEFAULT_LIMIT, MAX_ALONG_DISTANCE_M,
    MAX_ALONG_LIMIT, MAX_K, MAX_LIMIT,
};
use yizhan::api::openapi::spec;
use yizhan::api::ROUTES;
use yizhan::domain::{Amenity, Hours, StationId};

use crate::helpers::spawn_app;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn operations(spec: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_path_is_routed() {
    let ops = operations(&spec());
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = routes.difference(&ops).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the spec: {missing:?}"
    );
    let extra: Vec<_> = ops.difference(&routes).collect();
    assert!(
        extra.is_empty(),
        "spec operations that are not routed: {extra:?}"
    );
}

/// Each of `ROUTES` reaches a handler: never the router's 405, and never its 404 ("no such resource").
#[tokio::test]
async fn every_route_is_routed() {
    let app = spawn_app(None).await;
    let client = reqwest::Client::new();
    for (method, path) in ROUTES {
        let url = app.url(&path.replace("{id}", "no-such-station"));
        let r = client
            .request(method.parse().unwrap(), url)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_ne!(status, 405, "{method} {path}: {body}");
        assert!(
            !body.contains("no such resource"),
            "{method} {path}: {status} {body}"
        );
    }
}

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(s)) => out.push(s),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[test]
fn every_ref_resolves() {
    let spec = spec();
    let mut all = Vec::new();
    refs(&spec, &mut all);
    assert!(all.len() > 50, "suspiciously few $refs: {}", all.len());
    for r in all {
        let ptr = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("non-local $ref {r}"));
        assert!(spec.pointer(ptr).is_some(), "unresolved $ref {r}");
    }
}

#[test]
fn operations_are_complete() {
    let spec = spec();
    let mut ids = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let id = op["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            assert!(op["summary"].is_string(), "{m} {path}: summary");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{m} {path}: tags"
            );
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|c| c.starts_with('2')),
                "{m} {path}: no success response"
            );
            // Every `{name}` in the template is declared as a path parameter.
            let declared = op["parameters"].as_array().cloned().unwrap_or_default();
            for seg in path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    declared
                        .iter()
                        .any(|p| p["in"] == "path" && p["name"] == name),
                    "{m} {path}: path parameter {name} not declared"
                );
            }
            // Admin routes say so; and only they (not the public dataset download) carry 401/403.
            let secured = op.get("security").is_some();
            assert_eq!(
                secured,
                responses.contains_key("401"),
                "{m} {path}: security and 401 disagree"
            );
            // A public operation may still refuse (a wrong confirmation key is 403), but never as "admin disabled".
            match responses.get("403") {
                None => assert!(!secured, "{m} {path}: 403"),
                Some(r) if !secured => assert_ne!(
                    r["$ref"], "#/components/responses/AdminDisabled",
                    "{m} {path}: a public operation answers admin-disabled"
                ),
                Some(_) => {}
            }
            if secured {
                assert_eq!(op["security"][0]["bearerAuth"], serde_json::json!([]));
            }
        }
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
}

/// The schema of query parameter `name` of `GET path`.
fn param<'a>(spec: &'a Value, path: &str, name: &str) -> &'a Value {
    let ps = spec["paths"][path]["get"]["parameters"].as_array().unwrap();
    let p = ps.iter().find(|p| p["name"] == name);
    &p.unwrap_or_else(|| panic!("{path}: no parameter {name}"))["schema"]
}

#[test]
fn constants_come_from_the_code() {
    let spec = spec();
    let k = param(&spec, "/api/v1/stations/nearest", "k");
    assert_eq!(
        (&k["maximum"], &k["default"]),
        (&MAX_K.into(), &DEFAULT_K.into())
    );
    let limit = param(&spec, "/api/v1/stations", "limit");
    assert_eq!(limit["maximum"], MAX_LIMIT);
    assert_eq!(limit["default"], DEFAULT_LIMIT);
    let along = "/api/v1/stations/along";
    assert_eq!(param(&spec, along, "limit")["maximum"], MAX_ALONG_LIMIT);
    assert_eq!(param(&spec, along, "limit")["default"], DEFAULT_ALONG_LIMIT);
    let d = param(&spec, along, "max_distance_m");
    assert_eq!(d["maximum"], MAX_ALONG_DISTANCE_M);
    assert_eq!(d["default"], DEFAULT_ALONG_DISTANCE_M);
    let q = param(&spec, "/api/v1/stations", "q");
    assert_eq!(q["maxLength"], yizhan::api::params::MAX_Q_CHARS);

    let s = &spec["components"]["schemas"];
    assert_eq!(
        s["AmenityKey"]["enum"].as_array().unwrap().len(),
        Amenity::ALL.len()
    );
    assert_eq!(s["Reason"]["enum"][0], "closed");
    assert_eq!(s["Reason"]["enum"].as_array().unwrap().len(), 6);
    assert_eq!(s["StationId"]["maxLength"], StationId::MAX_LEN);
    assert_eq!(
        s["Comment"]["maxLength"],
        yizhan::store::reports::MAX_COMMENT_CHARS
    );
    // opening_hours is limited in bytes (`Hours::parse`), which JSON Schema's maxLength (characters) cannot say.
    let hours = s["UploadHours"]["description"].as_str().unwrap();
    assert!(
        hours.contains(&format!("{} bytes", Hours::MAX_BYTES)),
        "{hours}"
    );
    assert!(s["UploadHours"].get("maxLength").is_none());

    let description = spec["info"]["description"].as_str().unwrap();
    assert!(
        description.starts_with("驿站 (yizhan) locates"),
        "{description:.40}"
    );
    assert!(description.contains("## Decisions where the contract is silent"));
    assert!(description.contains(&format!(
        "`opening_hours` at most\n  {} bytes",
        Hours::MAX_BYTES
    )));
    assert!(
        !description.contains("{{"),
        "a placeholder was not filled in"
    );
    assert_eq!(spec["openapi"], "3.1.0");
}
