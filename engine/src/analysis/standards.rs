//! Service standards 服务配置标准 as configuration: per service type its life circle, walking
//! threshold, target group and which facilities count; the complete-community checklist; the
//! floor-area and embedded-complex rules; demographic ratios for estimates. [`Standards::default`]
//! ships the national defaults, each rule with the `source` it comes from. An official may change
//! any of it at run time (e.g. a threshold 500 → 300 m) and the analyses follow.

use serde::{Deserialize, Serialize};

use crate::model::{FacilityLevel, ServiceSpace, ServiceType, Station, StationKind};

use super::underserved::UnderservedRules;
use super::AnalysisError;

const GB50180: &str = "GB 50180-2018《城市居住区规划设计标准》";
const EMBEDDED: &str = "国办函〔2023〕121号《城市社区嵌入式服务设施建设工程实施方案》";
const COMPLETE: &str = "《完整社区建设指南》(住房和城乡建设部, 2022)";

/// A life circle 生活圈 of GB 50180-2018: how far (in walking minutes) a facility of the tier
/// is meant to serve. Facility levels map onto it: compound 小区级 = 5 min, community 社区级 =
/// 10 min, street 街道级 = 15 min.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LifeCircle {
    #[serde(rename = "5min")]
    FiveMinutes,
    #[serde(rename = "10min")]
    TenMinutes,
    #[serde(rename = "15min")]
    FifteenMinutes,
}

impl LifeCircle {
    /// The life circle a facility of this level belongs to.
    pub fn of_level(level: FacilityLevel) -> LifeCircle {
        match level {
            FacilityLevel::Compound => LifeCircle::FiveMinutes,
            FacilityLevel::Community => LifeCircle::TenMinutes,
            FacilityLevel::Street => LifeCircle::FifteenMinutes,
        }
    }

    /// Walking minutes.
    pub fn minutes(self) -> u32 {
        match self {
            LifeCircle::FiveMinutes => 5,
            LifeCircle::TenMinutes => 10,
            LifeCircle::FifteenMinutes => 15,
        }
    }

    /// The default walking threshold of the tier, in metres (GB 50180-2018: ≈ 300 / 500 /
    /// 800–1000 m; the upper bound is used for 15 minutes).
    pub fn default_walk_m(self) -> f64 {
        match self {
            LifeCircle::FiveMinutes => 300.0,
            LifeCircle::TenMinutes => 500.0,
            LifeCircle::FifteenMinutes => 1000.0,
        }
    }

    /// Whether a facility of `level` counts for a need of this tier: only when its own tier is
    /// this one or a lower (smaller) one. A higher-tier facility never stands in for a
    /// lower-tier one: a street-level (15 min) centre does not meet a 10-minute need, while a
    /// compound-level (5 min) point does.
    pub fn admits(self, level: FacilityLevel) -> bool {
        LifeCircle::of_level(level) <= self
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            LifeCircle::FiveMinutes => "5分钟生活圈",
            LifeCircle::TenMinutes => "10分钟生活圈",
            LifeCircle::FifteenMinutes => "15分钟生活圈",
        }
    }
}

/// Whom a service is for 服务对象. Counts are households for [`TargetGroup::Households`] and
/// persons for the others (estimated with [`Demography`] where the data has no count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TargetGroup {
    /// Every household 全体住户.
    #[serde(rename = "households")]
    Households,
    /// Residents aged 60 and over 60岁及以上老年人.
    #[serde(rename = "elderly_60_plus")]
    Elderly,
    /// Infants and toddlers aged 0–3 0–3岁婴幼儿 (托育).
    #[serde(rename = "children_0_3")]
    Infants,
    /// School-age children 6–14 (compulsory education) 学龄儿童.
    #[serde(rename = "school_age")]
    SchoolAge,
}

impl TargetGroup {
    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            TargetGroup::Households => "全体住户",
            TargetGroup::Elderly => "60岁及以上老年人",
            TargetGroup::Infants => "0–3岁婴幼儿",
            TargetGroup::SchoolAge => "学龄儿童(6–14岁)",
        }
    }
}

