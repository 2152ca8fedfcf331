//! Lowercase hex, the form every hash and secret of the data directory is written in (dataset versions,
//! token hashes, the confirmation secret) and the ETags of the pages.

use std::fmt::Write;

/// `bytes` as lowercase hex digits.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Exactly 64 hex digits (either case) as 32 bytes; anything else, a sign or a space included, is `None`.
pub fn decode_32(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 37) as u8);
        let text = encode(&bytes);
        assert_eq!(text.len(), 64);
        assert_eq!(&text[..6], "00254a");
        assert_eq!(decode_32(&text), Some(bytes));
        assert_eq!(decode_32(&text.to_uppercase()), Some(bytes));
        assert_eq!(decode_32(&text[..62]), None);
        assert_eq!(decode_32(&format!("+{}", &text[1..])), None);
        assert_eq!(decode_32(&format!("{}g", &text[..63])), None);
    }
}
