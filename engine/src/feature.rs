//! A feature of any layer, its GeoJSON (RFC 7946) form, and validation of incoming features.
//!
//! Validation reports every problem of a feature at once, each naming the field and the reason,
//! so an import's dry run lists everything to fix in one pass.

use std::fmt;

use geo::algorithm::validation::{InvalidGeometry, InvalidMultiPolygon, InvalidPolygon, RingRole};
use geo::Validation;
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{
    Building, Community, Compound, Gate, Grid, Layer, ServiceSpace, Station, Street, Way,
};
use crate::reason::{listed, quoted, Reason};
use crate::schema::{self, FieldDef, FieldKind, GeometryKind};

/// One problem with one incoming feature.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Position of the feature in its file or request (0-based), when it came in a batch.
    pub index: Option<usize>,
    /// The feature's id as given, when it had one.
    pub id: Option<String>,
    /// The row of a table file (CSV, spreadsheet, Shapefile attributes) as its user numbers it
    /// (1-based, header rows counted), when the feature came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The table column at fault, as headed in the file (户数, 物业管理 …), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The value at fault as the file wrote it (`约30户`), when it came from a table cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The field at fault: an attribute name, `geometry`, `id` or `json`.
    pub field: String,
    /// Why, in English.
    pub reason: String,
    /// Why, in Chinese (原因): the same reason with the same values, for the staff who fix it.
    pub reason_zh: String,
}

impl Problem {
    /// A problem of `field`, told in English and in Chinese ([`Reason`]).
    pub fn new(field: impl Into<String>, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Problem::because(field, Reason::new(en, zh))
    }

    /// A problem of `field` for a reason given in both languages.
    pub fn because(field: impl Into<String>, reason: Reason) -> Self {
        Problem {
            index: None,
            id: None,
            row: None,
            column: None,
            value: None,
            field: field.into(),
            reason: reason.en,
            reason_zh: reason.zh,
        }
    }

    /// The reason in both languages.
    pub fn reason(&self) -> Reason {
        Reason::new(self.reason.clone(), self.reason_zh.clone())
    }

    /// The problem as one line in Chinese, where then why (`第 3 行：“户数”列（households）：
    /// “约30户”不是整数`); [`Display`](fmt::Display) gives the English line.
    pub fn to_zh_string(&self) -> String {
        let at = match (self.row, self.index, &self.id) {
            (Some(r), _, Some(id)) => format!("第 {r} 行（编号 {id}）："),
            (Some(r), _, None) => format!("第 {r} 行："),
            (None, Some(i), Some(id)) => format!("要素序号 {i}（编号 {id}）："),
            (None, Some(i), None) => format!("要素序号 {i}："),
            (None, None, Some(id)) => format!("要素编号 {id}："),
            (None, None, None) => String::new(),
        };
        match &self.column {
            Some(c) if *c != self.field => {
                format!("{at}“{c}”列（{}）：{}", self.field, self.reason_zh)
            }
            _ => format!("{at}{}：{}", self.field, self.reason_zh),
        }
    }

    /// The same problem, placed at a feature of a batch.
    #[must_use]
    pub fn at(mut self, index: Option<usize>, id: Option<String>) -> Self {
        self.index = self.index.or(index);
        self.id = self.id.or(id);
        self
    }

    /// The same problem, with the value of the cell at fault (kept when already set).
    #[must_use]
    pub fn with_value(mut self, value: &str) -> Self {
        if self.value.is_none() && !value.trim().is_empty() {
            self.value = Some(value.to_owned());
        }
        self
    }

    /// The same problem, placed at a row (and column) of a table file.
    #[must_use]
    pub fn in_table(mut self, row: usize, column: Option<&str>) -> Self {
        self.row = self.row.or(Some(row));
        self.column = self.column.or_else(|| column.map(str::to_owned));
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, self.index, &self.id) {
            (Some(r), _, Some(id)) => write!(f, "row {r} (id {id}): ")?,
            (Some(r), _, None) => write!(f, "row {r}: ")?,
            (None, Some(i), Some(id)) => write!(f, "feature {i} (id {id}): ")?,
            (None, Some(i), None) => write!(f, "feature {i}: ")?,
            (None, None, Some(id)) => write!(f, "feature id {id}: ")?,
            (None, None, None) => {}
        }
        match &self.column {
            Some(c) if *c != self.field => {
                write!(f, "column {c} ({}): {}", self.field, self.reason)
            }
            _ => write!(f, "{}: {}", self.field, self.reason),
        }
    }
}