/// Which facilities count 计入设施: service spaces offering any of `services`, and stations of
/// any of `station_kinds`. The facility's level must also be admitted by the rule's life circle.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct FacilitySelector {
    #[serde(default)]
    pub services: Vec<ServiceType>,
    #[serde(default)]
    pub station_kinds: Vec<StationKind>,
}

impl FacilitySelector {
    /// Spaces offering `service`, and stations of the given kinds.
    pub fn service(service: ServiceType, station_kinds: &[StationKind]) -> Self {
        FacilitySelector {
            services: vec![service],
            station_kinds: station_kinds.to_vec(),
        }
    }

    /// Stations of the given kinds only.
    pub fn stations(station_kinds: &[StationKind]) -> Self {
        FacilitySelector {
            services: Vec::new(),
            station_kinds: station_kinds.to_vec(),
        }
    }

    /// Whether the station is selected (kind only; the level is checked by the caller).
    pub fn selects_station(&self, station: &Station) -> bool {
        self.station_kinds.contains(&station.kind)
    }

    /// Whether the service space is selected (services only; the level is checked by the caller).
    pub fn selects_space(&self, space: &ServiceSpace) -> bool {
        space.services.iter().any(|s| self.services.contains(s))
    }

    /// The same selection in a canonical order (for comparing and deduplicating).
    #[must_use]
    pub(crate) fn canonical(&self) -> Self {
        let mut c = self.clone();
        c.services.sort_unstable();
        c.services.dedup();
        c.station_kinds.sort_unstable();
        c.station_kinds.dedup();
        c
    }
}

/// The standard for one embedded service type 服务类型标准.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStandard {
    pub service: ServiceType,
    /// The tier of the need; decides which facility levels count ([`LifeCircle::admits`]).
    pub life_circle: LifeCircle,
    /// Walking threshold, metres: a unit is covered when its nearest counting facility is at
    /// most this far (distance ≤ threshold).
    pub threshold_m: f64,
    pub target_group: TargetGroup,
    pub facilities: FacilitySelector,
    /// The document(s) the rule comes from.
    pub source: String,
}

impl ServiceStandard {
    /// What counts for this service, as wire names: the services of counting spaces, the kinds
    /// of counting stations and the facility levels the life circle admits (for SQL peers).
    pub fn counted_names(&self) -> CountedNames {
        CountedNames {
            services: self.facilities.services.iter().map(|s| s.name()).collect(),
            station_kinds: self
                .facilities
                .station_kinds
                .iter()
                .map(|k| k.name())
                .collect(),
            levels: FacilityLevel::ALL
                .iter()
                .filter(|l| self.life_circle.admits(**l))
                .map(|l| l.name())
                .collect(),
        }
    }
}

/// A service standard's counting facilities as wire names ([`ServiceStandard::counted_names`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedNames {
    pub services: Vec<&'static str>,
    pub station_kinds: Vec<&'static str>,
    pub levels: Vec<&'static str>,
}

/// A required facility of the complete-community checklist 完整社区基本公共服务设施, mapped to
/// the model: 社区综合服务站 = `community_service_station` or `party_mass_centre` stations (the
/// community's party-mass service centre is its comprehensive service station in practice);
/// 幼儿园 = `kindergarten` stations; 托儿所 = spaces offering `childcare` (托育, ages 0–3);
/// 老年服务站 = spaces offering `elderly_care`; 社区卫生服务站 = `health_station` stations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistItem {
    CommunityServiceStation,
    Kindergarten,
    Nursery,
    ElderlyServiceStation,
    HealthStation,
}

