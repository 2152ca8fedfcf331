//! `GET /api/v1/insights/demand` and `/coverage`: the flushed totals, summed over the days asked, with every
//! cell below the floor left out.

use std::collections::HashMap;

use super::*;

/// One cell of the demand map (a GeoJSON Feature's `properties`).
#[derive(Serialize, utoipa::ToSchema)]
pub(in crate::api) struct CellRow {
    /// The H3 cell index (resolution 8), hexadecimal.
    #[schema(examples("8831aa5001fffff"))]
    cell: String,
    /// Nearest and along queries made in the cell over the days asked.
    searches: u64,
    /// Of them, those with no matching station within 1,000 m.
    unmet: u64,
    /// `unmet / searches`, rounded to 3 decimals.
    unmet_share: f64,
}

/// The demand map: H3 cell polygons (WGS-84) with their counts; cells with fewer than `min_count` searches are
/// left out.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // only read by the OpenAPI derive
pub(in crate::api) struct DemandCollection {
    #[schema(value_type = String, examples("FeatureCollection"))]
    r#type: &'static str,
    #[schema(value_type = Vec<Object>)]
    features: Vec<serde_json::Value>,
    count: usize,
    #[schema(value_type = String, format = Date)]
    from: String,
    #[schema(value_type = String, format = Date)]
    to: String,
    min_count: u64,
    #[schema(nullable)]
    hour_of_week: Option<u16>,
}

#[utoipa::path(
    get, path = "/api/v1/insights/demand", operation_id = "insightsDemand", tag = "insights",
    summary = "Demand and unmet demand per H3 cell (需求热力)",
    description = "Nearest and along searches per H3 cell (resolution 8, ≈ 0.74 km²) over local days `from`..=`to`, optionally one hour of the week. \
        `unmet`: no station matching the query's filters within 1,000 m. Cells with fewer than `min_count` searches are never returned (privacy floor 5). \
        `format=csv` downloads `cell,lon,lat,searches,unmet,unmet_share` (the cell centre).",
    security(("bearerAuth" = [])),
    params(("from" = Option<String>, Query, format = Date, description = "First local day (default: `to` − 27 days)."),
        ("to" = Option<String>, Query, format = Date, description = "Last local day (default: today in the service time zone)."),
        ("min_count" = Option<u64>, Query, minimum = 5, description = "Least searches a cell needs to be shown (default 5; below 5 is a 400)."),
        ("hour_of_week" = Option<u16>, Query, minimum = 0, maximum = 167, description = "Only this hour of the week, local: 0 = Monday 00:00–01:00, 167 = Sunday 23:00–24:00."),
        ("format" = Option<String>, Query, description = "`geojson` (default) or `csv`.")),
    responses((status = 200, description = "The cells.", content_type = "application/geo+json", body = DemandCollection),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 429, response = doc::TooManyRequests),
        (status = 503, response = doc::Unavailable))
)]
pub async fn demand(
    _: Admin,
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let p = Params::parse(query.as_deref())?;
    p.only(&INSIGHTS_DEMAND_PARAMS)?;
    let a = ask(&p, &app)?;
    let (range, min_count) = (a.range, a.min_count);
    let app2 = app.clone();
    let cells = blocking("insights", move || {
        let all = app2
            .insights
            .with_all_totals(|t| insights::by_cell(t, &range));
        all.into_iter()
            .filter(|(_, c)| c.searches >= min_count)
            .collect::<Vec<_>>()
    })
    .await?;
    let rows = cells.iter().map(|&(cell, c)| CellRow {
        cell: format!("{cell:x}"),
        searches: c.searches,
        unmet: c.unmet,
        unmet_share: share(c),
    });
    if a.csv {
        let mut out = String::from("cell,lon,lat,searches,unmet,unmet_share\n");
        for (row, &(cell, _)) in rows.zip(&cells) {
            let (lon, lat) = insights::cell_centre(cell).unwrap_or_default();
            out.push_str(&format!(
                "{},{lon:.6},{lat:.6},{},{},{}\n",
                row.cell, row.searches, row.unmet, row.unmet_share
            ));
        }
        return Ok(download(
            out.into_bytes(),
            "text/csv; charset=utf-8",
            &format!("demand-{}-{}.csv", a.from, a.to),
        ));
    }
    let features: Vec<serde_json::Value> = rows
        .zip(&cells)
        .map(|(row, &(cell, _))| {
            serde_json::json!({"type": "Feature", "id": row.cell,
                "geometry": {"type": "Polygon", "coordinates": [insights::cell_boundary(cell).unwrap_or_default()]},
                "properties": row})
        })
        .collect();
    let body = DemandCollection {
        r#type: "FeatureCollection",
        count: features.len(),
        features,
        from: a.from.to_string(),
        to: a.to.to_string(),
        min_count,
        hour_of_week: a.range.hour_of_week,
    };
    let bytes = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut r = download(
        bytes,
        "application/geo+json",
        &format!("demand-{}-{}.geojson", a.from, a.to),
    );
    r.headers_mut().remove(header::CONTENT_DISPOSITION);
    Ok(r)
}

