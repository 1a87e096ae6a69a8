//! `GET /api/enums`: every domain enum with its values' Chinese and English labels, and every
//! layer's fields with their labels and enum, so that the web map shows the engine's words
//! instead of keeping its own copy. Each field also says what a form needs to take a value for it
//! (its kind, whether it is required, its range or length, the feature it names), and each layer
//! the geometries it accepts, so that the map's editing form checks what the engine will check.

use axum::Json;
use engine::schema::{FieldDef, FieldKind, GeometryKind};
use engine::{schema, Layer, DOMAIN_ENUMS};
use serde_json::{json, Map, Value};

/// The enums and the layers' fields (stored ones first, then the derived read-only ones, each in
/// schema order).
pub async fn enums() -> Json<Value> {
    Json(json!({
        "enums": DOMAIN_ENUMS.iter().chain(engine::gridwork::ENUMS).collect::<Vec<_>>(),
        "layers": Layer::ALL.iter().map(|l| layer_fields(*l)).collect::<Vec<_>>(),
    }))
}

fn layer_fields(layer: Layer) -> Value {
    let derived = schema::derived_fields(layer);
    let fields: Vec<Value> = schema::fields(layer)
        .iter()
        .chain(derived)
        .map(|d| field(d, derived.contains(d)))
        .collect();
    json!({
        "layer": layer.name(),
        "title_zh": layer.title_zh(),
        "title_en": layer.title_en(),
        "geometry": geometry_types(schema::geometry_kind(layer)),
        "fields": fields,
    })
}

/// One field: labels, enum, and what a form needs (kind, required, range or length, reference).
fn field(d: &FieldDef, derived: bool) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(d.name));
    out.insert("label_zh".into(), json!(d.label_zh));
    out.insert("label_en".into(), json!(d.label_en));
    out.insert("enum".into(), json!(d.domain_enum().map(|e| e.name)));
    out.insert(
        "list".into(),
        json!(matches!(d.kind, FieldKind::EnumList(_))),
    );
    out.insert("derived".into(), json!(derived));
    out.insert("kind".into(), json!(kind_name(d)));
    out.insert("required".into(), json!(d.required && !derived));
    match d.kind {
        FieldKind::Integer { min, max } => {
            out.insert("min".into(), json!(min));
            // i64::MAX (an id's upper bound) is beyond what a JSON number keeps exactly.
            if max < 1 << 53 {
                out.insert("max".into(), json!(max));
            }
        }
        FieldKind::Real { min, max } => {
            out.insert("min".into(), json!(min));
            out.insert("max".into(), json!(max));
        }
        FieldKind::Text { max_chars } => {
            out.insert("max_chars".into(), json!(max_chars));
        }
        FieldKind::Code { digits } => {
            out.insert("digits".into(), json!(digits));
        }
        FieldKind::Boolean | FieldKind::Enum(_) | FieldKind::EnumList(_) => {}
    }
    if let Some(r) = d.reference() {
        out.insert(
            "references".into(),
            json!({ "layer": r.layer.name(), "key": r.key }),
        );
    }
    Value::Object(out)
}

/// `integer`, `year`, `number`, `text`, `code`, `boolean`, `enum` or `enum_list`.
fn kind_name(d: &FieldDef) -> &'static str {
    match d.kind {
        FieldKind::Integer { .. } if d.is_year() => "year",
        FieldKind::Integer { .. } => "integer",
        FieldKind::Real { .. } => "number",
        FieldKind::Text { .. } => "text",
        FieldKind::Code { .. } => "code",
        FieldKind::Boolean => "boolean",
        FieldKind::Enum(_) => "enum",
        FieldKind::EnumList(_) => "enum_list",
    }
}

