//! The OpenAPI 3.1 description of the API.

use axum::response::{IntoResponse, Response};
use axum::Json;

/// The spec as JSON.
pub fn spec() -> serde_json::Value {
    let mut paths = serde_json::Map::new();
    for (method, path) in super::ROUTES {
        let entry = paths
            .entry(path.to_string())
            .or_insert_with(|| serde_json::json!({}));
        entry[method.to_ascii_lowercase()] =
            serde_json::json!({"responses": {"200": {"description": "OK"}}});
    }
    serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "yizhan", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
    })
}

pub async fn endpoint() -> Response {
    Json(spec()).into_response()
}
