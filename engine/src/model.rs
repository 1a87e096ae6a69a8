//! Domain types of a district's grid and service data.
//!
//! Every feature carries a store-assigned `id` and an optimistic-concurrency `version`
//! (incremented by the store on every committed write). Administrative units are referenced
//! by their codes (`street_code`, `community_code`, `grid_code`), compounds and stations by id.
//! Coordinates are WGS84 longitude/latitude (CGCS2000 treated as equal).

use geo_types::{Geometry, MultiLineString, MultiPolygon, Point, Polygon};
use serde::{Deserialize, Serialize};

/// A community or grid code 社区代码/网格代码 as features hold it: inline up to 24 bytes (every
/// code is 12 to 15 digits), so a million buildings do not each keep their community's code in
/// a heap allocation of its own.
pub type Code = compact_str::CompactString;

/// One of the atlas's feature layers, in drawing order (areas first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Streets,
    Communities,
    Grids,
    Compounds,
    Buildings,
    Gates,
    Stations,
    ServiceSpaces,
    Ways,
}

impl Layer {
    pub const ALL: [Layer; 9] = [
        Layer::Streets,
        Layer::Communities,
        Layer::Grids,
        Layer::Compounds,
        Layer::Buildings,
        Layer::Gates,
        Layer::Stations,
        Layer::ServiceSpaces,
        Layer::Ways,
    ];

    /// The layer's name in URLs, tables and files.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Streets => "streets",
            Layer::Communities => "communities",
            Layer::Grids => "grids",
            Layer::Compounds => "compounds",
            Layer::Buildings => "buildings",
            Layer::Gates => "gates",
            Layer::Stations => "stations",
            Layer::ServiceSpaces => "service_spaces",
            Layer::Ways => "ways",
        }
    }

    /// The layer's Chinese title.
    pub fn title_zh(self) -> &'static str {
        match self {
            Layer::Streets => "街道",
            Layer::Communities => "社区",
            Layer::Grids => "网格",
            Layer::Compounds => "小区/院落",
            Layer::Buildings => "楼栋",
            Layer::Gates => "小区出入口",
            Layer::Stations => "站点",
            Layer::ServiceSpaces => "嵌入式服务阵地",
            Layer::Ways => "道路/步行路径",
        }
    }

    /// The layer's English title.
    pub fn title_en(self) -> &'static str {
        match self {
            Layer::Streets => "Streets",
            Layer::Communities => "Communities",
            Layer::Grids => "Grids",
            Layer::Compounds => "Compounds",
            Layer::Buildings => "Buildings",
            Layer::Gates => "Compound gates",
            Layer::Stations => "Stations",
            Layer::ServiceSpaces => "Service spaces",
            Layer::Ways => "Ways",
        }
    }

    /// Looks a layer up by its name.
    pub fn from_name(name: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.name() == name)
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One value of a domain enum as users see it: its wire name and its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EnumValue {
    pub name: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
}

/// A domain enum as a table (its wire name and every value), so that clients take values and
/// labels from the engine instead of keeping a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DomainEnum {
    pub name: &'static str,
    pub values: &'static [EnumValue],
}

impl DomainEnum {
    /// Whether `names` are exactly this enum's wire names, in order (how a schema field's
    /// value list is traced back to its enum).
    pub fn has_names(&self, names: &[&str]) -> bool {
        self.values.len() == names.len() && self.values.iter().zip(names).all(|(v, n)| v.name == *n)
    }
}

