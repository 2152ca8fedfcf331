//! Problem details in the client's language (`Accept-Language: zh` → Chinese `title`, `detail` and
//! `errors[].message`; English otherwise). One layer rewrites finished problem+json bodies through the
//! [`crate::i18n`] catalogue, so no handler or lower layer needs to know the language; successful responses pass
//! untouched (one header check).

use serde_json::Value;

use crate::i18n::{self, Lang};

/// A problem+json body in `lang` (`None`: not JSON; passed on as it is). The layer that calls it is
/// [`super::layers::Localize`].
pub(super) fn translate_bytes(body: &[u8], lang: Lang) -> Option<Vec<u8>> {
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
