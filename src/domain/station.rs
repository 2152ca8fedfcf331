//! A station and the values it is built from, each parsed once, at import, so that the index and the API never
//! re-check (a `Station` with a bad coordinate or an unparseable `opening_hours` cannot exist).

use std::fmt;
use std::sync::Arc;

use super::hours::Hours;
use super::kinds::{Amenities, HostType, Kind};
use super::texts::{clip, InBlock, ID_BITS, TEXT_BITS};

/// A station id: a non-empty string of at most [`StationId::MAX_LEN`] bytes without control characters, and
/// usable as a path segment (not `.`, `..` or one of [`StationId::RESERVED`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StationId(Box<str>);

impl StationId {
    /// Long enough for any real key (UUIDs, URNs); short enough that ids cannot be used to bloat the dataset.
    pub const MAX_LEN: usize = 200;
    /// Path words under `/api/v1/stations/` that are endpoints, so never station ids.
    pub const RESERVED: [&'static str; 2] = ["nearest", "along"];

    pub fn parse(s: &str) -> Result<Self, String> {
        let id = Self::parse_stored(s)?;
        let t = id.as_str();
        if t == "." || t == ".." {
            return Err(format!(
                "id {t:?} is not allowed: it cannot be used in a URL path (/api/v1/stations/{{id}})"
            ));
        }
        if Self::RESERVED.contains(&t) {
            return Err(format!(
                "id {t:?} is reserved: /api/v1/stations/{t} is a query, not a station; choose another id"
            ));
        }
        Ok(id)
    }

    /// The rules a stored dataset was accepted under before `.`, `..` and [`Self::RESERVED`] were refused: a
    /// dataset stored then must still load.
    pub fn parse_stored(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("id must be a non-empty string".into());
        }
        if t.len() > Self::MAX_LEN {
            return Err(format!(
                "id is {} bytes long; at most {} allowed",
                t.len(),
                Self::MAX_LEN
            ));
        }
        if t.chars().any(char::is_control) {
            return Err("id must not contain control characters".into());
        }
        Ok(StationId(t.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WGS-84 position, checked finite and in range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    lon: f64,
    lat: f64,
}

impl Position {
    pub fn new(lon: f64, lat: f64) -> Result<Self, String> {
        if !lon.is_finite() || !lat.is_finite() {
            return Err(format!(
                "coordinates must be finite numbers, got [{lon}, {lat}]"
            ));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(format!(
                "longitude {lon} is outside [-180, 180] (coordinates are [lon, lat])"
            ));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(format!(
                "latitude {lat} is outside [-90, 90] (coordinates are [lon, lat])"
            ));
        }
        Ok(Position { lon, lat })
    }
    pub fn lon(self) -> f64 {
        self.lon
    }
    pub fn lat(self) -> f64 {
        self.lat
    }
}

/// The free-text fields of a station, as given to [`Station::new`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Texts<'a> {
    pub name: &'a str,
    pub address: Option<&'a str>,
    pub district: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// One station, fully validated.
///
/// Its five strings are a slice of a text block shared with other stations (`block[start..]`, the byte lengths
/// packed into `lens`): [`pack_texts`](super::texts::pack_texts) puts a whole dataset's texts into one block, so that a million stations
/// cost their text bytes plus 48 bytes each, instead of a heap block (with its malloc header and rounding)
/// per station.
#[derive(Debug, Clone)]
pub struct Station {
    /// id, name, address, district, phone, concatenated (absent ones empty), from `start`.
    block: Arc<Box<str>>,
    start: u32,
    /// Byte lengths: id in the low [`ID_BITS`], then name, address, district and phone, [`TEXT_BITS`] each.
    lens: u64,
    pub kind: Kind,
    pub host_type: HostType,
    /// Amenities, plus [`Amenities::ALWAYS_OPEN`] when the hours say so.
    pub amenities: Amenities,
    /// Shared between stations with the same expression: parsing is costly and most stations share a few.
    pub hours: Option<Arc<Hours>>,
    pub position: Position,
}

impl Station {
    /// Texts longer than the layout holds are cut (ids at 255 bytes, the others at 16,383; validation allows
    /// far less). The station gets a text block of its own until [`pack_texts`](super::texts::pack_texts) moves it into a shared one.
    pub fn new(
        id: &StationId,
        texts: Texts<'_>,
        kind: Kind,
        host_type: HostType,
        amenities: Amenities,
        hours: Option<Arc<Hours>>,
        position: Position,
    ) -> Station {
        let max = (1usize << TEXT_BITS) - 1;
        let parts = [
            clip(id.as_str(), (1 << ID_BITS) - 1),
            clip(texts.name, max),
            clip(texts.address.unwrap_or(""), max),
            clip(texts.district.unwrap_or(""), max),
            clip(texts.phone.unwrap_or(""), max),
        ];
        let mut lens = 0u64;
        let mut shift = 0;
        for (i, p) in parts.iter().enumerate() {
            lens |= (p.len() as u64) << shift;
            shift += if i == 0 { ID_BITS } else { TEXT_BITS };
        }
        Station {
            block: Arc::new(parts.concat().into_boxed_str()),
            start: 0,
            lens,
            kind,
            host_type,
            amenities,
            hours,
            position,
        }
    }

    /// The byte length of the `i`-th text: 0 id, 1 name, 2 address, 3 district, 4 phone.
    fn len_of(&self, i: usize) -> usize {
        let (shift, bits) = if i == 0 {
            (0, ID_BITS)
        } else {
            (ID_BITS + TEXT_BITS * (i as u32 - 1), TEXT_BITS)
        };
        ((self.lens >> shift) & ((1u64 << bits) - 1)) as usize
    }

    /// The `i`-th text: 0 id, 1 name, 2 address, 3 district, 4 phone.
    fn part(&self, i: usize) -> &str {
        let start = self.start as usize + (0..i).map(|j| self.len_of(j)).sum::<usize>();
        self.block.get(start..start + self.len_of(i)).unwrap_or("")
    }
    fn optional(&self, i: usize) -> Option<&str> {
        Some(self.part(i)).filter(|t| !t.is_empty())
    }

    pub fn id(&self) -> &str {
        self.part(0)
    }
    pub fn name(&self) -> &str {
        self.part(1)
    }
    pub fn address(&self) -> Option<&str> {
        self.optional(2)
    }
    pub fn district(&self) -> Option<&str> {
        self.optional(3)
    }
    pub fn phone(&self) -> Option<&str> {
        self.optional(4)
    }
    pub fn opening_hours(&self) -> Option<&str> {
        self.hours.as_deref().map(Hours::as_str)
    }
}

impl InBlock for Station {
    /// All five texts, concatenated.
    fn text(&self) -> &str {
        let start = self.start as usize;
        let len: usize = (0..5).map(|i| self.len_of(i)).sum();
        self.block.get(start..start + len).unwrap_or("")
    }
    fn block(&self) -> &Arc<Box<str>> {
        &self.block
    }
    fn move_to(&mut self, block: Arc<Box<str>>, start: u32) {
        self.block = block;
        self.start = start;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::texts::pack_texts;

    /// A station with only texts and a position that matter to the test.
    fn plain(id: &StationId, texts: Texts<'_>, p: Position) -> Station {
        Station::new(
            id,
            texts,
            Kind::Station,
            HostType::Bank,
            Amenities::default(),
            None,
            p,
        )
    }

    #[test]
    fn texts_share_one_allocation_and_read_back() {
        let id = StationId::parse("bj-1").unwrap();
        let texts = Texts {
            name: "驿站",
            address: None,
            district: Some("朝阳区"),
            phone: Some("010-1"),
        };
        let p = Position::new(116.0, 39.0).unwrap();
        let s = plain(&id, texts, p);
        assert_eq!(
            (s.id(), s.name(), s.address(), s.district(), s.phone()),
            ("bj-1", "驿站", None, Some("朝阳区"), Some("010-1"))
        );
        assert_eq!(std::mem::size_of::<Station>(), 48);
        let long = "长".repeat(30_000);
        let s = plain(
            &id,
            Texts {
                name: &long,
                ..texts
            },
            p,
        );
        assert!(s.name().len() < 1 << TEXT_BITS && long.starts_with(s.name()));
        assert_eq!(s.district(), Some("朝阳区"));
    }

    #[test]
    fn pack_texts_shares_one_block_and_keeps_every_text() {
        let p = Position::new(116.0, 39.0).unwrap();
        let mut st: Vec<Station> = (0..50)
            .map(|i| {
                let id = StationId::parse(&format!("s{i}")).unwrap();
                let name = format!("驿站{i}");
                let phone = format!("010-{i}");
                let texts = Texts {
                    name: &name,
                    address: (i % 3 == 0).then_some("北京市朝阳区"),
                    district: (i % 2 == 0).then_some("朝阳区"),
                    phone: (i % 5 != 0).then_some(phone.as_str()),
                };
                plain(&id, texts, p)
            })
            .collect();
        let texts = |st: &[Station]| -> Vec<_> {
            st.iter()
                .map(|s| {
                    (
                        s.id().to_owned(),
                        s.name().to_owned(),
                        s.address().map(str::to_owned),
                        s.district().map(str::to_owned),
                        s.phone().map(str::to_owned),
                    )
                })
                .collect()
        };
        let before = texts(&st);
        pack_texts(&mut st);
        assert!(st.iter().all(|s| Arc::ptr_eq(&s.block, &st[0].block)));
        assert_eq!(before, texts(&st));
        // Packed stations are left alone; a block mostly unused (after deletions) is packed again.
        let block = st[0].block.clone();
        pack_texts(&mut st);
        assert!(Arc::ptr_eq(&st[0].block, &block));
        let mut few = st[..3].to_vec();
        pack_texts(&mut few);
        assert!(!Arc::ptr_eq(&few[0].block, &block));
        assert_eq!(few[2].name(), "驿站2");
    }

    #[test]
    fn ids_and_positions() {
        assert!(StationId::parse("  ").is_err());
        assert!(StationId::parse("a\u{0}b").is_err());
        assert_eq!(StationId::parse(" bj-1 ").unwrap().as_str(), "bj-1");
        for bad in [".", "..", " nearest ", "along"] {
            let e = StationId::parse(bad).unwrap_err();
            assert!(e.contains("not allowed") || e.contains("reserved"), "{e}");
        }
        assert!(StationId::parse("nearest-1").is_ok());
        assert!(StationId::parse("a.b").is_ok());
        assert!(StationId::parse_stored("nearest").is_ok());
        assert!(Position::new(200.0, 0.0).is_err());
        assert!(Position::new(0.0, -91.0).is_err());
        assert!(Position::new(f64::NAN, 0.0).is_err());
        assert!(Position::new(-180.0, 90.0).is_ok());
    }
}
