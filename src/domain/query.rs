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
    /// Case-insensitive substring of name or address, already lower-cased.
    pub text: Option<String>,
}

impl Filter {
    /// Whether `s` passes every condition. `is_open` tells whether it is open at the query's minute; it is only
    /// asked when `open_now` is set (the caller answers from the per-minute open set, never from the hours).
    pub fn admits(&self, s: &Station, is_open: impl FnOnce() -> bool) -> bool {
        s.amenities.has_all(self.required) && (!self.open_now || is_open()) && self.text_matches(s)
    }

    /// The text condition alone: none, or a substring of the name or address.
    pub fn text_matches(&self, s: &Station) -> bool {
        let Some(t) = &self.text else {
            return true;
        };
        let hit = |v: &str| v.to_lowercase().contains(t.as_str());
        hit(s.name()) || s.address().is_some_and(hit)
    }
}
