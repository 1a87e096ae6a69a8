//! The model's own reading of the schema: whether an incoming feature is valid and, if so, the
//! form a store must give back (text trimmed, optional fields defaulted, derived fields added).
//! Written from the documented rules (`engine::schema`'s table of fields and limits), not by
//! calling the validation under test.

use engine::schema::{self, FieldKind, GeometryKind};
use engine::Layer;
use serde_json::{json, Map, Value};

use super::steps::Geom;

/// Why the model expects a feature to be refused: the field at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub field: String,
    pub reason: String,
}

fn bad(field: &str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A geometry derived from a template's by a [`Geom`]; with a reason when the model knows it is
/// invalid beyond what [`geometry`] sees (a self-intersecting ring).
pub fn derive_geometry(layer: Layer, template: &Value, g: &Geom) -> (Value, Option<&'static str>) {
    let first = first_position(template).unwrap_or((105.44, 28.9));
    match g {
        Geom::Same => (template.clone(), None),
        Geom::Shift { micro } => {
            let d = f64::from(*micro) * 1e-7;
            let mut v = template.clone();
            if let Some(c) = v.get_mut("coordinates") {
                shift(c, d);
            }
            (v, None)
        }
        Geom::Null => (Value::Null, None),
        Geom::Empty => (json!({ "type": template["type"], "coordinates": [] }), None),
        Geom::Huge => {
            let mut v = template.clone();
            if let Some(p) = first_position_mut(&mut v["coordinates"]) {
                p[0] = json!(1e300);
            }
            (v, None)
        }
        Geom::Unclosed => {
            let mut v = template.clone();
            match v["type"].as_str() {
                Some("Point") => v["coordinates"] = json!([first.0]),
                Some("Polygon") => {
                    if let Some(r) = v["coordinates"][0].as_array_mut() {
                        r.pop();
                    }
                }
                Some("MultiPolygon") => {
                    if let Some(r) = v["coordinates"][0][0].as_array_mut() {
                        r.pop();
                    }
                }
                _ => {}
            }
            (v, None)
        }
        Geom::BowTie => {
            let (x, y) = first;
            let e = 1e-4;
            (
                json!({ "type": "Polygon", "coordinates": [[[x, y], [x + e, y + e], [x + e, y], [x, y + e], [x, y]]] }),
                Some("self-intersecting ring"),
            )
        }
        Geom::LineString => {
            let (x, y) = first;
            (
                json!({ "type": "LineString", "coordinates": [[x, y], [x + 1e-4, y]] }),
                None,
            )
        }
        Geom::Point { lon, lat } => match schema::geometry_kind(layer) {
            GeometryKind::Point | GeometryKind::PointOrPolygon => {
                (json!({ "type": "Point", "coordinates": [lon, lat] }), None)
            }
            _ => {
                let (x, y, e) = (*lon, *lat, 1e-4);
                (
                    json!({ "type": "Polygon", "coordinates": [[[x, y], [x + e, y], [x + e, y + e], [x, y + e], [x, y]]] }),
                    None,
                )
            }
        },
    }
}

fn shift(v: &mut Value, d: f64) {
    match v {
        Value::Array(items) if items.first().is_some_and(Value::is_number) => {
            for c in items.iter_mut().take(2) {
                if let Some(x) = c.as_f64() {
                    *c = json!(x + d);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| shift(i, d)),
        _ => {}
    }
}

fn first_position(v: &Value) -> Option<(f64, f64)> {
    fn walk(c: &Value) -> Option<(f64, f64)> {
        let a = c.as_array()?;
        if a.first()?.is_number() {
            return Some((a[0].as_f64()?, a.get(1)?.as_f64()?));
        }
        walk(a.first()?)
    }
    walk(v.get("coordinates")?)
}

fn first_position_mut(v: &mut Value) -> Option<&mut Vec<Value>> {
    let a = v.as_array_mut()?;
    if a.first().is_some_and(Value::is_number) {
        return Some(a);
    }
    first_position_mut(a.first_mut()?)
}

fn position(p: &Value) -> Result<(), Invalid> {
    let a = p
        .as_array()
        .ok_or_else(|| bad("geometry", "position is not an array"))?;
    if a.len() < 2 {
        return Err(bad("geometry", "position has fewer than 2 coordinates"));
    }
    let (x, y) = (
        a[0].as_f64().unwrap_or(f64::NAN),
        a[1].as_f64().unwrap_or(f64::NAN),
    );
    if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
        return Err(bad(
            "geometry",
            format!("position {x}, {y} is off the globe"),
        ));
    }
    Ok(())
}

fn line(line: &Value) -> Result<(), Invalid> {
    let ps = line
        .as_array()
        .ok_or_else(|| bad("geometry", "line is not an array"))?;
    ps.iter().try_for_each(position)?;
    if !ps.windows(2).any(|w| w[0] != w[1]) {
        return Err(bad("geometry", "a line needs 2 distinct positions"));
    }
    Ok(())
}

fn rings(rings: &Value) -> Result<(), Invalid> {
    let rs = rings
        .as_array()
        .ok_or_else(|| bad("geometry", "rings are not an array"))?;
    if rs.is_empty() {
        return Err(bad("geometry", "polygon has no rings"));
    }
    for r in rs {
        let ps = r
            .as_array()
            .ok_or_else(|| bad("geometry", "ring is not an array"))?;
        ps.iter().try_for_each(position)?;
        if ps.len() < 4 {
            return Err(bad("geometry", "a ring needs at least 4 positions"));
        }
        if ps.first() != ps.last() {
            return Err(bad("geometry", "ring is not closed"));
        }
    }
    Ok(())
}

/// Checks a `GeoJSON` geometry for a layer; the stored form (a `Polygon` of a `MultiPolygon` layer
/// becomes a one-part `MultiPolygon`).
pub fn geometry(layer: Layer, g: &Value, known_bad: Option<&str>) -> Result<Value, Invalid> {
    if g.is_null() {
        return Err(bad("geometry", "missing"));
    }
    let kind = schema::geometry_kind(layer);
    let t = g["type"].as_str().unwrap_or("");
    let accepted = match kind {
        GeometryKind::Point => t == "Point",
        GeometryKind::Polygon => t == "Polygon",
        GeometryKind::MultiPolygon => t == "Polygon" || t == "MultiPolygon",
        GeometryKind::PointOrPolygon => t == "Point" || t == "Polygon",
        GeometryKind::MultiLineString => t == "LineString" || t == "MultiLineString",
    };
    if !accepted {
        return Err(bad("geometry", format!("{t} is not a {kind:?}")));
    }
    let c = &g["coordinates"];
    match t {
        "Point" => position(c)?,
        "Polygon" => rings(c)?,
        "LineString" => line(c)?,
        "MultiLineString" => {
            let parts = c
                .as_array()
                .filter(|p| !p.is_empty())
                .ok_or_else(|| bad("geometry", "MultiLineString has no parts"))?;
            parts.iter().try_for_each(line)?;
        }
        _ => {
            let parts = c
                .as_array()
                .ok_or_else(|| bad("geometry", "parts are not an array"))?;
            if parts.is_empty() {
                return Err(bad("geometry", "MultiPolygon has no parts"));
            }
            parts.iter().try_for_each(rings)?;
        }
    }
    if let Some(reason) = known_bad {
        return Err(bad("geometry", reason));
    }
    if kind == GeometryKind::MultiPolygon && t == "Polygon" {
        return Ok(json!({ "type": "MultiPolygon", "coordinates": [c] }));
    }
    if kind == GeometryKind::MultiLineString && t == "LineString" {
        return Ok(json!({ "type": "MultiLineString", "coordinates": [c] }));
    }
    Ok(g.clone())
}

fn integer(v: &Value) -> Option<i64> {
    let n = v.as_number()?;
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|x| x.fract() == 0.0 && x.abs() < 9e15)
            .map(|x| x as i64)
    })
}