/// Behaviour shared by the typed features of every layer.
pub trait DomainFeature: Serialize + DeserializeOwned + Clone {
    const LAYER: Layer;
    fn id(&self) -> i64;
    fn version(&self) -> i64;
    fn set_meta(&mut self, id: i64, version: i64);
    fn geometry(&self) -> Geometry;
    fn set_geometry(&mut self, geometry: Geometry);
    /// Adds the read-only derived attributes of the layer.
    fn add_derived(&self, _properties: &mut Map<String, Value>) {}
}

macro_rules! impl_domain_feature {
    ($ty:ty, $layer:expr, |$g:ident| $into:expr $(, $derived:expr)?) => {
        impl DomainFeature for $ty {
            const LAYER: Layer = $layer;
            fn id(&self) -> i64 {
                self.id
            }
            fn version(&self) -> i64 {
                self.version
            }
            fn set_meta(&mut self, id: i64, version: i64) {
                self.id = id;
                self.version = version;
            }
            fn geometry(&self) -> Geometry {
                Geometry::from(self.geometry.clone())
            }
            fn set_geometry(&mut self, $g: Geometry) {
                self.geometry = $into;
            }
            $(
                fn add_derived(&self, properties: &mut Map<String, Value>) {
                    let add: fn(&Self, &mut Map<String, Value>) = $derived;
                    add(self, properties);
                }
            )?
        }
    };
}

fn as_multi_polygon(g: Geometry) -> MultiPolygon {
    match g {
        Geometry::MultiPolygon(m) => m,
        Geometry::Polygon(p) => MultiPolygon(vec![p]),
        _ => MultiPolygon(vec![]),
    }
}

fn as_polygon(g: Geometry) -> Polygon {
    match g {
        Geometry::Polygon(p) => p,
        _ => Polygon::new(LineString(vec![]), vec![]),
    }
}

fn as_point(g: Geometry) -> Point {
    match g {
        Geometry::Point(p) => p,
        _ => Point::new(0.0, 0.0),
    }
}

impl_domain_feature!(Street, Layer::Streets, |g| as_multi_polygon(g));
impl_domain_feature!(Community, Layer::Communities, |g| as_multi_polygon(g));
impl_domain_feature!(Grid, Layer::Grids, |g| as_polygon(g));
impl_domain_feature!(Gate, Layer::Gates, |g| as_point(g));
impl_domain_feature!(Station, Layer::Stations, |g| as_point(g));
impl_domain_feature!(Compound, Layer::Compounds, |g| as_polygon(g), |c, p| {
    p.insert("three_no".into(), Value::Bool(c.three_no()));
    p.insert("missing_flags".into(), Value::from(c.missing_flags()));
});
impl_domain_feature!(Building, Layer::Buildings, |g| g, |b, p| {
    p.insert("scattered".into(), Value::Bool(b.scattered()));
});
impl_domain_feature!(ServiceSpace, Layer::ServiceSpaces, |g| g);

fn as_lines(g: Geometry) -> MultiLineString {
    match g {
        Geometry::MultiLineString(m) => m,
        Geometry::LineString(l) => MultiLineString(vec![l]),
        _ => MultiLineString(vec![]),
    }
}

impl_domain_feature!(Way, Layer::Ways, |g| as_lines(g), |w, p| {
    p.insert("walkable".into(), Value::Bool(w.walkable()));
});

/// A feature of any layer.
#[derive(Debug, Clone, PartialEq)]
pub enum Feature {
    Street(Street),
    Community(Community),
    Grid(Grid),
    Compound(Compound),
    Building(Building),
    Gate(Gate),
    Station(Station),
    ServiceSpace(ServiceSpace),
    Way(Way),
}

/// Applies `$body` to the typed feature inside a [`Feature`].
#[macro_export]
macro_rules! with_feature {
    ($feature:expr, |$f:ident| $body:expr) => {
        match $feature {
            $crate::Feature::Street($f) => $body,
            $crate::Feature::Community($f) => $body,
            $crate::Feature::Grid($f) => $body,
            $crate::Feature::Compound($f) => $body,
            $crate::Feature::Building($f) => $body,
            $crate::Feature::Gate($f) => $body,
            $crate::Feature::Station($f) => $body,
            $crate::Feature::ServiceSpace($f) => $body,
            $crate::Feature::Way($f) => $body,
        }
    };
}

impl Feature {
    pub fn layer(&self) -> Layer {
        with_feature!(self, |f| layer_of(f))
    }
    pub fn id(&self) -> i64 {
        with_feature!(self, |f| f.id())
    }
    pub fn version(&self) -> i64 {
        with_feature!(self, |f| f.version())
    }
    pub fn set_meta(&mut self, id: i64, version: i64) {
        with_feature!(self, |f| f.set_meta(id, version));
    }
    pub fn geometry(&self) -> Geometry {
        with_feature!(self, |f| f.geometry())
    }

