//! `GET /s/{id}`: one station as a page that chat apps preview (Open Graph) and search engines read (schema.org
//! JSON-LD), rendered here so that it needs no JavaScript: what riders share in a group chat.
//!
//! Every value is HTML-escaped by the template filler; the JSON-LD is a data block (`application/ld+json`, never
//! executed, so the strict CSP without inline scripts holds) with `<`, `>` and `&` written as `\u` escapes so that
//! no value can end the block.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use serde_json::{json, Value};

use super::confirm::page::fill;
use super::extract::StationIdPath;
use super::ogc::base;
use super::pages::server_page;
use super::params::Params;
use super::AppState;
use crate::domain::{Station, StationState, Status};
use crate::geodesy::crs::{gcj02_to_bd09, wgs84_to_gcj02};

const TEMPLATE: &str = include_str!("station_page.html");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// `?lang=zh|en` if given, else the preferred of zh and en by `Accept-Language` (its `q` weights; the first on a
/// tie), else Chinese.
pub fn lang(asked: Option<&str>, headers: &HeaderMap) -> Result<Lang, String> {
    match asked.map(str::trim) {
        Some("zh") => return Ok(Lang::Zh),
        Some("en") => return Ok(Lang::En),
        Some(other) => return Err(format!("lang must be zh or en, got {other:?}")),
        None => {}
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut best = (Lang::Zh, 0.0f32);
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let l = match tag.split('-').next() {
            Some("zh") => Lang::Zh,
            Some("en") => Lang::En,
            _ => continue,
        };
        if q > best.1 {
            best = (l, q);
        }
    }
    Ok(best.0)
}

/// The page's fixed words: (key, Chinese, English).
const WORDS: [(&str, &str, &str); 17] = [
    (
        "site",
        "户外劳动者驿站地图",
        "Rest stations for outdoor workers",
    ),
    ("l_kind", "类型", "Type"),
    ("l_address", "地址", "Address"),
    ("l_hours", "开放时间", "Opening hours"),
    ("l_phone", "电话", "Phone"),
    ("l_amenities", "设施", "Amenities"),
    ("l_verified", "上次确认", "Last confirmed"),
    ("l_map", "在地图上查看", "Show on the map"),
    ("l_amap", "高德导航", "Navigate (Amap)"),
    ("l_baidu", "百度导航", "Navigate (Baidu)"),
    ("l_geo", "其他地图应用", "Other maps app"),
    ("l_id", "编号", "Id"),
    ("other_lang_label", "English", "中文"),
    ("none", "未提供", "not given"),
    ("never", "尚未确认", "never"),
    ("open", "正常开放", "Open as listed"),
    ("closed", "暂停服务", "Temporarily closed"),
];

fn word(l: Lang, key: &str) -> &'static str {
    WORDS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or("", |(_, zh, en)| if l == Lang::Zh { zh } else { en })
}

/// Percent-encodes a URL component (spaces as `%20`).
fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The parts of an OSM opening-hours expression that schema.org's `openingHours` syntax also reads
/// (`Mo-Fr 08:00-18:00`; `24/7` is `Mo-Su`); the others (holidays, `off`, comments) are left out.
fn schema_org_hours(osm: &str) -> Vec<String> {
    osm.split(';')
        .map(str::trim)
        .filter_map(|rule| {
            if rule == "24/7" {
                return Some("Mo-Su".to_owned());
            }
            let (days, times) = rule.split_once(' ')?;
            let days_ok = days
                .split([',', '-'])
                .all(|d| ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"].contains(&d));
            let times_ok = !times.is_empty()
                && times
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b":-,".contains(&b));
            (days_ok && times_ok).then(|| rule.to_owned())
        })
        .collect()
}

