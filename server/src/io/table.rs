//! Tables of office files — a CSV file, a spreadsheet's sheet, a Shapefile's attributes — read
//! into features. A column is a field by its name, its Chinese or English label, a ledger's alias
//! ([`engine::columns`]) or the user's own mapping (`--column 原列名=field`); cells are typed by
//! their field (counts as people type them, enum values by label); geometry comes from the file's
//! own shapes, lon/lat columns or a WKT column. Every problem names the row as the file numbers
//! it, the column as headed and the value.

use engine::columns::{self, Column};
use engine::crs::Crs;
use engine::reason::{listed, quoted};
use engine::schema::{self, FieldDef, FieldKind};
use engine::{Feature, Layer, Problem, Reason};
use serde_json::{Map, Value};

use super::detected::ColumnUse;
use super::{formula, FileRead, Source};
use engine::placement::{Areas, Filled};

/// A table as read from a file: headed columns and rows of text cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
}

/// One row of a [`Table`].
#[derive(Debug, Clone, Default)]
pub struct TableRow {
    /// The row as the file's user numbers it (the spreadsheet row, the CSV line's record, the
    /// Shapefile record), 1-based with header rows counted.
    pub number: usize,
    pub cells: Vec<String>,
    /// The row's geometry when the file carries shapes (Shapefile, GeoPackage), as read.
    pub geometry: Option<geojson::Value>,
}

/// The user's own names for columns the schema does not know (`--column 原列名=field`); an
/// empty target (`备注=`) leaves the column out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap(pub Vec<(String, String)>);

impl std::str::FromStr for ColumnMap {
    type Err = String;

    /// `原列名=field[,原列名=field …]`.
    fn from_str(s: &str) -> Result<Self, String> {
        s.split([',', '，'])
            .filter(|p| !p.trim().is_empty())
            .map(|pair| {
                let (from, to) = pair
                    .split_once(['=', '＝'])
                    .ok_or_else(|| format!("\"{pair}\": write 原列名=field"))?;
                Ok((from.trim().to_owned(), to.trim().to_owned()))
            })
            .collect::<Result<_, _>>()
            .map(ColumnMap)
    }
}

impl ColumnMap {
    /// Every pair of `other` after this map's own.
    #[must_use]
    pub fn merged(mut self, other: ColumnMap) -> ColumnMap {
        self.0.extend(other.0);
        self
    }
}

/// Columns that GIS tools add on their own (feature ids, computed lengths and areas): left out
/// without a word, as every GIS does.
const GIS_BOOKKEEPING: &[&str] = &[
    "fid",
    "objectid",
    "ogc_fid",
    "shape_leng",
    "shape_length",
    "shape_area",
    "shape_len",
];

/// Whether a header names a field the atlas computes (三无小区, 散居楼栋 …): an export carries
/// them for reading; on the way back in they are recomputed, not read.
fn is_derived(layer: Layer, header: &str) -> bool {
    schema::derived_fields(layer).iter().any(|d| {
        d.name.eq_ignore_ascii_case(header)
            || d.label_zh == header
            || d.label_en.eq_ignore_ascii_case(header)
    })
}

/// How one column of the table is read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Role {
    Known(Column),
    Skipped,
    Unknown,
}

