//! Import and export: GeoJSON (RFC 7946), CSV (lon/lat columns or a WKT column) and GeoPackage.
//!
//! Readers turn a file into validated features, or into the full list of problems (each naming
//! the feature's position, id, field and reason); nothing is written until every feature passes.
//! Text cells of CSV exports are neutralized against formula injection ([`formula`]); the CSV
//! reader undoes exactly that.

mod delimited;
pub mod detected;
pub mod formula;
mod gpkg_layer;
pub mod ledger;
mod ledger_update;
pub mod osm;
pub mod problem_list;
mod shp;
pub mod table;
mod workbook;

pub use workbook::layer_sheets;

pub use table::ColumnMap;

use std::path::Path;

use engine::crs::{Crs, CrsError};
use engine::placement::{Areas, Filled};
use engine::schema::{self, GeometryKind};
use engine::{Feature, Layer, Problem, Reason};
use geo::MapCoords;
use geo_types::Geometry;
use serde_json::Value;

/// File formats the atlas reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
    GeoPackage,
    /// Excel workbook (`.xlsx`, and the older `.xls`).
    Workbook,
    /// ESRI Shapefile (`.shp` beside its `.dbf`, `.shx`, `.prj`, `.cpg`).
    Shapefile,
    /// An OpenStreetMap extract (`.osm.pbf`): its ways, read only.
    OsmPbf,
}

impl Format {
    /// The format named by a file's extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "csv" => Some(Format::Csv),
            "gpkg" => Some(Format::GeoPackage),
            "xlsx" | "xlsm" | "xls" => Some(Format::Workbook),
            "shp" => Some(Format::Shapefile),
            "pbf" => Some(Format::OsmPbf),
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
            .map(ToString::to_string),
    }
}

/// Validates one GeoJSON feature of a batch, placing its problems at `index`.
pub fn parse_feature(
    layer: Layer,
    index: Option<usize>,
    f: geojson::Feature,
    crs: Crs,
) -> Result<Feature, Vec<Problem>> {
    parse_placed(layer, index, f, crs, None).map(|(f, _)| f)
}

/// [`parse_feature`], with the area codes it leaves out taken from where it lies and the ones it
/// names checked against it ([`Areas::place`]); says which it filled.
pub(crate) fn parse_placed(
    layer: Layer,
    index: Option<usize>,
    mut f: geojson::Feature,
    crs: Crs,
    areas: Option<&Areas>,
) -> Result<(Feature, Filled), Vec<Problem>> {
    let id = feature_id(&f);
    let placed = |ps: Vec<Problem>| -> Vec<Problem> {
        ps.into_iter().map(|p| p.at(index, id.clone())).collect()
    };
    if let Some(g) = f.geometry.as_mut() {
        convert_positions(&mut g.value, crs)
            .map_err(|e| placed(vec![Problem::because("geometry", e.reason())]))?;
    }
    let mut filled = Filled::new();
    let mut problems = Vec::new();
    if let (Some(areas), Some(g)) = (areas, f.geometry.as_ref()) {
        if let Ok(at) = Geometry::try_from(&g.value) {
            let props = f.properties.get_or_insert_with(Default::default);
            match areas.place(layer, props, &at) {
                Ok(fields) => filled = fields,
                Err(ps) => problems = ps,
            }
        }
    }
    match Feature::from_geojson(layer, &f) {
        Ok(feature) if problems.is_empty() => Ok((feature, filled)),
        Ok(_) => Err(placed(problems)),
        Err(more) => {
            // A field placement refused is not reported again as missing.
            let said: Vec<String> = problems.iter().map(|p| p.field.clone()).collect();
            problems.extend(more.into_iter().filter(|p| !said.contains(&p.field)));
            Err(placed(problems))
        }
    }
}

/// What placement filled in over a file, as notes for the import report.
#[derive(Debug, Default)]
struct Placements(std::collections::BTreeMap<&'static str, usize>);

impl Placements {
    fn add(&mut self, filled: &Filled) {
        for field in filled {
            *self.0.entry(field).or_default() += 1;
        }
    }

    fn notes(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(field, n)| {
                let what = field.trim_end_matches("_code");
                format!("{n} features named no {what}: each took the {what} it lies in ({field})")
            })
            .collect()
    }
}

/// Reads a GeoJSON FeatureCollection (or a single Feature) of one layer.
pub fn read_geojson(layer: Layer, text: &str, crs: Crs) -> Result<Vec<Feature>, Vec<Problem>> {
    read_geojson_placed(layer, text, crs, None).map(|read| read.features)
}

