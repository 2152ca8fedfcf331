//! The first answer as list markup, so that a shared link shows its stations as soon as the HTML and the
//! stylesheet are in, before a line of script has run. On a phone network each request costs most of a
//! second and a browser fetches six at a time over HTTP/1.1: the page's modules alone are two or three such
//! waves, the HTML and its stylesheet one each. The script (static/js/list.js `renderList`) replaces these
//! items with its own, in the rider's language, as soon as it runs; until then they are the same items in
//! Chinese (the page's language before the script), with the same classes, so nothing moves.

use serde_json::Value;

use super::confirm::page::fill;
use crate::domain::{Amenity, HostType};

/// Where the page template takes the items (inside `<ol id="list">`).
pub const SLOT: &str = "<!--first-list-->";

/// Metres a minute on foot and on an e-bike (static/js/i18n-rider.js).
const WALK_M_PER_MIN: f64 = 80.0;
const RIDE_M_PER_MIN: f64 = 250.0;

/// One item, as `renderList` builds it, in three parts: the Element Timing mark that the performance test
/// reads goes on the first item's name, and the badges are markup built here from fixed strings.
const ITEM_START: &str = "<li class=\"item\" data-id=\"{{id}}\"><button type=\"button\" class=\"item-btn\">\
<span class=\"st-marker rank st-{{open}}\" aria-hidden=\"true\">{{rank}}</span><span class=\"item-main\">\
<span class=\"item-name\"";
const ITEM_TEXT: &str = ">{{name}}</span><span class=\"item-meta\"><span class=\"item-host\">{{meta}}</span>\
<span class=\"item-time\"><span class=\"walk\" aria-label=\"步行 {{walk}} 分钟\">🚶{{walk}}分</span>\
<span class=\"ride\" aria-label=\"骑行 {{ride}} 分钟\">🛵{{ride}}分</span></span></span><span class=\"item-badges\">";
const ITEM_END: &str = "</span></span></button></li>";

/// The items of a nearest answer (a GeoJSON FeatureCollection as the API writes it).
pub fn items(answer: &Value) -> String {
    let Some(features) = answer.get("features").and_then(Value::as_array) else {
        return String::new();
    };
    let mut out = String::with_capacity(features.len() * 700);
    for (i, f) in features.iter().enumerate() {
        item(&mut out, i, f);
    }
    out
}

fn item(out: &mut String, i: usize, f: &Value) {
    let p = &f["properties"];
    let id = match &f["id"] {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    fn field<'a>(p: &'a Value, k: &str) -> &'a str {
        p[k].as_str().unwrap_or("")
    }
    let d = p["distance_m"].as_f64().unwrap_or(0.0);
    let open = match p["open_now"].as_bool() {
        Some(true) => "open",
        Some(false) => "closed",
        None => "unknown",
    };
    let host_type = field(p, "host_type");
    let host: &str = HostType::parse(host_type).map_or(host_type, |h| short_host(h));
    let meta = [host.to_owned(), distance(d)]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let minutes = |per_min: f64| ((d / per_min).ceil() as u64).max(1).to_string();
    let rank = (i + 1).to_string();
    let name = if field(p, "name").is_empty() {
        id.as_str()
    } else {
        field(p, "name")
    };
    let walk = minutes(WALK_M_PER_MIN);
    let ride = minutes(RIDE_M_PER_MIN);
    out.push_str(&fill(
        ITEM_START,
        &[("id", &id), ("open", open), ("rank", &rank)],
    ));
    if i == 0 {
        out.push_str(" elementtiming=\"first-list\"");
    }
    let fields = [
        ("name", name),
        ("meta", &meta),
        ("walk", &walk),
        ("ride", &ride),
    ];
    out.push_str(&fill(ITEM_TEXT, &fields));
    out.push_str(&badges(p, open));
    out.push_str(ITEM_END);
}