impl ChecklistItem {
    /// Every item, in the guide's order.
    pub const ALL: [ChecklistItem; 5] = [
        ChecklistItem::CommunityServiceStation,
        ChecklistItem::Kindergarten,
        ChecklistItem::Nursery,
        ChecklistItem::ElderlyServiceStation,
        ChecklistItem::HealthStation,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            ChecklistItem::CommunityServiceStation => "community_service_station",
            ChecklistItem::Kindergarten => "kindergarten",
            ChecklistItem::Nursery => "nursery",
            ChecklistItem::ElderlyServiceStation => "elderly_service_station",
            ChecklistItem::HealthStation => "health_station",
        }
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            ChecklistItem::CommunityServiceStation => "社区综合服务站",
            ChecklistItem::Kindergarten => "幼儿园",
            ChecklistItem::Nursery => "托儿所",
            ChecklistItem::ElderlyServiceStation => "老年服务站",
            ChecklistItem::HealthStation => "社区卫生服务站",
        }
    }
}

/// One item of the complete-community checklist with its rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistStandard {
    pub item: ChecklistItem,
    pub life_circle: LifeCircle,
    /// Walking threshold, metres.
    pub threshold_m: f64,
    pub facilities: FacilitySelector,
    pub source: String,
}

/// Community service floor area 社区综合服务设施面积 per 100 households.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorAreaStandard {
    /// Minimum, m² per 100 households (30).
    pub minimum_m2_per_100_households: f64,
    /// Stretch target, m² per 100 households (80).
    pub stretch_m2_per_100_households: f64,
    /// Station kinds whose floor area is community service space.
    pub station_kinds: Vec<StationKind>,
    /// Whether embedded service spaces count too (a space hosted by a counted station is not
    /// counted again: its area is part of the station's).
    pub include_service_spaces: bool,
    /// Facility levels that count (street-level centres are the 15-minute tier, not community
    /// service space).
    pub levels: Vec<FacilityLevel>,
    pub source: String,
    pub stretch_source: String,
}

impl FloorAreaStandard {
    /// Floor area (m²) this station contributes, if it counts.
    pub fn station_area(&self, s: &Station) -> Option<f64> {
        (self.station_kinds.contains(&s.kind) && self.levels.contains(&s.level))
            .then_some(s.floor_area)
            .flatten()
            .filter(|a| a.is_finite() && *a > 0.0)
    }

    /// Floor area (m²) this space contributes, if it counts; `host_counted` says whether its
    /// host station already counts (then its area is inside the station's).
    pub fn space_area(&self, s: &ServiceSpace, host_counted: bool) -> Option<f64> {
        (self.include_service_spaces && !host_counted && self.levels.contains(&s.level))
            .then_some(s.floor_area)
            .filter(|a| a.is_finite() && *a > 0.0)
    }
}

/// An embedded service complex 嵌入式服务设施综合体.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplexStandard {
    /// Minimum floor area, m² (600).
    pub min_floor_area_m2: f64,
    /// Minimum number of service functions (3).
    pub min_functions: usize,
    /// The "one old, one young" care functions (elderly care, childcare, after-school care,
    /// meal help).
    pub care_services: Vec<ServiceType>,
    /// Minimum number of care functions (2).
    pub min_care_functions: usize,
    pub source: String,
}

impl ComplexStandard {
    /// Whether a service space qualifies as an embedded service complex.
    pub fn qualifies(&self, s: &ServiceSpace) -> bool {
        let mut services = s.services.clone();
        services.sort_unstable();
        services.dedup();
        let care = services
            .iter()
            .filter(|t| self.care_services.contains(t))
            .count();
        s.floor_area >= self.min_floor_area_m2
            && services.len() >= self.min_functions
            && care >= self.min_care_functions
    }
}

/// Ratios used to estimate target groups where the data has no count: a compound's population
/// when it is 0, and a scattered building's population and elderly (buildings carry households
/// only). Infants and school-age children are always estimated from population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Demography {
    /// Persons per household (2.62).
    pub persons_per_household: f64,
    /// Share of residents aged 60+ (0.187).
    pub elderly_share: f64,
    /// Share of residents aged 0–3 (0.02).
    pub infants_share: f64,
    /// Share of residents aged 6–14 (0.11).
    pub school_age_share: f64,
    pub source: String,
}