/// Reads a table of one layer. Geometry: the row's own shape, else a WKT column, else lon/lat
/// columns (in `crs`, like the shapes).
///
/// A table without any coordinates is a ledger: with the store's data at hand
/// (`source.existing`), its rows update the features they name ([`super::ledger_update`]).
pub fn read_table(
    layer: Layer,
    table: &Table,
    crs: Crs,
    source: &Source,
) -> Result<FileRead, Vec<Problem>> {
    let areas = source.areas.as_deref();
    source.detected.record(|d| {
        d.columns = describe_columns(layer, &table.headers, &source.columns);
        d.rows = Some(table.rows.len());
    });
    let mut roles = column_roles(layer, &table.headers, &source.columns)?;
    let id_note = foreign_ids(&mut roles, &table.headers);
    let col = |want: Column| roles.iter().position(|r| *r == Role::Known(want));
    let (lon, lat, wkt_col) = (col(Column::Lon), col(Column::Lat), col(Column::Wkt));
    let has_shapes = table.rows.iter().any(|r| r.geometry.is_some());
    if !has_shapes && wkt_col.is_none() && (lon.is_none() || lat.is_none()) {
        if let Some(existing) = source.existing.as_deref() {
            return super::ledger_update::read(
                layer,
                table,
                &roles,
                existing,
                source.skip_unmatched,
            )
            .map(|mut read| {
                read.notes.splice(0..0, id_note);
                read
            });
        }
        return Err(vec![Problem::new(
            "geometry",
            format!(
                "the table has no coordinates: it needs lon and lat columns (经度/纬度), a wkt column, \
                 or shapes; its columns are {}",
                quoted_list(&table.headers)
            ),
            format!(
                "表格中没有坐标：需要经度、纬度两列（lon/lat），或一列 WKT 几何文本，或文件自带的图形；\
                 表格的列为 {}",
                quoted_list_zh(&table.headers)
            ),
        )]);
    }
    let mut out = Vec::with_capacity(table.rows.len());
    let mut problems = Vec::new();
    let mut placements = super::Placements::default();
    for (i, row) in table.rows.iter().enumerate() {
        match read_row(
            layer,
            i,
            row,
            &table.headers,
            &roles,
            [lon, lat, wkt_col],
            (crs, areas),
        ) {
            Ok((f, filled)) => {
                placements.add(&filled);
                out.push(f);
            }
            Err(ps) => problems.extend(ps),
        }
    }
    super::all_or_problems(out, problems).map(|features| FileRead {
        features,
        notes: id_note.into_iter().chain(placements.notes()).collect(),
    })
}

/// Leaves out an id column that comes without a version column: the atlas's own exports carry
/// both, while an id alone is another system's numbering (ArcGIS's `Id`, a ledger's 编号), which
/// taken as atlas ids would replace the atlas's features of those numbers. Says so.
fn foreign_ids(roles: &mut [Role], headers: &[String]) -> Option<String> {
    let has_version = roles.contains(&Role::Known(Column::Version));
    let id = roles.iter().position(|r| *r == Role::Known(Column::Id))?;
    if has_version {
        return None;
    }
    roles[id] = Role::Skipped;
    Some(format!(
        "column {} left out: without a version column these are another system's numbers, not \
         the atlas's ids (every row is a new feature)",
        header_at(headers, id).unwrap_or("id")
    ))
}

