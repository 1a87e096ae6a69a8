//! `GET /api/enums`: every domain enum with its values' Chinese and English labels, and every
//! layer's fields with their labels and enum, so that the web map shows the engine's words
//! instead of keeping its own copy.

use axum::Json;
use engine::{schema, Layer, DOMAIN_ENUMS};
use serde_json::{json, Value};

/// The enums and the layers' fields (stored ones first, then the derived read-only ones, each in
/// schema order).
pub async fn enums() -> Json<Value> {
    Json(json!({
        "enums": DOMAIN_ENUMS,
        "layers": Layer::ALL.iter().map(|l| layer_fields(*l)).collect::<Vec<_>>(),
    }))
}

fn layer_fields(layer: Layer) -> Value {
    let derived = schema::derived_fields(layer);
    let fields: Vec<Value> = schema::fields(layer)
        .iter()
        .chain(derived)
        .map(|d| {
            json!({
                "name": d.name,
                "label_zh": d.label_zh,
                "label_en": d.label_en,
                "enum": d.domain_enum().map(|e| e.name),
                "list": matches!(d.kind, schema::FieldKind::EnumList(_)),
                "derived": derived.contains(d),
            })
        })
        .collect();
    json!({
        "layer": layer.name(),
        "title_zh": layer.title_zh(),
        "title_en": layer.title_en(),
        "fields": fields,
    })
}
