//! ESRI Shapefiles as survey firms and natural-resources bureaus deliver them: shapes from the
//! `.shp` (via the `shapefile` crate), attributes from the `.dbf` (via `dbase`), the coordinate
//! system from the `.prj`, the text encoding from `--encoding`, the `.cpg`, the DBF's language
//! driver byte, or — when none says — UTF-8 if the text is valid UTF-8 and GBK/GB18030 otherwise.
//! The import report says which encoding and which coordinate system were used.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use engine::columns;
use engine::crs::{Crs, CrsError};
use engine::{Layer, Problem, Reason};
use shapefile::dbase::{self, encoding::EncodingRs, FieldIterator, FieldValue, ReadableRecord};
use shapefile::record::traits::HasXY;
use shapefile::{PolygonRing, Shape};

use super::table::{Table, TableRow};
use super::{FileRead, Source};

/// A DBF keeps at most this many bytes of a column name.
const DBF_NAME_BYTES: usize = 10;

/// Reads a Shapefile of one layer.
pub fn read(layer: Layer, path: &Path, source: &Source) -> Result<FileRead, Vec<Problem>> {
    let file_problem = |reason: Reason| vec![Problem::because("file", reason)];
    let dbf = sibling(path, "dbf").ok_or_else(|| {
        file_problem(Reason::new(
            "no .dbf beside the .shp: a Shapefile's attributes are in the .dbf of the same name",
            "缺少与 .shp 同名的 .dbf 文件：Shapefile 的属性保存在 .dbf 文件中",
        ))
    })?;
    let (crs, crs_note) = coordinate_system(path, source.crs).map_err(file_problem)?;
    source.detected.record(|d| {
        let from = if crs_note == "--crs; no .prj" {
            "declared"
        } else {
            "prj"
        };
        d.crs = Some(super::detected::CrsUse::new(crs, from));
    });
    let (encoding, encoding_note) = text_encoding(path, &dbf, source.encoding);
    let (headers, cells, encoding_note) = match encoding {
        Some(e) => read_attributes(&dbf, e).map(|(h, c)| (h, c, encoding_note)),
        // Nothing says: UTF-8 when every text is valid UTF-8, else GBK/GB18030.
        None => read_attributes(&dbf, encoding_rs::UTF_8)
            .map(|(h, c)| (h, c, "UTF-8 (no .cpg; the text is valid UTF-8)".to_owned()))
            .or_else(|_| {
                read_attributes(&dbf, encoding_rs::GB18030).map(|(h, c)| {
                    (
                        h,
                        c,
                        "GBK/GB18030 (no .cpg; the text is not UTF-8)".to_owned(),
                    )
                })
            }),
    }
    .map_err(file_problem)?;
    source
        .detected
        .record(|d| d.encoding = Some(encoding_note.clone()));
    let shapes = read_shapes(path).map_err(file_problem)?;
    if shapes.len() != cells.len() {
        let (n, m) = (shapes.len(), cells.len());
        return Err(file_problem(Reason::new(
            format!(
                "the .shp holds {n} shapes but the .dbf {m} records: the files do not belong together"
            ),
            format!(".shp 中有 {n} 个图形，而 .dbf 中有 {m} 条记录：这两个文件不是同一套"),
        )));
    }
    let headers = headers
        .into_iter()
        .map(|h| full_header(layer, h, encoding.unwrap_or(encoding_rs::UTF_8)))
        .collect();
    let mut problems = Vec::new();
    let rows = shapes
        .into_iter()
        .zip(cells)
        .enumerate()
        .map(|(i, (shape, cells))| TableRow {
            number: i + 1,
            cells,
            geometry: shape_geometry(shape).unwrap_or_else(|reason| {
                problems.push(
                    Problem::because("geometry", reason)
                        .at(Some(i), None)
                        .in_table(i + 1, None),
                );
                None
            }),
        })
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    let table = Table { headers, rows };
    let read = super::table::read_table(layer, &table, crs, source)?;
    let features = read.features;
    Ok(FileRead {
        features,
        notes: vec![
            format!("attributes read as {encoding_note}"),
            format!("coordinates in {crs} ({crs_note})"),
        ]
        .into_iter()
        .chain(read.notes)
        .collect(),
    })
}

/// A file beside the `.shp` with another extension, in either letter case.
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_owned(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.exists())
}

