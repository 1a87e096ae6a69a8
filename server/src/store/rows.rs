//! Reading a stored feature row, the same in both stores: every attribute column in schema
//! order, typed as the schema says, and a value of the wrong type (a number column holding text,
//! as QGIS lets anyone type) told as its field, what it should hold and what it holds.

use engine::schema::{self, FieldDef, FieldKind};
use engine::snapshot::Unreadable;
use engine::{Feature, Layer};
use geo_types::Geometry;
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::codec::{self, Cell};
use super::StoreError;

/// How a store reads the two things it stores its own way: lists of names and the geometry.
pub(crate) trait RowDialect<R: Row> {
    /// A list-of-names column.
    fn list(row: &R, def: &FieldDef) -> Result<Vec<String>, String>;
    /// The geometry column.
    fn geometry(row: &R) -> Result<Geometry, String>;
}

/// The field at fault, when known, and the reason.
type Fault = (Option<String>, String);

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
        reason,
    };
    let version = stored_version.ok_or_else(|| {
        unreadable((
            Some("version".to_owned()),
            "version: missing or not a whole number".to_owned(),
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
            FieldKind::EnumList(_) => Cell::List(
                D::list(row, def)
                    .map_err(|reason| unreadable((Some(def.name.to_owned()), reason)))?,
            ),
        });
    }
    let geometry =
        D::geometry(row).map_err(|reason| unreadable((Some("geometry".to_owned()), reason)))?;
    codec::feature(layer, id, version, cells, geometry).map_err(|e| match e {
        StoreError::Corrupt { reason, .. } => unreadable((first_field(layer, &reason), reason)),
        other => unreadable((None, other.to_string())),
    })
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
        let held = match &e {
            sqlx::Error::ColumnNotFound(_) => {
                return (
                    Some(def.name.to_owned()),
                    format!("{}: the column is missing", def.name),
                )
            }
            _ => row.try_get::<String, _>(def.name).ok(),
        };
        let reason = match held {
            Some(text) => format!(
                "{}: must be {}, the stored value is the text \"{}\"",
                def.name,
                expected(def.kind),
                clip(&text)
            ),
            None => format!(
                "{}: must be {}, the stored value is of another type ({})",
                def.name,
                expected(def.kind),
                stored_type(&e)
            ),
        };
        (Some(def.name.to_owned()), reason)
    })
}

/// What a column of this kind holds, in words.
fn expected(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Integer { .. } => "a whole number",
        FieldKind::Real { .. } => "a number",
        FieldKind::Boolean => "true or false",
        FieldKind::EnumList(_) => "a list of names",
        FieldKind::Text { .. } | FieldKind::Code { .. } | FieldKind::Enum(_) => "text",
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
    fn long_stored_text_is_clipped_in_messages() {
        assert_eq!(clip("about 300"), "about 300");
        assert_eq!(clip(&"x".repeat(50)).chars().count(), 41);
    }
}
