//! `TileJSON` 3.0.0 documents describing a layer set's tiles.

use engine::schema::{self, FieldDef, FieldKind};
use engine::Layer;
use serde_json::{json, Map, Value};

use crate::encode::{aggregate_property_names, property_names};
use crate::layers::visible_zoom_range;
use crate::MAX_ZOOM;

/// Attribution shown by the map.
pub const ATTRIBUTION: &str = "Grid Atlas 社区网格与服务设施一张图";

/// The `TileJSON` 3.0.0 document of a layer set.
///
/// `tiles_url_template` holds `{z}`, `{x}` and `{y}`; `bounds` is `[west, south, east, north]`
/// in degrees and `center` `[longitude, latitude, zoom]`. Each of `vector_layers` lists its
/// fields as "type — 中文 (English)" descriptions, from the engine's schema labels.
pub fn tilejson(
    layer_set_name: &str,
    tiles_url_template: &str,
    layers: &[Layer],
    bounds: [f64; 4],
    center: [f64; 3],
) -> Value {
    let set = crate::LayerSet::of(layers);
    let vector_layers: Vec<Value> = set.layers().map(vector_layer).collect();
    let minzoom = set
        .layers()
        .map(|l| visible_zoom_range(l).0)
        .min()
        .unwrap_or(0);
    let maxzoom = set
        .layers()
        .map(|l| visible_zoom_range(l).1)
        .max()
        .unwrap_or(MAX_ZOOM);
    let description: Vec<String> = set
        .layers()
        .map(|l| format!("{} {}", l.title_zh(), l.title_en()))
        .collect();
    json!({
        "tilejson": "3.0.0",
        "name": layer_set_name,
        "description": description.join(", "),
        "attribution": ATTRIBUTION,
        "scheme": "xyz",
        "tiles": [tiles_url_template],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "center": center,
        "vector_layers": vector_layers,
    })
}

/// A layer's entry: the properties its tiles carry, described from the schema, and the zooms
/// with features.
fn vector_layer(layer: Layer) -> Value {
    let mut fields = Map::new();
    for name in property_names(layer) {
        let def = schema::fields(layer)
            .iter()
            .chain(schema::derived_fields(layer))
            .find(|d| d.name == *name);
        let text = match def {
            Some(def) => describe(def),
            None => "Number — 版本 (Version)".to_owned(),
        };
        fields.insert((*name).to_owned(), Value::String(text));
    }
    if let Some(names) = aggregate_property_names(layer) {
        for name in names {
            let text = match *name {
                "count" => "Number — 楼栋数 (Buildings in the cell, below zoom 15)",
                _ => "Number — 户数 (Households)",
            };
            fields
                .entry((*name).to_owned())
                .or_insert_with(|| Value::String(text.to_owned()));
        }
    }
    let (minzoom, maxzoom) = visible_zoom_range(layer);
    json!({
        "id": layer.name(),
        "description": format!("{} ({})", layer.title_zh(), layer.title_en()),
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "fields": fields,
    })
}

fn describe(def: &FieldDef) -> String {
    let kind = match def.kind {
        FieldKind::Integer { .. } | FieldKind::Real { .. } => "Number",
        FieldKind::Boolean => "Boolean",
        FieldKind::Text { .. } | FieldKind::Code { .. } | FieldKind::Enum(_) => "String",
        FieldKind::EnumList(_) => "String (comma-separated list)",
    };
    format!("{kind} — {} ({})", def.label_zh, def.label_en)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn describes_every_layer_and_field() {
        let doc = tilejson(
            "atlas",
            "https://example.test/tiles/atlas/{z}/{x}/{y}.mvt",
            &Layer::ALL,
            [105.3, 28.8, 105.6, 29.0],
            [105.44, 28.89, 13.0],
        );
        assert_eq!(doc["tilejson"], "3.0.0");
        assert_eq!(
            doc["tiles"][0],
            "https://example.test/tiles/atlas/{z}/{x}/{y}.mvt"
        );
        assert_eq!(doc["minzoom"], 0);
        assert_eq!(doc["maxzoom"], 22);
        assert_eq!(doc["bounds"], json!([105.3, 28.8, 105.6, 29.0]));
        assert_eq!(doc["center"], json!([105.44, 28.89, 13.0]));
        let layers = doc["vector_layers"].as_array().unwrap();
        assert_eq!(layers.len(), Layer::ALL.len());
        let compounds = layers.iter().find(|l| l["id"] == "compounds").unwrap();
        assert_eq!(compounds["minzoom"], 13);
        assert_eq!(
            compounds["fields"]["households"],
            "Number — 户数 (Households)"
        );
        assert_eq!(
            compounds["fields"]["three_no"],
            "Boolean — 三无小区 (Three-no)"
        );
        let buildings = layers.iter().find(|l| l["id"] == "buildings").unwrap();
        assert_eq!(buildings["minzoom"], 12);
        assert!(buildings["fields"]["count"]
            .as_str()
            .unwrap()
            .contains("楼栋数"));
        let ways = layers.iter().find(|l| l["id"] == "ways").unwrap();
        assert_eq!(ways["minzoom"], 11, "major ways from zoom 11");
        assert_eq!(ways["fields"]["walkable"], "Boolean — 可步行 (Walkable)");
        assert!(
            ways["fields"].get("osm_way").is_none(),
            "only what tiles carry"
        );
        for l in layers {
            let layer = Layer::from_name(l["id"].as_str().unwrap()).unwrap();
            for name in property_names(layer) {
                assert!(l["fields"][name].is_string(), "{layer}.{name}");
            }
            let mut carried: Vec<&str> = property_names(layer).to_vec();
            carried.extend(aggregate_property_names(layer).unwrap_or_default());
            carried.sort_unstable();
            carried.dedup();
            let listed: Vec<&str> = l["fields"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(listed.len(), carried.len(), "{layer}: {listed:?}");
        }
        let grids_only = tilejson(
            "grids",
            "/tiles/grids/{z}/{x}/{y}.mvt",
            &[Layer::Grids],
            [0.0; 4],
            [0.0; 3],
        );
        assert_eq!(grids_only["minzoom"], 12);
        assert_eq!(grids_only["vector_layers"].as_array().unwrap().len(), 1);
    }
}
