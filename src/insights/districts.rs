//! Beijing's 16 districts with their 2020 census population, from `data/beijing-districts.json` (its `about`
//! names the source). The file has an approximate centre per district but no boundary, so a search is put in
//! a district by the district of the station nearest its cell's centre (the API does that; stations carry
//! their district), not by the nearest centre, which would misplace much of the large outer districts.

use serde::Deserialize;

/// The embedded file, as shipped.
pub const SOURCE: &str = include_str!("../../data/beijing-districts.json");

#[derive(Deserialize, Debug, Clone)]
pub struct District {
    /// The Chinese name, as stations' `district` spell it (`朝阳区`).
    pub name: String,
    pub en: String,
    /// Resident population, 2020 (seventh) national census.
    pub population: u64,
}

#[derive(Deserialize)]
struct File {
    districts: Vec<District>,
}

/// The districts, in the file's order.
pub fn all() -> Vec<District> {
    serde_json::from_str::<File>(SOURCE)
        .map(|f| f.districts)
        .unwrap_or_default()
}
