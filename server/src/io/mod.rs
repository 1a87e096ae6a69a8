//! Import and export: GeoJSON (RFC 7946), CSV (lon/lat columns or a WKT column) and GeoPackage.
//!
//! Readers turn a file into validated features, or into the full list of problems (each naming
//! the feature's position, id, field and reason); nothing is written until every feature passes.
//! Text cells of CSV exports are neutralized against formula injection ([`formula`]); the CSV
//! reader undoes exactly that.

pub mod formula;

use std::path::Path;

use engine::columns::{self, Column};
use engine::crs::{Crs, CrsError};
use engine::schema::{self, FieldDef, FieldKind, GeometryKind};
use engine::{Feature, Layer, Problem};
use geo::MapCoords;
use geo_types::Geometry;
use serde_json::{Map, Value};

/// File formats the atlas reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
    GeoPackage,
}

impl Format {
    /// The format named by a file's extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "csv" => Some(Format::Csv),
            "gpkg" => Some(Format::GeoPackage),
            _ => None,
        }
    }
}

/// Names the layer of a file from its stem (`compounds.geojson` → compounds).
pub fn layer_from_path(path: &Path) -> Option<Layer> {
    let stem = path.file_stem()?.to_str()?;
    Layer::from_name(stem).or_else(|| Layer::ALL.into_iter().find(|l| stem.ends_with(l.name())))
}

/// Converts every raw position of a GeoJSON geometry from `crs` to WGS84 (before validation,
/// so ring checks see the converted coordinates). A position that cannot belong to `crs` (a
/// Gauss-Krüger easting outside its zone, projected metres declared as degrees, …) is refused
/// with the reason, never imported somewhere else on Earth. WGS84 and CGCS2000 positions are
/// left to the schema's own checks.
fn convert_positions(value: &mut geojson::Value, crs: Crs) -> Result<(), CrsError> {
    if matches!(crs, Crs::Wgs84 | Crs::Cgcs2000) {
        return Ok(());
    }
    let conv = |p: &mut Vec<f64>| -> Result<(), CrsError> {
        if p.len() >= 2 && p[0].is_finite() && p[1].is_finite() {
            let c = crs.to_wgs84_checked(geo_types::Coord { x: p[0], y: p[1] })?;
            p[0] = c.x;
            p[1] = c.y;
        }
        Ok(())
    };
    match value {
        geojson::Value::Point(p) => conv(p),
        geojson::Value::MultiPoint(ps) | geojson::Value::LineString(ps) => {
            ps.iter_mut().try_for_each(conv)
        }
        geojson::Value::MultiLineString(ls) | geojson::Value::Polygon(ls) => {
            ls.iter_mut().flatten().try_for_each(conv)
        }
        geojson::Value::MultiPolygon(ps) => ps.iter_mut().flatten().flatten().try_for_each(conv),
        geojson::Value::GeometryCollection(gs) => gs
            .iter_mut()
            .try_for_each(|g| convert_positions(&mut g.value, crs)),
    }
}

fn feature_id(f: &geojson::Feature) -> Option<String> {
    match &f.id {
        Some(geojson::feature::Id::Number(n)) => Some(n.to_string()),
        Some(geojson::feature::Id::String(s)) => Some(s.clone()),
        None => f
            .properties
            .as_ref()
            .and_then(|p| p.get("id"))
            .filter(|v| !v.is_null())
            .map(|v| v.to_string()),
    }
}

/// Validates one GeoJSON feature of a batch, placing its problems at `index`.
pub fn parse_feature(
    layer: Layer,
    index: Option<usize>,
    mut f: geojson::Feature,
    crs: Crs,
) -> Result<Feature, Vec<Problem>> {
    let id = feature_id(&f);
    if let Some(g) = f.geometry.as_mut() {
        convert_positions(&mut g.value, crs)
            .map_err(|e| vec![Problem::new("geometry", e.to_string()).at(index, id.clone())])?;
    }
    Feature::from_geojson(layer, &f)
        .map_err(|ps| ps.into_iter().map(|p| p.at(index, id.clone())).collect())
}

