//! Reading a stored feature row, the same in both stores: every attribute column in schema
//! order, typed as the schema says, and a value of the wrong type (a number column holding text,
//! as QGIS lets anyone type) told as its field, what it should hold and what it holds.

use engine::schema::{self, FieldDef, FieldKind};
use engine::snapshot::Unreadable;
use engine::{Feature, Layer, Problem, Reason};
use futures_util::TryStreamExt;
use geo_types::Geometry;
use sqlx::{ColumnIndex, Decode, Executor, IntoArguments, Row, Type};

use super::codec::{self, Cell};
use super::{Loaded, StoreError};

/// The data version and every layer's rows, read on `conn` inside the transaction the caller
/// opened, row by row (a city's million buildings are never held twice): `select` gives a
/// layer's query, `read` turns a row into a feature or an unreadable row.
pub(crate) async fn load_layers<DB>(
    conn: &mut DB::Connection,
    select: fn(Layer) -> String,
    read: fn(Layer, &DB::Row) -> Result<Feature, Unreadable>,
) -> Result<Loaded, StoreError>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'r> Decode<'r, DB>,
{
    let mut loaded = Loaded {
        version: sqlx::query_scalar(DATA_VERSION)
            .fetch_one(&mut *conn)
            .await?,
        ..Loaded::default()
    };
    for layer in Layer::ALL {
        let sql = format!("{} ORDER BY id", select(layer));
        let mut rows = sqlx::query(&sql).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            loaded.push(read(layer, &row));
        }
    }
    Ok(loaded)
}

/// The store's data version.
pub(crate) const DATA_VERSION: &str = "SELECT value FROM atlas_meta WHERE key = 'data_version'";

/// How a store reads the two things it stores its own way: lists of names and the geometry.
pub(crate) trait RowDialect<R: Row> {
    /// A list-of-names column.
    fn list(row: &R, def: &FieldDef) -> Result<Vec<String>, String>;
    /// The geometry column.
    fn geometry(row: &R) -> Result<Geometry, String>;
}

/// The field at fault, when known, and the reason (in English and Chinese).
type Fault = (Option<String>, Reason);

/// Reads one row as a feature checked by the schema, or as an unreadable row naming the field
/// at fault.
pub(crate) fn read<R, D>(layer: Layer, row: &R) -> Result<Feature, Unreadable>
where
    R: Row,
    D: RowDialect<R>,
    for<'r> &'r str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> f64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: i64 = row.try_get("id").unwrap_or(0);
    let stored_version: Option<i64> = row.try_get("version").ok();
    let unreadable = |(field, reason): Fault| Unreadable {
        layer,
        id,
        version: stored_version,
        field,
        reason: reason.en,
        reason_zh: reason.zh,
    };
    let version = stored_version.ok_or_else(|| {
        unreadable((
            Some("version".to_owned()),
            Reason::new(
                "version: missing or not a whole number",
                "version（版本）：缺失或不是整数",
            ),
        ))
    })?;
    let mut cells = Vec::new();
    for def in schema::fields(layer) {
        cells.push(match def.kind {
            FieldKind::Integer { .. } => Cell::Int(typed(row, def).map_err(unreadable)?),
            FieldKind::Real { .. } => Cell::Real(typed(row, def).map_err(unreadable)?),
            FieldKind::Text { .. } | FieldKind::Code { .. } | FieldKind::Enum(_) => {
                Cell::Text(typed(row, def).map_err(unreadable)?)
            }
            FieldKind::Boolean => Cell::Bool(typed(row, def).map_err(unreadable)?),
            FieldKind::EnumList(_) => Cell::List(D::list(row, def).map_err(|reason| {
                unreadable((Some(def.name.to_owned()), unreadable_cell(def, &reason)))
            })?),
        });
    }
    let geometry = D::geometry(row).map_err(|reason| {
        let why = Reason::new(
            format!("geometry: {reason}"),
            format!("geometry（几何图形）：无法读取（{reason}）"),
        );
        unreadable((Some("geometry".to_owned()), why))
    })?;
    let props = codec::properties(layer, cells);
    Feature::from_stored(layer, id, version, &props, geometry).map_err(|problems| {
        let en: Vec<String> = problems.iter().map(Problem::to_string).collect();
        let en = en.join("; ");
        let zh: Vec<String> = problems
            .iter()
            .map(|p| stored_problem_zh(layer, p))
            .collect();
        unreadable((first_field(layer, &en), Reason::new(en, zh.join("；"))))
    })
}

/// A field by its Chinese label, with the stored column in brackets: `户数（households）`.
fn field_zh(layer: Layer, field: &str) -> String {
    match (field, schema::field(layer, field)) {
        ("geometry", _) => "几何图形（geometry）".to_owned(),
        (_, Some(def)) => format!("{}（{field}）", def.label_zh),
        (_, None) => field.to_owned(),
    }
}

