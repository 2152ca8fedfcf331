//! Problem details in the client's language (`Accept-Language: zh` → Chinese `title`, `detail` and
//! `errors[].message`; English otherwise). One layer ([`super::layers::Localize`]) rewrites finished
//! problem+json bodies through the [`crate::i18n`] catalogue, so no handler or lower layer needs to know the
//! language; successful responses pass untouched (one header check).

use axum::body::{Body, HttpBody as _};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use futures_util::FutureExt;
use serde_json::Value;

use crate::i18n::{self, Lang};

/// Problem bodies are small; anything larger is passed on as it is.
const MAX_PROBLEM_BYTES: u64 = 1 << 20;

/// `res` for a client that asked for `lang`: a problem gets `Vary: Accept-Language` and, in Chinese, its texts
/// translated (`Content-Language: zh`); anything else passes with one header check.
pub(super) fn localize(mut res: Response, lang: Lang) -> Response {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return res;
    }
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept-Language"));
    // A problem body is built whole in memory (its size is exact), so it is read without waiting.
    if lang == Lang::En
        || res
            .body()
            .size_hint()
            .exact()
            .is_none_or(|n| n > MAX_PROBLEM_BYTES)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Some(Ok(bytes)) = axum::body::to_bytes(body, MAX_PROBLEM_BYTES as usize).now_or_never()
    else {
        return Response::from_parts(parts, Body::empty());
    };
    let Some(out) = translate_bytes(&bytes, lang) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("zh"));
    Response::from_parts(parts, Body::from(out))
}

/// A problem+json body in `lang` (`None`: not JSON; passed on as it is).
fn translate_bytes(body: &[u8], lang: Lang) -> Option<Vec<u8>> {
    let mut v = serde_json::from_slice::<Value>(body).ok()?;
    translate(&mut v, lang);
    Some(serde_json::to_vec(&v).unwrap_or_else(|_| body.to_vec()))
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
