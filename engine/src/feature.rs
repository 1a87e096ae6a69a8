//! A feature of any layer, its GeoJSON (RFC 7946) form, and validation of incoming features.
//!
//! Validation reports every problem of a feature at once, each naming the field and the reason,
//! so an import's dry run lists everything to fix in one pass.

use std::fmt;

use geo::Validation;
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{
    Building, Community, Compound, Gate, Grid, Layer, ServiceSpace, Station, Street,
};
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
    /// The field at fault: an attribute name, `geometry`, `id` or `json`.
    pub field: String,
    pub reason: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Problem {
            index: None,
            id: None,
            row: None,
            column: None,
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same problem, placed at a feature of a batch.
    #[must_use]
    pub fn at(mut self, index: Option<usize>, id: Option<String>) -> Self {
        self.index = self.index.or(index);
        self.id = self.id.or(id);
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
    ($ty:ty, $layer:expr, |$g:ident| $into:expr) => {
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

impl DomainFeature for Compound {
    const LAYER: Layer = Layer::Compounds;
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
        Geometry::Polygon(self.geometry.clone())
    }
    fn set_geometry(&mut self, g: Geometry) {
        self.geometry = as_polygon(g);
    }
    fn add_derived(&self, p: &mut Map<String, Value>) {
        p.insert("three_no".into(), Value::Bool(self.three_no()));
        p.insert("missing_flags".into(), Value::from(self.missing_flags()));
    }
}

impl DomainFeature for Building {
    const LAYER: Layer = Layer::Buildings;
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
        self.geometry.clone()
    }
    fn set_geometry(&mut self, g: Geometry) {
        self.geometry = g;
    }
    fn add_derived(&self, p: &mut Map<String, Value>) {
        p.insert("scattered".into(), Value::Bool(self.scattered()));
    }
}

impl DomainFeature for ServiceSpace {
    const LAYER: Layer = Layer::ServiceSpaces;
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
        self.geometry.clone()
    }
    fn set_geometry(&mut self, g: Geometry) {
        self.geometry = g;
    }
}

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
                problems.push(Problem::new("geometry", "missing"));
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
    let built = build(layer, attrs, id, version, geometry).map_err(|p| vec![p])?;
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
) -> Result<Feature, Problem> {
    attrs.insert("id".into(), Value::from(id));
    attrs.insert("version".into(), Value::from(version));
    fn typed<T: DomainFeature>(
        attrs: Map<String, Value>,
        geometry: Geometry,
    ) -> Result<T, Problem> {
        let mut t: T = serde_json::from_value(Value::Object(attrs))
            .map_err(|e| Problem::new("properties", e.to_string()))?;
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
            problems.push(Problem::new(
                key.as_str(),
                format!(
                    "unknown field for layer {layer}; closest: {} (known: {})",
                    crate::columns::closest_fields(layer, key).join(", "),
                    names.join(", ")
                ),
            ));
        }
    }
    let mut out = Map::new();
    for def in defs {
        let value = props.get(def.name).filter(|v| !v.is_null());
        match value {
            None if def.required => problems.push(Problem::new(def.name, "required but missing")),
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
                Err(reason) => problems.push(Problem::new(def.name, reason)),
            },
        }
    }
    out
}