/// The coordinate system: the `.prj`'s, or `--crs` when there is none; both must agree.
fn coordinate_system(path: &Path, declared: Option<Crs>) -> Result<(Crs, &'static str), Reason> {
    let Some(prj) = sibling(path, "prj") else {
        return declared.map(|c| (c, "--crs; no .prj")).ok_or_else(|| {
            Reason::new(
                "no .prj beside the .shp: name its coordinate system with --crs (e.g. --crs \
                 EPSG:4490, or the Gauss-Krüger zone EPSG:4491–4554 the survey used)",
                "缺少与 .shp 同名的 .prj 文件：请用 --crs 注明坐标系（例如 --crs EPSG:4490，\
                 或测绘时所用的高斯-克吕格投影带 EPSG:4491–4554）",
            )
        });
    };
    let bytes = std::fs::read(&prj).map_err(|e| {
        Reason::new(
            format!("cannot read the .prj: {e}"),
            format!("无法读取 .prj 文件：{}", super::io_error_zh(&e)),
        )
    })?;
    let crs = Crs::from_prj(&String::from_utf8_lossy(&bytes)).map_err(|e| {
        // A .prj that cannot be read says so itself; a system it names is said to be the .prj's.
        let zh = if matches!(e, CrsError::Prj(_)) {
            ""
        } else {
            ".prj 文件中的坐标系："
        };
        e.reason().prefixed("the .prj: ", zh)
    })?;
    match declared {
        Some(d) if d != crs => Err(Reason::new(
            format!("--crs says {d} but the .prj says {crs}: leave --crs out to use the .prj"),
            format!(
                "--crs 指定的是 {}，而 .prj 文件中是 {}：请去掉 --crs，使用 .prj 中的坐标系",
                d.name_zh(),
                crs.name_zh()
            ),
        )),
        Some(_) => Ok((crs, "the .prj and --crs")),
        None => Ok((crs, "from the .prj")),
    }
}

/// The attributes' encoding when something says it (`--encoding`, the `.cpg`, the DBF's
/// language driver byte), with the note; `None`: nothing says.
fn text_encoding(
    path: &Path,
    dbf: &Path,
    declared: Option<&'static encoding_rs::Encoding>,
) -> (Option<&'static encoding_rs::Encoding>, String) {
    if let Some(e) = declared {
        return (Some(e), format!("{} (--encoding)", e.name()));
    }
    if let Some(cpg) = sibling(path, "cpg") {
        let label = std::fs::read(&cpg).unwrap_or_default();
        let label = String::from_utf8_lossy(&label);
        let label = label.trim().trim_start_matches('\u{feff}');
        if let Some(e) = code_page(label) {
            return (Some(e), format!("{} (from the .cpg)", e.name()));
        }
    }
    // Byte 29 of a DBF header names its code page; 0x4D and 0x7A are Chinese GBK (936).
    let mut header = [0u8; 32];
    let ldid = File::open(dbf)
        .and_then(|mut f| f.read_exact(&mut header))
        .map(|()| header[29]);
    if matches!(ldid, Ok(0x4D | 0x7A)) {
        return (
            Some(encoding_rs::GBK),
            "GBK (the .dbf's code page 936)".to_owned(),
        );
    }
    (None, String::new())
}

/// An encoding named by a `.cpg` (a WHATWG label, or a Windows code page number as ArcGIS
/// writes them: 936, 65001, ANSI 1252 …).
fn code_page(label: &str) -> Option<&'static encoding_rs::Encoding> {
    let upper = label.to_ascii_uppercase();
    let number = upper
        .trim_start_matches("ANSI")
        .trim_start_matches("CP")
        .trim_start_matches("WINDOWS-")
        .trim()
        .to_owned();
    match number.as_str() {
        "936" => Some(encoding_rs::GBK),
        "54936" => Some(encoding_rs::GB18030),
        "65001" | "UTF8" => Some(encoding_rs::UTF_8),
        "950" => Some(encoding_rs::BIG5),
        n if n.parse::<u16>().is_ok() => {
            encoding_rs::Encoding::for_label(format!("windows-{n}").as_bytes())
        }
        _ => encoding_rs::Encoding::for_label(label.as_bytes()),
    }
}