    /// Whether `other` is this feature in the same place: the same layer and geometry and, for
    /// a building or a gate, the same compound (what decides where distances are measured
    /// from). Names, counts and the other fields may differ.
    pub fn same_place(&self, other: &Feature) -> bool {
        let links = match (self, other) {
            (Feature::Building(a), Feature::Building(b)) => a.compound_id == b.compound_id,
            (Feature::Gate(a), Feature::Gate(b)) => a.compound_id == b.compound_id,
            (a, b) => a.layer() == b.layer(),
        };
        links && self.geometry() == other.geometry()
    }

    /// Stored attributes plus derived ones, without `id`, `version` and geometry.
    pub fn properties(&self) -> Map<String, Value> {
        with_feature!(self, |f| properties_of(f))
    }

    /// The feature as a GeoJSON feature; `version` is kept among the properties.
    pub fn to_geojson(&self) -> geojson::Feature {
        let mut props = self.properties();
        props.insert("version".into(), Value::from(self.version()));
        geojson::Feature {
            bbox: None,
            geometry: Some(geojson::Geometry::new(geojson::Value::from(
                &self.geometry(),
            ))),
            id: Some(geojson::feature::Id::Number(self.id().into())),
            properties: Some(props),
            foreign_members: None,
        }
    }

    /// Builds and validates a feature of `layer` from GeoJSON. `id` and `version` come from the
    /// feature's `id` member (or `properties.id`) and `properties.version` when present, else 0.
    pub fn from_geojson(layer: Layer, feature: &geojson::Feature) -> Result<Feature, Vec<Problem>> {
        let empty = Map::new();
        let props = feature.properties.as_ref().unwrap_or(&empty);
        let mut problems = Vec::new();
        let id = match (&feature.id, props.get("id")) {
            (Some(geojson::feature::Id::Number(n)), _) => {
                positive_id(&Value::Number(n.clone()), &mut problems)
            }
            (Some(geojson::feature::Id::String(s)), _) => match s.parse::<i64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    problems.push(Problem::new(
                        "id",
                        format!("must be a positive whole number, got \"{s}\""),
                        format!("应为正整数，填写的是{}", quoted(s)),
                    ));
                    0
                }
            },
            (None, Some(v)) if !v.is_null() => positive_id(v, &mut problems),
            (None, _) => 0,
        };
        let version = match props.get("version") {
            Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
            _ => 0,
        };
        let geometry = match &feature.geometry {
            None => {
                problems.push(Problem::new(
                    "geometry",
                    "missing",
                    "缺少位置或轮廓（几何图形）",
                ));
                None
            }
            Some(g) => check_geometry(schema::geometry_kind(layer), &g.value, &mut problems),
        };
        let attrs = check_properties(layer, props, &mut problems);
        match geometry {
            Some(geometry) if problems.is_empty() => finish(layer, attrs, id, version, geometry),
            _ => Err(problems),
        }
    }

    /// Rebuilds a feature read from a store, checking it as strictly as an incoming one (a
    /// store file edited by hand in a GIS gets the same clear errors).
    pub fn from_stored(
        layer: Layer,
        id: i64,
        version: i64,
        props: &Map<String, Value>,
        geometry: Geometry,
    ) -> Result<Feature, Vec<Problem>> {
        let mut problems = Vec::new();
        let geometry = match geometry {
            Geometry::Polygon(p) if schema::geometry_kind(layer) == GeometryKind::MultiPolygon => {
                Geometry::MultiPolygon(MultiPolygon(vec![p]))
            }
            Geometry::LineString(l)
                if schema::geometry_kind(layer) == GeometryKind::MultiLineString =>
            {
                Geometry::MultiLineString(MultiLineString(vec![l]))
            }
            g => g,
        };
        let value = geojson::Value::from(&geometry);
        let geometry = check_geometry(schema::geometry_kind(layer), &value, &mut problems);
        let attrs = check_properties(layer, props, &mut problems);
        match geometry {
            Some(geometry) if problems.is_empty() => finish(layer, attrs, id, version, geometry),
            _ => Err(problems),
        }
    }
}

impl Feature {
    /// Checks the feature exactly as the store's loader will when it reads it back
    /// ([`Feature::from_stored`] on its own attributes and geometry). Every write path calls this
    /// (through [`crate::integrity::check`]), so nothing reaches a store that the next start
    /// could not read, however the feature was built.
    pub fn storable(&self) -> Result<(), Vec<Problem>> {
        let mut props = self.properties();
        for def in schema::derived_fields(self.layer()) {
            props.remove(def.name);
        }
        Feature::from_stored(
            self.layer(),
            self.id(),
            self.version(),
            &props,
            self.geometry(),
        )
        .map(drop)
    }
}

