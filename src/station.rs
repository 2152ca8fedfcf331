//! The domain: what a station is, and the only ways to build one.
//!
//! Every field type here is parsed once, at import, so that the index and the API never re-check
//! (a `Station` with a bad coordinate or an unparseable `opening_hours` cannot exist).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDateTime;
use opening_hours::OpeningHours;

/// A station id: a non-empty string of at most [`StationId::MAX_LEN`] bytes without control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StationId(Box<str>);

impl StationId {
    /// Long enough for any real key (UUIDs, URNs); short enough that ids cannot be used to bloat the dataset.
    pub const MAX_LEN: usize = 200;

    pub fn parse(s: &str) -> Result<Self, String> {
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

/// Generates a closed enum with its wire key, Chinese and English labels, and accepted aliases.
macro_rules! keyed_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($variant:ident => $key:literal, $zh:literal, $en:literal, [$($alias:literal),*];)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key),+ }
            }
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }
            /// The valid keys, comma-separated, for error messages.
            pub fn keys() -> String {
                Self::ALL.iter().map(|v| v.key()).collect::<Vec<_>>().join(", ")
            }
            /// Accepts the key (case-insensitive), the Chinese label or one of its aliases.
            pub fn parse(s: &str) -> Result<Self, String> {
                let t = s.trim();
                $(
                    if t.eq_ignore_ascii_case($key) || t == $zh $(|| t == $alias)* {
                        return Ok($name::$variant);
                    }
                )+
                Err(format!("unknown {} {:?}; valid: {}", $what, t, Self::keys()))
            }
        }
    };
}

keyed_enum!(
    /// What the place is: a warm-heart station in a business, or a workers' home in a union centre.
    Kind, "kind" {
        Station => "station", "户外劳动者暖心驿站", "outdoor workers' station", ["驿站", "暖心驿站"];
        WorkersHome => "workers_home", "公共区域职工之家", "workers' home", ["职工之家"];
    }
);

keyed_enum!(
    /// The business or institution that hosts the station.
    HostType, "host_type" {
        Bank => "bank", "银行网点", "bank branch", ["银行"];
        Restaurant => "restaurant", "餐饮", "restaurant", ["餐厅", "饭店"];
        Supermarket => "supermarket", "连锁超市", "supermarket", ["超市"];
        PropertyAgency => "property_agency", "房产中介", "property agency", ["中介"];
        GasStation => "gas_station", "加油站", "gas station", [];
        PostOffice => "post_office", "邮政网点", "post office", ["邮局"];
        UnionCenter => "union_center", "工会服务中心", "union centre", ["工会"];
        Other => "other", "其他", "other", [];
    }
);

keyed_enum!(
    /// What a rider can get there.
    Amenity, "amenity" {
        Water => "water", "饮水", "drinking water", ["喝水", "热水"];
        Charging => "charging", "充电", "phone charging", [];
        Rest => "rest", "歇脚", "rest", ["休息"];
        Heating => "heating", "取暖", "warm up", [];
        Cooling => "cooling", "纳凉", "cool down", ["避暑"];
        Medicine => "medicine", "用药", "first-aid kit", ["药箱", "药品"];
        Microwave => "microwave", "热饭", "microwave", ["微波炉"];
        Toilet => "toilet", "卫生间", "toilet", ["厕所"];
        Wifi => "wifi", "无线网", "Wi-Fi", ["WiFi", "wi-fi"];
        DiscountMeal => "discount_meal", "优惠餐", "discounted meals", [];
    }
);

impl Amenity {
    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Amenities as a bit set; bit 15 is the derived "open at all times" flag, so that the `24h` filter token is
/// checked by the same single AND as the amenities.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Amenities(u16);

impl Amenities {
    pub const ALWAYS_OPEN: Amenities = Amenities(1 << 15);