/// Text decoded from a DBF checked strictly: a byte that was not text in the encoding (a U+FFFD
/// left by the decoder) refuses it, except a character cut in half at the end of a fixed-width
/// cell or name, which is dropped (GDAL and ArcGIS cut at the byte). In UTF-8 a cut end counts
/// only after other non-ASCII text, so that GBK text is not taken for UTF-8 cut short.
fn checked_text(text: &str, encoding: &'static encoding_rs::Encoding) -> Option<String> {
    let kept = text.trim_end_matches('\u{fffd}');
    let cut_ok = kept.len() == text.len() || encoding != encoding_rs::UTF_8 || !kept.is_ascii();
    (cut_ok && !kept.contains('\u{fffd}')).then(|| kept.to_owned())
}

/// One DBF record as the text of its cells, in column order.
struct Cells(Vec<String>);

impl ReadableRecord for Cells {
    fn read_using<S, M>(fields: &mut FieldIterator<S, M>) -> Result<Self, dbase::FieldError>
    where
        S: Read + std::io::Seek,
        M: Read + std::io::Seek,
    {
        let mut out = Vec::new();
        for field in fields {
            out.push(cell_text(field?.value));
        }
        Ok(Cells(out))
    }
}

/// A DBF value as table text: numbers without a spurious `.0`, dates as ISO 8601.
fn cell_text(value: FieldValue) -> String {
    let number = |n: f64| {
        if n.fract() == 0.0 && n.abs() < 1e15 {
            format!("{n:.0}")
        } else {
            n.to_string()
        }
    };
    match value {
        FieldValue::Character(s) => s.unwrap_or_default(),
        FieldValue::Memo(s) => s,
        FieldValue::Numeric(n) => n.map(number).unwrap_or_default(),
        FieldValue::Float(n) => n.map(|n| number(f64::from(n))).unwrap_or_default(),
        FieldValue::Double(n) | FieldValue::Currency(n) => number(n),
        FieldValue::Integer(n) => n.to_string(),
        FieldValue::Logical(b) => b.map(|b| b.to_string()).unwrap_or_default(),
        FieldValue::Date(d) => d
            .map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
            .unwrap_or_default(),
        FieldValue::DateTime(dt) => {
            let d = dt.date();
            format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
        }
    }
}