/// Reads a GeoJSON FeatureCollection (or a single Feature) of one layer.
pub fn read_geojson(layer: Layer, text: &str, crs: Crs) -> Result<Vec<Feature>, Vec<Problem>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        vec![Problem::new(
            "json",
            format!(
                "invalid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        )]
    })?;
    let features: Vec<Value> = match value.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match value.get("features") {
            Some(Value::Array(a)) => a.clone(),
            _ => {
                return Err(vec![Problem::new(
                    "features",
                    "a FeatureCollection needs a \"features\" array",
                )])
            }
        },
        Some("Feature") => vec![value],
        other => {
            return Err(vec![Problem::new(
                "type",
                format!(
                    "expected a GeoJSON FeatureCollection or Feature, got {}",
                    other.map_or("no type".into(), |t| format!("\"{t}\""))
                ),
            )]);
        }
    };
    let mut out = Vec::with_capacity(features.len());
    let mut problems = Vec::new();
    for (i, v) in features.into_iter().enumerate() {
        let raw_id = v.get("id").map(ToString::to_string);
        match geojson::Feature::from_json_value(v) {
            Err(e) => problems.push(
                Problem::new("feature", format!("not a GeoJSON feature: {e}")).at(Some(i), raw_id),
            ),
            Ok(f) => match parse_feature(layer, Some(i), f, crs) {
                Ok(f) => out.push(f),
                Err(ps) => problems.extend(ps),
            },
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Reads a CSV file of one layer: a header row naming the fields, geometry from `lon`/`lat`
/// columns (points) or a `wkt` column (any geometry). Empty cells are missing values; lists
/// (`services`) are separated by `;`; the `'` an export put before a formula character is removed
/// ([`formula::restore`]).
pub fn read_csv(layer: Layer, text: &str, crs: Crs) -> Result<Vec<Feature>, Vec<Problem>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| vec![Problem::new("csv", format!("unreadable header row: {e}"))])?
        .clone();
    // Columns by field name, Chinese or English label, or a ledger's alias (户数, 经度 …).
    let columns: Vec<Option<Column>> = headers.iter().map(|h| columns::column(layer, h)).collect();
    let col = |want: Column| columns.iter().position(|c| *c == Some(want));
    let (lon, lat, wkt_col) = (col(Column::Lon), col(Column::Lat), col(Column::Wkt));
    if wkt_col.is_none() && (lon.is_none() || lat.is_none()) {
        return Err(vec![Problem::new(
            "csv",
            "the header needs lon and lat columns, or a wkt column",
        )]);
    }
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems
                    .push(Problem::new("csv", format!("unreadable row: {e}")).at(Some(i), None));
                continue;
            }
        };
        let cell = |c: Option<usize>| c.and_then(|c| record.get(c)).filter(|s| !s.is_empty());
        let mut row_problems = Vec::new();
        let geometry = match (cell(wkt_col), cell(lon), cell(lat)) {
            (Some(w), _, _) => wkt_to_geojson(w)
                .map_err(|e| row_problems.push(Problem::new("wkt", e)))
                .ok(),
            (None, Some(x), Some(y)) => match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(x), Ok(y)) => Some(geojson::Value::Point(vec![x, y])),
                _ => {
                    row_problems.push(Problem::new(
                        "lon/lat",
                        format!("not numbers: \"{x}\", \"{y}\""),
                    ));
                    None
                }
            },
            _ => {
                row_problems.push(Problem::new(
                    "geometry",
                    "missing: fill wkt, or lon and lat",
                ));
                None
            }
        };
        let mut props = Map::new();
        for ((h, c), v) in headers.iter().zip(&columns).zip(record.iter()) {
            let key = match c {
                Some(Column::Field(def)) => def.name.to_owned(),
                Some(Column::Id) => "id".to_owned(),
                Some(Column::Version) => "version".to_owned(),
                Some(Column::Lon | Column::Lat | Column::Wkt) => continue,
                None => h.trim().to_ascii_lowercase(),
            };
            if v.trim().is_empty() {
                continue;
            }
            props.insert(key.clone(), csv_value(layer, &key, formula::restore(v)));
        }
        let id = props
            .get("id")
            .map(|v| v.to_string().trim_matches('"').to_owned());
        let feature = geojson::Feature {
            bbox: None,
            geometry: geometry.map(geojson::Geometry::new),
            id: None,
            properties: Some(props),
            foreign_members: None,
        };
        if !row_problems.is_empty() {
            problems.extend(row_problems.into_iter().map(|p| p.at(Some(i), id.clone())));
            continue;
        }
        match parse_feature(layer, Some(i), feature, crs) {
            Ok(f) => out.push(f),
            Err(ps) => problems.extend(ps),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A CSV cell typed by the field it belongs to: counts as people type them (`1,234`, full-width
/// digits), enum values by wire name or label (老旧小区, 无物业), yes/no as 是/否 or 有/无. Text that
/// does not parse is left as text, so validation reports it with the field's rule.
fn csv_value(layer: Layer, key: &str, v: &str) -> Value {
    let def = schema::field(layer, key);
    let number = || columns::number_text(v);
    match (key, def.map(|d| d.kind)) {
        ("id" | "version", _) | (_, Some(FieldKind::Integer { .. })) => number()
            .and_then(|n| n.parse::<i64>().ok())
            .map_or_else(|| Value::String(v.into()), Value::from),
        (_, Some(FieldKind::Real { .. })) => number()
            .and_then(|n| n.parse::<f64>().ok())
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(v.into()), Value::Number),
        (_, Some(FieldKind::Boolean)) => match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "是" | "有" => Value::Bool(true),
            "false" | "0" | "no" | "否" | "无" => Value::Bool(false),
            _ => Value::String(v.into()),
        },
        (_, Some(FieldKind::EnumList(_))) => Value::Array(
            v.split([';', '；', '、'])
                .map(|s| enum_text(def, s.trim()))
                .collect(),
        ),
        (_, Some(FieldKind::Enum(_))) => enum_text(def, v),
        _ => Value::String(v.into()),
    }
}

