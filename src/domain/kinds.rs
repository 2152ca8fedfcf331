//! The closed vocabularies of a station: what it is, who hosts it, and what a rider can get there, each with
//! its wire key, Chinese and English labels and accepted aliases; and the amenity bit set the index filters on.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
