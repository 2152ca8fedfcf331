//! The map page's first answer: a shared link's nearest list carried in the page (src/api/first_answer.rs).

use serde_json::{json, Value};

use super::helpers::{ids, spawn_app, TestApp};

fn dataset() -> Value {
    let f = |id: &str, lon: f64, name: &str, amenities: Value| {
        json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, 39.9]},
            "properties": {"name": name, "district": "朝阳区", "amenities": amenities, "opening_hours": "24/7"}})
    };
    json!({"type": "FeatureCollection", "features": [
        f("a", 116.400, "驿站 a", json!(["water"])),
        f("b", 116.401, "</script><script>alert(1)</script><!--", json!(["water", "charging"])),
        f("c", 116.402, "驿站 c", json!(["charging"])),
    ]})
}

/// The page's block, parsed, or `None`; panics if the page has more than one or it is not JSON.
async fn first_answer(app: &TestApp, link: &str) -> (reqwest::header::HeaderMap, Option<Value>) {
    let r = app.get(link).await;
    assert_eq!(r.status(), 200, "{link}");
    let headers = r.headers().clone();
    let html = r.text().await.expect("page body");
    let open = "<script type=\"application/json\" id=\"first-answer\">";
    assert!(html.matches(open).count() <= 1, "{link}: one block at most");
    assert!(
        !html.contains("<!--first-answer-->") || !html.contains(open),
        "{link}: slot filled"
    );
    let Some(start) = html.find(open) else {
        return (headers, None);
    };
    let rest = &html[start + open.len()..];
    let end = rest.find("</script>").expect("the block is closed");
    let block = &rest[..end];
    assert!(
        !block.contains('<'),
        "{link}: every '<' is escaped in the block"
    );
    (
        headers,
        Some(serde_json::from_str(block).expect("the block is JSON")),
    )
}

#[tokio::test]
async fn a_shared_link_carries_the_answer_the_page_would_ask_for() {
    let app = spawn_app(Some(dataset())).await;
    for (link, request) in [
        ("/?lat=39.9&lon=116.4011", "lat=39.9&lon=116.4011&k=20"),
        (
            "/?lon=116.4011&lat=39.9&amenities=charging,water&open_now=1",
            "lat=39.9&lon=116.4011&k=20&amenities=charging%2Cwater&open_now=true",
        ),
        (
            "/?lat=39.9&lng=116.4011&open_for=30&ticket=ABCD-1234",
            "lat=39.9&lon=116.4011&k=20&open_for=30",
        ),
    ] {
        let (h, block) = first_answer(&app, link).await;
        let block = block.unwrap_or_else(|| panic!("{link}: no first answer"));
        assert_eq!(block["request"], request, "{link}");
        let api = app
            .get_json(&format!("/api/v1/stations/nearest?{request}"))
            .await;
        assert_eq!(block["answer"], api, "{link}: the API's own answer");
        assert!(!ids(&api).is_empty());
        assert_eq!(h["cache-control"], "no-store", "{link}");
        assert!(
            h.get("etag").is_none(),
            "{link}: no ETag on a personal page"
        );
        assert_eq!(h["referrer-policy"], "no-referrer", "{link}");
        assert!(h["content-security-policy"]
            .to_str()
            .is_ok_and(|c| c.contains("script-src 'self'")));
    }
    // The hostile name survives as data.
    let (_, block) = first_answer(&app, "/?lat=39.9&lon=116.401").await;
    let names: Vec<String> = block.expect("a block")["answer"]["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(names.contains(&"</script><script>alert(1)</script><!--".to_owned()));
}

#[tokio::test]
async fn no_answer_without_a_position_in_route_mode_or_for_what_the_api_refuses() {
    let app = spawn_app(Some(dataset())).await;
    for link in [
        "/",
        "/?lat=39.9",
        "/?lat=95&lon=116.4",
        "/?lat=39.9&lon=116.4&mode=route",
        "/?lat=39.9&lon=116.4&to=116.5,39.95",
        "/?lat=39.9&lon=116.4&amenities=no_such_amenity",
    ] {
        let (h, block) = first_answer(&app, link).await;
        assert!(block.is_none(), "{link}: no first answer");
        assert_eq!(h["cache-control"], "no-cache", "{link}: the plain page");
        assert!(h.get("etag").is_some(), "{link}: the plain page's ETag");
    }
}
