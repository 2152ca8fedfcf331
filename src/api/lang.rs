//! Problem details in the client's language (`Accept-Language: zh` → Chinese `title`, `detail` and
//! `errors[].message`; English otherwise). One layer rewrites finished problem+json bodies through the
//! [`crate::i18n`] catalogue, so no handler or lower layer needs to know the language; successful responses pass
//! untouched (one header check).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use crate::i18n::{self, Lang};

/// Problem bodies are small; anything larger is passed on as it is.
const MAX_PROBLEM_BYTES: usize = 1 << 20;

pub async fn localize(req: Request, next: Next) -> Response {
    let lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::En, Lang::from_accept_language);
    let mut res = next.run(req).await;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return res;
    }
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept-Language"));
    if lang == Lang::En {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PROBLEM_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(mut v) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    translate(&mut v, lang);
    let out = serde_json::to_vec(&v).unwrap_or_else(|_| bytes.to_vec());
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("zh"));
    Response::from_parts(parts, Body::from(out))
}

/// The readable fields of a problem: `title`, `detail` and each `errors[].message`. Keys, `type` URIs,
/// parameter and field names stay as they are.
fn translate(v: &mut Value, lang: Lang) {
    if let Some(t) = v["status"]
        .as_u64()
        .and_then(|s| i18n::title(s as u16, lang))
    {
        v["title"] = Value::from(t);
    }
    if let Some(d) = v["detail"].as_str() {
        v["detail"] = Value::from(i18n::tr(d, lang));
    }
    if let Some(errors) = v["errors"].as_array_mut() {
        for e in errors {
            if let Some(m) = e["message"].as_str() {
                e["message"] = Value::from(i18n::tr(m, lang));
            }
        }
    }
}