/// One district's coverage.
#[derive(Serialize, utoipa::ToSchema, Clone)]
pub(in crate::api) struct DistrictRow {
    #[schema(examples("朝阳区"))]
    district: String,
    #[schema(examples("Chaoyang"))]
    district_en: String,
    /// Stations whose `district` is this one.
    stations: usize,
    /// Of them, open 24 hours.
    stations_24h: usize,
    /// Resident population, 2020 (seventh) national census.
    population: u64,
    /// `population / stations`; null without stations.
    residents_per_station: Option<u64>,
    /// Searches whose cell's nearest station is in this district; null below the privacy floor (5).
    searches: Option<u64>,
    /// `unmet / searches`; null when `searches` is.
    unmet_share: Option<f64>,
}

/// Coverage per district, in the census file's order.
#[derive(Serialize, utoipa::ToSchema)]
pub(in crate::api) struct Coverage {
    districts: Vec<DistrictRow>,
    #[schema(value_type = String, format = Date)]
    from: String,
    #[schema(value_type = String, format = Date)]
    to: String,
    /// Where the population figures come from.
    source: String,
}

#[utoipa::path(
    get, path = "/api/v1/insights/coverage", operation_id = "insightsCoverage", tag = "insights",
    summary = "Coverage per district (各区覆盖)",
    description = "Per district: stations, 24-hour stations, 2020 census population, residents per station, and the searches of `from`..=`to` \
        (a search counts in the district of the station nearest its cell's centre). `format=csv` downloads the table.",
    security(("bearerAuth" = [])),
    params(("from" = Option<String>, Query, format = Date, description = "First local day (default: `to` − 27 days)."),
        ("to" = Option<String>, Query, format = Date, description = "Last local day (default: today)."),
        ("format" = Option<String>, Query, description = "`json` (default) or `csv`.")),
    responses((status = 200, description = "The districts.", content_type = "application/json", body = Coverage),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::AdminDisabled),
        (status = 429, response = doc::TooManyRequests),
        (status = 503, response = doc::Unavailable))
)]
pub async fn coverage(
    _: Admin,
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let p = Params::parse(query.as_deref())?;
    p.only(&INSIGHTS_COVERAGE_PARAMS)?;
    let a = ask(&p, &app)?;
    let range = a.range;
    let app2 = app.clone();
    let rows = blocking("coverage", move || district_rows(&app2, &range)).await?;
    if a.csv {
        let mut out = String::from(
            "district,district_en,stations,stations_24h,population,residents_per_station,searches,unmet_share\n",
        );
        let opt = |v: Option<String>| v.unwrap_or_default();
        for r in &rows {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                r.district,
                r.district_en,
                r.stations,
                r.stations_24h,
                r.population,
                opt(r.residents_per_station.map(|v| v.to_string())),
                opt(r.searches.map(|v| v.to_string())),
                opt(r.unmet_share.map(|v| v.to_string())),
            ));
        }
        return Ok(download(
            out.into_bytes(),
            "text/csv; charset=utf-8",
            &format!("coverage-{}-{}.csv", a.from, a.to),
        ));
    }
    Ok(private(axum::Json(Coverage {
        districts: rows,
        from: a.from.to_string(),
        to: a.to.to_string(),
        source: about(),
    })))
}

fn about() -> String {
    serde_json::from_str::<serde_json::Value>(insights::districts::SOURCE)
        .ok()
        .and_then(|v| v["about"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The table: stations counted from the snapshot, searches put in the district of the station nearest
/// their cell's centre (the census file has no boundaries).
fn district_rows(app: &App, range: &Range) -> Vec<DistrictRow> {
    let cells = app
        .insights
        .with_all_totals(|t| insights::by_cell(t, range));
    let cur = app.live.current();
    let ds = &*cur.snapshot;
    let mut rows: Vec<DistrictRow> = insights::districts::all()
        .into_iter()
        .map(|d| DistrictRow {
            district: d.name,
            district_en: d.en,
            stations: 0,
            stations_24h: 0,
            population: d.population,
            residents_per_station: None,
            searches: None,
            unmet_share: None,
        })
        .collect();
    let at = OpenAt::new(
        chrono::Utc::now(),
        app.settings.timezone,
        app.calendar.rules(),
    );
    let index: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.district.clone(), i))
        .collect();
    for s in ds.stations() {
        if let Some(&i) = s.district().and_then(|d| index.get(d)) {
            rows[i].stations += 1;
            rows[i].stations_24h +=
                usize::from(s.amenities.has_all(crate::domain::Amenities::ALWAYS_OPEN));
        }
    }
    let mut counts = vec![Counts::default(); rows.len()];
    let any = Filter::default();
    for (cell, c) in cells {
        let Some(centre) = insights::cell_centre(cell) else {
            continue;
        };
        let hit = ds.nearest(centre, 1, None, &any, &at, &cur.states);
        let district = hit.first().and_then(|h| ds.station(h.idx).district());
        if let Some(&i) = district.and_then(|d| index.get(d)) {
            counts[i].add(c);
        }
    }
    for (r, c) in rows.iter_mut().zip(counts) {
        r.residents_per_station = (r.stations > 0).then(|| r.population / r.stations as u64);
        if c.searches >= MIN_COUNT {
            r.searches = Some(c.searches);
            r.unmet_share = Some(share(c));
        }
    }
    rows
}