/// The GeoJSON geometry types a layer accepts.
fn geometry_types(kind: GeometryKind) -> &'static [&'static str] {
    match kind {
        GeometryKind::Point => &["Point"],
        GeometryKind::Polygon => &["Polygon"],
        GeometryKind::MultiPolygon => &["MultiPolygon", "Polygon"],
        GeometryKind::PointOrPolygon => &["Point", "Polygon"],
        GeometryKind::MultiLineString => &["MultiLineString", "LineString"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(body: &Value, layer: &str) -> Vec<Value> {
        let layers = body["layers"].as_array().expect("layers");
        let l = layers.iter().find(|l| l["layer"] == layer).expect("layer");
        l["fields"].as_array().expect("fields").clone()
    }

    fn field_of(body: &Value, layer: &str, name: &str) -> Value {
        fields_of(body, layer)
            .into_iter()
            .find(|f| f["name"] == name)
            .expect("field")
    }

    #[tokio::test]
    async fn enums_say_what_a_form_needs_for_each_field() {
        let Json(body) = enums().await;
        let households = field_of(&body, "compounds", "households");
        assert_eq!(households["kind"], "integer");
        assert_eq!(households["required"], true);
        assert_eq!(households["min"], 0);
        assert_eq!(households["max"], 1_000_000);
        let year = field_of(&body, "compounds", "build_year");
        assert_eq!(
            (&year["kind"], &year["required"]),
            (&json!("year"), &json!(false))
        );
        assert_eq!((&year["min"], &year["max"]), (&json!(1800), &json!(2100)));
        let pm = field_of(&body, "compounds", "property_management");
        assert_eq!(
            (&pm["kind"], &pm["enum"]),
            (&json!("enum"), &json!("property_management"))
        );
        let area = field_of(&body, "service_spaces", "floor_area");
        assert_eq!(
            (&area["kind"], &area["min"]),
            (&json!("number"), &json!(0.0))
        );
        let services = field_of(&body, "service_spaces", "services");
        assert_eq!(
            (&services["kind"], &services["list"]),
            (&json!("enum_list"), &json!(true))
        );
        let name = field_of(&body, "compounds", "name");
        assert_eq!(
            (&name["kind"], &name["max_chars"]),
            (&json!("text"), &json!(100))
        );
        let code = field_of(&body, "communities", "code");
        assert_eq!(
            (&code["kind"], &code["digits"]),
            (&json!("code"), &json!(12))
        );
        assert!(
            code.get("references").is_none(),
            "a layer's own code names nothing"
        );
        // Fields naming another feature say which, and by what.
        let gate_compound = field_of(&body, "gates", "compound_id");
        assert_eq!(
            gate_compound["references"],
            json!({ "layer": "compounds", "key": "id" })
        );
        assert!(
            gate_compound.get("max").is_none(),
            "no bound beyond a JSON number's precision"
        );
        assert_eq!(
            field_of(&body, "compounds", "community_code")["references"],
            json!({ "layer": "communities", "key": "code" })
        );
        assert_eq!(
            field_of(&body, "service_spaces", "station_id")["references"],
            json!({ "layer": "stations", "key": "id" })
        );
        // Derived fields are never required (a form does not show them as inputs).
        let three_no = field_of(&body, "compounds", "three_no");
        assert_eq!(
            (&three_no["derived"], &three_no["required"]),
            (&json!(true), &json!(false))
        );
        // Every field has a kind; every required one is a stored field of the schema.
        for l in body["layers"].as_array().expect("layers") {
            let layer = Layer::from_name(l["layer"].as_str().expect("name")).expect("layer");
            for f in l["fields"].as_array().expect("fields") {
                assert!(f["kind"].is_string(), "{layer}.{}", f["name"]);
                let stored = schema::field(layer, f["name"].as_str().expect("name"));
                assert_eq!(
                    f["required"],
                    stored.is_some_and(|d| d.required),
                    "{layer}.{}",
                    f["name"]
                );
            }
        }
    }

    #[tokio::test]
    async fn enums_list_the_geometries_each_layer_accepts() {
        let Json(body) = enums().await;
        let geometry = |layer: &str| {
            let layers = body["layers"].as_array().expect("layers");
            layers.iter().find(|l| l["layer"] == layer).expect("layer")["geometry"].clone()
        };
        assert_eq!(geometry("compounds"), json!(["Polygon"]));
        assert_eq!(geometry("gates"), json!(["Point"]));
        assert_eq!(geometry("stations"), json!(["Point"]));
        assert_eq!(geometry("buildings"), json!(["Point", "Polygon"]));
        assert_eq!(geometry("service_spaces"), json!(["Point", "Polygon"]));
        assert_eq!(geometry("communities"), json!(["MultiPolygon", "Polygon"]));
    }
}