/// One problem of a stored row in Chinese, naming the field by its label.
fn stored_problem_zh(layer: Layer, p: &Problem) -> String {
    format!("{}：{}", field_zh(layer, &p.field), p.reason_zh)
}

/// A list column a store could not read (its reason as the store gives it).
fn unreadable_cell(def: &FieldDef, reason: &str) -> Reason {
    Reason::new(
        format!("{}: {reason}", def.name),
        format!("{}（{}）：无法读取（{reason}）", def.label_zh, def.name),
    )
}

/// One column as the schema's type; a value of another type is told with what it holds.
fn typed<R, T>(row: &R, def: &FieldDef) -> Result<T, Fault>
where
    R: Row,
    for<'r> &'r str: ColumnIndex<R>,
    for<'r> T: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get::<T, _>(def.name).map_err(|e| {
        let (name, label) = (def.name, def.label_zh);
        let held = match &e {
            sqlx::Error::ColumnNotFound(_) => {
                return (
                    Some(name.to_owned()),
                    Reason::new(
                        format!("{name}: the column is missing"),
                        format!("{label}（{name}）：缺少这一列"),
                    ),
                )
            }
            _ => row.try_get::<String, _>(name).ok(),
        };
        let (want, want_zh) = expected(def.kind);
        let reason = match held {
            Some(text) => Reason::new(
                format!(
                    "{name}: must be {want}, the stored value is the text \"{}\"",
                    clip(&text)
                ),
                format!(
                    "{label}（{name}）：应为{want_zh}，存储的值却是文字“{}”",
                    clip(&text)
                ),
            ),
            None => Reason::new(
                format!(
                    "{name}: must be {want}, the stored value is of another type ({})",
                    stored_type(&e)
                ),
                format!(
                    "{label}（{name}）：应为{want_zh}，存储的值却是其他类型（{}）",
                    stored_type(&e)
                ),
            ),
        };
        (Some(name.to_owned()), reason)
    })
}

/// What a column of this kind holds, in words (English, Chinese).
fn expected(kind: FieldKind) -> (&'static str, &'static str) {
    match kind {
        FieldKind::Integer { .. } => ("a whole number", "整数"),
        FieldKind::Real { .. } => ("a number", "数字"),
        FieldKind::Boolean => ("true or false", "是或否（true/false）"),
        FieldKind::EnumList(_) => ("a list of names", "名称列表"),
        FieldKind::Text { .. } | FieldKind::Code { .. } | FieldKind::Enum(_) => ("text", "文字"),
    }
}

/// The SQL type sqlx names in a decode error, or the error itself.
fn stored_type(e: &sqlx::Error) -> String {
    let text = match e {
        sqlx::Error::ColumnDecode { source, .. } => source.to_string(),
        other => other.to_string(),
    };
    text.rsplit_once("SQL type ")
        .map_or(text.clone(), |(_, t)| {
            t.trim_matches(|c| c == '`' || c == '.').to_owned()
        })
}

/// At most 40 characters of a stored text, for a message.
fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// The field a "field: reason; …" message starts with, when it is one of the layer's.
fn first_field(layer: Layer, reason: &str) -> Option<String> {
    let (field, _) = reason.split_once(": ")?;
    (field == "geometry" || schema::fields(layer).iter().any(|d| d.name == field))
        .then(|| field.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_of_a_schema_message_is_found_and_nothing_else_is_taken_for_one() {
        assert_eq!(
            first_field(
                Layer::Grids,
                "name: must be at most 100 characters, got 150"
            )
            .as_deref(),
            Some("name")
        );
        assert_eq!(
            first_field(Layer::Grids, "geometry: not closed").as_deref(),
            Some("geometry")
        );
        assert_eq!(first_field(Layer::Grids, "wrong: thing"), None);
        assert_eq!(first_field(Layer::Grids, "no colon"), None);
    }

    #[test]
    fn a_stored_problem_in_chinese_names_the_field_by_its_label() {
        let p = Problem::new("households", "must be a whole number", "应为整数");
        assert_eq!(
            stored_problem_zh(Layer::Compounds, &p),
            "户数（households）：应为整数"
        );
        let g = Problem::new("geometry", "missing", "缺少位置或轮廓（几何图形）");
        assert!(stored_problem_zh(Layer::Compounds, &g).starts_with("几何图形（geometry）："));
    }

    #[test]
    fn long_stored_text_is_clipped_in_messages() {
        assert_eq!(clip("about 300"), "about 300");
        assert_eq!(clip(&"x".repeat(50)).chars().count(), 41);
    }
}