/// The schema.org description of a station.
fn json_ld(s: &Station, url: &str, l: Lang) -> Value {
    let amenities: Vec<Value> = s
        .amenities
        .iter()
        .map(|a| {
            let name = if l == Lang::Zh {
                a.label_zh()
            } else {
                a.label_en()
            };
            json!({"@type": "LocationFeatureSpecification", "name": name, "value": true})
        })
        .collect();
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "CivicStructure",
        "@id": url,
        "url": url,
        "identifier": s.id(),
        "name": s.name(),
        "description": if l == Lang::Zh { s.kind.label_zh() } else { s.kind.label_en() },
        "isAccessibleForFree": true,
        "publicAccess": true,
        "geo": {"@type": "GeoCoordinates", "latitude": s.position.lat(), "longitude": s.position.lon()},
        "address": {"@type": "PostalAddress", "addressLocality": "北京市", "addressCountry": "CN"},
        "amenityFeature": amenities,
    });
    if let Some(a) = s.address() {
        v["address"]["streetAddress"] = json!(a);
    }
    if let Some(d) = s.district() {
        v["address"]["addressRegion"] = json!(d);
    }
    let hours = s.opening_hours().map(schema_org_hours).unwrap_or_default();
    if !hours.is_empty() {
        v["openingHours"] = json!(hours);
    }
    if let Some(p) = s.phone() {
        v["telephone"] = json!(p);
    }
    v
}

/// The JSON-LD text, safe inside a `<script>` data block.
fn script_safe(v: &Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The status line: open, or closed (until when, why).
fn status_text(st: &StationState, today: NaiveDate, l: Lang) -> (String, &'static str) {
    if st.status_on(today) == Status::Open {
        return (word(l, "open").to_owned(), "open");
    }
    let mut t = word(l, "closed").to_owned();
    if let Some(d) = st.reopens_on {
        t.push_str(&match l {
            Lang::Zh => format!("，{d} 恢复"),
            Lang::En => format!(", reopens on {d}"),
        });
    }
    if let Some(n) = &st.status_note {
        t.push_str(&format!(" · {n}"));
    }
    (t, "closed")
}

/// Navigation links: Amap in GCJ-02, Baidu in BD-09, `geo:` in WGS-84 (the forms of static/js/details.js).
fn nav_links(s: &Station) -> [String; 3] {
    let (lon, lat) = (s.position.lon(), s.position.lat());
    let (glon, glat) = wgs84_to_gcj02(lon, lat);
    let (blon, blat) = gcj02_to_bd09(glon, glat);
    let amap = format!(
        "https://uri.amap.com/navigation?to={glon:.6},{glat:.6},{}&mode=ride&callnative=1&coordinate=gaode",
        enc(&s.name().replace(',', " "))
    );
    let baidu = format!(
        "https://api.map.baidu.com/direction?destination=latlng:{blat:.6},{blon:.6}|name:{}&coord_type=bd09ll&mode=riding&region={}&output=html&src=yizhan",
        enc(&s.name().replace('|', " ")),
        enc("北京")
    );
    let geo = format!(
        "geo:{lat:.6},{lon:.6}?q={lat:.6},{lon:.6}({})",
        enc(s.name())
    );
    [amap, baidu, geo]
}

#[utoipa::path(
    get, path = "/s/{id}", operation_id = "stationPage", tags = ["pages", "data"],
    summary = "A station's shareable page (分享页)",
    description = "Server-rendered HTML that needs no JavaScript: the station's details and state, links to the map and to \
        Amap/Baidu navigation, Open Graph tags (`og:title`, `og:description`, `og:url`) for chat-app previews, and schema.org \
        JSON-LD (`CivicStructure` with `geo`, `address`, `openingHours`, `amenityFeature`). Chinese or English by `lang`, \
        else by `Accept-Language`.",
    params(("id" = String, Path, description = "Station id.", example = "bj-chy-00042"),
        ("lang" = Option<String>, Query, description = "`zh` or `en`.")),
    responses((status = 200, description = "HTML (strict Content-Security-Policy; `Vary: Accept-Language`).",
            content_type = "text/html", body = String),
        (status = 400, description = "An unknown parameter or `lang`.", content_type = "text/html", body = String),
        (status = 404, description = "No such station.", content_type = "text/html", body = String))
)]
pub async fn page(
    State(app): State<AppState>,
    headers: HeaderMap,
    id: Result<StationIdPath, super::error::ApiError>,
    RawQuery(q): RawQuery,
) -> Response {
    let asked = Params::parse(q.as_deref())
        .and_then(|p| p.only(&["lang"]).map(|()| p.get("lang").map(str::to_owned)));
    let (Ok(StationIdPath(id)), Ok(asked)) = (id, asked) else {
        return message(
            StatusCode::BAD_REQUEST,
            "链接有误",
            "This link is malformed.",
        );
    };
    let Ok(l) = lang(asked.as_deref(), &headers) else {
        return message(
            StatusCode::BAD_REQUEST,
            "链接有误",
            "This link is malformed.",
        );
    };
    let cur = app.live.current();
    let Some(idx) = cur.snapshot.position_of(&id) else {
        return message(
            StatusCode::NOT_FOUND,
            "找不到这个驿站，可能已被移除。",
            "This station is not listed (any more).",
        );
    };
    let s = cur.snapshot.station(idx);
    let st = cur.states.get(idx).cloned().unwrap_or_default();
    let tz = app.settings.timezone;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let url = format!("{}/s/{}", base(&headers), enc(&id));
    let body = render(s, &st, today, tz, &url, l);
    html(StatusCode::OK, body, Some(l))
}

