//! A feature's stored attributes read straight from its typed fields into [`Cell`]s, in column
//! order: exactly what [`super::codec::cells`] reads from the feature's JSON properties, without
//! building them (a city's million buildings would build a million JSON maps per write).
//!
//! Only the shapes the layers' fields have are read this way: numbers, booleans, text, names
//! (enum variants), options, and lists of these. Anything else (a nested map, a tuple, a variant
//! with data, a 128-bit number, …) answers `None`, and the caller reads the JSON properties instead.

use engine::schema::{self, FieldDef, FieldKind};
use engine::{with_feature, Feature};
use serde::ser::{self, Impossible, Serialize};

use super::codec::Cell;

/// The stored attributes of `feature` as cells in column order, or `None` when one of its fields
/// has a shape only the JSON route reads.
pub fn cells(feature: &Feature) -> Option<Vec<Cell>> {
    let defs = schema::fields(feature.layer());
    let mut row = Row {
        defs,
        values: std::iter::repeat_with(|| Value::Null)
            .take(defs.len())
            .collect(),
    };
    with_feature!(feature, |f| f.serialize(&mut row)).ok()?;
    Some(
        defs.iter()
            .zip(row.values)
            .map(|(def, v)| v.into_cell(def))
            .collect(),
    )
}

/// One field's value, kept as a JSON value would keep it (a non-finite number is null).
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(String),
    /// A list: its text items, `None` for an item of another kind.
    List(Vec<Option<String>>),
}

impl Value {
    /// The cell of a column of `def`'s kind, as `codec::cells` makes it from the JSON value
    /// (`as_i64`, `as_f64`, `as_str`, `as_bool`, `as_array` of strings).
    fn into_cell(self, def: &FieldDef) -> Cell {
        match def.kind {
            FieldKind::Integer { .. } => Cell::Int(match self {
                Value::Int(i) => Some(i),
                Value::UInt(u) => i64::try_from(u).ok(),
                _ => None,
            }),
            FieldKind::Real { .. } => Cell::Real(match self {
                #[allow(clippy::cast_precision_loss)]
                Value::Int(i) => Some(i as f64),
                #[allow(clippy::cast_precision_loss)]
                Value::UInt(u) => Some(u as f64),
                Value::Float(x) => Some(x),
                _ => None,
            }),
            FieldKind::Text { .. } | FieldKind::Code { .. } | FieldKind::Enum(_) => {
                Cell::Text(match self {
                    Value::Text(s) => Some(s),
                    _ => None,
                })
            }
            FieldKind::Boolean => Cell::Bool(matches!(self, Value::Bool(true))),
            FieldKind::EnumList(_) => Cell::List(match self {
                Value::List(items) => items.into_iter().flatten().collect(),
                _ => Vec::new(),
            }),
        }
    }
}

/// A shape the direct reading leaves to the JSON route.
#[derive(Debug)]
pub struct Unsupported;

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a shape only the JSON properties read")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

/// The feature's fields, each stored field's value put in its column.
struct Row {
    defs: &'static [FieldDef],
    values: Vec<Value>,
}

impl ser::SerializeStruct for &mut Row {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        // Every field is read, stored or not, as the JSON route serializes every field.
        let v = value.serialize(Scalar)?;
        if let Some(i) = self.defs.iter().position(|d| d.name == key) {
            self.values[i] = v;
        }
        Ok(())
    }

    fn end(self) -> Result<(), Unsupported> {
        Ok(())
    }
}

/// Anything but a struct at the top: left to the JSON route.
macro_rules! unsupported {
    ($($name:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $name(self, $(_: $arg),*) -> Result<Self::Ok, Unsupported> {
            Err(Unsupported)
        })*
    };
}

/// Tuples, variants with fields and maps: left to the JSON route.
macro_rules! declines_compounds {
    () => {
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
            Err(Unsupported)
        }

        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Unsupported> {
            Err(Unsupported)
        }

        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Unsupported> {
            Err(Unsupported)
        }

        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
            Err(Unsupported)
        }

        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Unsupported> {
            Err(Unsupported)
        }
    };
}

impl<'a> ser::Serializer for &'a mut Row {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = &'a mut Row;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Ok(self)
    }

    unsupported!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }

    declines_compounds!();
}

/// One field's value (a scalar, an option of one, or a list of them).
struct Scalar;