/// Declares a string-valued domain enum with its wire name, and each value's wire name, Chinese
/// and English labels.
macro_rules! domain_enum {
    ($(#[$meta:meta])* $name:ident = $enum_wire:literal { $($variant:ident = $wire:literal / $zh:literal / $en:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Wire names of every value, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($wire),+];
            /// The enum with every value's labels, for clients.
            pub const TABLE: DomainEnum = DomainEnum {
                name: $enum_wire,
                values: &[$(EnumValue { name: $wire, label_zh: $zh, label_en: $en }),+],
            };
            /// The wire name (used in files, tables and the API).
            pub fn name(self) -> &'static str { match self { $($name::$variant => $wire),+ } }
            /// The Chinese label shown to users.
            pub fn label_zh(self) -> &'static str { match self { $($name::$variant => $zh),+ } }
            /// The English label shown to users.
            pub fn label_en(self) -> &'static str { match self { $($name::$variant => $en),+ } }
            /// Looks a value up by its wire name.
            pub fn from_name(s: &str) -> Option<Self> { match s { $($wire => Some($name::$variant),)+ _ => None } }
        }
    };
}

pub(crate) use domain_enum;

domain_enum!(
    /// Kind of community 社区类型.
    CommunityKind = "community_kind" {
        Urban = "urban" / "城市社区" / "Urban community",
        NewBuild = "new_build" / "新建社区" / "Newly built community",
        Old = "old" / "老旧社区" / "Old community",
        VillageConverted = "village_converted" / "村改居社区" / "Village-converted community",
    }
);

domain_enum!(
    /// Class of a residential compound 小区类别; decides its grid cap.
    CompoundClass = "compound_class" {
        Old = "old" / "老旧小区" / "Old compound",
        New = "new" / "新建小区" / "New compound",
        Commodity = "commodity" / "商品房小区" / "Commodity housing",
        Resettlement = "resettlement" / "安置小区" / "Resettlement compound",
        UnitOwned = "unit_owned" / "单位宿舍" / "Work-unit dormitory",
    }
);

domain_enum!(
    /// Who manages a compound's property 物业管理.
    PropertyManagement = "property_management" {
        Professional = "professional" / "专业物业" / "Professional property management",
        CommunityHosted = "community_hosted" / "社区托管" / "Hosted by the community",
        Joint = "joint" / "连片物业" / "Joint (shared across compounds)",
        CommunityFallback = "community_fallback" / "社区兜底" / "Community fallback (still three-no)",
        None = "none" / "无物业" / "None",
    }
);

domain_enum!(
    /// Kind of compound gate 出入口类型: who may pass.
    GateKind = "gate_kind" {
        Pedestrian = "pedestrian" / "人行出入口" / "Pedestrian gate",
        Vehicle = "vehicle" / "车行出入口" / "Vehicle gate",
        Mixed = "mixed" / "人车混行出入口" / "Pedestrian and vehicle gate",
    }
);

domain_enum!(
    /// Kind of station 站点类型.
    StationKind = "station_kind" {
        PartyMassCentre = "party_mass_centre" / "党群服务中心" / "Party-mass service centre",
        SocialWorkStation = "social_work_station" / "社工站" / "Social-work station",
        GridPost = "grid_post" / "网格驿站" / "Grid post",
        PartyPost = "party_post" / "党员服务点" / "Party-member service point",
        HealthStation = "health_station" / "社区卫生服务站" / "Community health station",
        ParcelStation = "parcel_station" / "快递驿站" / "Parcel station",
        ConveniencePoint = "convenience_point" / "便民服务点" / "Convenience point",
        CommunityServiceStation = "community_service_station" / "社区综合服务站" / "Community service station",
        Kindergarten = "kindergarten" / "幼儿园" / "Kindergarten",
    }
);

domain_enum!(
    /// Embedded service type 嵌入式服务类型 (国办函〔2023〕121号).
    ServiceType = "service_type" {
        ElderlyCare = "elderly_care" / "养老服务" / "Elderly care",
        Childcare = "childcare" / "托育服务" / "Childcare (under 3)",
        AfterSchool = "after_school" / "儿童托管" / "After-school care",
        MealHelp = "meal_help" / "社区助餐" / "Community meals",
        Housekeeping = "housekeeping" / "家政便民" / "Housekeeping & convenience",
        Health = "health" / "健康服务" / "Health",
        Fitness = "fitness" / "体育健身" / "Fitness",
        Culture = "culture" / "文化服务" / "Culture",
        Study = "study" / "学习服务" / "Study",
        ChildrenPlay = "children_play" / "儿童游憩" / "Children's play",
    }
);