/// The texts of the page that depend on the station and its state, in `l`.
struct Details {
    status: String,
    status_class: &'static str,
    amenities: String,
    verified: String,
    /// District and address, or "not given".
    place: String,
    description: String,
}

fn details(
    s: &Station,
    st: &StationState,
    today: NaiveDate,
    tz: chrono_tz::Tz,
    l: Lang,
) -> Details {
    let zh = l == Lang::Zh;
    let pick = |zh_text: &'static str, en_text: &'static str| if zh { zh_text } else { en_text };
    let none = word(l, "none");
    let (status, status_class) = status_text(st, today, l);
    let amenities: Vec<&str> = s
        .amenities
        .iter()
        .map(|a| pick(a.label_zh(), a.label_en()))
        .collect();
    let amenities = if amenities.is_empty() {
        none.to_owned()
    } else {
        amenities.join(pick("、", ", "))
    };
    let verified = st.verified_at.map_or(word(l, "never").to_owned(), |v| {
        v.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    });
    // The district once: addresses often begin with it.
    let place = match (s.district(), s.address()) {
        (Some(d), Some(a)) if !a.starts_with(d) => format!("{d} {a}"),
        (d, a) => a.or(d).unwrap_or("").to_owned(),
    };
    let place = if place.is_empty() {
        none.to_owned()
    } else {
        place
    };
    let kind = pick(s.kind.label_zh(), s.kind.label_en());
    let hours = s.opening_hours().unwrap_or(none);
    let description = format!("{kind} · {place} · {hours} · {amenities}");
    Details {
        status,
        status_class,
        amenities,
        verified,
        place,
        description,
    }
}

