//! What a rider asks for, beyond where: the filters every read shares.

use super::kinds::Amenities;
use super::station::Station;

/// What a station must have to be listed.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Amenities and the derived 24h flag, all required.
    pub required: Amenities,
    /// Only stations whose hours say open at the evaluation instant.
    pub open_now: bool,
    /// Only stations open now and for at least this many minutes more (`open_for`; implies `open_now`).
    pub open_for: Option<u32>,
    /// Case-insensitive substring of name or address, already lower-cased.
    pub text: Option<String>,
    /// Only stations confirmed (by their host or an admin) at or after this instant.
    pub verified_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl Filter {
    /// Whether `s` passes every condition. `is_open` tells whether it is open at the query's minute; it is only
    /// asked when `open_now` is set (the caller answers from the per-minute open set, never from the hours).
    pub fn admits(&self, s: &Station, is_open: impl FnOnce() -> bool) -> bool {
        s.amenities.has_all(self.required)
            && (!self.wants_open() || is_open())
            && self.text_matches(s)
    }

    /// Whether only open stations are listed (`open_now`, or `open_for`, which implies it).
    pub fn wants_open(&self) -> bool {
        self.open_now || self.open_for.is_some()
    }

    /// The text condition alone: none, or a substring of the name or address.
    pub fn text_matches(&self, s: &Station) -> bool {
        let Some(t) = &self.text else {
            return true;
        };
        let hit = |v: &str| lower_contains(v, t);
        hit(s.name()) || s.address().is_some_and(hit)
    }
}

/// Whether `hay.to_lowercase()` contains `needle` (itself lower-cased, as the query is), without building
/// the lower-case copy unless `hay` has a non-ASCII character that lower-casing changes: a haystack that
/// lower-casing leaves alone (most Chinese names) is searched as it is, one whose only changes are ASCII
/// capitals is searched ignoring ASCII case (lower-casing maps ASCII to ASCII and leaves every other
/// character, so byte for byte the lower-case copy is `hay` with its ASCII capitals lowered).
pub fn lower_contains(hay: &str, needle: &str) -> bool {
    let mut ascii_upper = false;
    for c in hay.chars() {
        if c.is_ascii() {
            ascii_upper |= c.is_ascii_uppercase();
        } else if !lower_case_keeps(c) {
            return hay.to_lowercase().contains(needle);
        }
    }
    if !ascii_upper {
        return hay.contains(needle);
    }
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else {
        return true;
    };
    h.len() >= n.len()
        && (0..=h.len() - n.len()).any(|i| {
            h[i].to_ascii_lowercase() == first
                && h[i..i + n.len()]
                    .iter()
                    .zip(n)
                    .all(|(a, b)| a.to_ascii_lowercase() == *b)
        })
}

/// Pushes the characters of `s.to_lowercase()` (with repeats) onto `out`: what the text index keeps of a
/// station, so that a station matching `lower_contains` holds every character of the query. Builds the
/// lower-case copy only when `s` has a non-ASCII character that lower-casing changes (as `lower_contains`).
pub fn lower_chars(s: &str, out: &mut Vec<char>) {
    if s.chars().all(|c| c.is_ascii() || lower_case_keeps(c)) {
        out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        out.extend(s.to_lowercase().chars());
    }
}

/// Whether lower-casing leaves the non-ASCII `c` as it is. The CJK, kana and Hangul blocks have no case,
/// which spares most station names the table look-up.
fn lower_case_keeps(c: char) -> bool {
    if ('\u{2E80}'..='\u{9FFF}').contains(&c) || ('\u{AC00}'..='\u{D7A3}').contains(&c) {
        return true;
    }
    let mut l = c.to_lowercase();
    l.next() == Some(c) && l.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_caseless_blocks_have_no_case() {
        let blocks = ('\u{2E80}'..='\u{9FFF}').chain('\u{AC00}'..='\u{D7A3}');
        for c in blocks {
            let mut l = c.to_lowercase();
            assert!(l.next() == Some(c) && l.next().is_none(), "{c:?}");
        }
    }

    #[test]
    fn examples() {
        assert!(lower_contains("Haidian 海淀 Station", "n 海淀 s"));
        assert!(lower_contains("北京站", "京"));
        assert!(!lower_contains("北京站", "zzzz"));
        assert!(lower_contains("İSTANBUL", &"İst".to_lowercase()));
        assert!(lower_contains("ΟΔΟΣ", "οδος".replace('σ', "ς").as_str()));
        assert!(lower_contains("STRASSE", "strasse"));
        assert!(lower_contains("Straße", "straße"));
        assert!(lower_contains("anything", ""));
        assert!(!lower_contains("", "a"));
    }

    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("A"),
            Just("a"),
            Just("Z"),
            Just(" "),
            Just("İ"),
            Just("i"),
            Just("ı"),
            Just("I"),
            Just("ß"),
            Just("ẞ"),
            Just("Σ"),
            Just("σ"),
            Just("ς"),
            Just("Ω"),
            Just("\u{212A}"),
            Just("k"),
            Just("北京"),
            Just("站"),
            Just("Ǆ"),
            Just("ǅ"),
            Just("Ⓐ"),
            Just("Ａ"),
            Just("ａ"),
            Just("\u{307}"),
            Just("-"),
            Just("É"),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        /// The text index's characters are exactly those of the lower-cased string.
        #[test]
        fn lower_chars_are_those_of_lower_casing(s in text(), any in ".{0,8}") {
            for s in [&s, &any] {
                let mut got = Vec::new();
                lower_chars(s, &mut got);
                prop_assert_eq!(got, s.to_lowercase().chars().collect::<Vec<_>>(), "{:?}", s);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

        /// Same answers as lower-casing the haystack, on strings mixing ASCII, CJK, Greek (final sigma),
        /// Turkish dotted and dotless i, ß and ẞ, the Kelvin sign, titlecase and fullwidth letters.
        #[test]
        fn same_as_lower_casing(hay in text(), q in text(), any in ".{0,8}") {
            for (h, q) in [(&hay, &q), (&any, &q), (&hay, &any)] {
                let needle = q.to_lowercase();
                prop_assert_eq!(lower_contains(h, &needle), h.to_lowercase().contains(&needle), "{:?} {:?}", h, needle);
            }
            // The needle as a piece of the haystack, lower-cased: found whenever lower-casing keeps it whole.
            let lower = hay.to_lowercase();
            for (i, _) in lower.char_indices() {
                let needle = &lower[i..];
                prop_assert_eq!(lower_contains(&hay, needle), lower.contains(needle));
            }
        }
    }
}