domain_enum!(
    /// Operating model of a service 运营模式.
    OperatingModel = "operating_model" {
        PublicBenefit = "public_benefit" / "公益" / "Public benefit (free)",
        LowCost = "low_cost" / "低偿" / "Low cost",
        Market = "market" / "市场" / "Market",
    }
);

domain_enum!(
    /// Tier of a facility in the life-circle system 生活圈层级; a higher tier never stands in
    /// for a lower one.
    FacilityLevel = "facility_level" {
        Street = "street" / "街道级(15分钟)" / "Street level (15 min)",
        Community = "community" / "社区级(10分钟)" / "Community level (10 min)",
        Compound = "compound" / "小区级(5分钟)" / "Compound level (5 min)",
    }
);

/// Every domain enum, in the order clients list them.
pub const DOMAIN_ENUMS: &[DomainEnum] = &[
    CommunityKind::TABLE,
    CompoundClass::TABLE,
    PropertyManagement::TABLE,
    GateKind::TABLE,
    StationKind::TABLE,
    ServiceType::TABLE,
    OperatingModel::TABLE,
    FacilityLevel::TABLE,
    WayKind::TABLE,
];

domain_enum!(
    /// Kind of way 道路类型, as OpenStreetMap's `highway` tag names it (links count as their road).
    WayKind = "way_kind" {
        Footway = "footway" / "人行道" / "Footway",
        Path = "path" / "小路" / "Path",
        Steps = "steps" / "台阶" / "Steps",
        Pedestrian = "pedestrian" / "步行街" / "Pedestrian street",
        Corridor = "corridor" / "连廊" / "Corridor",
        Cycleway = "cycleway" / "非机动车道" / "Cycleway",
        Track = "track" / "机耕路" / "Track",
        LivingStreet = "living_street" / "生活街道" / "Living street",
        Residential = "residential" / "居住区道路" / "Residential street",
        Service = "service" / "内部道路" / "Service road",
        Unclassified = "unclassified" / "其他道路" / "Unclassified road",
        Tertiary = "tertiary" / "支路" / "Tertiary road",
        Secondary = "secondary" / "次干路" / "Secondary road",
        Primary = "primary" / "主干路" / "Primary road",
        Trunk = "trunk" / "快速路" / "Trunk road",
        Motorway = "motorway" / "高速公路" / "Motorway",
    }
);

impl WayKind {
    /// Whether pedestrians may use ways of this kind at all: never a motorway (道路交通安全法
    /// 第67条); any other kind unless the way says otherwise.
    pub fn admits_pedestrians(self) -> bool {
        self != WayKind::Motorway
    }

    /// The kind of an OpenStreetMap `highway` value (`*_link` as its road; `road`,
    /// `bridleway`, `elevator` and other walkable oddities as unclassified/path); `None` for
    /// values that are no way at all.
    pub fn from_osm(highway: &str) -> Option<WayKind> {
        let base = highway.strip_suffix("_link").unwrap_or(highway);
        Some(match base {
            "footway" | "crossing" | "sidewalk" => WayKind::Footway,
            "path" | "bridleway" | "via_ferrata" => WayKind::Path,
            "steps" | "elevator" => WayKind::Steps,
            "pedestrian" => WayKind::Pedestrian,
            "corridor" => WayKind::Corridor,
            "cycleway" => WayKind::Cycleway,
            "track" => WayKind::Track,
            "living_street" => WayKind::LivingStreet,
            "residential" => WayKind::Residential,
            "service" => WayKind::Service,
            "unclassified" | "road" | "busway" => WayKind::Unclassified,
            "tertiary" => WayKind::Tertiary,
            "secondary" => WayKind::Secondary,
            "primary" => WayKind::Primary,
            "trunk" => WayKind::Trunk,
            "motorway" => WayKind::Motorway,
            _ => return None,
        })
    }
}

