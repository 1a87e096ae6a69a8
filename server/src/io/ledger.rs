//! Excel ledgers (台账) out, as community staff keep them: one sheet per layer under a title row,
//! Chinese headers (the schema's labels), Chinese values (老旧小区, 无物业, 是/否), counts as
//! numbers, codes as text, points as 经度/纬度 and shapes as WKT in a 几何 column. What it writes
//! imports back unchanged ([`super::workbook`] reads the labels, values and title row).

use std::path::Path;

use engine::schema::{self, FieldDef, FieldKind, GeometryKind};
use engine::{Feature, Layer};
use geo_types::Geometry;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use serde_json::Value;

/// Excel keeps at most this many characters in a cell.
const CELL_CHARS: usize = 32_767;

/// One sheet of a ledger: a layer's features under a title.
pub struct Sheet<'a> {
    pub layer: Layer,
    pub title: String,
    pub features: Vec<&'a Feature>,
}

/// Writes `sheets` to a new workbook at `out`; a shape too detailed for a cell is refused by
/// feature.
pub fn write(out: &Path, sheets: &[Sheet<'_>]) -> Result<(), String> {
    let mut workbook = Workbook::new();
    for sheet in sheets {
        let ws = workbook.add_worksheet();
        write_sheet(ws, sheet).map_err(|e| format!("{}: {e}", sheet.layer.title_zh()))?;
    }
    workbook
        .save(out)
        .map_err(|e| format!("cannot write {}: {e}", out.display()))
}

/// The sheet a layer is written to: its Chinese title, with what Excel forbids in a sheet name
/// (`/` of 小区/院落) written as 、.
pub fn sheet_name(layer: Layer) -> String {
    layer
        .title_zh()
        .replace(['/', '\\', '[', ']', ':', '*', '?'], "、")
}

/// The layer a sheet holds, by the name [`sheet_name`] gives it, its Chinese title or the
/// layer's own name.
pub fn sheet_layer(sheet: &str) -> Option<Layer> {
    let s = sheet.trim();
    Layer::ALL
        .into_iter()
        .find(|&l| sheet_name(l) == s || l.title_zh() == s || l.name().eq_ignore_ascii_case(s))
}

/// The header of a layer's sheet: 编号, 版本, every field's Chinese label, then the geometry.
pub fn header(layer: Layer) -> Vec<&'static str> {
    let mut h = vec!["编号", "版本"];
    h.extend(schema::fields(layer).iter().map(|d| d.label_zh));
    h.extend(schema::derived_fields(layer).iter().map(|d| d.label_zh));
    if schema::geometry_kind(layer) == GeometryKind::Point {
        h.extend(["经度", "纬度"]);
    } else {
        h.push("几何");
    }
    h
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet<'_>) -> Result<(), String> {
    let xlsx = |e: XlsxError| e.to_string();
    let layer = sheet.layer;
    ws.set_name(sheet_name(layer)).map_err(xlsx)?;
    let header = header(layer);
    let last_col = u16::try_from(header.len() - 1).map_err(|e| e.to_string())?;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    ws.merge_range(0, 0, 0, last_col, &sheet.title, &title)
        .map_err(xlsx)?;
    let bold = Format::new().set_bold();
    for (c, h) in (0u16..).zip(&header) {
        ws.write_string_with_format(1, c, *h, &bold).map_err(xlsx)?;
    }
    let defs: Vec<&FieldDef> = schema::fields(layer)
        .iter()
        .chain(schema::derived_fields(layer))
        .collect();
    for (r, f) in (2u32..).zip(&sheet.features) {
        let props = f.properties();
        ws.write_number(r, 0, f.id() as f64).map_err(xlsx)?;
        ws.write_number(r, 1, f.version() as f64).map_err(xlsx)?;
        for (c, def) in (2u16..).zip(&defs) {
            match props.get(def.name) {
                None | Some(Value::Null) => {}
                Some(Value::Number(n)) => {
                    ws.write_number(r, c, n.as_f64().unwrap_or(f64::NAN))
                        .map_err(xlsx)?;
                }
                Some(v) => {
                    ws.write_string(r, c, value_text(def, v)).map_err(xlsx)?;
                }
            }
        }
        let c = u16::try_from(defs.len() + 2).map_err(|e| e.to_string())?;
        match f.geometry() {
            Geometry::Point(p) if schema::geometry_kind(layer) == GeometryKind::Point => {
                ws.write_number(r, c, p.x()).map_err(xlsx)?;
                ws.write_number(r, c + 1, p.y()).map_err(xlsx)?;
            }
            g => {
                let wkt = super::geometry_wkt(&g);
                if wkt.chars().count() > CELL_CHARS {
                    return Err(format!(
                        "feature {} has a shape too detailed for an Excel cell ({} characters of WKT, \
                         at most {CELL_CHARS}); export it as GeoPackage or GeoJSON",
                        f.id(),
                        wkt.chars().count()
                    ));
                }
                ws.write_string(r, c, wkt).map_err(xlsx)?;
            }
        }
    }
    ws.set_freeze_panes(2, 0).map_err(xlsx)?;
    ws.autofit();
    Ok(())
}

/// A stored value as staff write it: enum values by their Chinese label, yes/no as 是/否,
/// lists joined by 、.
fn value_text(def: &FieldDef, v: &Value) -> String {
    let label = |name: &str| {
        def.domain_enum()
            .and_then(|e| e.values.iter().find(|x| x.name == name))
            .map_or_else(|| name.to_owned(), |x| x.label_zh.to_owned())
    };
    match (def.kind, v) {
        (_, Value::Bool(b)) => if *b { "是" } else { "否" }.to_owned(),
        (FieldKind::Enum(_), Value::String(s)) => label(s),
        (FieldKind::EnumList(_), Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(label)
            .collect::<Vec<_>>()
            .join("、"),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}
