//! The attribute schema of every layer: one table that drives validation, store columns,
//! the OpenAPI / OGC API schemas and the import/export column order.

use crate::model::{
    CommunityKind, CompoundClass, DomainEnum, FacilityLevel, GateKind, Layer, OperatingModel,
    PropertyManagement, ServiceType, StationKind, WayKind, DOMAIN_ENUMS,
};

/// The value type and range of a field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldKind {
    /// Whole number within `[min, max]`.
    Integer {
        min: i64,
        max: i64,
    },
    /// Real number within `[min, max]`.
    Real {
        min: f64,
        max: f64,
    },
    /// Free text of at most `max_chars` characters.
    Text {
        max_chars: usize,
    },
    /// A statistical division code of exactly `digits` digits.
    Code {
        digits: usize,
    },
    Boolean,
    /// One of the listed wire names.
    Enum(&'static [&'static str]),
    /// A non-empty list of distinct wire names.
    EnumList(&'static [&'static str]),
}

/// One attribute of a layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldDef {
    pub name: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    pub label_zh: &'static str,
    pub label_en: &'static str,
}

/// The geometry a layer accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryKind {
    Point,
    Polygon,
    /// A MultiPolygon; a single Polygon is accepted and stored as a one-part MultiPolygon.
    MultiPolygon,
    /// A Point or a Polygon (a building's position or footprint; a space's point or outline).
    PointOrPolygon,
    /// A MultiLineString (a way); a single LineString is accepted and stored as a one-part
    /// MultiLineString.
    MultiLineString,
}

impl GeometryKind {
    /// The GeoJSON / OGC geometry type name used in schemas and the GeoPackage.
    pub fn ogc_name(self) -> &'static str {
        match self {
            GeometryKind::Point => "POINT",
            GeometryKind::Polygon => "POLYGON",
            GeometryKind::MultiPolygon => "MULTIPOLYGON",
            GeometryKind::PointOrPolygon => "GEOMETRY",
            GeometryKind::MultiLineString => "MULTILINESTRING",
        }
    }
}

const fn f(
    name: &'static str,
    kind: FieldKind,
    required: bool,
    label_zh: &'static str,
    label_en: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        kind,
        required,
        label_zh,
        label_en,
    }
}

const NAME: FieldKind = FieldKind::Text { max_chars: 100 };
const COUNT: FieldKind = FieldKind::Integer {
    min: 0,
    max: 1_000_000,
};
const YEAR: FieldKind = FieldKind::Integer {
    min: 1800,
    max: 2100,
};
const AREA: FieldKind = FieldKind::Real {
    min: 0.0,
    max: 1_000_000.0,
};
const FEATURE_ID: FieldKind = FieldKind::Integer {
    min: 1,
    max: i64::MAX,
};
const GRID_CODE: FieldKind = FieldKind::Text { max_chars: 40 };
/// The community a feature belongs to (and the scope of who may change it).
const COMMUNITY_CODE: FieldDef = f(
    "community_code",
    FieldKind::Code { digits: 12 },
    true,
    "所属社区",
    "Community",
);

const STREETS: &[FieldDef] = &[
    f(
        "code",
        FieldKind::Code { digits: 9 },
        true,
        "街道代码",
        "Street code",
    ),
    f("name", NAME, true, "名称", "Name"),
];

const COMMUNITIES: &[FieldDef] = &[
    f(
        "code",
        FieldKind::Code { digits: 12 },
        true,
        "社区代码",
        "Community code",
    ),
    f("name", NAME, true, "名称", "Name"),
    f(
        "street_code",
        FieldKind::Code { digits: 9 },
        true,
        "所属街道",
        "Street",
    ),
    f(
        "kind",
        FieldKind::Enum(CommunityKind::NAMES),
        true,
        "社区类型",
        "Kind",
    ),
    f(
        "residents_groups",
        COUNT,
        true,
        "居民小组数",
        "Residents' groups",
    ),
];

const GRIDS: &[FieldDef] = &[
    f("code", GRID_CODE, true, "网格编码", "Grid code"),
    f("name", NAME, true, "名称", "Name"),
    COMMUNITY_CODE,
    f(
        "workers",
        FieldKind::Integer { min: 0, max: 100 },
        true,
        "网格员人数",
        "Grid workers",
    ),
    f("locked", FieldKind::Boolean, false, "锁定", "Locked"),
];

const COMPOUNDS: &[FieldDef] = &[
    f("name", NAME, true, "名称", "Name"),
    COMMUNITY_CODE,
    f("grid_code", GRID_CODE, false, "所属网格", "Grid"),
    f("households", COUNT, true, "户数", "Households"),
    f("population", COUNT, true, "常住人口", "Residents"),
    f("elderly", COUNT, true, "60岁以上人数", "Residents aged 60+"),
    f("build_year", YEAR, false, "建成年份", "Build year"),
    f(
        "class",
        FieldKind::Enum(CompoundClass::NAMES),
        true,
        "小区类别",
        "Class",
    ),
    f(
        "property_management",
        FieldKind::Enum(PropertyManagement::NAMES),
        true,
        "物业管理",
        "Property management",
    ),
    f(
        "owners_committee",
        FieldKind::Boolean,
        true,
        "业委会",
        "Owners' committee",
    ),
    f(
        "competent_unit",
        FieldKind::Boolean,
        true,
        "主管单位",
        "Competent unit",
    ),
];