fn finish(
    layer: Layer,
    attrs: Map<String, Value>,
    id: i64,
    version: i64,
    geometry: Geometry,
) -> Result<Feature, Vec<Problem>> {
    let built = build(layer, attrs, id, version, geometry)?;
    let mut problems = Vec::new();
    check_rules(&built, &mut problems);
    if problems.is_empty() {
        Ok(built)
    } else {
        Err(problems)
    }
}

fn layer_of<T: DomainFeature>(_: &T) -> Layer {
    T::LAYER
}

fn properties_of<T: DomainFeature>(f: &T) -> Map<String, Value> {
    let mut map = match serde_json::to_value(f) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    map.remove("id");
    map.remove("version");
    f.add_derived(&mut map);
    map
}

fn positive_id(v: &Value, problems: &mut Vec<Problem>) -> i64 {
    match v.as_i64() {
        Some(n) if n > 0 => n,
        _ => {
            problems.push(Problem::new(
                "id",
                format!("must be a positive whole number, got {v}"),
                format!("应为正整数，填写的是 {v}"),
            ));
            0
        }
    }
}

fn build(
    layer: Layer,
    mut attrs: Map<String, Value>,
    id: i64,
    version: i64,
    geometry: Geometry,
) -> Result<Feature, Vec<Problem>> {
    attrs.insert("id".into(), Value::from(id));
    attrs.insert("version".into(), Value::from(version));
    fn typed<T: DomainFeature>(
        attrs: Map<String, Value>,
        geometry: Geometry,
    ) -> Result<T, Vec<Problem>> {
        let mut t: T = serde_json::from_value(Value::Object(attrs)).map_err(|e| {
            vec![Problem::new(
                "properties",
                e.to_string(),
                format!("属性无法读取：{e}"),
            )]
        })?;
        t.set_geometry(geometry);
        Ok(t)
    }
    Ok(match layer {
        Layer::Streets => Feature::Street(typed(attrs, geometry)?),
        Layer::Communities => Feature::Community(typed(attrs, geometry)?),
        Layer::Grids => Feature::Grid(typed(attrs, geometry)?),
        Layer::Compounds => Feature::Compound(typed(attrs, geometry)?),
        Layer::Buildings => Feature::Building(typed(attrs, geometry)?),
        Layer::Gates => Feature::Gate(typed(attrs, geometry)?),
        Layer::Stations => Feature::Station(typed(attrs, geometry)?),
        Layer::ServiceSpaces => Feature::ServiceSpace(typed(attrs, geometry)?),
        Layer::Ways => Feature::Way(typed(attrs, geometry)?),
    })
}

/// Checks every attribute against the layer's schema; returns the stored attributes with
/// optional ones defaulted (null, or `false` for booleans).
fn check_properties(
    layer: Layer,
    props: &Map<String, Value>,
    problems: &mut Vec<Problem>,
) -> Map<String, Value> {
    let defs = schema::fields(layer);
    let derived = schema::derived_fields(layer);
    for key in props.keys() {
        let known = key == "id"
            || key == "version"
            || defs.iter().any(|d| d.name == key)
            || derived.iter().any(|d| d.name == key);
        if !known {
            let names: Vec<&str> = defs.iter().map(|d| d.name).collect();
            let closest = crate::columns::closest_fields(layer, key);
            problems.push(Problem::new(
                key.as_str(),
                format!(
                    "unknown field for layer {layer}; closest: {} (known: {})",
                    closest.join(", "),
                    names.join(", ")
                ),
                format!(
                    "{}图层没有名为{}的字段；最接近的：{}（全部字段：{}）",
                    layer.title_zh(),
                    quoted(key),
                    crate::columns::labelled_zh(layer, &closest),
                    names.join(", ")
                ),
            ));
        }
    }
    let mut out = Map::new();
    for def in defs {
        let value = props.get(def.name).filter(|v| !v.is_null());
        match value {
            None if def.required => problems.push(Problem::new(
                def.name,
                "required but missing",
                "必填，但未填写",
            )),
            None => {
                let default = if def.kind == FieldKind::Boolean {
                    Value::Bool(false)
                } else {
                    Value::Null
                };
                out.insert(def.name.into(), default);
            }
            Some(v) => match check_value(def, v) {
                Ok(v) => {
                    out.insert(def.name.into(), v);
                }
                Err(reason) => problems.push(Problem::because(def.name, reason)),
            },
        }
    }
    out
}