/// [`read_geojson`], placing features in `areas`.
fn read_geojson_placed(
    layer: Layer,
    text: &str,
    crs: Crs,
    areas: Option<&Areas>,
) -> Result<FileRead, Vec<Problem>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        let what = match e.classify() {
            serde_json::error::Category::Eof => "内容不完整，文件在此意外结束",
            serde_json::error::Category::Syntax => "语法错误",
            serde_json::error::Category::Data | serde_json::error::Category::Io => "内容有误",
        };
        vec![Problem::new(
            "json",
            format!("invalid JSON at line {line}, column {column}: {e}"),
            format!("不是有效的 JSON：第 {line} 行第 {column} 列{what}（{e}）"),
        )]
    })?;
    let features: Vec<Value> = match value.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match value.get("features") {
            Some(Value::Array(a)) => a.clone(),
            _ => {
                return Err(vec![Problem::new(
                    "features",
                    "a FeatureCollection needs a \"features\" array",
                    "FeatureCollection 中需要有“features”数组",
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
                format!(
                    "应为 GeoJSON 的 FeatureCollection 或 Feature，文件中{}",
                    other.map_or("没有 type".into(), |t| format!("是“{t}”"))
                ),
            )]);
        }
    };
    let mut out = Vec::with_capacity(features.len());
    let mut problems = Vec::new();
    let mut placements = Placements::default();
    for (i, v) in features.into_iter().enumerate() {
        let raw_id = v.get("id").map(ToString::to_string);
        match geojson::Feature::from_json_value(v) {
            Err(e) => problems.push(
                Problem::new(
                    "feature",
                    format!("not a GeoJSON feature: {e}"),
                    format!("不是有效的 GeoJSON 要素（{e}）"),
                )
                .at(Some(i), raw_id),
            ),
            Ok(f) => match parse_placed(layer, Some(i), f, crs, areas) {
                Ok((f, filled)) => {
                    placements.add(&filled);
                    out.push(f);
                }
                Err(ps) => problems.extend(ps),
            },
        }
    }
    all_or_problems(out, problems).map(|features| FileRead {
        features,
        notes: placements.notes(),
    })
}

/// The features read, or every problem when there is any (nothing is half imported).
fn all_or_problems(
    features: Vec<Feature>,
    problems: Vec<Problem>,
) -> Result<Vec<Feature>, Vec<Problem>> {
    if problems.is_empty() {
        Ok(features)
    } else {
        Err(problems)
    }
}

/// Reads a CSV file of one layer: a header row naming the columns ([`table`]), geometry from
/// lon/lat columns (points) or a WKT column (any geometry). Empty cells are missing values; lists
/// (`services`) are separated by `;`; the `'` an export put before a formula character is removed
/// ([`formula::restore`]).
pub fn read_csv(layer: Layer, text: &str, crs: Crs) -> Result<Vec<Feature>, Vec<Problem>> {
    let table = delimited::table(text)?;
    table::read_table(layer, &table, crs, &Source::default()).map(|read| read.features)
}

/// Parses WKT into a raw GeoJSON geometry value, keeping rings exactly as written (so an
/// unclosed ring is reported, not silently closed).
fn wkt_to_geojson(text: &str) -> Result<geojson::Value, Reason> {
    use wkt::types::{Coord, LineString, Polygon};
    let parsed: wkt::Wkt<f64> = text.parse().map_err(|e| {
        Reason::new(
            format!("not WKT: {e}"),
            format!("不是有效的 WKT 几何文本（{e}）"),
        )
    })?;
    let pos = |c: &Coord<f64>| vec![c.x, c.y];
    let ring = |l: &LineString<f64>| l.coords().iter().map(pos).collect::<Vec<_>>();
    let poly = |p: &Polygon<f64>| p.rings().iter().map(ring).collect::<Vec<_>>();
    match parsed {
        wkt::Wkt::Point(p) => p
            .coord()
            .map(|c| geojson::Value::Point(pos(c)))
            .ok_or_else(|| Reason::new("empty POINT", "POINT 中没有坐标")),
        wkt::Wkt::Polygon(p) => Ok(geojson::Value::Polygon(poly(&p))),
        wkt::Wkt::MultiPolygon(m) => Ok(geojson::Value::MultiPolygon(
            m.polygons().iter().map(poly).collect(),
        )),
        wkt::Wkt::LineString(l) => Ok(geojson::Value::LineString(ring(&l))),
        wkt::Wkt::MultiLineString(m) => Ok(geojson::Value::MultiLineString(
            m.line_strings().iter().map(ring).collect(),
        )),
        other => {
            let kind = other.to_string();
            let kind = kind.split('(').next().unwrap_or("?").trim();
            Err(Reason::new(
                format!("unsupported WKT geometry {kind}"),
                format!("不支持的 WKT 几何类型 {kind}"),
            ))
        }
    }
}