const BUILDINGS: &[FieldDef] = &[
    f("name", NAME, false, "名称", "Name"),
    COMMUNITY_CODE,
    f("compound_id", FEATURE_ID, false, "所属小区", "Compound"),
    f("grid_code", GRID_CODE, false, "所属网格", "Grid"),
    f("households", COUNT, true, "户数", "Households"),
    f(
        "floors",
        FieldKind::Integer { min: 1, max: 200 },
        false,
        "层数",
        "Floors",
    ),
    f("build_year", YEAR, false, "建成年份", "Build year"),
    f(
        "location_approximate",
        FieldKind::Boolean,
        false,
        "位置待核实",
        "Approximate location",
    ),
];

const GATES: &[FieldDef] = &[
    f("name", NAME, false, "名称", "Name"),
    COMMUNITY_CODE,
    f("compound_id", FEATURE_ID, true, "所属小区", "Compound"),
    f(
        "kind",
        FieldKind::Enum(GateKind::NAMES),
        true,
        "出入口类型",
        "Kind",
    ),
];

const STATIONS: &[FieldDef] = &[
    f("name", NAME, true, "名称", "Name"),
    f(
        "kind",
        FieldKind::Enum(StationKind::NAMES),
        true,
        "站点类型",
        "Kind",
    ),
    COMMUNITY_CODE,
    f(
        "level",
        FieldKind::Enum(FacilityLevel::NAMES),
        true,
        "层级",
        "Level",
    ),
    f("floor_area", AREA, false, "面积(㎡)", "Floor area (m²)"),
];

const SERVICE_SPACES: &[FieldDef] = &[
    f("name", NAME, true, "名称", "Name"),
    COMMUNITY_CODE,
    f(
        "services",
        FieldKind::EnumList(ServiceType::NAMES),
        true,
        "服务类型",
        "Services",
    ),
    f("floor_area", AREA, true, "面积(㎡)", "Floor area (m²)"),
    f(
        "operating_model",
        FieldKind::Enum(OperatingModel::NAMES),
        true,
        "运营模式",
        "Operating model",
    ),
    f(
        "level",
        FieldKind::Enum(FacilityLevel::NAMES),
        true,
        "层级",
        "Level",
    ),
    f("station_id", FEATURE_ID, false, "所属站点", "Host station"),
    f("capacity", COUNT, false, "服务容量", "Capacity"),
    f(
        "opening_hours",
        FieldKind::Text { max_chars: 200 },
        false,
        "开放时间",
        "Opening hours",
    ),
];

const WAYS: &[FieldDef] = &[
    f("name", NAME, false, "名称", "Name"),
    f(
        "kind",
        FieldKind::Enum(WayKind::NAMES),
        true,
        "道路类型",
        "Kind",
    ),
    f(
        "no_walking",
        FieldKind::Boolean,
        false,
        "禁止步行",
        "Closed to pedestrians",
    ),
    f("bridge", FieldKind::Boolean, false, "桥梁", "Bridge"),
    f("tunnel", FieldKind::Boolean, false, "隧道/地道", "Tunnel"),
    f("compound_id", FEATURE_ID, false, "所属小区", "Compound"),
    f(
        "street_code",
        FieldKind::Code { digits: 9 },
        false,
        "所属街道",
        "Street",
    ),
    f("osm_way", FEATURE_ID, false, "OSM 编号", "OSM way"),
];

/// The stored attributes of a layer, in column order.
pub fn fields(layer: Layer) -> &'static [FieldDef] {
    match layer {
        Layer::Streets => STREETS,
        Layer::Communities => COMMUNITIES,
        Layer::Grids => GRIDS,
        Layer::Compounds => COMPOUNDS,
        Layer::Buildings => BUILDINGS,
        Layer::Gates => GATES,
        Layer::Stations => STATIONS,
        Layer::ServiceSpaces => SERVICE_SPACES,
        Layer::Ways => WAYS,
    }
}

/// Read-only attributes computed from the stored ones and included in every output.
pub fn derived_fields(layer: Layer) -> &'static [FieldDef] {
    const COMPOUND_DERIVED: &[FieldDef] = &[
        f(
            "three_no",
            FieldKind::Boolean,
            false,
            "三无小区",
            "Three-no",
        ),
        f(
            "missing_flags",
            FieldKind::Integer { min: 0, max: 3 },
            false,
            "缺失项数",
            "Missing flags",
        ),
    ];
    const BUILDING_DERIVED: &[FieldDef] = &[f(
        "scattered",
        FieldKind::Boolean,
        false,
        "散居楼栋",
        "Scattered",
    )];
    const WAY_DERIVED: &[FieldDef] = &[f(
        "walkable",
        FieldKind::Boolean,
        false,
        "可步行",
        "Walkable",
    )];
    match layer {
        Layer::Compounds => COMPOUND_DERIVED,
        Layer::Buildings => BUILDING_DERIVED,
        Layer::Ways => WAY_DERIVED,
        _ => &[],
    }
}

