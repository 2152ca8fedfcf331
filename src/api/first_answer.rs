//! The first answer of a shared link, carried inside the map page. Opening `/?lat=&lon=…` used to cost three
//! round trips before the list showed (HTML → app.js → the API); on a phone network (≈ 560 ms each) that is
//! most of two seconds. When the link says where, the server already knows what the page will ask, so it
//! answers in the page: a `<script type="application/json" id="first-answer">` block (data, never run, so the
//! page's CSP stays `script-src 'self'`) that the page uses instead of its first request when the request it
//! would send is the same.
//!
//! The page's own parameters are read as leniently as the page reads them (static/js/url-state.js `readUrl`):
//! an unknown amenity or a bad number there means "no first answer", never an error page, and the page then
//! asks the API itself and shows what the API says. The coordinates go no further than this answer: the page
//! is `no-store` and nothing here is logged.

use super::extract::NearestQuery;
use super::first_list;
use super::stations::nearest_body;
use super::App;
use super::AppState;

/// Stations in the page's nearest list (static/js/api.js `K`).
const PAGE_K: usize = 20;
/// The page's "open ≥ N min" bounds (static/js/url-state.js).
const MAX_PAGE_OPEN_FOR: u32 = 1440;
/// Where the page template takes the block.
pub const SLOT: &str = "<!--first-answer-->";

/// The nearest request the page will send for these page parameters, as an API query string, or `None`
/// when the page will not ask for a nearest list (no position, or "on my way").
fn page_request(raw: &str) -> Option<String> {
    let mut lat = None;
    let mut lon = None;
    let mut lng = None;
    let mut amenities: Vec<String> = Vec::new();
    let mut open_now = false;
    let mut open_for = 0u32;
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        match &*k {
            "lat" => lat = lat.or(Some(number(&v))),
            "lon" => lon = lon.or(Some(number(&v))),
            "lng" => lng = lng.or(Some(number(&v))),
            "amenities" => {
                for a in v.split(',').map(str::trim) {
                    let ok = !a.is_empty()
                        && a.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                    if ok && !amenities.iter().any(|x| x == a) {
                        amenities.push(a.to_owned());
                    }
                }
            }
            "open_now" => {
                open_now = matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes")
            }
            "open_for" => {
                open_for = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE_OPEN_FOR).contains(n))
                    .unwrap_or(0)
            }
            "mode" if v == "route" => return None,
            "to" | "path" => return None,
            _ => {}
        }
    }
    // The first value of a repeated key, and `lon` before `lng`, as URLSearchParams.get does.
    let (lat, lon) = (lat??, lon.or(lng)??);
    if lat.abs() > 90.0 || lon.abs() > 180.0 {
        return None;
    }
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("lat", &lat.to_string())
        .append_pair("lon", &lon.to_string())
        .append_pair("k", &PAGE_K.to_string());
    if !amenities.is_empty() {
        q.append_pair("amenities", &amenities.join(","));
    }
    if open_for > 0 {
        q.append_pair("open_for", &open_for.to_string());
    } else if open_now {
        q.append_pair("open_now", "true");
    }
    Some(q.finish())
}

fn number(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// What a shared link's page carries: the data block and the same answer as list items.
pub struct FirstAnswer {
    /// `<script type="application/json" id="first-answer">{"request": …, "answer": …}</script>`
    pub block: String,
    /// The `<li>` items of `#list` (first_list.rs).
    pub items: String,
}

/// The first answer for this query string, or `None` (no position, route mode, or a request the API would
/// refuse).
pub fn for_page(app: &AppState, raw_query: Option<&str>) -> Option<FirstAnswer> {
    let request = page_request(raw_query?)?;
    let q = NearestQuery::from_query(Some(&request), app).ok()?;
    let answer = answer(app, &q);
    let answer = std::str::from_utf8(&answer).ok()?;
    let items = first_list::items(&serde_json::from_str(answer).ok()?);
    let request = serde_json::to_string(&request).ok()?;
    // JSON inside <script>: only "</script" or "<!--" could end or bend the block; escaping every '<' rules both out.
    let json = format!("{{\"request\":{request},\"answer\":{answer}}}").replace('<', "\\u003c");
    let block = format!("<script type=\"application/json\" id=\"first-answer\">{json}</script>");
    Some(FirstAnswer { block, items })
}

fn answer(app: &App, q: &NearestQuery) -> Vec<u8> {
    let cur = app.live.current();
    nearest_body(app, &cur, q)
}

#[cfg(test)]
mod tests {
    use super::page_request;

    #[test]
    fn the_request_is_the_one_the_page_sends() {
        assert_eq!(
            page_request("lat=39.9087&lon=116.3975").as_deref(),
            Some("lat=39.9087&lon=116.3975&k=20")
        );
        assert_eq!(
            page_request("lon=116.4&lat=39.9&amenities=water,charging,water,Bad&open_now=1")
                .as_deref(),
            Some("lat=39.9&lon=116.4&k=20&amenities=water%2Ccharging&open_now=true")
        );
        assert_eq!(
            page_request("lat=39.9&lng=116.4&open_for=30&open_now=true").as_deref(),
            Some("lat=39.9&lon=116.4&k=20&open_for=30")
        );
    }

    #[test]
    fn no_request_without_a_position_or_in_route_mode() {
        for q in [
            "",
            "lat=39.9",
            "lat=91&lon=116",
            "lat=NaN&lon=116",
            "lat=inf&lon=116",
            "lat=39.9&lon=116.4&mode=route",
            "lat=39.9&lon=116.4&to=116.5,39.9",
        ] {
            assert_eq!(page_request(q), None, "{q}");
        }
    }
}