/// "350 m", "1.2 km", "12 km", as `formatDistance`.
fn distance(m: f64) -> String {
    if !m.is_finite() {
        String::new()
    } else if m < 1000.0 {
        format!("{} m", m.round())
    } else if m < 10000.0 {
        format!("{:.1} km", m / 1000.0)
    } else {
        format!("{} km", (m / 1000.0).round())
    }
}

/// The open-state badge, the 24-hour badge and the amenities, as `badges` and `amenityChips`.
fn badges(p: &Value, open: &str) -> String {
    let mut out = if p["status"].as_str() == Some("temporarily_closed") {
        "<span class=\"badge badge-closed badge-suspended\">⛔ 暂停服务</span>".to_owned()
    } else {
        let label = match open {
            "open" => "营业中",
            "closed" => "已关门",
            _ => "时间未知",
        };
        format!("<span class=\"badge badge-{open}\">{label}</span>")
    };
    if p["opening_hours"].as_str().map(str::trim) == Some("24/7") {
        out.push_str("<span class=\"badge badge-24\" aria-label=\"24小时开放\" title=\"24小时开放\">24</span>");
    }
    for key in p["amenities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let Ok(a) = Amenity::parse(key) else { continue };
        out.push_str(&format!(
            "<span class=\"am\" title=\"{l}\"><span class=\"am-icon\" aria-hidden=\"true\">{i}</span><span class=\"am-label\">{l}</span></span>",
            l = a.label_zh(),
            i = icon(a)
        ));
    }
    out
}

/// The list's short host names (static/js/i18n-rider.js `host.*`), shorter than the domain's labels.
fn short_host(h: HostType) -> &'static str {
    match h {
        HostType::Bank => "银行",
        HostType::Restaurant => "餐馆",
        HostType::Supermarket => "超市",
        HostType::PropertyAgency => "物业/中介",
        HostType::GasStation => "加油站",
        HostType::PostOffice => "邮局",
        HostType::UnionCenter => "工会服务站",
        HostType::Other => "其他",
    }
}

/// The chips' icons (static/js/details.js `AMENITIES`).
fn icon(a: Amenity) -> &'static str {
    match a {
        Amenity::Water => "💧",
        Amenity::Charging => "🔌",
        Amenity::Rest => "🪑",
        Amenity::Heating => "🔥",
        Amenity::Cooling => "❄️",
        Amenity::Toilet => "🚻",
        Amenity::Microwave => "🍱",
        Amenity::Medicine => "💊",
        Amenity::Wifi => "📶",
        Amenity::DiscountMeal => "🍜",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_escape_what_stations_say_and_read_as_the_script_writes_them() {
        let answer = json!({"features": [
            {"id": "a<b", "properties": {"name": "<img src=x onerror=alert(1)>", "host_type": "bank", "distance_m": 349.6,
                "open_now": true, "opening_hours": "24/7", "amenities": ["water", "nonsense"]}},
            {"id": 7, "properties": {"name": "", "distance_m": 1234.0, "open_now": false, "status": "temporarily_closed"}}
        ]});
        let html = items(&answer);
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("data-id=\"a&lt;b\""));
        assert!(html.contains("银行 · 350 m"));
        assert!(html.contains("1.2 km"));
        assert!(html.contains("🚶5分") && html.contains("🛵2分"), "{html}");
        assert!(
            html.contains("badge badge-open") && html.contains("badge-24") && html.contains("饮水")
        );
        assert!(html.contains("badge-suspended"));
        assert!(
            html.contains("data-id=\"7\"") && html.contains(">7</span>"),
            "an unnamed station shows its id"
        );
        assert_eq!(html.matches("elementtiming").count(), 1);
        assert_eq!(html.matches("<li ").count(), 2);
    }

    #[test]
    fn distances_read_as_format_distance() {
        assert_eq!(distance(0.0), "0 m");
        assert_eq!(distance(999.4), "999 m");
        assert_eq!(distance(9949.0), "9.9 km");
        assert_eq!(distance(12_600.0), "13 km");
    }
}