/// What each column holds; columns nobody can place are refused with the closest field names.
fn column_roles(
    layer: Layer,
    headers: &[String],
    mapping: &ColumnMap,
) -> Result<Vec<Role>, Vec<Problem>> {
    let mut problems = Vec::new();
    for (from, to) in &mapping.0 {
        if !headers.iter().any(|h| h.trim() == from) {
            problems.push(Problem::new(
                "--column",
                format!(
                    "the file has no column \"{from}\"; its columns are {}",
                    quoted_list(headers)
                ),
                format!(
                    "文件中没有{}这一列；文件的列为 {}",
                    quoted(from),
                    quoted_list_zh(headers)
                ),
            ));
        }
        if !to.is_empty() && columns::column(layer, to).is_none() {
            let closest = columns::closest_fields(layer, to);
            problems.push(Problem::new(
                "--column",
                format!(
                    "\"{to}\" is not a field of {layer}; closest: {}",
                    closest.join(", ")
                ),
                format!(
                    "{}不是{}图层的字段；最接近的：{}",
                    quoted(to),
                    layer.title_zh(),
                    columns::labelled_zh(layer, &closest)
                ),
            ));
        }
    }
    let roles: Vec<Role> = headers
        .iter()
        .map(|h| role_of(layer, h.trim(), mapping))
        .collect();
    for (h, _) in headers
        .iter()
        .zip(&roles)
        .filter(|(_, r)| **r == Role::Unknown)
    {
        let h = h.trim();
        let closest = columns::closest_fields(layer, h);
        let mut p = Problem::new(
            h,
            format!(
                "no field is called \"{h}\"; closest: {}. Name it with --column \"{h}=field\", \
                 or leave it out with --column \"{h}=\"",
                closest.join(", "),
            ),
            format!(
                "没有名为{}的字段；最接近的：{}。请用 --column \"{h}=字段名\" 指明这一列对应的字段，\
                 或用 --column \"{h}=\" 忽略这一列",
                quoted(h),
                columns::labelled_zh(layer, &closest),
            ),
        );
        p.column = Some(h.to_owned());
        problems.push(p);
    }
    for (i, role) in roles.iter().enumerate() {
        if let Role::Known(c) = role {
            if let Some(j) = roles[..i].iter().position(|r| r == role) {
                let (a, b) = (headers[j].trim(), headers[i].trim());
                problems.push(Problem::new(
                    "column",
                    format!("columns \"{a}\" and \"{b}\" both hold {}", column_name(*c)),
                    format!(
                        "{}和{}两列填的都是{}",
                        quoted(a),
                        quoted(b),
                        column_name_zh(*c)
                    ),
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(roles)
    } else {
        Err(problems)
    }
}

/// What the column headed `h` holds: the user's mapping first, then the schema's names, labels
/// and aliases; GIS bookkeeping and computed fields are left out.
fn role_of(layer: Layer, h: &str, mapping: &ColumnMap) -> Role {
    if let Some((_, to)) = mapping.0.iter().find(|(from, _)| from == h) {
        return columns::column(layer, to).map_or(Role::Skipped, Role::Known);
    }
    if let Some(c) = columns::column(layer, h) {
        Role::Known(c)
    } else if h.is_empty()
        || GIS_BOOKKEEPING.iter().any(|b| b.eq_ignore_ascii_case(h))
        || is_derived(layer, h)
    {
        Role::Skipped
    } else {
        Role::Unknown
    }
}

/// Every column of a table as [`read_table`] takes it, for the import page to show.
pub fn describe_columns(layer: Layer, headers: &[String], mapping: &ColumnMap) -> Vec<ColumnUse> {
    let mut roles: Vec<Role> = headers
        .iter()
        .map(|h| role_of(layer, h.trim(), mapping))
        .collect();
    foreign_ids(&mut roles, headers);
    headers
        .iter()
        .zip(roles)
        .map(|(h, role)| {
            let header = h.trim().to_owned();
            let mapped = mapping.0.iter().any(|(from, _)| *from == header);
            let (field, how, closest) = match role {
                Role::Known(c) => (
                    Some(column_name(c).to_owned()),
                    if mapped { "mapped" } else { "field" },
                    Vec::new(),
                ),
                Role::Skipped => (None, "skipped", Vec::new()),
                Role::Unknown => (
                    None,
                    "unknown",
                    columns::closest_fields(layer, &header)
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                ),
            };
            ColumnUse {
                header,
                field,
                how,
                closest,
            }
        })
        .collect()
}

/// What a column holds, in Chinese: a field's label and name (`户数（households）`), 经度 …
fn column_name_zh(c: Column) -> String {
    match c {
        Column::Field(def) => format!("{}（{}）", def.label_zh, def.name),
        Column::Id => "要素编号（id）".to_owned(),
        Column::Version => "版本（version）".to_owned(),
        Column::Lon => "经度（lon）".to_owned(),
        Column::Lat => "纬度（lat）".to_owned(),
        Column::Wkt => "WKT 几何文本（wkt）".to_owned(),
    }
}

fn column_name(c: Column) -> &'static str {
    match c {
        Column::Field(def) => def.name,
        Column::Id => "id",
        Column::Version => "version",
        Column::Lon => "lon",
        Column::Lat => "lat",
        Column::Wkt => "wkt",
    }
}

/// One row as a validated feature, or its problems placed at the row and column.
fn read_row(
    layer: Layer,
    index: usize,
    row: &TableRow,
    headers: &[String],
    roles: &[Role],
    [lon, lat, wkt_col]: [Option<usize>; 3],
    (crs, areas): (Crs, Option<&Areas>),
) -> Result<(Feature, Filled), Vec<Problem>> {
    let header = |c: usize| headers.get(c).map(|h| h.trim());
    let cell = |c: Option<usize>| {
        c.and_then(|c| row.cells.get(c))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    };
    let mut problems = Vec::new();
    let geometry = match (&row.geometry, cell(wkt_col), cell(lon), cell(lat)) {
        (Some(g), _, _, _) => Some(g.clone()),
        (None, Some(w), _, _) => super::wkt_to_geojson(w)
            .map_err(|e| {
                problems.push(
                    Problem::because("geometry", e).in_table(row.number, wkt_col.and_then(header)),
                );
            })
            .ok(),
        (None, None, Some(x), Some(y)) => {
            let number = |t: &str| columns::number_text(t).and_then(|n| n.parse::<f64>().ok());
            match (number(x), number(y)) {
                (Some(x), Some(y)) => Some(geojson::Value::Point(vec![x, y])),
                (None, _) => {
                    problems.push(
                        not_a_coordinate(x)
                            .in_table(row.number, lon.and_then(header))
                            .with_value(x),
                    );
                    None
                }
                (_, None) => {
                    problems.push(
                        not_a_coordinate(y)
                            .in_table(row.number, lat.and_then(header))
                            .with_value(y),
                    );
                    None
                }
            }
        }
        _ => {
            problems.push(
                Problem::new(
                    "geometry",
                    "missing: fill wkt, or lon and lat (经度、纬度)",
                    "缺少坐标：请填写经度和纬度，或 WKT 几何文本",
                )
                .in_table(row.number, None),
            );
            None
        }
    };
    let mut props = Map::new();
    for (c, role) in roles.iter().enumerate() {
        let key = match role {
            Role::Known(Column::Field(def)) => def.name,
            Role::Known(Column::Id) => "id",
            Role::Known(Column::Version) => "version",
            Role::Known(Column::Lon | Column::Lat | Column::Wkt)
            | Role::Skipped
            | Role::Unknown => continue,
        };
        let Some(text) = cell(Some(c)) else { continue };
        match typed_cell(layer, key, text, row.number, header(c)) {
            Ok(v) => {
                props.insert(key.to_owned(), v);
            }
            Err(p) => problems.push(*p),
        }
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
    // Every problem of the row at once: the cells refused above, then placement and validation
    // of the rest (a refused cell is not reported again as missing).
    let placed = super::parse_placed(layer, Some(index), feature, crs, areas);
    let said: Vec<String> = problems.iter().map(|p| p.field.clone()).collect();
    let more = match placed {
        Ok(done) if problems.is_empty() => return Ok(done),
        Ok(_) => Vec::new(),
        Err(ps) => ps,
    };
    problems.extend(
        more.into_iter()
            .filter(|p| !said.contains(&p.field))
            .map(|p| {
                let column = column_of(roles, headers, &p.field);
                let cell = column
                    .and_then(|c| headers.iter().position(|h| h.trim() == c))
                    .and_then(|i| row.cells.get(i))
                    .map_or("", String::as_str);
                p.in_table(row.number, column).with_value(cell)
            }),
    );
    Err(problems
        .into_iter()
        .map(|p| p.at(Some(index), id.clone()))
        .collect())
}

/// A lon/lat cell that is not a number.
fn not_a_coordinate(text: &str) -> Problem {
    Problem::new(
        "geometry",
        format!("\"{text}\" is not a coordinate"),
        format!("{}不是坐标数字", quoted(text)),
    )
}

/// The header of the column that holds `field` (a geometry problem: the lon or WKT column).
pub(super) fn column_of<'h>(roles: &[Role], headers: &'h [String], field: &str) -> Option<&'h str> {
    let c = roles.iter().position(|r| match r {
        Role::Known(Column::Field(def)) => def.name == field,
        Role::Known(Column::Lon | Column::Wkt) => field == "geometry",
        _ => false,
    })?;
    header_at(headers, c)
}

/// A cell of `row` under `header` typed by [`cell_value`] (after undoing an export's formula
/// guard), or the problem naming row, column and value.
pub(super) fn typed_cell(
    layer: Layer,
    key: &str,
    text: &str,
    row: usize,
    header: Option<&str>,
) -> Result<Value, Box<Problem>> {
    cell_value(layer, key, formula::restore(text))
        .map_err(|r| {
            Problem::new(
                key,
                format!("\"{text}\" {}", r.en),
                format!("{}{}", quoted(text), r.zh),
            )
        })
        .map_err(|p| Box::new(p.in_table(row, header).with_value(text)))
}

/// A cell typed by the field it belongs to: counts as people type them (`1,234`, full-width
/// digits, spaces around), enum values by wire name or label (老旧小区, 无物业), yes/no as 是/否 or
/// 有/无. Anything else is refused with what was expected (said of the value: "is not a whole
/// number", 不是整数).
fn cell_value(layer: Layer, key: &str, v: &str) -> Result<Value, Reason> {
    let def = schema::field(layer, key);
    let number = || columns::number_text(v);
    match (key, def.map(|d| d.kind)) {
        ("id" | "version", _) | (_, Some(FieldKind::Integer { .. })) => number()
            .and_then(|n| n.parse::<i64>().ok())
            .map(Value::from)
            .ok_or_else(|| Reason::new("is not a whole number", "不是整数")),
        (_, Some(FieldKind::Real { .. })) => number()
            .and_then(|n| n.parse::<f64>().ok())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| Reason::new("is not a number", "不是数字")),
        (_, Some(FieldKind::Boolean)) => match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "y" | "t" | "是" | "有" | "√" => Ok(Value::Bool(true)),
            "false" | "0" | "no" | "n" | "f" | "否" | "无" | "×" => Ok(Value::Bool(false)),
            _ => Err(Reason::new(
                "is not yes or no (是/否, 有/无)",
                "不是“是”或“否”（可填 是/否、有/无）",
            )),
        },
        (_, Some(FieldKind::EnumList(_))) => v
            .split([';', '；', '、', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| enum_text(def, s))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (_, Some(FieldKind::Enum(_))) => enum_text(def, v),
        _ => Ok(Value::String(v.into())),
    }
}

/// The header of column `c`, trimmed.
pub(super) fn header_at(headers: &[String], c: usize) -> Option<&str> {
    headers.get(c).map(|h| h.trim())
}

/// An enum value as its wire name, given by wire name or label.
fn enum_text(def: Option<&FieldDef>, v: &str) -> Result<Value, Reason> {
    let def = def.ok_or_else(|| Reason::new("is not a known value", "不是可识别的值"))?;
    columns::enum_value(def, v)
        .map(|name| Value::String(name.to_owned()))
        .ok_or_else(|| {
            let values = def.domain_enum().map_or(&[][..], |e| e.values);
            let labels: Vec<String> = values
                .iter()
                .map(|v| format!("{} ({})", v.label_zh, v.name))
                .collect();
            Reason::new(
                format!("is not one of {}", labels.join("、")),
                format!(
                    "不是可选的值，可选：{}",
                    listed(
                        values
                            .iter()
                            .map(|v| format!("{}（{}）", v.label_zh, v.name))
                    )
                ),
            )
        })
}

/// Headers as a Chinese message lists them: `“户数”、“备注”`.
fn quoted_list_zh(items: &[String]) -> String {
    listed(items.iter().map(|h| quoted(h.trim())))
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|h| format!("\"{}\"", h.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}