/// One value against its field's kind; its stored form.
fn field_value(kind: FieldKind, v: &Value) -> Result<Value, String> {
    match kind {
        FieldKind::Integer { min, max } => match integer(v) {
            Some(n) if (min..=max).contains(&n) => Ok(json!(n)),
            Some(n) => Err(format!("{n} is outside {min}..={max}")),
            None => Err(format!("{v} is not a whole number")),
        },
        FieldKind::Real { min, max } => match v.as_f64() {
            Some(x) if (min..=max).contains(&x) => Ok(json!(x)),
            _ => Err(format!("{v} is not a number within {min}..={max}")),
        },
        FieldKind::Text { max_chars } => match v.as_str() {
            Some(s) if s.trim().is_empty() => Err("blank text".into()),
            Some(s) if s.chars().count() > max_chars => {
                Err(format!("{} characters > {max_chars}", s.chars().count()))
            }
            Some(s) if s.chars().any(char::is_control) => Err("control character".into()),
            Some(s) => Ok(json!(s.trim())),
            None => Err(format!("{v} is not text")),
        },
        FieldKind::Code { digits } => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) if n.is_u64() => n.to_string(),
                _ => return Err(format!("{v} is not a code")),
            };
            if s.len() == digits && s.bytes().all(|b| b.is_ascii_digit()) {
                Ok(json!(s))
            } else {
                Err(format!("\"{s}\" is not {digits} digits"))
            }
        }
        FieldKind::Boolean => v
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| format!("{v} is not a boolean")),
        FieldKind::Enum(names) => match v.as_str() {
            Some(s) if names.contains(&s) => Ok(v.clone()),
            _ => Err(format!("{v} is not one of {names:?}")),
        },
        FieldKind::EnumList(names) => {
            let a = v.as_array().ok_or_else(|| format!("{v} is not a list"))?;
            let mut seen = Vec::new();
            for item in a {
                match item.as_str() {
                    Some(s) if names.contains(&s) && !seen.contains(&s) => seen.push(s),
                    _ => return Err(format!("{item} is not allowed or repeated")),
                }
            }
            if seen.is_empty() {
                Err("empty list".into())
            } else {
                Ok(v.clone())
            }
        }
    }
}