/// Checks one value against its field definition, returning it in canonical form, or why not
/// (in English and Chinese, naming the value given).
pub fn check_value(def: &FieldDef, v: &Value) -> Result<Value, Reason> {
    match def.kind {
        FieldKind::Integer { min, max } => check_integer(v, min, max),
        FieldKind::Real { min, max } => check_real(v, min, max),
        FieldKind::Text { max_chars } => check_text(v, max_chars),
        FieldKind::Code { digits } => check_code(v, digits),
        FieldKind::Boolean => match v {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            _ => Err(Reason::new(
                format!("must be true or false, got {}", describe(v)),
                format!("应为“是”或“否”（true/false），填写的是{}", describe_zh(v)),
            )),
        },
        FieldKind::Enum(names) => match v {
            Value::String(s) if names.contains(&s.as_str()) => Ok(v.clone()),
            _ => Err(Reason::new(
                format!("must be one of {}, got {}", names.join(", "), describe(v)),
                format!(
                    "应为以下之一：{}，填写的是{}",
                    enum_labels_zh(def, names),
                    describe_zh(v)
                ),
            )),
        },
        FieldKind::EnumList(names) => check_list(def, names, v),
    }
}

/// A whole number within `[min, max]` (a float without fraction counts).
fn check_integer(v: &Value, min: i64, max: i64) -> Result<Value, Reason> {
    let n = match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|x| x.fract() == 0.0 && x.abs() < 9e15)
                .map(|x| x as i64)
        }),
        _ => None,
    };
    match n {
        Some(n) => within(n, min, max).map(Value::from),
        None => Err(Reason::new(
            format!("must be a whole number, got {}", describe(v)),
            format!("应为整数，填写的是{}", describe_zh(v)),
        )),
    }
}

/// A finite number within `[min, max]`.
fn check_real(v: &Value, min: f64, max: f64) -> Result<Value, Reason> {
    match v.as_f64() {
        Some(x) if !x.is_finite() => Err(Reason::new("must be a finite number", "应为有限的数字")),
        Some(x) => within(x, min, max).map(Value::from),
        None => Err(Reason::new(
            format!("must be a number, got {}", describe(v)),
            format!("应为数字，填写的是{}", describe_zh(v)),
        )),
    }
}

/// `x` when it lies within `[min, max]`, else which bound it passes.
fn within<T: PartialOrd + fmt::Display>(x: T, min: T, max: T) -> Result<T, Reason> {
    if x < min {
        Err(Reason::new(
            format!("must be ≥ {min}, got {x}"),
            format!("不能小于 {min}，填写的是 {x}"),
        ))
    } else if x > max {
        Err(Reason::new(
            format!("must be ≤ {max}, got {x}"),
            format!("不能大于 {max}，填写的是 {x}"),
        ))
    } else {
        Ok(x)
    }
}

/// Non-empty text of at most `max_chars` characters without control characters, trimmed.
fn check_text(v: &Value, max_chars: usize) -> Result<Value, Reason> {
    match v {
        Value::String(s) if s.trim().is_empty() => {
            Err(Reason::new("must not be empty", "不能为空"))
        }
        Value::String(s) if s.chars().count() > max_chars => {
            let n = s.chars().count();
            Err(Reason::new(
                format!("must be at most {max_chars} characters, got {n}"),
                format!("最多 {max_chars} 个字，填写了 {n} 个字"),
            ))
        }
        Value::String(s) if s.chars().any(char::is_control) => Err(Reason::new(
            "must not contain control characters",
            "不能含有换行、制表符等控制字符",
        )),
        Value::String(s) => Ok(Value::String(s.trim().to_owned())),
        _ => Err(Reason::new(
            format!("must be text, got {}", describe(v)),
            format!("应为文字，填写的是{}", describe_zh(v)),
        )),
    }
}

/// A code of exactly `digits` digits, as text.
fn check_code(v: &Value, digits: usize) -> Result<Value, Reason> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        _ => {
            return Err(Reason::new(
                format!("must be a {digits}-digit code, got {}", describe(v)),
                format!("应为 {digits} 位数字代码，填写的是{}", describe_zh(v)),
            ))
        }
    };
    if s.len() == digits && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Value::String(s))
    } else {
        Err(Reason::new(
            format!("must be a {digits}-digit code, got \"{s}\""),
            format!("应为 {digits} 位数字代码，填写的是{}", quoted(&s)),
        ))
    }
}