/// The DBF's column names and every record's cells, decoded with `encoding` and checked
/// ([`checked_text`]).
fn read_attributes(
    dbf: &Path,
    encoding: &'static encoding_rs::Encoding,
) -> Result<(Vec<String>, Vec<Vec<String>>), Reason> {
    let file = File::open(dbf).map_err(|e| {
        Reason::new(
            format!("cannot read the .dbf: {e}"),
            format!("无法读取 .dbf 文件：{}", super::io_error_zh(&e)),
        )
    })?;
    let mut reader = dbase::ReaderBuilder::new()
        .with_encoding(EncodingRs::from(encoding))
        .build(BufReader::new(file))
        .map_err(|e| {
            Reason::new(
                format!("the .dbf is not a readable dBase file: {e}"),
                format!(".dbf 文件不是可读取的 dBase 文件（{e}）"),
            )
        })?;
    let name = encoding.name();
    let not_text = |what: String, what_zh: String| {
        Reason::new(
            format!(
                "the .dbf's {what} is not {name} text (name the encoding with --encoding, e.g. \
                 gbk or utf-8)"
            ),
            format!("{what_zh}不是 {name} 编码的文字（请用 --encoding 指定编码，如 gbk 或 utf-8）"),
        )
    };
    let headers = reader
        .fields()
        .iter()
        .map(|f| {
            checked_text(f.name(), encoding).ok_or_else(|| {
                not_text(
                    format!("a column name ({})", f.name()),
                    format!(".dbf 中的列名（{}）", f.name()),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::new();
    for (i, record) in reader.iter_records_as::<Cells>().enumerate() {
        let record = record
            .map_err(|e| Reason::new(format!("the .dbf: {e}"), format!(".dbf 文件有误（{e}）")))?;
        let n = i + 1;
        let cells = record
            .0
            .into_iter()
            .zip(&headers)
            .map(|(c, h)| {
                checked_text(&c, encoding).ok_or_else(|| {
                    not_text(
                        format!("record {n}, column {h}"),
                        format!(".dbf 第 {n} 条记录的“{h}”列"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(cells);
    }
    Ok((headers, rows))
}

/// A header the DBF cut to 10 bytes, restored to the one known name it is the start of
/// (`60岁以上人` → `60岁以上人数`); any other header as it is.
fn full_header(layer: Layer, header: String, encoding: &'static encoding_rs::Encoding) -> String {
    if columns::column(layer, &header).is_some() {
        return header;
    }
    let cut = |name: &str| {
        let bytes = encoding.encode(name).0;
        if bytes.len() <= DBF_NAME_BYTES {
            return None;
        }
        let (text, _) = encoding.decode_without_bom_handling(&bytes[..DBF_NAME_BYTES]);
        checked_text(&text, encoding)
    };
    let matches: Vec<&str> = columns::known_headers(layer)
        .into_iter()
        .filter(|name| cut(name).is_some_and(|c| c.eq_ignore_ascii_case(header.trim())))
        .collect();
    let mut targets: Vec<_> = matches
        .iter()
        .filter_map(|m| columns::column(layer, m))
        .collect();
    targets.dedup();
    match (matches.first(), targets.len()) {
        (Some(full), 1) => (*full).to_owned(),
        _ => header,
    }
}

/// Every shape of the `.shp`, in record order.
fn read_shapes(path: &Path) -> Result<Vec<Shape>, Reason> {
    let mut reader = shapefile::ShapeReader::from_path(path).map_err(|e| {
        Reason::new(
            format!("not a readable Shapefile: {e}"),
            format!("无法读取 Shapefile（{e}）"),
        )
    })?;
    reader
        .iter_shapes()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Reason::new(format!("the .shp: {e}"), format!(".shp 文件有误（{e}）")))
}

/// A shape as a raw GeoJSON geometry (positions as stored, converted later with the rest);
/// `None` for a null shape.
fn shape_geometry(shape: Shape) -> Result<Option<geojson::Value>, Reason> {
    fn pos(p: &impl HasXY) -> Vec<f64> {
        vec![p.x(), p.y()]
    }
    fn polygons<P: HasXY>(rings: &[PolygonRing<P>]) -> Result<geojson::Value, Reason> {
        let mut polys: Vec<Vec<Vec<Vec<f64>>>> = Vec::new();
        for ring in rings {
            match ring {
                PolygonRing::Outer(ps) => polys.push(vec![ps.iter().rev().map(pos).collect()]),
                PolygonRing::Inner(ps) => polys
                    .last_mut()
                    .ok_or_else(|| {
                        Reason::new(
                            "a hole comes before any outer ring",
                            "内环（洞）出现在所有外环之前",
                        )
                    })?
                    .push(ps.iter().rev().map(pos).collect()),
            }
        }
        Ok(match polys.len() {
            1 => geojson::Value::Polygon(polys.remove(0)),
            _ => geojson::Value::MultiPolygon(polys),
        })
    }
    fn points<P: HasXY>(ps: &[P]) -> Result<geojson::Value, Reason> {
        match ps {
            [p] => Ok(geojson::Value::Point(pos(p))),
            _ => Err(Reason::new(
                format!(
                    "a multipoint of {} points: this layer takes one point a feature",
                    ps.len()
                ),
                format!("这是含 {} 个点的多点图形：每个要素只能有一个点", ps.len()),
            )),
        }
    }
    fn lines<P: HasXY>(parts: &[Vec<P>]) -> geojson::Value {
        geojson::Value::MultiLineString(parts.iter().map(|l| l.iter().map(pos).collect()).collect())
    }
    Ok(Some(match shape {
        Shape::NullShape => return Ok(None),
        Shape::Point(p) => geojson::Value::Point(pos(&p)),
        Shape::PointM(p) => geojson::Value::Point(pos(&p)),
        Shape::PointZ(p) => geojson::Value::Point(pos(&p)),
        Shape::Polygon(p) => polygons(p.rings())?,
        Shape::PolygonM(p) => polygons(p.rings())?,
        Shape::PolygonZ(p) => polygons(p.rings())?,
        Shape::Multipoint(m) => points(m.points())?,
        Shape::MultipointM(m) => points(m.points())?,
        Shape::MultipointZ(m) => points(m.points())?,
        Shape::Polyline(l) => lines(l.parts()),
        Shape::PolylineM(l) => lines(l.parts()),
        Shape::PolylineZ(l) => lines(l.parts()),
        Shape::Multipatch(_) => {
            return Err(Reason::new(
                "a multipatch (3-D surface) is not a map feature",
                "多面体（三维表面）不能作为地图要素",
            ))
        }
    }))
}