/// A way 道路/步行路径: a street, lane, footway, steps or a compound's internal path, as a
/// line. Walking distances are measured along the walkable ones ([`Way::walkable`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Way {
    pub id: i64,
    pub version: i64,
    /// e.g. 蜀泸大道.
    pub name: Option<String>,
    pub kind: WayKind,
    /// Closed to pedestrians 禁止步行 (`foot=no`, private, a motor road …).
    #[serde(default)]
    pub no_walking: bool,
    /// A bridge 桥梁 (over a river, a rail line or a road: it meets those only at its ends).
    #[serde(default)]
    pub bridge: bool,
    /// A tunnel or underpass 隧道/地道.
    #[serde(default)]
    pub tunnel: bool,
    /// The compound whose internal path 小区内部道路 this is.
    pub compound_id: Option<i64>,
    /// The street 街道 the way lies in (the scope of who may change it); `None` for ways
    /// beyond every mapped street (only a district-wide account changes those).
    pub street_code: Option<String>,
    /// The OpenStreetMap way it came from.
    pub osm_way: Option<i64>,
    /// One line, or several parts (a Shapefile's multi-part polyline); each part is walked
    /// on its own and meets the others only where they share a vertex.
    #[serde(skip, default = "empty_lines")]
    pub geometry: MultiLineString,
}

impl Way {
    /// A new way of `kind` along `geometry`, walkable by its kind, on no bridge, in no
    /// compound or street (id and version 0: the store assigns them).
    pub fn new(kind: WayKind, geometry: MultiLineString) -> Way {
        Way {
            id: 0,
            version: 0,
            name: None,
            kind,
            no_walking: false,
            bridge: false,
            tunnel: false,
            compound_id: None,
            street_code: None,
            osm_way: None,
            geometry,
        }
    }

    /// Whether pedestrians may walk it 可步行: its kind admits them and it is not closed.
    pub fn walkable(&self) -> bool {
        self.kind.admits_pedestrians() && !self.no_walking
    }
}

fn empty_lines() -> MultiLineString {
    MultiLineString(Vec::new())
}

/// A street or town 街道/镇, identified by its 9-digit statistical code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Street {
    pub id: i64,
    pub version: i64,
    pub code: String,
    pub name: String,
    #[serde(skip, default = "empty_multi_polygon")]
    pub geometry: MultiPolygon,
}

/// A community 社区 (residents' committee 居委会), identified by its 12-digit statistical code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Community {
    pub id: i64,
    pub version: i64,
    pub code: String,
    pub name: String,
    pub street_code: String,
    pub kind: CommunityKind,
    /// Residents' groups 居民小组 (the middle level of the three-level grid).
    pub residents_groups: i64,
    #[serde(skip, default = "empty_multi_polygon")]
    pub geometry: MultiPolygon,
}

/// A grid 网格 of a community, served by its grid workers 网格员.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub id: i64,
    pub version: i64,
    pub code: String,
    pub name: String,
    pub community_code: Code,
    pub workers: i64,
    /// A locked grid is kept as it is by automatic partitioning.
    pub locked: bool,
    #[serde(skip, default = "empty_polygon")]
    pub geometry: Polygon,
}

/// A residential compound 小区/院落.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compound {
    pub id: i64,
    pub version: i64,
    pub name: String,
    pub community_code: Code,
    pub grid_code: Option<Code>,
    pub households: i64,
    pub population: i64,
    /// Residents aged 60 and over.
    pub elderly: i64,
    pub build_year: Option<i64>,
    pub class: CompoundClass,
    pub property_management: PropertyManagement,
    /// Has an owners' committee 业委会.
    pub owners_committee: bool,
    /// Has a competent unit 主管单位.
    pub competent_unit: bool,
    #[serde(skip, default = "empty_polygon")]
    pub geometry: Polygon,
}