/// A grid's name as the grid layer stores it (trimmed), or why the layer refuses it.
pub fn grid_name(v: &Value) -> Result<Value, String> {
    let def = schema::field(Layer::Grids, "name").expect("grids have names");
    field_value(def.kind, v)
}

/// The stored form of each field of an incoming feature, or the field the model expects to be
/// named in the refusal. Rules across fields come after (see [`finish`]).
pub fn properties(layer: Layer, props: &Map<String, Value>) -> Result<Map<String, Value>, Invalid> {
    let defs = schema::fields(layer);
    let derived = schema::derived_fields(layer);
    for key in props.keys() {
        let known = key == "id"
            || key == "version"
            || defs.iter().any(|d| d.name == key)
            || derived.iter().any(|d| d.name == key);
        if !known {
            return Err(bad(key, "unknown field"));
        }
    }
    let mut out = Map::new();
    for d in defs {
        match props.get(d.name).filter(|v| !v.is_null()) {
            None if d.required => return Err(bad(d.name, "required but missing")),
            None if d.kind == FieldKind::Boolean => {
                out.insert(d.name.into(), json!(false));
            }
            None => {
                out.insert(d.name.into(), Value::Null);
            }
            Some(v) => {
                let v = field_value(d.kind, v).map_err(|r| bad(d.name, r))?;
                out.insert(d.name.into(), v);
            }
        }
    }
    Ok(out)
}

/// The rules across fields, checked once every field and the geometry are valid; the stored
/// properties with the derived fields added.
pub fn finish(layer: Layer, mut p: Map<String, Value>) -> Result<Map<String, Value>, Invalid> {
    cross_field_rules(layer, &p)?;
    add_derived(layer, &mut p);
    Ok(p)
}

/// The fields that refer to other features, any of which a refusal may name instead.
const REFERENCES: &str = "code|street_code|community_code|grid_code|compound_id|station_id";

/// Fields, geometry, then rules across fields, as a feature is validated: the stored
/// properties and geometry, or the expected refusal's field and whether the geometry may be
/// refused as unparseable (400) rather than invalid (422).
pub fn feature(
    layer: Layer,
    props: &Map<String, Value>,
    g: &Value,
    known_bad: Option<&str>,
) -> Result<(Map<String, Value>, Value), (Invalid, bool)> {
    match (properties(layer, props), geometry(layer, g, known_bad)) {
        (Err(i), g) => Err((i, g.is_err())),
        (Ok(_), Err(i)) => Err((i, true)),
        // A rule across fields may be reported after (or instead of) a broken reference.
        (Ok(p), Ok(g)) => finish(layer, p).map(|p| (p, g)).map_err(|mut i| {
            i.field = format!("{}|{REFERENCES}", i.field);
            (i, false)
        }),
    }
}

