//! Entry points for fuzzing (`fuzz/`, cargo-fuzz) and for replaying the fuzz corpus in tests:
//! arbitrary bytes through the GeoJSON and CSV importers and the API's feature-body parsing.
//! None of them may panic, whatever the input.

use engine::crs::Crs;
use engine::Layer;

use crate::io;

/// Arbitrary bytes as a GeoJSON file of every layer, in every coordinate system.
pub fn import_geojson(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for layer in Layer::ALL {
        for crs in [Crs::Wgs84, Crs::Gcj02, Crs::Bd09] {
            let _ = io::read_geojson(layer, text, crs);
        }
    }
}

/// Arbitrary bytes as a CSV file of every layer.
pub fn import_csv(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for layer in Layer::ALL {
        let _ = io::read_csv(layer, text, Crs::Wgs84);
    }
}

/// Arbitrary bytes as the body of a feature write, for every layer.
pub fn feature_body(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(feature) = geojson::Feature::from_json_value(value) else {
        return;
    };
    for layer in Layer::ALL {
        if let Ok(f) = io::parse_feature(layer, None, feature.clone(), Crs::Wgs84) {
            // What is accepted must also survive the round trip a store makes.
            let _ = engine::Feature::from_stored(
                layer,
                f.id().max(1),
                1,
                &f.properties(),
                f.geometry(),
            );
            let _ = crate::store::codec::cells(&f);
        }
    }
}

/// Arbitrary bytes as the body of a draft's `PUT` (a plan) or of its operations, on 奥体社区
/// of the demo district: whatever parses is validated, checked against every grid rule, drawn,
/// diffed and turned into a publication as the API does.
pub fn plan_body(data: &[u8]) {
    use std::sync::OnceLock;
    static DEMO: OnceLock<engine::Snapshot> = OnceLock::new();
    let snapshot = DEMO.get_or_init(|| engine::Snapshot::new(1, data::demo_district()));
    crate::api::planning::exercise_plan_body(snapshot, data::AOTI_COMMUNITY, data);
}