/// The geometry a layer accepts.
pub fn geometry_kind(layer: Layer) -> GeometryKind {
    match layer {
        Layer::Streets | Layer::Communities => GeometryKind::MultiPolygon,
        Layer::Grids | Layer::Compounds => GeometryKind::Polygon,
        Layer::Buildings | Layer::ServiceSpaces => GeometryKind::PointOrPolygon,
        Layer::Gates | Layer::Stations => GeometryKind::Point,
        Layer::Ways => GeometryKind::MultiLineString,
    }
}

/// Looks a stored field of a layer up by name.
pub fn field(layer: Layer, name: &str) -> Option<&'static FieldDef> {
    fields(layer).iter().find(|d| d.name == name)
}

/// Another feature a field names by its code or id: `layer` and the key (`code` or `id`) the
/// value is matched with (what `integrity` checks the value against).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    pub layer: Layer,
    pub key: &'static str,
}

impl FieldDef {
    /// Whether the field holds a calendar year (a building's or compound's build year).
    pub fn is_year(&self) -> bool {
        self.kind == YEAR
    }

    /// The feature this field names, when it names one: a street, community or grid by code, a
    /// compound or station by id. A layer's own `code` names nothing.
    pub fn reference(&self) -> Option<Reference> {
        let (layer, key) = match self.name {
            "street_code" => (Layer::Streets, "code"),
            "community_code" => (Layer::Communities, "code"),
            "grid_code" => (Layer::Grids, "code"),
            "compound_id" => (Layer::Compounds, "id"),
            "station_id" => (Layer::Stations, "id"),
            _ => return None,
        };
        Some(Reference { layer, key })
    }

    /// The domain enum an enum or enum-list field takes its values from (its labels included).
    pub fn domain_enum(&self) -> Option<&'static DomainEnum> {
        match self.kind {
            FieldKind::Enum(names) | FieldKind::EnumList(names) => {
                DOMAIN_ENUMS.iter().find(|e| e.has_names(names))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enum_field_names_one_domain_enum() {
        for layer in Layer::ALL {
            for d in fields(layer).iter().chain(derived_fields(layer)) {
                let names = match d.kind {
                    FieldKind::Enum(n) | FieldKind::EnumList(n) => n,
                    _ => {
                        assert!(d.domain_enum().is_none(), "{layer}.{}", d.name);
                        continue;
                    }
                };
                let matching: Vec<_> = DOMAIN_ENUMS.iter().filter(|e| e.has_names(names)).collect();
                assert_eq!(matching.len(), 1, "{layer}.{}: {names:?}", d.name);
                assert_eq!(d.domain_enum(), Some(matching[0]));
            }
        }
        assert_eq!(
            field(Layer::ServiceSpaces, "services")
                .and_then(FieldDef::domain_enum)
                .map(|e| e.name),
            Some("service_type")
        );
    }

    #[test]
    fn references_and_years_are_named_where_the_fields_are() {
        let gates = fields(Layer::Gates);
        let compound = gates
            .iter()
            .find(|d| d.name == "compound_id")
            .expect("compound_id");
        assert_eq!(
            compound.reference(),
            Some(Reference {
                layer: Layer::Compounds,
                key: "id"
            })
        );
        assert_eq!(
            field(Layer::Streets, "code").and_then(FieldDef::reference),
            None
        );
        assert!(field(Layer::Compounds, "build_year").is_some_and(FieldDef::is_year));
        assert!(!field(Layer::Compounds, "households").is_some_and(FieldDef::is_year));
        // Every field ending in _code or _id (but a layer's own code) names a feature.
        for layer in Layer::ALL {
            for d in fields(layer) {
                let named = d.name.ends_with("_code") || d.name.ends_with("_id");
                assert_eq!(d.reference().is_some(), named, "{layer}.{}", d.name);
            }
        }
    }

    #[test]
    fn every_enum_value_has_both_labels() {
        for e in DOMAIN_ENUMS {
            for v in e.values {
                assert!(
                    !v.label_zh.is_empty() && !v.label_en.is_empty(),
                    "{}.{}",
                    e.name,
                    v.name
                );
                assert!(
                    v.label_en.is_ascii(),
                    "{}.{}: English label",
                    e.name,
                    v.name
                );
            }
        }
        assert_eq!(CompoundClass::Old.label_en(), "Old compound");
        assert_eq!(
            CompoundClass::TABLE.values[0].label_zh,
            CompoundClass::Old.label_zh()
        );
    }
}
