//! Entity tags and `If-None-Match`, one mechanism for the API (the tag is the dataset version) and the pages
//! (the tag is a hash of the embedded file).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};

/// A strong entity tag: the opaque value in quotes.
pub fn quote(tag: &str) -> String {
    format!("\"{tag}\"")
}

/// The `ETag` header for `tag` (unquoted), if it makes a valid header value.
pub fn header_value(tag: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&quote(tag)).ok()
}

/// The request's `If-None-Match`, extracted alone: the `HeaderMap` extractor would copy every header of every
/// read request just to look at this one.
pub struct IfNoneMatch(Option<HeaderValue>);

impl IfNoneMatch {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        IfNoneMatch(headers.get(header::IF_NONE_MATCH).cloned())
    }

    /// Whether the client already holds the representation tagged `tag` (unquoted): `*`, or any tag of the list
    /// equal to it by the weak comparison (`W/"x"` matches `"x"`), as `If-None-Match` is defined.
    pub fn matches(&self, tag: &str) -> bool {
        let Some(inm) = self.0.as_ref().and_then(|v| v.to_str().ok()) else {
            return false;
        };
        inm.split(',').map(str::trim).any(|t| {
            t == "*"
                || t.trim_start_matches("W/")
                    .strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                    == Some(tag)
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(IfNoneMatch::from_headers(&parts.headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inm(v: &str) -> IfNoneMatch {
        IfNoneMatch(Some(HeaderValue::from_str(v).unwrap()))
    }

    #[test]
    fn weak_comparison_star_and_lists() {
        assert!(inm("\"v1\"").matches("v1"));
        assert!(inm("W/\"v1\"").matches("v1"));
        assert!(inm("\"zzz\", \"v1\"").matches("v1"));
        assert!(inm("\"zzz\",W/\"v1\"").matches("v1"));
        assert!(inm("*").matches("v1"));
        assert!(!inm("\"v2\"").matches("v1"));
        assert!(!inm("v1").matches("v1"), "a tag is quoted");
        assert!(!inm("\"v1").matches("v1"));
        assert!(!inm("\"\"").matches("v1"));
        assert!(!IfNoneMatch(None).matches("v1"));
        assert!(!IfNoneMatch(Some(HeaderValue::from_bytes(b"\"v\xff\"").unwrap())).matches("v"));
        assert_eq!(quote("v1"), "\"v1\"");
    }
}