    pub fn from_bits(bits: u16) -> Self {
        Amenities(bits)
    }
    pub fn bits(self) -> u16 {
        self.0
    }
    pub fn insert(&mut self, a: Amenity) {
        self.0 |= a.bit();
    }
    pub fn contains(self, a: Amenity) -> bool {
        self.0 & a.bit() != 0
    }
    /// Every flag in `required` is set here.
    pub fn has_all(self, required: Amenities) -> bool {
        self.0 & required.0 == required.0
    }
    pub fn union(self, other: Amenities) -> Amenities {
        Amenities(self.0 | other.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The amenities (without the derived 24h flag), in the canonical order.
    pub fn iter(self) -> impl Iterator<Item = Amenity> {
        Amenity::ALL
            .iter()
            .copied()
            .filter(move |a| self.contains(*a))
    }
}

impl FromIterator<Amenity> for Amenities {
    fn from_iter<T: IntoIterator<Item = Amenity>>(iter: T) -> Self {
        let mut s = Amenities::default();
        for a in iter {
            s.insert(a);
        }
        s
    }
}

/// A parsed OpenStreetMap `opening_hours` value.
#[derive(Debug, Clone)]
pub struct Hours {
    raw: Box<str>,
    oh: OpeningHours,
    always_open: bool,
    /// Normalises to a constant open state: open at every instant, proven without a scan.
    constant_open: bool,
}

/// The instant from which the `24h` flag is decided (2026-01-01T00:00, local wall-clock time): fixed, so that
/// the flag depends on the dataset's content only.
const ALWAYS_OPEN_PROBE_SECS: i64 = 1_767_225_600;
/// When normalisation cannot show an expression to be constant, it counts as open at all times if it stays open
/// for this long after the probe. (Asking the library for the next change instead scans day by day to the year
/// 10000: about a second for `Mo-Su`, over 30 s for a 1000-character expression.)
const ALWAYS_OPEN_HORIZON_DAYS: i64 = 731;
/// The horizon scan costs about rules × days: an expression with more rule sequences than this (after
/// normalisation) is not scanned, and so is flagged `24h` only if normalisation reduces it to a constant.
const ALWAYS_OPEN_MAX_SCAN_RULES: usize = 4;

/// Runs a call into the `opening-hours` crate, turning a panic inside it into `None`. The crate has internal
/// assertions and `expect`s on dates; whatever input reaches them, a request or an upload must not die of it.
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// `(open at all times, and that is exact)`: exact when the normalised expression is trivially constant, else
/// decided by a bounded scan (see [`ALWAYS_OPEN_HORIZON_DAYS`]).
fn open_at_all_times(oh: &OpeningHours) -> (bool, bool) {
    let Some(probe) =
        chrono::DateTime::from_timestamp(ALWAYS_OPEN_PROBE_SECS, 0).map(|t| t.naive_utc())
    else {
        return (false, false);
    };
    let normal = oh.normalize();
    let expr = normal.get_expression();
    if expr.is_constant() {
        let open = normal.is_open(probe);
        return (open, open);
    }
    if expr.rules.len() > ALWAYS_OPEN_MAX_SCAN_RULES {
        return (false, false);
    }
    let end = probe + chrono::TimeDelta::days(ALWAYS_OPEN_HORIZON_DAYS);
    let open = normal.iter_range(probe, end).next().is_some_and(|r| {
        r.kind == opening_hours::RuleKind::Open && r.range.start <= probe && r.range.end >= end
    });
    (open, false)
}

impl Hours {
    /// Longest accepted expression, in bytes of UTF-8 (the API description says so).
    pub const MAX_BYTES: usize = 1000;

    /// Parses the expression, and decides once whether it is open at all times (the `24h` filter): a rule like
    /// `24/7; 2026 Dec 25 off` is not. The cost is bounded: at most [`Self::MAX_BYTES`] bytes, and no unbounded search
    /// for the next change of state.
    pub fn parse(s: &str) -> Result<Self, String> {
        let raw = s.trim();
        if raw.is_empty() {
            return Err("opening_hours is empty; omit it when the hours are unknown".into());
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(format!(
                "opening_hours is longer than {} characters",
                Self::MAX_BYTES
            ));
        }
        let cannot_evaluate = || {
            format!("cannot evaluate opening_hours {raw:?}: the expression is valid syntax but the evaluator fails on it; simplify it (e.g. \"Mo-Fr 09:00-18:00\")")
        };
        let oh = guarded(|| OpeningHours::from_str(raw))
            .ok_or_else(cannot_evaluate)?
            .map_err(|e| {
                let msg = e.to_string();
                let first = msg.lines().next().unwrap_or("syntax error").trim().to_owned();
                format!("cannot parse opening_hours {raw:?} (OpenStreetMap syntax, e.g. \"Mo-Fr 09:00-18:00\" or \"24/7\"): {first}")
            })?;
        let (always_open, constant_open) =
            guarded(|| open_at_all_times(&oh)).ok_or_else(cannot_evaluate)?;
        Ok(Hours {
            raw: raw.into(),
            oh,
            always_open,
            constant_open,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }
    pub fn always_open(&self) -> bool {
        self.always_open
    }
    /// Open at this local (wall-clock) time: `Some(true)` open, `Some(false)` closed or an `unknown` rule, `None`
    /// when the evaluator fails on this expression at this instant (then nobody knows). A constant expression
    /// (`24/7`) is open even outside the years 1900–9999 that the library evaluates.
    pub fn try_is_open(&self, local: NaiveDateTime) -> Option<bool> {
        if self.constant_open {
            return Some(true);
        }
        guarded(|| self.oh.is_open(local))
    }
    /// Open at this local (wall-clock) time. `Unknown` rules, and an evaluator failure, count as not open; use
    /// [`Hours::try_is_open`] to tell a failure apart.
    pub fn is_open(&self, local: NaiveDateTime) -> bool {
        self.try_is_open(local).unwrap_or(false)
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
/// packed into `lens`): [`pack_texts`] puts a whole dataset's texts into one block, so that a million stations
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

/// Bits of the id's length: ids are at most [`StationId::MAX_LEN`] bytes.
const ID_BITS: u32 = 8;
/// Bits of each other text's length: 16,383 bytes, far more than validation allows (500 characters).
const TEXT_BITS: u32 = 14;

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The largest block [`pack_texts`] makes: offsets into it must fit a `u32`.
const MAX_BLOCK: usize = u32::MAX as usize;

impl Station {
    /// Texts longer than the layout holds are cut (ids at 255 bytes, the others at 16,383; validation allows
    /// far less). The station gets a text block of its own until [`pack_texts`] moves it into a shared one.
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

    /// All five texts, concatenated.
    fn text(&self) -> &str {
        let start = self.start as usize;
        let len: usize = (0..5).map(|i| self.len_of(i)).sum();
        self.block.get(start..start + len).unwrap_or("")
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
    /// `Some(true/false)` when the hours are known, `None` when they are not.
    pub fn is_open_at(&self, local: NaiveDateTime) -> Option<bool> {
        self.hours.as_deref().and_then(|h| h.try_is_open(local))
    }
}

/// Moves the texts of `stations` into shared blocks, in order (one block up to 4 GiB of text), unless they
/// already are: each station built by [`Station::new`] has a block of its own (a heap block and an `Arc` per
/// station), and stations cloned from another dataset keep that dataset's whole block alive.
pub fn pack_texts(stations: &mut [Station]) {
    let used: usize = stations.iter().map(|s| s.text().len()).sum();
    let mut held = 0usize;
    let mut last: Option<&Arc<Box<str>>> = None;
    for s in stations.iter() {
        if !last.is_some_and(|b| Arc::ptr_eq(b, &s.block)) {
            held += s.block.len();
            last = Some(&s.block);
        }
    }
    // Packed already (blocks in runs, holding little else): a restart or a PUT builds them this way.
    if count_runs(stations) <= used / MAX_BLOCK + 1 && held <= used + used / 16 {
        return;
    }
    let mut from = 0;
    while from < stations.len() {
        let mut buf = String::with_capacity(used.min(MAX_BLOCK));
        let mut starts = Vec::new();
        let mut to = from;
        while let Some(s) = stations.get(to) {
            let t = s.text();
            if !buf.is_empty() && buf.len() + t.len() > MAX_BLOCK {
                break;
            }
            starts.push(buf.len() as u32);
            buf.push_str(t);
            to += 1;
        }
        let block = Arc::new(buf.into_boxed_str());
        for (s, start) in stations[from..to].iter_mut().zip(starts) {
            s.block = block.clone();
            s.start = start;
        }
        from = to;
    }
}

/// The number of runs of consecutive stations that share a block.
fn count_runs(stations: &[Station]) -> usize {
    stations
        .windows(2)
        .filter(|w| !Arc::ptr_eq(&w[0].block, &w[1].block))
        .count()
        + usize::from(!stations.is_empty())
}

/// Great-circle distance in metres on the sphere of the contract (R = 6 371 008.8 m, geo's GRS80 mean radius).
/// Clamped so that antipodal points give πR rather than NaN.
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The sphere radius of the contract; the same value as `geo::Haversine`.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

#[cfg(test)]
mod tests {
    use super::*;

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
    fn radius_matches_geo() {
        assert_eq!(EARTH_RADIUS_M, geo::Haversine.radius());
    }

    #[test]
    fn haversine_agrees_with_geo_and_handles_antipodes() {
        use geo::Distance;
        let ours = haversine_m(23.319941, 42.698334, 24.742168, 42.136097);
        let theirs = geo::Haversine.distance(
            geo::Point::new(23.319941, 42.698334),
            geo::Point::new(24.742168, 42.136097),
        );
        assert!((ours - theirs).abs() < 1e-6);
        let anti = haversine_m(0.0, 0.0, 180.0, 0.0);
        assert!((anti - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1e-6);
        assert!(haversine_m(10.0, 89.999_999_9, -170.0, 89.999_999_9).is_finite());
    }

    #[test]
    fn amenity_aliases() {
        assert_eq!(Amenity::parse("饮水"), Ok(Amenity::Water));
        assert_eq!(Amenity::parse("休息"), Ok(Amenity::Rest));
        assert_eq!(Amenity::parse("药箱"), Ok(Amenity::Medicine));
        assert_eq!(Amenity::parse("WATER"), Ok(Amenity::Water));
        let err = Amenity::parse("jacuzzi").unwrap_err();
        assert!(
            err.contains("water") && err.contains("discount_meal"),
            "{err}"
        );
    }

    #[test]
    fn hours_24_7_is_always_open_and_office_hours_are_not() {
        assert!(Hours::parse("24/7").unwrap().always_open());
        assert!(Hours::parse("Mo-Su 00:00-24:00").unwrap().always_open());
        let office = Hours::parse("Mo-Fr 09:00-18:00").unwrap();
        assert!(!office.always_open());
        let wed_1030 = NaiveDateTime::parse_from_str("2026-11-25 10:30", "%Y-%m-%d %H:%M").unwrap();
        let wed_0300 = NaiveDateTime::parse_from_str("2026-11-25 03:00", "%Y-%m-%d %H:%M").unwrap();
        let sun_1200 = NaiveDateTime::parse_from_str("2026-11-29 12:00", "%Y-%m-%d %H:%M").unwrap();
        assert!(office.is_open(wed_1030));
        assert!(!office.is_open(wed_0300));
        assert!(!office.is_open(sun_1200));
        assert!(Hours::parse("Mo-Xx 25:00-99:00").is_err());
        assert!(Hours::parse("").is_err());
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
        assert!(Position::new(200.0, 0.0).is_err());
        assert!(Position::new(0.0, -91.0).is_err());
        assert!(Position::new(f64::NAN, 0.0).is_err());
        assert!(Position::new(-180.0, 90.0).is_ok());
    }
}