/// An enum-list value: a non-empty list of distinct names.
fn check_list(def: &FieldDef, names: &[&str], v: &Value) -> Result<Value, Reason> {
    let Value::Array(items) = v else {
        return Err(Reason::new(
            format!(
                "must be a list of {}, got {}",
                names.join(", "),
                describe(v)
            ),
            format!(
                "应为以下各项组成的列表：{}，填写的是{}",
                enum_labels_zh(def, names),
                describe_zh(v)
            ),
        ));
    };
    if items.is_empty() {
        return Err(Reason::new("must name at least one value", "至少要选一项"));
    }
    let mut seen = Vec::new();
    for item in items {
        match item {
            Value::String(s) if names.contains(&s.as_str()) => {
                if seen.contains(&s.as_str()) {
                    return Err(Reason::new(
                        format!("lists \"{s}\" twice"),
                        format!("{}重复填写了两次", quoted(s)),
                    ));
                }
                seen.push(s.as_str());
            }
            _ => {
                return Err(Reason::new(
                    format!(
                        "values must be among {}, got {}",
                        names.join(", "),
                        describe(item)
                    ),
                    format!(
                        "每一项都应为以下之一：{}，填写的是{}",
                        enum_labels_zh(def, names),
                        describe_zh(item)
                    ),
                ))
            }
        }
    }
    Ok(v.clone())
}

/// An enum's values as Chinese users know them: `老旧小区（old）、商品房小区（commodity）`.
fn enum_labels_zh(def: &FieldDef, names: &[&str]) -> String {
    let label = |name: &str| {
        def.domain_enum()
            .and_then(|e| e.values.iter().find(|v| v.name == name))
            .map_or_else(|| name.to_owned(), |v| format!("{}（{name}）", v.label_zh))
    };
    listed(names.iter().map(|n| label(n)))
}

fn describe(v: &Value) -> String {
    clip(&v.to_string())
}

/// A value for a Chinese message: text in Chinese quotes, anything else as JSON.
fn describe_zh(v: &Value) -> String {
    match v {
        Value::String(s) => quoted(&clip(s)),
        other => format!(" {}", describe(other)),
    }
}

/// At most 40 characters of a value.
fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// Checks the raw GeoJSON geometry (before any ring is closed for us) and converts it.
fn check_geometry(
    kind: GeometryKind,
    value: &geojson::Value,
    problems: &mut Vec<Problem>,
) -> Option<Geometry> {
    let type_name = geojson_type(value);
    let accepted = match kind {
        GeometryKind::Point => matches!(value, geojson::Value::Point(_)),
        GeometryKind::Polygon => matches!(value, geojson::Value::Polygon(_)),
        GeometryKind::MultiPolygon => matches!(
            value,
            geojson::Value::Polygon(_) | geojson::Value::MultiPolygon(_)
        ),
        GeometryKind::PointOrPolygon => {
            matches!(value, geojson::Value::Point(_) | geojson::Value::Polygon(_))
        }
        GeometryKind::MultiLineString => matches!(
            value,
            geojson::Value::LineString(_) | geojson::Value::MultiLineString(_)
        ),
    };
    if !accepted {
        let (want, want_zh) = match kind {
            GeometryKind::Point => ("Point", "点（Point）"),
            GeometryKind::Polygon => ("Polygon", "面（Polygon）"),
            GeometryKind::MultiPolygon => {
                ("Polygon or MultiPolygon", "面（Polygon 或 MultiPolygon）")
            }
            GeometryKind::PointOrPolygon => ("Point or Polygon", "点或面（Point 或 Polygon）"),
            GeometryKind::MultiLineString => (
                "LineString or MultiLineString",
                "线（LineString 或 MultiLineString）",
            ),
        };
        problems.push(Problem::new(
            "geometry",
            format!("expected {want}, got {type_name}"),
            format!("应为{want_zh}，文件中是 {type_name}"),
        ));
        return None;
    }
    let before = problems.len();
    match value {
        geojson::Value::Point(p) => {
            check_position(p, || ("point".into(), "点".into()), problems);
        }
        geojson::Value::LineString(points) => check_line(points, ("", ""), problems),
        geojson::Value::MultiLineString(lines) => {
            if lines.is_empty() {
                problems.push(Problem::new(
                    "geometry",
                    "MultiLineString has no parts",
                    "MultiLineString 中没有任何线",
                ));
            }
            for (i, line) in lines.iter().enumerate() {
                let part = (format!("part {i} "), format!("第 {i} 部分的"));
                check_line(line, (&part.0, &part.1), problems);
            }
        }
        geojson::Value::Polygon(rings) => check_rings(rings, ("", ""), problems),
        geojson::Value::MultiPolygon(polys) => {
            if polys.is_empty() {
                problems.push(Problem::new(
                    "geometry",
                    "MultiPolygon has no parts",
                    "MultiPolygon 中没有任何面",
                ));
            }
            for (i, rings) in polys.iter().enumerate() {
                let part = (format!("part {i} "), format!("第 {i} 部分的"));
                check_rings(rings, (&part.0, &part.1), problems);
            }
        }
        _ => {}
    }
    if problems.len() > before {
        return None;
    }
    let geometry = Geometry::try_from(value.clone()).ok()?;
    let geometry = match (kind, geometry) {
        (GeometryKind::MultiPolygon, Geometry::Polygon(p)) => {
            Geometry::MultiPolygon(MultiPolygon(vec![p]))
        }
        (GeometryKind::MultiLineString, Geometry::LineString(l)) => {
            Geometry::MultiLineString(MultiLineString(vec![l]))
        }
        (_, g) => g,
    };
    if let Err(invalid) = validity(&geometry) {
        problems.push(Problem::because(
            "geometry",
            invalid.prefixed(
                &format!("invalid {type_name}: "),
                &format!("{type_name} 图形无效："),
            ),
        ));
        return None;
    }
    Some(geometry)
}