/// Checks one value against its field definition, returning it in canonical form.
pub fn check_value(def: &FieldDef, v: &Value) -> Result<Value, String> {
    match def.kind {
        FieldKind::Integer { min, max } => {
            let n = match v {
                Value::Number(n) => n.as_i64().or_else(|| {
                    n.as_f64()
                        .filter(|x| x.fract() == 0.0 && x.abs() < 9e15)
                        .map(|x| x as i64)
                }),
                _ => None,
            };
            match n {
                Some(n) if n < min => Err(format!("must be ≥ {min}, got {n}")),
                Some(n) if n > max => Err(format!("must be ≤ {max}, got {n}")),
                Some(n) => Ok(Value::from(n)),
                None => Err(format!("must be a whole number, got {}", describe(v))),
            }
        }
        FieldKind::Real { min, max } => match v.as_f64() {
            Some(x) if !x.is_finite() => Err("must be a finite number".into()),
            Some(x) if x < min => Err(format!("must be ≥ {min}, got {x}")),
            Some(x) if x > max => Err(format!("must be ≤ {max}, got {x}")),
            Some(x) => Ok(Value::from(x)),
            None => Err(format!("must be a number, got {}", describe(v))),
        },
        FieldKind::Text { max_chars } => match v {
            Value::String(s) if s.trim().is_empty() => Err("must not be empty".into()),
            Value::String(s) if s.chars().count() > max_chars => Err(format!(
                "must be at most {max_chars} characters, got {}",
                s.chars().count()
            )),
            Value::String(s) if s.chars().any(char::is_control) => {
                Err("must not contain control characters".into())
            }
            Value::String(s) => Ok(Value::String(s.trim().to_owned())),
            _ => Err(format!("must be text, got {}", describe(v))),
        },
        FieldKind::Code { digits } => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) if n.is_u64() => n.to_string(),
                _ => {
                    return Err(format!(
                        "must be a {digits}-digit code, got {}",
                        describe(v)
                    ))
                }
            };
            if s.len() == digits && s.bytes().all(|b| b.is_ascii_digit()) {
                Ok(Value::String(s))
            } else {
                Err(format!("must be a {digits}-digit code, got \"{s}\""))
            }
        }
        FieldKind::Boolean => match v {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            _ => Err(format!("must be true or false, got {}", describe(v))),
        },
        FieldKind::Enum(names) => match v {
            Value::String(s) if names.contains(&s.as_str()) => Ok(v.clone()),
            _ => Err(format!(
                "must be one of {}, got {}",
                names.join(", "),
                describe(v)
            )),
        },
        FieldKind::EnumList(names) => {
            let Value::Array(items) = v else {
                return Err(format!(
                    "must be a list of {}, got {}",
                    names.join(", "),
                    describe(v)
                ));
            };
            if items.is_empty() {
                return Err("must name at least one value".into());
            }
            let mut seen = Vec::new();
            for item in items {
                match item {
                    Value::String(s) if names.contains(&s.as_str()) => {
                        if seen.contains(&s.as_str()) {
                            return Err(format!("lists \"{s}\" twice"));
                        }
                        seen.push(s.as_str());
                    }
                    _ => {
                        return Err(format!(
                            "values must be among {}, got {}",
                            names.join(", "),
                            describe(item)
                        ))
                    }
                }
            }
            Ok(v.clone())
        }
    }
}

fn describe(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
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
    };
    if !accepted {
        let want = match kind {
            GeometryKind::Point => "Point",
            GeometryKind::Polygon => "Polygon",
            GeometryKind::MultiPolygon => "Polygon or MultiPolygon",
            GeometryKind::PointOrPolygon => "Point or Polygon",
        };
        problems.push(Problem::new(
            "geometry",
            format!("expected {want}, got {type_name}"),
        ));
        return None;
    }
    let before = problems.len();
    match value {
        geojson::Value::Point(p) => {
            check_position(p, "point", problems);
        }
        geojson::Value::Polygon(rings) => check_rings(rings, "", problems),
        geojson::Value::MultiPolygon(polys) => {
            if polys.is_empty() {
                problems.push(Problem::new("geometry", "MultiPolygon has no parts"));
            }
            for (i, rings) in polys.iter().enumerate() {
                check_rings(rings, &format!("part {i} "), problems);
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
        (_, g) => g,
    };
    if let Err(invalid) = validity(&geometry) {
        problems.push(Problem::new(
            "geometry",
            format!("invalid {type_name}: {invalid}"),
        ));
        return None;
    }
    Some(geometry)
}

/// Every reason geo's validation finds the geometry invalid, joined; points are always valid.
fn validity(geometry: &Geometry) -> Result<(), String> {
    let reasons: Vec<String> = geometry
        .validation_errors()
        .iter()
        .map(ToString::to_string)
        .collect();
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons.join("; "))
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

fn check_position(p: &[f64], what: &str, problems: &mut Vec<Problem>) -> bool {
    if p.len() < 2 {
        problems.push(Problem::new(
            "geometry",
            format!("{what} has fewer than 2 coordinates"),
        ));
        return false;
    }
    let (lon, lat) = (p[0], p[1]);
    if !lon.is_finite() || !lat.is_finite() {
        problems.push(Problem::new(
            "geometry",
            format!("{what} has a non-finite coordinate"),
        ));
        false
    } else if !(-180.0..=180.0).contains(&lon) {
        problems.push(Problem::new(
            "geometry",
            format!("{what} longitude {lon} is outside −180…180"),
        ));
        false
    } else if !(-90.0..=90.0).contains(&lat) {
        problems.push(Problem::new(
            "geometry",
            format!("{what} latitude {lat} is outside −90…90"),
        ));
        false
    } else {
        true
    }
}

fn check_rings(rings: &[Vec<Vec<f64>>], part: &str, problems: &mut Vec<Problem>) {
    if rings.is_empty() {
        problems.push(Problem::new(
            "geometry",
            format!("{part}polygon has no rings"),
        ));
    }
    for (r, ring) in rings.iter().enumerate() {
        let name = if r == 0 {
            format!("{part}exterior ring")
        } else {
            format!("{part}interior ring {r}")
        };
        for (i, p) in ring.iter().enumerate() {
            if !check_position(p, &format!("{name} position {i}"), problems) {
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
            ));
        } else if ring.first().map(|p| &p[..2]) != ring.last().map(|p| &p[..2]) {
            problems.push(Problem::new(
                "geometry",
                format!("{name} is not closed: its first and last positions differ"),
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