impl PropertyManagement {
    /// Whether a company or the community's hosting manages the property: a community that
    /// only takes responsibility for a compound (兜底) does not, and it stays three-no.
    pub fn manages(self) -> bool {
        !matches!(
            self,
            PropertyManagement::None | PropertyManagement::CommunityFallback
        )
    }
}

impl Compound {
    /// "Three-no" 三无: no property management (none, or only the community's fallback 兜底),
    /// no owners' committee, no competent unit.
    pub fn three_no(&self) -> bool {
        !self.property_management.manages() && !self.owners_committee && !self.competent_unit
    }

    /// How many of the three governance flags are missing (0–3).
    pub fn missing_flags(&self) -> u8 {
        u8::from(!self.property_management.manages())
            + u8::from(!self.owners_committee)
            + u8::from(!self.competent_unit)
    }
}

/// A building 楼栋; without a compound it is a scattered building 散居楼栋.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Building {
    pub id: i64,
    pub version: i64,
    pub name: Option<String>,
    pub community_code: Code,
    pub compound_id: Option<i64>,
    /// The grid of a scattered building, or of a building of a compound split along its
    /// buildings by a grid plan (the buildings of a whole compound have none: they follow it).
    pub grid_code: Option<Code>,
    pub households: i64,
    pub floors: Option<i64>,
    pub build_year: Option<i64>,
    /// Placed where it probably is, not surveyed 位置待核实: a building a ledger named that the
    /// map lacked, put at its compound's interior point until someone draws it.
    #[serde(default)]
    pub location_approximate: bool,
    /// Point or footprint polygon.
    #[serde(skip, default = "empty_geometry")]
    pub geometry: Geometry,
}

impl Building {
    /// A building outside any compound 散居楼栋.
    pub fn scattered(&self) -> bool {
        self.compound_id.is_none()
    }
}

/// A gate of a compound 小区出入口: where residents walk or drive in and out. Coverage measures a
/// compound's distances from its gates when it has any (see `analysis::coverage`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    pub id: i64,
    pub version: i64,
    /// e.g. 北门.
    pub name: Option<String>,
    /// The community of the gate's compound (the scope of who may change it).
    pub community_code: Code,
    pub compound_id: i64,
    pub kind: GateKind,
    /// Lies on (or within [`GATE_MAX_OFFSET_M`] of) the compound's polygon.
    #[serde(skip, default = "empty_point")]
    pub geometry: Point,
}

/// How far, in metres, a gate may lie from its compound's polygon.
pub const GATE_MAX_OFFSET_M: f64 = 50.0;

/// A station 站点: party-mass service centre, social-work station, grid post, ….
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Station {
    pub id: i64,
    pub version: i64,
    pub name: String,
    pub kind: StationKind,
    pub community_code: Code,
    pub level: FacilityLevel,
    pub floor_area: Option<f64>,
    #[serde(skip, default = "empty_point")]
    pub geometry: Point,
}

/// An embedded service space 嵌入式服务阵地 offering one or more service types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSpace {
    pub id: i64,
    pub version: i64,
    pub name: String,
    pub community_code: Code,
    pub services: Vec<ServiceType>,
    /// Floor area in m².
    pub floor_area: f64,
    pub operating_model: OperatingModel,
    pub level: FacilityLevel,
    /// The station hosting this space, if any.
    pub station_id: Option<i64>,
    /// People served at once.
    pub capacity: Option<i64>,
    pub opening_hours: Option<String>,
    /// Point or polygon.
    #[serde(skip, default = "empty_geometry")]
    pub geometry: Geometry,
}

fn empty_polygon() -> Polygon {
    Polygon::new(geo_types::LineString(vec![]), vec![])
}
fn empty_multi_polygon() -> MultiPolygon {
    MultiPolygon(vec![])
}
fn empty_geometry() -> Geometry {
    Geometry::Point(empty_point())
}
fn empty_point() -> Point {
    Point::new(0.0, 0.0)
}