/// An enum value as its wire name when it names one (by wire name or label), else as written.
fn enum_text(def: Option<&FieldDef>, v: &str) -> Value {
    Value::String(
        def.and_then(|d| columns::enum_value(d, v))
            .map_or_else(|| v.to_owned(), str::to_owned),
    )
}

/// Parses WKT into a raw GeoJSON geometry value, keeping rings exactly as written (so an
/// unclosed ring is reported, not silently closed).
fn wkt_to_geojson(text: &str) -> Result<geojson::Value, String> {
    use wkt::types::{Coord, LineString, Polygon};
    let parsed: wkt::Wkt<f64> = text.parse().map_err(|e| format!("not WKT: {e}"))?;
    let pos = |c: &Coord<f64>| vec![c.x, c.y];
    let ring = |l: &LineString<f64>| l.coords().iter().map(pos).collect::<Vec<_>>();
    let poly = |p: &Polygon<f64>| p.rings().iter().map(ring).collect::<Vec<_>>();
    match parsed {
        wkt::Wkt::Point(p) => p
            .coord()
            .map(|c| geojson::Value::Point(pos(c)))
            .ok_or_else(|| "empty POINT".into()),
        wkt::Wkt::Polygon(p) => Ok(geojson::Value::Polygon(poly(&p))),
        wkt::Wkt::MultiPolygon(m) => Ok(geojson::Value::MultiPolygon(
            m.polygons().iter().map(poly).collect(),
        )),
        wkt::Wkt::LineString(l) => Ok(geojson::Value::LineString(ring(&l))),
        other => Err(format!(
            "unsupported WKT geometry {}",
            other.to_string().split('(').next().unwrap_or("?").trim()
        )),
    }
}

/// How to read an incoming file: its coordinate system and, when told, its text encoding.
#[derive(Debug, Clone, Copy, Default)]
pub struct Source {
    pub crs: Crs,
    /// `None`: UTF-8, or GBK/GB18030 when the text is not UTF-8.
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

impl From<Crs> for Source {
    fn from(crs: Crs) -> Self {
        Source {
            crs,
            encoding: None,
        }
    }
}

/// A file as read: its features and, when it was not UTF-8, the encoding used.
#[derive(Debug)]
pub struct FileRead {
    pub features: Vec<Feature>,
    pub encoding: Option<String>,
}

/// Reads one file of a layer in the given format (GeoJSON or CSV).
pub fn read_file(
    layer: Layer,
    path: &Path,
    format: Format,
    source: Source,
) -> Result<FileRead, Vec<Problem>> {
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Problem::new(
            "file",
            format!("cannot read {}: {e}", path.display()),
        )]
    })?;
    let (text, encoding) =
        decode_text(&bytes, source.encoding).map_err(|e| vec![Problem::new("file", e)])?;
    let features = match format {
        Format::GeoJson => read_geojson(layer, &text, source.crs),
        Format::Csv => read_csv(layer, &text, source.crs),
        Format::GeoPackage => Err(vec![Problem::new("file", "import a GeoPackage by serving it as the store (--store), or export it to GeoJSON first")]),
    }?;
    Ok(FileRead { features, encoding })
}

