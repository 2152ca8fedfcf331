//! RFC 7396 merge patches of a station's properties (PATCH /api/v1/stations/{id}).

/// RFC 7396: objects merge key by key, `null` removes a key, anything else replaces.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(Default::default());
    }
    if let serde_json::Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() && !STATE_FIELDS.contains(&k.as_str()) {
                t.remove(k);
            } else if v.is_null() {
                // A state field's null must reach the importer: there it means "clear".
                t.insert(k.clone(), serde_json::Value::Null);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(serde_json::Value::Null), v);
            }
        }
    }
}

/// The property names that are station state rather than the station.
const STATE_FIELDS: [&str; 4] = ["status", "status_note", "reopens_on", "verified_at"];