/// How to read an incoming file: what the user declared of it.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The coordinate system named with `--crs`; `None`: the file's own (a Shapefile's `.prj`),
    /// else WGS84.
    pub crs: Option<Crs>,
    /// `None`: UTF-8, or GBK/GB18030 when the text is not UTF-8 (a Shapefile's `.cpg` first).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// The sheet of a workbook or the layer of a GeoPackage; `None`: the first sheet, the
    /// GeoPackage layer named after the atlas layer, or its only one.
    pub sheet: Option<String>,
    /// The user's own names for columns.
    pub columns: ColumnMap,
    /// The areas features are placed in (the store's streets, communities and grids, and those of
    /// the same import); `None`: codes are taken as given.
    pub areas: Option<std::sync::Arc<Areas>>,
    /// The store's data, which a ledger without coordinates updates; `None`: such a table is
    /// refused.
    pub existing: Option<std::sync::Arc<engine::Snapshot>>,
    /// Skip the rows of a ledger that name no feature, or several, instead of refusing it.
    pub skip_unmatched: bool,
    /// Where the readers record what they found out about the file (the import page shows it).
    pub detected: detected::Detection,
}

impl From<Crs> for Source {
    fn from(crs: Crs) -> Self {
        Source {
            crs: Some(crs),
            ..Source::default()
        }
    }
}

/// A file as read: its features and how it was read, when worth saying (an encoding other than
/// UTF-8, the coordinate system of a `.prj`, the sheet and header rows of a workbook).
#[derive(Debug)]
pub struct FileRead {
    pub features: Vec<Feature>,
    pub notes: Vec<String>,
}

/// Reads one file of a layer in the given format.
pub fn read_file(
    layer: Layer,
    path: &Path,
    format: Format,
    source: &Source,
) -> Result<FileRead, Vec<Problem>> {
    match format {
        Format::Shapefile => return shp::read(layer, path, source),
        Format::Workbook => return workbook::read(layer, path, source),
        Format::GeoPackage => return gpkg_layer::read(layer, path, source),
        Format::OsmPbf => return osm::read(layer, path, source),
        Format::GeoJson | Format::Csv => {}
    }
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Problem::new(
            "file",
            format!("cannot read {}: {e}", path.display()),
            format!("无法读取文件 {}：{}", path.display(), io_error_zh(&e)),
        )]
    })?;
    let (text, encoding) =
        decode_text(&bytes, source.encoding).map_err(|e| vec![Problem::because("file", e)])?;
    let crs = source.crs.unwrap_or_default();
    source.detected.record(|d| {
        d.encoding = Some(encoding.clone().unwrap_or_else(|| "UTF-8".into()));
        let from = if source.crs.is_some() {
            "declared"
        } else {
            "default"
        };
        d.crs = Some(detected::CrsUse::new(crs, from));
    });
    let areas = source.areas.as_deref();
    let mut read = if format == Format::GeoJson {
        read_geojson_placed(layer, &text, crs, areas)
    } else {
        delimited::table(&text).and_then(|t| table::read_table(layer, &t, crs, source))
    }?;
    if let Some(e) = encoding {
        read.notes.insert(0, format!("read as {e}"));
    }
    Ok(read)
}

/// A text file as UTF-8 (a byte-order mark dropped) or, when it is not valid UTF-8, as GB18030
/// (which contains GBK and GB2312: what Chinese Excel and WPS write); as `declared` when given.
/// Names the encoding used when it was not UTF-8.
fn decode_text(
    bytes: &[u8],
    declared: Option<&'static encoding_rs::Encoding>,
) -> Result<(String, Option<String>), Reason> {
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
            Some(e) => Reason::new(
                format!("the file is not {} text", e.name()),
                format!("文件不是 {} 编码的文本", e.name()),
            ),
            None => Reason::new(
                "the file is neither UTF-8 nor GBK/GB18030 text (name it with --encoding)",
                "文件既不是 UTF-8 也不是 GBK/GB18030 编码的文本（请用 --encoding 指定编码）",
            ),
        });
    }
    let name = match declared {
        None => "GBK/GB18030 (the text is not UTF-8)".to_owned(),
        Some(e) if e == encoding_rs::UTF_8 => return Ok((text.into_owned(), None)),
        Some(e) => format!("{} (--encoding)", e.name()),
    };
    Ok((text.into_owned(), Some(name)))
}

/// Why a file could not be read, in Chinese: the common cases in words, others with the system's
/// own text.
pub(crate) fn io_error_zh(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "文件不存在".to_owned(),
        std::io::ErrorKind::PermissionDenied => "没有读取权限".to_owned(),
        _ => format!("读取出错（{e}）"),
    }
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