fn cross_field_rules(layer: Layer, p: &Map<String, Value>) -> Result<(), Invalid> {
    match layer {
        Layer::Compounds if p["elderly"].as_i64() > p["population"].as_i64() => {
            Err(bad("elderly", "more elderly than residents"))
        }
        Layer::Communities
            if !p["code"]
                .as_str()
                .unwrap_or("")
                .starts_with(p["street_code"].as_str().unwrap_or("-")) =>
        {
            Err(bad("code", "community code not under its street"))
        }
        Layer::Buildings if !p["compound_id"].is_null() && !p["grid_code"].is_null() => Err(bad(
            "grid_code",
            "a building in a compound takes no grid code",
        )),
        _ => Ok(()),
    }
}

/// Adds the read-only fields every output carries.
pub fn add_derived(layer: Layer, p: &mut Map<String, Value>) {
    match layer {
        Layer::Compounds => {
            let missing = u8::from(p["property_management"] == "none")
                + u8::from(p["owners_committee"] != true)
                + u8::from(p["competent_unit"] != true);
            p.insert("three_no".into(), json!(missing == 3));
            p.insert("missing_flags".into(), json!(missing));
        }
        Layer::Buildings => {
            let scattered = p["compound_id"].is_null();
            p.insert("scattered".into(), json!(scattered));
        }
        _ => {}
    }
}

/// The properties and geometry an import reads from one CSV row written from these values:
/// cells are text (lists joined by `;`, empty = missing), typed back by the field's kind.
pub fn through_csv(layer: Layer, props: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in props {
        let cell = cell(v);
        if cell.trim().is_empty() {
            continue;
        }
        let kind = schema::field(layer, k).map(|d| d.kind);
        let typed = match kind {
            Some(FieldKind::Integer { .. }) => {
                cell.parse::<i64>().map_or(json!(cell), |n| json!(n))
            }
            Some(FieldKind::Real { .. }) => cell
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(json!(cell), Value::Number),
            Some(FieldKind::Boolean) => match cell.to_ascii_lowercase().as_str() {
                "true" => json!(true),
                "false" => json!(false),
                _ => json!(cell),
            },
            Some(FieldKind::EnumList(_)) => {
                Value::Array(cell.split(';').map(|s| json!(s.trim())).collect())
            }
            _ => json!(cell),
        };
        out.insert(k.clone(), typed);
    }
    out
}

/// A value as a CSV cell.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(";"),
        other => other.to_string(),
    }
}

/// A `GeoJSON` geometry as WKT (shortest round-tripping decimals); empty for none.
pub fn wkt(g: &Value) -> String {
    fn pos(p: &Value) -> String {
        p.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        x.as_f64()
                            .map_or_else(|| "NaN".into(), |f| format!("{f:?}"))
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }
    fn list(v: &Value, f: fn(&Value) -> String) -> String {
        let items: Vec<String> = v
            .as_array()
            .map(|a| a.iter().map(f).collect())
            .unwrap_or_default();
        if items.is_empty() {
            "EMPTY".into()
        } else {
            format!("({})", items.join(", "))
        }
    }
    fn ring(r: &Value) -> String {
        list(r, pos)
    }
    fn poly(p: &Value) -> String {
        list(p, ring)
    }
    let c = &g["coordinates"];
    match g["type"].as_str() {
        Some("Point") if c.as_array().is_some_and(Vec::is_empty) => "POINT EMPTY".into(),
        Some("Point") => format!("POINT ({})", pos(c)),
        Some("LineString") => format!("LINESTRING {}", ring(c)),
        Some("Polygon") => format!("POLYGON {}", poly(c)),
        Some("MultiPolygon") => format!("MULTIPOLYGON {}", list(c, poly)),
        _ => String::new(),
    }
}