/// Every reason geo's validation finds the geometry invalid, joined; points are always valid.
fn validity(geometry: &Geometry) -> Result<(), Reason> {
    let reasons: Vec<Reason> = geometry
        .validation_errors()
        .iter()
        .map(|e| Reason::new(e.to_string(), invalid_zh(e)))
        .collect();
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Reason::joined(&reasons))
    }
}

/// geo's reason a polygon or multipolygon is invalid, in Chinese (other geometries are not
/// validated here; their reason stays as geo gives it).
fn invalid_zh(e: &InvalidGeometry) -> String {
    match e {
        InvalidGeometry::InvalidPolygon(p) => invalid_polygon_zh(p),
        InvalidGeometry::InvalidMultiPolygon(m) => match m {
            InvalidMultiPolygon::InvalidPolygon(i, p) => {
                format!("第 {} 个面无效：{}", i.0, invalid_polygon_zh(p))
            }
            InvalidMultiPolygon::ElementsOverlaps(a, b) => {
                format!("第 {} 个面与第 {} 个面相互重叠", a.0, b.0)
            }
            InvalidMultiPolygon::ElementsTouchOnALine(a, b) => {
                format!("第 {} 个面与第 {} 个面沿一条边相接", a.0, b.0)
            }
        },
        other => format!("图形无效：{other}"),
    }
}

fn invalid_polygon_zh(p: &InvalidPolygon) -> String {
    let ring = |r: &RingRole| match r {
        RingRole::Exterior => "外环".to_owned(),
        RingRole::Interior(i) => format!("内环（序号 {i}）"),
    };
    match p {
        InvalidPolygon::TooFewPointsInRing(r) => format!("{}至少需要 3 个不同的点", ring(r)),
        InvalidPolygon::SelfIntersection(r) => format!("{}自相交（边界线交叉）", ring(r)),
        InvalidPolygon::NonFiniteCoord(r, i) => {
            format!("{}的坐标点（序号 {}）不是有效数字", ring(r), i.0)
        }
        InvalidPolygon::InteriorRingNotContainedInExteriorRing(r) => {
            format!("{}不在外环之内", ring(r))
        }
        InvalidPolygon::IntersectingRingsOnALine(a, b) => {
            format!("{}与{}沿一条线相交", ring(a), ring(b))
        }
        InvalidPolygon::IntersectingRingsOnAnArea(a, b) => {
            format!("{}与{}有重叠部分", ring(a), ring(b))
        }
    }
}

fn geojson_type(v: &geojson::Value) -> &'static str {
    match v {
        geojson::Value::Point(_) => "Point",
        geojson::Value::MultiPoint(_) => "MultiPoint",
        geojson::Value::LineString(_) => "LineString",
        geojson::Value::MultiLineString(_) => "MultiLineString",
        geojson::Value::Polygon(_) => "Polygon",
        geojson::Value::MultiPolygon(_) => "MultiPolygon",
        geojson::Value::GeometryCollection(_) => "GeometryCollection",
    }
}

