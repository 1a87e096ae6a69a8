//! Converting features to and from table rows: attribute cells in `engine::schema` column order,
//! and geometry as WKB (PostGIS, as EWKB with SRID 4326) or GeoPackage binary.

use engine::schema::{self, FieldKind};
use engine::{Feature, Layer, Problem};
use geo_traits::to_geo::ToGeoGeometry;
use geo_types::Geometry;
use serde_json::{Map, Value};
use wkb::writer::WriteOptions;
use wkb::Endianness;

/// One attribute value, typed as its column.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
    Bool(bool),
    /// A list of names (a `text[]` in PostGIS, a JSON array in the GeoPackage).
    List(Vec<String>),
}

/// The stored attributes of a feature as cells, in column order: read from its fields directly
/// ([`super::cells`]), or from its JSON properties when a field has a shape only they read.
pub fn cells(feature: &Feature) -> Vec<Cell> {
    super::cells::cells(feature).unwrap_or_else(|| cells_from_json(feature))
}

/// The stored attributes of a feature as cells, read from its JSON properties.
pub(super) fn cells_from_json(feature: &Feature) -> Vec<Cell> {
    let props = feature.properties();
    schema::fields(feature.layer())
        .iter()
        .map(|def| {
            let v = props.get(def.name).unwrap_or(&Value::Null);
            match def.kind {
                FieldKind::Integer { .. } => Cell::Int(v.as_i64()),
                FieldKind::Real { .. } => Cell::Real(v.as_f64()),
                FieldKind::Text { .. } | FieldKind::Code { .. } | FieldKind::Enum(_) => {
                    Cell::Text(v.as_str().map(str::to_owned))
                }
                FieldKind::Boolean => Cell::Bool(v.as_bool().unwrap_or(false)),
                FieldKind::EnumList(_) => Cell::List(
                    v.as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
            }
        })
        .collect()
}

/// Attribute cells back to a property map.
pub fn properties(layer: Layer, cells: Vec<Cell>) -> Map<String, Value> {
    schema::fields(layer)
        .iter()
        .zip(cells)
        .map(|(def, cell)| {
            let v = match cell {
                Cell::Int(x) => x.map_or(Value::Null, Value::from),
                Cell::Real(x) => x.map_or(Value::Null, Value::from),
                Cell::Text(x) => x.map_or(Value::Null, Value::String),
                Cell::Bool(b) => Value::Bool(b),
                Cell::List(items) => Value::Array(items.into_iter().map(Value::String).collect()),
            };
            (def.name.to_owned(), v)
        })
        .collect()
}

/// Rebuilds a stored feature, naming the layer and id when the row is not a valid feature.
pub fn feature(
    layer: Layer,
    id: i64,
    version: i64,
    cells: Vec<Cell>,
    geometry: Geometry,
) -> Result<Feature, super::StoreError> {
    Feature::from_stored(layer, id, version, &properties(layer, cells), geometry).map_err(
        |problems| super::StoreError::Corrupt {
            layer,
            id,
            reason: problems
                .iter()
                .map(Problem::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        },
    )
}

/// ISO WKB, little-endian.
pub fn wkb(geometry: &Geometry) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    wkb::writer::write_geometry(
        &mut out,
        geometry,
        &WriteOptions {
            endianness: Endianness::LittleEndian,
        },
    )
    .expect("writing WKB to memory cannot fail");
    out
}

/// PostGIS EWKB with SRID 4326 (the SRID flag and value inserted after the type word).
pub fn ewkb_4326(geometry: &Geometry) -> Vec<u8> {
    let plain = wkb(geometry);
    let mut out = Vec::with_capacity(plain.len() + 4);
    out.push(plain[0]);
    let kind = u32::from_le_bytes([plain[1], plain[2], plain[3], plain[4]]) | 0x2000_0000;
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&4326u32.to_le_bytes());
    out.extend_from_slice(&plain[5..]);
    out
}

/// Reads WKB into a geo geometry.
pub fn from_wkb(bytes: &[u8]) -> Result<Geometry, String> {
    let parsed = wkb::reader::read_wkb(bytes).map_err(|e| format!("bad WKB: {e}"))?;
    parsed
        .try_to_geometry()
        .ok_or_else(|| "empty geometry".to_owned())
}

/// GeoPackage geometry blob (GPKG header, SRS 4326, XY envelope except for points, then WKB).
pub fn gpkg_blob(geometry: &Geometry) -> Vec<u8> {
    use geo::BoundingRect;
    let body = wkb(geometry);
    let rect = match geometry {
        Geometry::Point(_) => None,
        g => g.bounding_rect(),
    };
    let mut out = Vec::with_capacity(body.len() + 40);
    out.extend_from_slice(b"GP");
    out.push(0); // version 1
    let envelope_kind: u8 = if rect.is_some() { 1 } else { 0 };
    out.push((envelope_kind << 1) | 1); // little-endian header
    out.extend_from_slice(&4326i32.to_le_bytes());
    if let Some(r) = rect {
        for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out.extend_from_slice(&body);
    out
}

/// Reads a GeoPackage geometry blob.
pub fn from_gpkg_blob(bytes: &[u8]) -> Result<Geometry, String> {
    if bytes.len() < 8 || &bytes[..2] != b"GP" {
        return Err("not a GeoPackage geometry (no GP header)".into());
    }
    let flags = bytes[3];
    let envelope_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(format!("bad GeoPackage envelope indicator {other}")),
    };
    let start = 8 + envelope_len;
    if bytes.len() <= start {
        return Err("GeoPackage geometry is truncated".into());
    }
    from_wkb(&bytes[start..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{point, polygon};

    #[test]
    fn geometries_round_trip_through_wkb_and_gpkg_blobs() {
        let shapes: Vec<Geometry> = vec![
            point! { x: 105.4420001, y: 28.9010002 }.into(),
            polygon![(x: 105.0, y: 28.0), (x: 105.1, y: 28.0), (x: 105.1, y: 28.1), (x: 105.0, y: 28.0)].into(),
        ];
        for g in shapes {
            assert_eq!(from_wkb(&wkb(&g)).expect("wkb"), g);
            assert_eq!(from_gpkg_blob(&gpkg_blob(&g)).expect("gpkg"), g);
            let e = ewkb_4326(&g);
            assert_eq!(u32::from_le_bytes([e[5], e[6], e[7], e[8]]), 4326);
        }
        assert!(from_gpkg_blob(b"XX000000")
            .unwrap_err()
            .contains("GP header"));
    }
}