/// A text file as UTF-8 (a byte-order mark dropped) or, when it is not valid UTF-8, as GB18030
/// (which contains GBK and GB2312: what Chinese Excel and WPS write); as `declared` when given.
/// Names the encoding used when it was not UTF-8.
fn decode_text(
    bytes: &[u8],
    declared: Option<&'static encoding_rs::Encoding>,
) -> Result<(String, Option<String>), String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let encoding = match declared {
        Some(e) => e,
        None => match std::str::from_utf8(bytes) {
            Ok(text) => return Ok((text.to_owned(), None)),
            Err(_) => encoding_rs::GB18030,
        },
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(match declared {
            Some(e) => format!("the file is not {} text", e.name()),
            None => {
                "the file is neither UTF-8 nor GBK/GB18030 text (name it with --encoding)".into()
            }
        });
    }
    let name = match declared {
        None => "GBK/GB18030 (the text is not UTF-8)".to_owned(),
        Some(e) if e == encoding_rs::UTF_8 => return Ok((text.into_owned(), None)),
        Some(e) => format!("{} (--encoding)", e.name()),
    };
    Ok((text.into_owned(), Some(name)))
}

/// A feature's geometry as WKT (for CSV export).
pub fn geometry_wkt(g: &Geometry) -> String {
    use wkt::ToWkt;
    g.map_coords(|c| c).wkt_string()
}

/// The CSV header of a layer: id, version, stored fields, derived fields, then geometry columns.
pub fn csv_header(layer: Layer) -> Vec<String> {
    let mut h = vec!["id".to_owned(), "version".to_owned()];
    h.extend(schema::fields(layer).iter().map(|d| d.name.to_owned()));
    h.extend(
        schema::derived_fields(layer)
            .iter()
            .map(|d| d.name.to_owned()),
    );
    if schema::geometry_kind(layer) == GeometryKind::Point {
        h.extend(["lon".to_owned(), "lat".to_owned()]);
    } else {
        h.push("wkt".to_owned());
    }
    h
}

/// One CSV record of a feature, in [`csv_header`] order; text cells neutralized
/// ([`formula::neutralize`]), numbers and coordinates as written.
pub fn csv_record(f: &Feature) -> Vec<String> {
    let layer = f.layer();
    let props = f.properties();
    let mut r = vec![f.id().to_string(), f.version().to_string()];
    for name in schema::fields(layer)
        .iter()
        .map(|d| d.name)
        .chain(schema::derived_fields(layer).iter().map(|d| d.name))
    {
        r.push(match props.get(name) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => formula::neutralize(s).into_owned(),
            Some(Value::Array(a)) => formula::neutralize(
                &a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(";"),
            )
            .into_owned(),
            Some(v) => v.to_string(),
        });
    }
    match f.geometry() {
        Geometry::Point(p) if schema::geometry_kind(layer) == GeometryKind::Point => {
            r.push(p.x().to_string());
            r.push(p.y().to_string());
        }
        g => r.push(geometry_wkt(&g)),
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_export_neutralizes_text_keeps_negative_numbers_and_imports_back_unchanged() {
        let link = "=HYPERLINK(\"http://x.example/\",\"点击\")";
        let station = serde_json::json!({ "type": "FeatureCollection", "features": [
            { "type": "Feature", "id": 7, "geometry": { "type": "Point", "coordinates": [-0.1276, -51.5] },
              "properties": { "name": link, "kind": "grid_post", "community_code": "510504003004", "level": "community" } },
            { "type": "Feature", "id": 8, "geometry": { "type": "Point", "coordinates": [105.4, 28.9] },
              "properties": { "name": "'=1+1", "kind": "grid_post", "community_code": "510504003004", "level": "community" } }
        ] });
        let features =
            read_geojson(Layer::Stations, &station.to_string(), Crs::Wgs84).expect("valid");
        let header = csv_header(Layer::Stations);
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&header).expect("header");
        for f in &features {
            w.write_record(csv_record(f)).expect("record");
        }
        let text = String::from_utf8(w.into_inner().expect("csv")).expect("utf-8");
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        let cells: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("row")).collect();
        let col = |name: &str| header.iter().position(|h| h == name).expect(name);
        assert_eq!(&cells[0][col("name")], format!("'{link}"));
        assert_eq!(&cells[0][col("lon")], "-0.1276", "a number stays a number");
        assert_eq!(&cells[0][col("lat")], "-51.5");
        assert_eq!(&cells[1][col("name")], "''=1+1");
        let back = read_csv(Layer::Stations, &text, Crs::Wgs84).expect("imports");
        assert_eq!(back, features);
    }
}