/// A list's items.
struct List(Vec<Option<String>>);

impl ser::SerializeSeq for List {
    type Ok = Value;
    type Error = Unsupported;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, item: &T) -> Result<(), Unsupported> {
        self.0.push(match item.serialize(Scalar)? {
            Value::Text(s) => Some(s),
            _ => None,
        });
        Ok(())
    }

    fn end(self) -> Result<Value, Unsupported> {
        Ok(Value::List(self.0))
    }
}

/// Whole numbers, signed (`Int`) or not (`UInt`), as JSON keeps them.
macro_rules! whole_numbers {
    ($($name:ident($ty:ty) => $kind:ident),* $(,)?) => {
        $(fn $name(self, v: $ty) -> Result<Value, Unsupported> {
            Ok(Value::$kind(v.into()))
        })*
    };
}

impl ser::Serializer for Scalar {
    type Ok = Value;
    type Error = Unsupported;
    type SerializeSeq = List;
    type SerializeTuple = Impossible<Value, Unsupported>;
    type SerializeTupleStruct = Impossible<Value, Unsupported>;
    type SerializeTupleVariant = Impossible<Value, Unsupported>;
    type SerializeMap = Impossible<Value, Unsupported>;
    type SerializeStruct = Impossible<Value, Unsupported>;
    type SerializeStructVariant = Impossible<Value, Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<Value, Unsupported> {
        Ok(Value::Bool(v))
    }

    whole_numbers!(
        serialize_i8(i8) => Int,
        serialize_i16(i16) => Int,
        serialize_i32(i32) => Int,
        serialize_i64(i64) => Int,
        serialize_u8(u8) => UInt,
        serialize_u16(u16) => UInt,
        serialize_u32(u32) => UInt,
        serialize_u64(u64) => UInt,
    );

    fn serialize_f32(self, _: f32) -> Result<Value, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_f64(self, v: f64) -> Result<Value, Unsupported> {
        // A JSON number is finite: serde_json makes any other a null.
        Ok(if v.is_finite() {
            Value::Float(v)
        } else {
            Value::Null
        })
    }

    fn serialize_char(self, _: char) -> Result<Value, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_str(self, v: &str) -> Result<Value, Unsupported> {
        Ok(Value::Text(v.to_owned()))
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<Value, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_none(self) -> Result<Value, Unsupported> {
        Ok(Value::Null)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<Value, Unsupported> {
        v.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, Unsupported> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, Unsupported> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, Unsupported> {
        Ok(Value::Text(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Value, Unsupported> {
        v.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Value, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<List, Unsupported> {
        Ok(List(Vec::with_capacity(len.unwrap_or(0))))
    }

    declines_compounds!();

    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::cells_from_json;

    #[test]
    fn every_feature_of_the_demo_and_a_city_reads_the_same_cells_as_through_json() {
        let mut seen = std::collections::HashSet::new();
        for data in [data::demo_district(), data::synthetic_city(2_000, 1)] {
            for f in data.features() {
                assert_eq!(cells(&f), Some(cells_from_json(&f)), "{f:?}");
                seen.insert(f.layer());
            }
        }
        assert_eq!(
            seen.len(),
            engine::Layer::ALL.len(),
            "every layer is compared"
        );
    }

    #[test]
    fn odd_values_read_as_the_json_route_reads_them() {
        let mut odd: Vec<Feature> = Vec::new();
        for mut f in data::demo_district().features() {
            match &mut f {
                Feature::ServiceSpace(s) => {
                    s.floor_area = f64::NAN;
                    s.services.clear();
                    s.capacity = Some(-3);
                    s.opening_hours = None;
                }
                Feature::Station(s) => s.floor_area = Some(f64::INFINITY),
                Feature::Building(b) => {
                    b.name = None;
                    b.households = i64::MIN;
                    b.floors = Some(i64::MAX);
                    b.location_approximate = true;
                }
                Feature::Compound(c) => c.name = String::new(),
                _ => continue,
            }
            odd.push(f);
        }
        for layer in [
            engine::Layer::ServiceSpaces,
            engine::Layer::Stations,
            engine::Layer::Buildings,
            engine::Layer::Compounds,
        ] {
            assert!(odd.iter().any(|f| f.layer() == layer), "{layer:?}");
        }
        for f in &odd {
            assert_eq!(cells(f), Some(cells_from_json(f)), "{f:?}");
        }
    }
}