/// Every rule the coverage analyses measure against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standards {
    /// One standard per analysed service type (a type left out is not analysed).
    pub services: Vec<ServiceStandard>,
    /// The complete-community checklist 完整社区 required facilities.
    pub checklist: Vec<ChecklistStandard>,
    /// Share of an area's households (0–1) that must reach a checklist facility within its
    /// threshold for the item to count as present in the area. Project convention (0.5: most
    /// households), not from the guide, which describes one community of 5–10 min walk.
    pub checklist_min_household_share: f64,
    pub floor_area: FloorAreaStandard,
    pub complex: ComplexStandard,
    pub demography: Demography,
    pub underserved: UnderservedRules,
    /// How walking distances are measured and told in minutes 步行.
    #[serde(default)]
    pub walking: WalkingStandard,
}

/// Walking along the ways 步行: the speed that turns metres into minutes and how far a unit or
/// facility may lie from the network to be joined to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkingStandard {
    /// Metres per second (1.0: an older resident's pace; the life circles of GB 50180-2018 are
    /// 5/10/15 minutes for about 300/500/1,000 m, 0.8–1.1 m/s).
    pub speed_mps: f64,
    /// Metres: a gate, compound, building or facility farther than this from every walkable
    /// way is not joined to the network and is listed as such.
    pub join_limit_m: f64,
    pub source: String,
}

impl Default for WalkingStandard {
    fn default() -> Self {
        WalkingStandard {
            speed_mps: 1.0,
            join_limit_m: 300.0,
            source: format!(
                "{GB50180}: 5/10/15分钟生活圈 ≈ 300/500/1000 m 步行; 1.0 m/s for older residents (project convention); join limit: project convention"
            ),
        }
    }
}

impl WalkingStandard {
    /// Minutes on foot for a distance at this speed.
    pub fn minutes(&self, metres: f64) -> f64 {
        metres / self.speed_mps / 60.0
    }
}

impl Default for Standards {
    fn default() -> Self {
        Standards {
            services: default_services(),
            checklist: default_checklist(),
            checklist_min_household_share: 0.5,
            floor_area: default_floor_area(),
            complex: default_complex(),
            demography: default_demography(),
            underserved: UnderservedRules::default(),
            walking: WalkingStandard::default(),
        }
    }
}

/// The default standard of every analysed service type, with its sources.
fn default_services() -> Vec<ServiceStandard> {
    use LifeCircle::{FifteenMinutes, FiveMinutes, TenMinutes};
    use ServiceType as S;
    use StationKind as K;
    use TargetGroup as G;
    let service =
        |service, life_circle: LifeCircle, target_group, kinds: &[K], src: &str| ServiceStandard {
            service,
            life_circle,
            threshold_m: life_circle.default_walk_m(),
            target_group,
            facilities: FacilitySelector::service(service, kinds),
            source: src.to_owned(),
        };
    let ten =
        format!("{GB50180} 10分钟生活圈(步行约500 m); community-level (社区级) embedded services");
    vec![
        service(
            S::ElderlyCare,
            TenMinutes,
            G::Elderly,
            &[],
            &format!("{EMBEDDED} 养老服务; {ten}; {GB50180} lists 老年人日间照料中心 in the 5-minute circle, the default uses the community tier"),
        ),
        service(
            S::Childcare,
            TenMinutes,
            G::Infants,
            &[],
            &format!("{EMBEDDED} 托育服务; {COMPLETE} 托儿所; {ten}"),
        ),
        service(
            S::AfterSchool,
            TenMinutes,
            G::SchoolAge,
            &[],
            &format!("{EMBEDDED} 儿童托管; {ten}"),
        ),
        service(
            S::MealHelp,
            TenMinutes,
            G::Elderly,
            &[],
            &format!("{EMBEDDED} 社区助餐; {GB50180} 社区食堂; {ten}"),
        ),
        service(
            S::Housekeeping,
            FiveMinutes,
            G::Households,
            &[K::ConveniencePoint],
            &format!("{EMBEDDED} 家政便民; {GB50180} 5分钟生活圈 社区商业网点(步行约300 m); 便民服务点 stations count"),
        ),
        service(
            S::Health,
            TenMinutes,
            G::Households,
            &[K::HealthStation],
            &format!("{EMBEDDED} 健康服务; {COMPLETE} 社区卫生服务站; {ten}; 社区卫生服务站 stations count"),
        ),
        service(
            S::Fitness,
            FiveMinutes,
            G::Households,
            &[],
            &format!("{EMBEDDED} 体育健身; {GB50180} 5分钟生活圈 室外综合健身场地(步行约300 m)"),
        ),
        service(
            S::Culture,
            FifteenMinutes,
            G::Households,
            &[],
            &format!("{EMBEDDED} 文化服务; {GB50180} 15分钟生活圈 文化活动中心(步行800–1000 m)"),
        ),
        service(
            S::Study,
            FifteenMinutes,
            G::Households,
            &[],
            &format!("{EMBEDDED} 学习服务; {GB50180} 15分钟生活圈(步行800–1000 m)"),
        ),
        service(
            S::ChildrenPlay,
            FiveMinutes,
            G::SchoolAge,
            &[],
            &format!("{EMBEDDED} 儿童游憩; {GB50180} 5分钟生活圈 儿童活动场地(步行约300 m)"),
        ),
    ]
}