/// Checks one position; `what` names it in English and Chinese (`exterior ring position 3`),
/// made only for a problem (a city's import checks millions of positions).
fn check_position(
    p: &[f64],
    what: impl Fn() -> (String, String),
    problems: &mut Vec<Problem>,
) -> bool {
    let mut refuse = |en: String, zh: String| problems.push(Problem::new("geometry", en, zh));
    if p.len() < 2 {
        let (what, what_zh) = what();
        refuse(
            format!("{what} has fewer than 2 coordinates"),
            format!("{what_zh}的坐标少于 2 个"),
        );
        return false;
    }
    let (lon, lat) = (p[0], p[1]);
    if !lon.is_finite() || !lat.is_finite() {
        let (what, what_zh) = what();
        refuse(
            format!("{what} has a non-finite coordinate"),
            format!("{what_zh}的坐标不是有效数字"),
        );
        false
    } else if !(-180.0..=180.0).contains(&lon) {
        let (what, what_zh) = what();
        refuse(
            format!("{what} longitude {lon} is outside −180…180"),
            format!("{what_zh}的经度 {lon} 超出 −180…180"),
        );
        false
    } else if !(-90.0..=90.0).contains(&lat) {
        let (what, what_zh) = what();
        refuse(
            format!("{what} latitude {lat} is outside −90…90"),
            format!("{what_zh}的纬度 {lat} 超出 −90…90"),
        );
        false
    } else {
        true
    }
}

/// Checks a line's positions: each valid, and at least two distinct ones.
fn check_line(points: &[Vec<f64>], (part, part_zh): (&str, &str), problems: &mut Vec<Problem>) {
    let mut valid = true;
    for (i, p) in points.iter().enumerate() {
        valid &= check_position(
            p,
            || {
                (
                    format!("{part}line position {i}"),
                    format!("{part_zh}线的坐标点（序号 {i}）"),
                )
            },
            problems,
        );
    }
    let distinct = points.windows(2).filter(|w| w[0] != w[1]).count();
    if valid && distinct == 0 {
        problems.push(Problem::new(
            "geometry",
            format!("{part}line needs at least 2 distinct positions"),
            format!("{part_zh}线至少需要 2 个不同的坐标点"),
        ));
    }
}

/// Checks the rings of one polygon; `part` names a `MultiPolygon`'s part in both languages.
fn check_rings(
    rings: &[Vec<Vec<f64>>],
    (part, part_zh): (&str, &str),
    problems: &mut Vec<Problem>,
) {
    if rings.is_empty() {
        problems.push(Problem::new(
            "geometry",
            format!("{part}polygon has no rings"),
            format!("{part_zh}面没有任何环（边界）"),
        ));
    }
    for (r, ring) in rings.iter().enumerate() {
        let (name, name_zh) = if r == 0 {
            (format!("{part}exterior ring"), format!("{part_zh}外环"))
        } else {
            (
                format!("{part}interior ring {r}"),
                format!("{part_zh}内环 {r}"),
            )
        };
        for (i, p) in ring.iter().enumerate() {
            let what = || {
                (
                    format!("{name} position {i}"),
                    format!("{name_zh}的坐标点 {i}"),
                )
            };
            if !check_position(p, what, problems) {
                return;
            }
        }
        if ring.len() < 4 {
            problems.push(Problem::new(
                "geometry",
                format!(
                    "{name} has {} positions; a ring needs at least 4",
                    ring.len()
                ),
                format!(
                    "{name_zh}只有 {} 个坐标点；一个环至少需要 4 个（首尾两点相同）",
                    ring.len()
                ),
            ));
        } else if ring.first().map(|p| &p[..2]) != ring.last().map(|p| &p[..2]) {
            problems.push(Problem::new(
                "geometry",
                format!("{name} is not closed: its first and last positions differ"),
                format!("{name_zh}没有闭合：首尾两个坐标点不同"),
            ));
        }
    }
}

/// Rules across fields of one feature.
fn check_rules(feature: &Feature, problems: &mut Vec<Problem>) {
    match feature {
        Feature::Compound(c) => {
            if c.elderly > c.population {
                problems.push(Problem::new(
                    "elderly",
                    format!(
                        "residents aged 60+ ({}) exceed the population ({})",
                        c.elderly, c.population
                    ),
                    format!(
                        "60岁以上人数（{}）超过了常住人口（{}）",
                        c.elderly, c.population
                    ),
                ));
            }
        }
        Feature::Community(c) => {
            if !c.code.starts_with(&c.street_code) {
                problems.push(Problem::new(
                    "code",
                    format!(
                        "community code {} does not lie under street {}",
                        c.code, c.street_code
                    ),
                    format!(
                        "社区代码 {} 不属于街道 {}（社区代码应以所属街道代码开头）",
                        c.code, c.street_code
                    ),
                ));
            }
        }
        _ => {}
    }
}

/// Snaps a coordinate to the 1e-9° grid used by every store (≈ 0.1 mm), so round trips are exact.
pub fn snap(c: Coord) -> Coord {
    Coord {
        x: (c.x * 1e9).round() / 1e9,
        y: (c.y * 1e9).round() / 1e9,
    }
}