/// The page's HTML.
fn render(
    s: &Station,
    st: &StationState,
    today: NaiveDate,
    tz: chrono_tz::Tz,
    url: &str,
    l: Lang,
) -> String {
    let zh = l == Lang::Zh;
    let pick = |zh_text: &'static str, en_text: &'static str| if zh { zh_text } else { en_text };
    let none = word(l, "none");
    let d = details(s, st, today, tz, l);
    let title = format!("{} · {}", s.name(), word(l, "site"));
    let (lat, lon) = (
        format!("{:.7}", s.position.lat()),
        format!("{:.7}", s.position.lon()),
    );
    let map_url = format!("/?lat={:.6}&lon={:.6}", s.position.lat(), s.position.lon());
    let [amap, baidu, geo] = nav_links(s);
    let phone = s.phone().unwrap_or("");
    let tel: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let (url_zh, url_en) = (format!("{url}?lang=zh"), format!("{url}?lang=en"));
    let other = if zh {
        ("en", url_en.as_str())
    } else {
        ("zh", url_zh.as_str())
    };
    let mut values: Vec<(&str, &str)> = vec![
        ("lang", pick("zh-CN", "en")),
        ("locale", pick("zh_CN", "en_US")),
        ("title", &title),
        ("description", &d.description),
        ("url", url),
        ("url_zh", &url_zh),
        ("url_en", &url_en),
        ("lat", &lat),
        ("lon", &lon),
        ("name", s.name()),
        ("id", s.id()),
        ("status", &d.status),
        ("status_class", d.status_class),
        ("kind", pick(s.kind.label_zh(), s.kind.label_en())),
        (
            "host_type",
            pick(s.host_type.label_zh(), s.host_type.label_en()),
        ),
        ("address", &d.place),
        ("hours", s.opening_hours().unwrap_or(none)),
        ("phone", if phone.is_empty() { none } else { phone }),
        ("phone_tel", &tel),
        ("amenities", &d.amenities),
        ("verified", &d.verified),
        ("map_url", &map_url),
        ("amap_url", &amap),
        ("baidu_url", &baidu),
        ("geo_url", &geo),
        ("other_lang", other.0),
        ("other_lang_url", other.1),
    ];
    values.extend(
        WORDS
            .iter()
            .map(|(k, zh_text, en_text)| (*k, pick(zh_text, en_text))),
    );
    fill(TEMPLATE, &values).replace("<!--JSONLD-->", &script_safe(&json_ld(s, url, l)))
}

/// A page with one message, Chinese first.
fn message(status: StatusCode, zh: &str, en: &str) -> Response {
    let body = fill(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>驿站 yizhan</title>\
         <link rel=\"stylesheet\" href=\"/station.css\"></head><body><main class=\"station\"><p>{{zh}}<br>\
         <span lang=\"en\">{{en}}</span></p><p><a href=\"/\">驿站地图 Map</a></p></main></body></html>\n",
        &[("zh", zh), ("en", en)],
    );
    html(status, body, None)
}

fn html(status: StatusCode, body: String, l: Option<Lang>) -> Response {
    let mut r = server_page(status, body);
    let h = r.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    if let Some(l) = l {
        let v = if l == Lang::Zh { "zh-CN" } else { "en" };
        h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(v));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_follows_the_parameter_then_the_weights() {
        let mut h = HeaderMap::new();
        assert_eq!(lang(None, &h), Ok(Lang::Zh));
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-GB,en;q=0.9,zh-CN;q=0.8"),
        );
        assert_eq!(lang(None, &h), Ok(Lang::En));
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr, en;q=0.5, zh-Hans;q=0.7"),
        );
        assert_eq!(lang(None, &h), Ok(Lang::Zh));
        assert_eq!(lang(Some("en"), &h), Ok(Lang::En));
        assert!(lang(Some("fr"), &h).is_err());
    }

    #[test]
    fn schema_org_hours_keep_what_schema_org_reads() {
        assert_eq!(schema_org_hours("24/7"), ["Mo-Su"]);
        assert_eq!(
            schema_org_hours("Mo-Fr 08:00-18:00; Sa,Su 09:00-12:00; PH off"),
            ["Mo-Fr 08:00-18:00", "Sa,Su 09:00-12:00"]
        );
        assert!(schema_org_hours("sunrise-sunset").is_empty());
    }

    #[test]
    fn no_value_can_end_the_json_ld_block() {
        let v = json!({"name": "</script><script>alert(1)</script>&"});
        let s = script_safe(&v);
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('&'),
            "{s}"
        );
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