/// The default complete-community checklist: its required facilities within the 10-minute walk.
fn default_checklist() -> Vec<ChecklistStandard> {
    use LifeCircle::TenMinutes;
    use ServiceType as S;
    use StationKind as K;
    let complete = format!("{COMPLETE}: a complete community is a 5–10 minute walk across; the 10-minute bound (500 m) is used");
    let item = |item, selector| ChecklistStandard {
        item,
        life_circle: TenMinutes,
        threshold_m: TenMinutes.default_walk_m(),
        facilities: selector,
        source: complete.clone(),
    };
    vec![
        item(
            ChecklistItem::CommunityServiceStation,
            FacilitySelector::stations(&[K::CommunityServiceStation, K::PartyMassCentre]),
        ),
        item(
            ChecklistItem::Kindergarten,
            FacilitySelector::stations(&[K::Kindergarten]),
        ),
        item(
            ChecklistItem::Nursery,
            FacilitySelector::service(S::Childcare, &[]),
        ),
        item(
            ChecklistItem::ElderlyServiceStation,
            FacilitySelector::service(S::ElderlyCare, &[]),
        ),
        item(
            ChecklistItem::HealthStation,
            FacilitySelector::stations(&[K::HealthStation]),
        ),
    ]
}

/// The default floor-area standard: 30 m² per 100 households, stretch 80 m².
fn default_floor_area() -> FloorAreaStandard {
    use StationKind as K;
    FloorAreaStandard {
        minimum_m2_per_100_households: 30.0,
        stretch_m2_per_100_households: 80.0,
        station_kinds: vec![
            K::PartyMassCentre,
            K::CommunityServiceStation,
            K::SocialWorkStation,
            K::GridPost,
            K::PartyPost,
        ],
        include_service_spaces: true,
        levels: vec![FacilityLevel::Community, FacilityLevel::Compound],
        source: "《“十四五”城乡社区服务体系建设规划》(国办发〔2021〕56号): 每百户居民拥有社区综合服务设施面积不低于30平方米".into(),
        stretch_source: "stretch target of 80 m² per 100 households set for the district (configurable), not a national minimum".into(),
    }
}

/// The default embedded service complex: ≥ 600 m², ≥ 3 functions, ≥ 2 care functions.
fn default_complex() -> ComplexStandard {
    use ServiceType as S;
    ComplexStandard {
        min_floor_area_m2: 600.0,
        min_functions: 3,
        care_services: vec![S::ElderlyCare, S::Childcare, S::AfterSchool, S::MealHelp],
        min_care_functions: 2,
        source: format!(
            "{EMBEDDED}: 综合体 ≥ 600 m², ≥ 3 functions, ≥ 2 of 养老/托育/儿童托管/助餐"
        ),
    }
}

/// The default demography, from the seventh national census.
fn default_demography() -> Demography {
    Demography {
        persons_per_household: 2.62,
        elderly_share: 0.187,
        infants_share: 0.02,
        school_age_share: 0.11,
        source: "第七次全国人口普查(2020): 2.62 persons per household, 18.70 % aged 60+, ≈ 6.4 % aged 5–9 and 6.0 % aged 10–14 (→ ≈ 11 % aged 6–14); 0–3: three birth cohorts of ≈ 9–10 million (国家统计局 2022–2024) in 1.41 billion ≈ 2 %".into(),
    }
}

impl Standards {
    /// The standard of a service type, if analysed.
    pub fn service(&self, service: ServiceType) -> Option<&ServiceStandard> {
        self.services.iter().find(|s| s.service == service)
    }

    /// Changes a service type's walking threshold, metres.
    pub fn set_threshold(
        &mut self,
        service: ServiceType,
        threshold_m: f64,
    ) -> Result<(), AnalysisError> {
        check_threshold(
            &format!("services.{}.threshold_m", service.name()),
            threshold_m,
        )?;
        let rule = self
            .services
            .iter_mut()
            .find(|s| s.service == service)
            .ok_or(AnalysisError::NotAnalysed(service))?;
        rule.threshold_m = threshold_m;
        Ok(())
    }

    /// Checks the rules: each service type and checklist item at most once, thresholds positive
    /// and finite, shares within 0–1, ratios non-negative.
    pub fn validate(&self) -> Result<(), AnalysisError> {
        for (i, s) in self.services.iter().enumerate() {
            if self.services[..i].iter().any(|o| o.service == s.service) {
                return Err(invalid(
                    format!("services.{}", s.service.name()),
                    "listed twice",
                ));
            }
            check_threshold(
                &format!("services.{}.threshold_m", s.service.name()),
                s.threshold_m,
            )?;
        }
        for (i, c) in self.checklist.iter().enumerate() {
            if self.checklist[..i].iter().any(|o| o.item == c.item) {
                return Err(invalid(
                    format!("checklist.{}", c.item.name()),
                    "listed twice",
                ));
            }
            check_threshold(
                &format!("checklist.{}.threshold_m", c.item.name()),
                c.threshold_m,
            )?;
        }
        check_share(
            "checklist_min_household_share",
            self.checklist_min_household_share,
        )?;
        let d = &self.demography;
        if !(d.persons_per_household.is_finite() && d.persons_per_household > 0.0) {
            return Err(invalid(
                "demography.persons_per_household",
                "must be a positive number",
            ));
        }
        check_share("demography.elderly_share", d.elderly_share)?;
        check_share("demography.infants_share", d.infants_share)?;
        check_share("demography.school_age_share", d.school_age_share)?;
        let f = &self.floor_area;
        for (field, v) in [
            (
                "floor_area.minimum_m2_per_100_households",
                f.minimum_m2_per_100_households,
            ),
            (
                "floor_area.stretch_m2_per_100_households",
                f.stretch_m2_per_100_households,
            ),
            ("complex.min_floor_area_m2", self.complex.min_floor_area_m2),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(invalid(field, "must be a non-negative number"));
            }
        }
        let w = &self.walking;
        if !(w.speed_mps.is_finite() && (0.1..=5.0).contains(&w.speed_mps)) {
            return Err(invalid(
                "walking.speed_mps",
                format!("must be a walking speed of 0.1–5 m/s, got {}", w.speed_mps),
            ));
        }
        if !(w.join_limit_m.is_finite() && (1.0..=5_000.0).contains(&w.join_limit_m)) {
            return Err(invalid(
                "walking.join_limit_m",
                format!("must be 1–5000 m, got {}", w.join_limit_m),
            ));
        }
        self.underserved.validate(self)
    }
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> AnalysisError {
    AnalysisError::InvalidStandards {
        field: field.into(),
        reason: reason.into(),
    }
}

pub(crate) fn check_threshold(field: &str, v: f64) -> Result<(), AnalysisError> {
    if v.is_finite() && v > 0.0 && v <= 100_000.0 {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be a distance in metres above 0 and at most 100 km, got {v}"),
        ))
    }
}

fn check_share(field: &str, v: f64) -> Result<(), AnalysisError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be a share within 0–1, got {v}"),
        ))
    }
}
