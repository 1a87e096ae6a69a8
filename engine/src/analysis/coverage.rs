//! Life-circle coverage 生活圈覆盖: for every compound 小区 and scattered building 散居楼栋, metres
//! to the nearest counting facility of each service type and checklist item, and summaries per
//! grid 网格, community 社区, street 街道 and the whole snapshot.
//!
//! - Distance: Euclidean, metres, in the snapshot's [`metric_frame`](super::metric_frame), from
//!   the unit's geometry to the facility's (point or polygon); 0 when they touch or overlap. A
//!   compound with gates 小区出入口 is measured from its nearest gate (the minimum over its gates
//!   of the gate point's distance), since residents leave through a gate; a compound without
//!   gates from its polygon; a scattered building from its point or footprint. Found with
//!   an rstar nearest-neighbour walk over the counting facilities' bounding boxes from the unit's
//!   centre, refined with exact distances, stopping once no further facility can be nearer.
//! - A facility counts for a rule when it is selected ([`FacilitySelector`]) and its level is
//!   admitted by the rule's life circle ([`LifeCircle::admits`]).
//! - Covered: distance ≤ threshold. Units with no counting facility anywhere are not covered.
//! - Households: a compound's own count (not the sum of its buildings'); a scattered
//!   building's count. Target groups: see [`UnitCoverage::target`].
//! - Areas: a unit belongs to the grid, community and street its codes name (a compound without
//!   a grid code is in no grid summary but in its community's); floor area and embedded
//!   complexes belong to the facility's community (by code) and to the grid holding it (by
//!   location).

use std::collections::HashMap;
use std::sync::Arc;

use geo::{Centroid, Intersects};
use geo_types::{Coord, Geometry, Point};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Building, Compound, CompoundClass, Layer, PropertyManagement, ServiceType};
use crate::snapshot::Snapshot;

use super::metric::{snapshot_frame, Facilities, FacilityIndex, Shape, UnitShape};
use super::standards::{ChecklistItem, FacilitySelector, LifeCircle, Standards, TargetGroup};
use super::{pct, AnalysisError};

/// What a residential unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A compound 小区/院落, measured from its nearest gate when it has gates, else from its
    /// polygon.
    Compound,
    /// A building outside any compound 散居楼栋, measured from its point or footprint.
    ScatteredBuilding,
}

/// The governance facts of a compound, carried as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompoundFacts {
    pub class: CompoundClass,
    pub build_year: Option<i64>,
    pub property_management: PropertyManagement,
    pub owners_committee: bool,
    pub competent_unit: bool,
    /// Three-no 三无: none of the three.
    pub three_no: bool,
    /// How many of the three are missing (0–3).
    pub missing_flags: u8,
}

/// A station or service space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FacilityRef {
    /// `stations` or `service_spaces`.
    pub layer: Layer,
    pub id: i64,
}

/// How far a unit is from a service type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceReach {
    pub service: ServiceType,
    /// Metres to the nearest counting facility; `None` when none exists.
    pub distance_m: Option<f64>,
    /// That facility (one of them when several are equally near).
    pub nearest: Option<FacilityRef>,
    /// The standard's threshold, metres.
    pub threshold_m: f64,
    /// `distance_m ≤ threshold_m`.
    pub covered: bool,
}

/// How far a unit is from a complete-community checklist facility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistReach {
    pub item: ChecklistItem,
    /// Metres to the nearest counting facility; `None` when none exists.
    pub distance_m: Option<f64>,
    /// That facility (one of them when several are equally near).
    pub nearest: Option<FacilityRef>,
    pub threshold_m: f64,
    /// `distance_m ≤ threshold_m`.
    pub within: bool,
}

/// One compound or scattered building with its distances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitCoverage {
    pub kind: UnitKind,
    /// The compound's or building's id.
    pub id: i64,
    pub name: Option<String>,
    pub community_code: String,
    pub grid_code: Option<String>,
    /// The street of the unit's community, when the community is known.
    pub street_code: Option<String>,
    pub households: i64,
    /// Residents (the compound's count; estimated for scattered buildings).
    pub population: f64,
    /// Residents aged 60+ (the compound's count; estimated for scattered buildings).
    pub elderly: f64,
    /// Children aged 0–3, estimated from population.
    pub infants: f64,
    /// Children aged 6–14, estimated from population.
    pub school_age: f64,
    /// Whether population and elderly are estimates ([`Demography`](super::Demography)).
    pub estimated: bool,
    /// The compound's gates the distances were measured from; 0: measured from the polygon
    /// (and for scattered buildings).
    #[serde(default)]
    pub gates: usize,
    /// A representative point, lon/lat (polygon centroid or the building's point).
    pub centroid: [f64; 2],
    /// The compound's governance facts (`None` for scattered buildings).
    pub compound: Option<CompoundFacts>,
    /// One entry per service standard, in the standards' order.
    pub services: Vec<ServiceReach>,
    /// One entry per checklist item, in the standards' order.
    pub checklist: Vec<ChecklistReach>,
}

impl UnitCoverage {
    /// The size of a target group here: households, or persons.
    pub fn target(&self, group: TargetGroup) -> f64 {
        match group {
            TargetGroup::Households => self.households as f64,
            TargetGroup::Elderly => self.elderly,
            TargetGroup::Infants => self.infants,
            TargetGroup::SchoolAge => self.school_age,
        }
    }

    /// The unit's reach of a service type, if analysed.
    pub fn reach(&self, service: ServiceType) -> Option<&ServiceReach> {
        self.services.iter().find(|r| r.service == service)
    }
}

/// The level of an area summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    Grid,
    Community,
    Street,
    /// Everything in the snapshot (the district, or the city).
    All,
}

impl AreaLevel {
    /// Looks a level up by its wire name.
    pub fn from_name(s: &str) -> Option<AreaLevel> {
        match s {
            "grid" => Some(AreaLevel::Grid),
            "community" => Some(AreaLevel::Community),
            "street" => Some(AreaLevel::Street),
            "all" => Some(AreaLevel::All),
            _ => None,
        }
    }
}

/// Governance indicators 治理指标 officials report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Governance {
    /// Households in compounds and scattered buildings.
    pub households: i64,
    /// Residents (with estimates for scattered buildings).
    pub population: f64,
    pub compounds: usize,
    pub scattered_buildings: usize,
    pub three_no_compounds: usize,
    pub three_no_households: i64,
    /// Compounds with any property management (professional, community-hosted or joint).
    pub managed_compounds: usize,
    /// Property-management coverage 物业覆盖率, % of compounds.
    pub property_management_pct: Option<f64>,
    pub owners_committee_compounds: usize,
    /// Owners'-committee coverage 业委会覆盖率, % of compounds.
    pub owners_committee_pct: Option<f64>,
    pub grids: usize,
    /// Grid workers 网格员.
    pub grid_workers: i64,
}

/// An area's coverage of one service type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaServiceCoverage {
    pub service: ServiceType,
    pub life_circle: LifeCircle,
    pub threshold_m: f64,
    pub target_group: TargetGroup,
    pub households: i64,
    pub households_covered: i64,
    /// % of households covered.
    pub households_pct: Option<f64>,
    /// The target group's size (households, or persons).
    pub target_total: f64,
    pub target_covered: f64,
    /// % of the target group covered.
    pub target_pct: Option<f64>,
    /// Household-weighted mean distance to the nearest facility, metres (over households
    /// that have one at all).
    pub mean_distance_m: Option<f64>,
    /// Households with no counting facility anywhere.
    pub households_without_facility: i64,
}

/// Community service floor area of an area against the standard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorAreaStatus {
    /// Counted floor area, m², of the facilities attributed to the area.
    pub floor_area_m2: f64,
    /// m² per 100 households; `None` without households.
    pub per_100_households: Option<f64>,
    pub minimum: f64,
    pub stretch: f64,
    pub meets_minimum: bool,
    pub meets_stretch: bool,
}

/// One complete-community checklist item in an area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistStatus {
    pub item: ChecklistItem,
    pub threshold_m: f64,
    pub households_within: i64,
    /// % of households with such a facility within the threshold.
    pub households_pct: Option<f64>,
    /// At least the standards' share of households reach one within the threshold.
    pub present: bool,
}

/// Coverage and governance of one grid, community, street or the whole snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaSummary {
    pub level: AreaLevel,
    pub code: String,
    pub name: String,
    /// The enclosing area's code (a grid's community, a community's street).
    pub parent_code: Option<String>,
    pub governance: Governance,
    /// One entry per service standard, in the standards' order.
    pub services: Vec<AreaServiceCoverage>,
    pub floor_area: FloorAreaStatus,
    /// One entry per checklist item, in the standards' order.
    pub checklist: Vec<ChecklistStatus>,
    /// Embedded service complexes 嵌入式服务综合体 attributed to the area.
    pub embedded_complexes: usize,
}

impl AreaSummary {
    /// The area's coverage of a service type, if analysed.
    pub fn service(&self, service: ServiceType) -> Option<&AreaServiceCoverage> {
        self.services.iter().find(|s| s.service == service)
    }
}

/// The coverage of a snapshot under a set of standards: every unit and every area summary.
/// Cache it by (snapshot version, standards); recompute after an edit.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// The snapshot version it was computed on.
    pub snapshot_version: i64,
    pub standards: Standards,
    /// Compounds (in snapshot order), then scattered buildings (in snapshot order).
    pub units: Vec<UnitCoverage>,
    /// One per grid, in snapshot order.
    pub grids: Vec<AreaSummary>,
    /// One per community, in snapshot order.
    pub communities: Vec<AreaSummary>,
    /// One per street, in snapshot order.
    pub streets: Vec<AreaSummary>,
    /// The whole snapshot.
    pub all: AreaSummary,
    /// The distances, shared by the coverages of one snapshot under several standards.
    pub(crate) measured: Arc<Measured>,
    by_key: HashMap<(UnitKind, i64), usize>,
}

/// A distinct facility rule: which facilities, at which tier.
type Rule = (FacilitySelector, LifeCircle);

fn rule_key(selector: &FacilitySelector, life_circle: LifeCircle) -> Rule {
    (selector.canonical(), life_circle)
}

/// The geometry work of a coverage: unit shapes and, per unit and distinct facility rule, the
/// distance to the nearest counting facility.
#[derive(Debug)]
pub(crate) struct Measured {
    pub(crate) frame: crate::crs::LocalFrame,
    /// Unit shapes in the metric frame (`None` for empty geometry): compounds, then scattered
    /// buildings.
    pub(crate) shapes: Vec<Option<UnitShape>>,
    /// Positions of the scattered buildings in the buildings layer.
    scattered: Vec<usize>,
    rules: Vec<Rule>,
    /// `rules.len()` entries per unit: metres and the facility (stations then spaces).
    distances: Vec<Option<(f64, u32)>>,
    stations: usize,
}

impl Measured {
    fn measure(snapshot: &Snapshot, standards: &Standards) -> Measured {
        let data = &snapshot.data;
        let frame = snapshot_frame(snapshot);
        // Distinct rules (a checklist item often shares its rule with a service type).
        let mut rules: Vec<Rule> = Vec::new();
        let keys = standards
            .services
            .iter()
            .map(|s| rule_key(&s.facilities, s.life_circle))
            .chain(
                standards
                    .checklist
                    .iter()
                    .map(|c| rule_key(&c.facilities, c.life_circle)),
            );
        for key in keys {
            if !rules.contains(&key) {
                rules.push(key);
            }
        }

        let facilities = Facilities::project(data, &frame);
        let indexes: Vec<FacilityIndex> = rules
            .par_iter()
            .map(|(sel, lc)| FacilityIndex::build(data, &facilities, sel, *lc))
            .collect();

        let scattered: Vec<usize> = data
            .buildings
            .iter()
            .enumerate()
            .filter(|(_, b)| b.scattered())
            .map(|(i, _)| i)
            .collect();
        let shapes: Vec<Option<UnitShape>> = data
            .compounds
            .par_iter()
            .map(|c| {
                let gates: Vec<Point> = snapshot.gates_of(c.id).map(|g| g.geometry).collect();
                Shape::project_gates(&gates, &frame)
                    .or_else(|| Shape::project_polygon(&c.geometry, &frame))
                    .and_then(UnitShape::new)
            })
            .chain(scattered.par_iter().map(|&i| {
                Shape::project(&data.buildings[i].geometry, &frame).and_then(UnitShape::new)
            }))
            .collect();

        let width = rules.len();
        let mut distances: Vec<Option<(f64, u32)>> = vec![None; shapes.len() * width];
        if width > 0 {
            distances
                .par_chunks_mut(width)
                .zip(shapes.par_iter())
                .for_each(|(row, shape)| {
                    if let Some(shape) = shape {
                        for (d, index) in row.iter_mut().zip(&indexes) {
                            *d = index
                                .nearest(shape, &facilities)
                                .map(|(m, f)| (m, f as u32));
                        }
                    }
                });
        }
        Measured {
            frame,
            shapes,
            scattered,
            rules,
            distances,
            stations: data.stations.len(),
        }
    }

    fn rule(&self, selector: &FacilitySelector, life_circle: LifeCircle) -> Option<usize> {
        let key = rule_key(selector, life_circle);
        self.rules.iter().position(|r| *r == key)
    }

    /// Whether every facility rule of the standards was measured.
    fn covers(&self, standards: &Standards) -> bool {
        standards
            .services
            .iter()
            .all(|s| self.rule(&s.facilities, s.life_circle).is_some())
            && standards
                .checklist
                .iter()
                .all(|c| self.rule(&c.facilities, c.life_circle).is_some())
    }
}

/// Verdicts, unit rows and summaries from measured distances.
fn assemble(snapshot: &Snapshot, standards: &Standards, measured: Arc<Measured>) -> Coverage {
    let data = &snapshot.data;
    let m = &*measured;
    let width = m.rules.len();
    // `covers` held, or the rules were measured from these very standards.
    let rule = |sel: &FacilitySelector, lc: LifeCircle| m.rule(sel, lc).unwrap_or(usize::MAX);
    let service_rule: Vec<usize> = standards
        .services
        .iter()
        .map(|s| rule(&s.facilities, s.life_circle))
        .collect();
    let checklist_rule: Vec<usize> = standards
        .checklist
        .iter()
        .map(|c| rule(&c.facilities, c.life_circle))
        .collect();
    let facility_ref = |i: u32| {
        let i = i as usize;
        if i < m.stations {
            FacilityRef {
                layer: Layer::Stations,
                id: data.stations[i].id,
            }
        } else {
            FacilityRef {
                layer: Layer::ServiceSpaces,
                id: data.service_spaces[i - m.stations].id,
            }
        }
    };

    let lookups = Lookups::new(snapshot);
    let units: Vec<UnitCoverage> = (0..m.shapes.len())
        .into_par_iter()
        .map(|u| {
            let row = &m.distances[u * width..(u + 1) * width];
            let reach = |rule: usize, threshold: f64| match row.get(rule).copied().flatten() {
                Some((d, f)) => (Some(d), Some(facility_ref(f)), d <= threshold),
                None => (None, None, false),
            };
            let services = standards
                .services
                .iter()
                .zip(&service_rule)
                .map(|(s, &r)| {
                    let (distance_m, nearest, covered) = reach(r, s.threshold_m);
                    ServiceReach {
                        service: s.service,
                        distance_m,
                        nearest,
                        threshold_m: s.threshold_m,
                        covered,
                    }
                })
                .collect();
            let checklist = standards
                .checklist
                .iter()
                .zip(&checklist_rule)
                .map(|(c, &r)| {
                    let (distance_m, nearest, within) = reach(r, c.threshold_m);
                    ChecklistReach {
                        item: c.item,
                        distance_m,
                        nearest,
                        threshold_m: c.threshold_m,
                        within,
                    }
                })
                .collect();
            let mut unit = if u < data.compounds.len() {
                let mut unit = compound_unit(&data.compounds[u], standards);
                unit.gates = snapshot.gates_of(unit.id).count();
                unit
            } else {
                scattered_unit(
                    &data.buildings[m.scattered[u - data.compounds.len()]],
                    standards,
                )
            };
            unit.street_code = lookups
                .community(&unit.community_code)
                .map(|c| data.communities[c].street_code.clone());
            unit.services = services;
            unit.checklist = checklist;
            unit
        })
        .collect();

    let by_key = units
        .iter()
        .enumerate()
        .map(|(i, u)| ((u.kind, u.id), i))
        .collect();
    let (grids, communities, streets, all) = summarize(snapshot, standards, &units, &lookups);
    Coverage {
        snapshot_version: snapshot.version,
        standards: standards.clone(),
        units,
        grids,
        communities,
        streets,
        all,
        measured,
        by_key,
    }
}

impl Coverage {
    /// Computes the coverage of every unit and area.
    pub fn compute(snapshot: &Snapshot, standards: &Standards) -> Result<Coverage, AnalysisError> {
        standards.validate()?;
        let measured = Measured::measure(snapshot, standards);
        Ok(assemble(snapshot, standards, Arc::new(measured)))
    }

    /// The coverage of the same snapshot under other standards. When every facility rule
    /// (selector and life circle) of `standards` was measured already — an official changed
    /// thresholds, target groups, ratios, the floor-area or underserved rules — the distances
    /// are reused and only the verdicts and summaries are redone; otherwise it is computed anew.
    pub fn with_standards(
        &self,
        snapshot: &Snapshot,
        standards: &Standards,
    ) -> Result<Coverage, AnalysisError> {
        self.check_snapshot(snapshot)?;
        standards.validate()?;
        if self.measured.covers(standards) {
            Ok(assemble(snapshot, standards, Arc::clone(&self.measured)))
        } else {
            Coverage::compute(snapshot, standards)
        }
    }

    /// The summaries of one level (one element for [`AreaLevel::All`]).
    pub fn areas(&self, level: AreaLevel) -> &[AreaSummary] {
        match level {
            AreaLevel::Grid => &self.grids,
            AreaLevel::Community => &self.communities,
            AreaLevel::Street => &self.streets,
            AreaLevel::All => std::slice::from_ref(&self.all),
        }
    }

    /// One area's summary by its code.
    pub fn area(&self, level: AreaLevel, code: &str) -> Option<&AreaSummary> {
        self.areas(level).iter().find(|a| a.code == code)
    }

    /// A unit by kind and id.
    pub fn unit(&self, kind: UnitKind, id: i64) -> Option<&UnitCoverage> {
        self.by_key.get(&(kind, id)).map(|&i| &self.units[i])
    }

    /// Position of a service type among the standards' services (and in every unit's and
    /// area's `services`).
    pub fn service_position(&self, service: ServiceType) -> Option<usize> {
        self.standards
            .services
            .iter()
            .position(|s| s.service == service)
    }

    /// Refuses a snapshot other than the one the coverage was computed on.
    pub fn check_snapshot(&self, snapshot: &Snapshot) -> Result<(), AnalysisError> {
        if snapshot.version == self.snapshot_version {
            Ok(())
        } else {
            Err(AnalysisError::StaleCoverage {
                coverage: self.snapshot_version,
                snapshot: snapshot.version,
            })
        }
    }
}

fn scattered_unit(b: &Building, standards: &Standards) -> UnitCoverage {
    let d = &standards.demography;
    let population = b.households as f64 * d.persons_per_household;
    UnitCoverage {
        kind: UnitKind::ScatteredBuilding,
        id: b.id,
        name: b.name.clone(),
        community_code: b.community_code.clone(),
        grid_code: b.grid_code.clone(),
        street_code: None,
        households: b.households,
        population,
        elderly: population * d.elderly_share,
        infants: population * d.infants_share,
        school_age: population * d.school_age_share,
        estimated: true,
        gates: 0,
        centroid: representative(&b.geometry),
        compound: None,
        services: Vec::new(),
        checklist: Vec::new(),
    }
}

fn compound_unit(c: &Compound, standards: &Standards) -> UnitCoverage {
    let d = &standards.demography;
    let estimated = c.population <= 0 && c.households > 0;
    let population = if estimated {
        c.households as f64 * d.persons_per_household
    } else {
        c.population as f64
    };
    let elderly = if estimated {
        population * d.elderly_share
    } else {
        c.elderly as f64
    };
    UnitCoverage {
        kind: UnitKind::Compound,
        id: c.id,
        name: Some(c.name.clone()),
        community_code: c.community_code.clone(),
        grid_code: c.grid_code.clone(),
        street_code: None,
        households: c.households,
        population,
        elderly,
        infants: population * d.infants_share,
        school_age: population * d.school_age_share,
        estimated,
        gates: 0,
        centroid: representative(&Geometry::Polygon(c.geometry.clone())),
        compound: Some(CompoundFacts {
            class: c.class,
            build_year: c.build_year,
            property_management: c.property_management,
            owners_committee: c.owners_committee,
            competent_unit: c.competent_unit,
            three_no: c.three_no(),
            missing_flags: c.missing_flags(),
        }),
        services: Vec::new(),
        checklist: Vec::new(),
    }
}

/// A representative lon/lat point: the point, or the centroid.
pub(crate) fn representative(g: &Geometry) -> [f64; 2] {
    g.centroid().map_or([0.0, 0.0], |p| [p.x(), p.y()])
}

/// Positions of areas by code.
pub(crate) struct Lookups<'a> {
    communities: HashMap<&'a str, usize>,
    grids: HashMap<&'a str, usize>,
    streets: HashMap<&'a str, usize>,
}

impl<'a> Lookups<'a> {
    pub(crate) fn new(snapshot: &'a Snapshot) -> Self {
        let d = &snapshot.data;
        Lookups {
            communities: d
                .communities
                .iter()
                .enumerate()
                .map(|(i, c)| (c.code.as_str(), i))
                .collect(),
            grids: d
                .grids
                .iter()
                .enumerate()
                .map(|(i, g)| (g.code.as_str(), i))
                .collect(),
            streets: d
                .streets
                .iter()
                .enumerate()
                .map(|(i, s)| (s.code.as_str(), i))
                .collect(),
        }
    }
    pub(crate) fn community(&self, code: &str) -> Option<usize> {
        self.communities.get(code).copied()
    }
    fn grid(&self, code: &str) -> Option<usize> {
        self.grids.get(code).copied()
    }
    fn street(&self, code: &str) -> Option<usize> {
        self.streets.get(code).copied()
    }
}

#[derive(Debug, Clone, Default)]
struct ServiceAcc {
    households_covered: i64,
    target_total: f64,
    target_covered: f64,
    distance_households: f64,
    households_reached: i64,
    households_without: i64,
}

#[derive(Debug, Clone, Default)]
struct Acc {
    governance: Governance,
    services: Vec<ServiceAcc>,
    checklist: Vec<i64>,
    floor_area: f64,
    complexes: usize,
}

impl Acc {
    fn new(standards: &Standards) -> Self {
        Acc {
            services: vec![ServiceAcc::default(); standards.services.len()],
            checklist: vec![0; standards.checklist.len()],
            ..Acc::default()
        }
    }

    fn add_unit(&mut self, u: &UnitCoverage, standards: &Standards) {
        let g = &mut self.governance;
        g.households += u.households;
        g.population += u.population;
        match &u.compound {
            Some(c) => {
                g.compounds += 1;
                if c.three_no {
                    g.three_no_compounds += 1;
                    g.three_no_households += u.households;
                }
                if c.property_management != PropertyManagement::None {
                    g.managed_compounds += 1;
                }
                if c.owners_committee {
                    g.owners_committee_compounds += 1;
                }
            }
            None => g.scattered_buildings += 1,
        }
        for ((acc, reach), rule) in self
            .services
            .iter_mut()
            .zip(&u.services)
            .zip(&standards.services)
        {
            let target = u.target(rule.target_group);
            acc.target_total += target;
            if reach.covered {
                acc.households_covered += u.households;
                acc.target_covered += target;
            }
            match reach.distance_m {
                Some(d) => {
                    acc.distance_households += d * u.households as f64;
                    acc.households_reached += u.households;
                }
                None => acc.households_without += u.households,
            }
        }
        for (n, c) in self.checklist.iter_mut().zip(&u.checklist) {
            if c.within {
                *n += u.households;
            }
        }
    }

    fn finish(
        mut self,
        level: AreaLevel,
        code: String,
        name: String,
        parent_code: Option<String>,
        standards: &Standards,
    ) -> AreaSummary {
        let g = &mut self.governance;
        g.property_management_pct = pct(g.managed_compounds as f64, g.compounds as f64);
        g.owners_committee_pct = pct(g.owners_committee_compounds as f64, g.compounds as f64);
        let households = g.households;
        let hh = households as f64;
        let services = self
            .services
            .iter()
            .zip(&standards.services)
            .map(|(a, s)| AreaServiceCoverage {
                service: s.service,
                life_circle: s.life_circle,
                threshold_m: s.threshold_m,
                target_group: s.target_group,
                households,
                households_covered: a.households_covered,
                households_pct: pct(a.households_covered as f64, hh),
                target_total: a.target_total,
                target_covered: a.target_covered,
                target_pct: pct(a.target_covered, a.target_total),
                mean_distance_m: (a.households_reached > 0)
                    .then(|| a.distance_households / a.households_reached as f64),
                households_without_facility: a.households_without,
            })
            .collect();
        let checklist = self
            .checklist
            .iter()
            .zip(&standards.checklist)
            .map(|(&n, c)| ChecklistStatus {
                item: c.item,
                threshold_m: c.threshold_m,
                households_within: n,
                households_pct: pct(n as f64, hh),
                present: households > 0 && n as f64 >= standards.checklist_min_household_share * hh,
            })
            .collect();
        let f = &standards.floor_area;
        let per_100 = (households > 0).then(|| self.floor_area / hh * 100.0);
        AreaSummary {
            level,
            code,
            name,
            parent_code,
            governance: self.governance,
            services,
            floor_area: FloorAreaStatus {
                floor_area_m2: self.floor_area,
                per_100_households: per_100,
                minimum: f.minimum_m2_per_100_households,
                stretch: f.stretch_m2_per_100_households,
                meets_minimum: per_100.is_some_and(|v| v >= f.minimum_m2_per_100_households),
                meets_stretch: per_100.is_some_and(|v| v >= f.stretch_m2_per_100_households),
            },
            checklist,
            embedded_complexes: self.complexes,
        }
    }
}

/// The grid whose polygon holds the point (the first in snapshot order on a shared edge).
fn grid_at(snapshot: &Snapshot, p: Coord) -> Option<usize> {
    let grids = &snapshot.data.grids;
    if grids.is_empty() {
        return None;
    }
    snapshot
        .index(Layer::Grids)
        .rtree
        .locate_all_at_point(&[p.x, p.y])
        .map(|e| e.data)
        .filter(|&i| grids[i].geometry.intersects(&Point(p)))
        .min()
}

type Summaries = (
    Vec<AreaSummary>,
    Vec<AreaSummary>,
    Vec<AreaSummary>,
    AreaSummary,
);

fn summarize(
    snapshot: &Snapshot,
    standards: &Standards,
    units: &[UnitCoverage],
    lookups: &Lookups,
) -> Summaries {
    let data = &snapshot.data;
    let mut grids = vec![Acc::new(standards); data.grids.len()];
    let mut communities = vec![Acc::new(standards); data.communities.len()];
    let mut streets = vec![Acc::new(standards); data.streets.len()];
    let mut all = Acc::new(standards);
    let street_of_community: Vec<Option<usize>> = data
        .communities
        .iter()
        .map(|c| lookups.street(&c.street_code))
        .collect();

    for u in units {
        if let Some(g) = u.grid_code.as_deref().and_then(|c| lookups.grid(c)) {
            grids[g].add_unit(u, standards);
        }
        if let Some(c) = lookups.community(&u.community_code) {
            communities[c].add_unit(u, standards);
            if let Some(s) = street_of_community[c] {
                streets[s].add_unit(u, standards);
            }
        }
        all.add_unit(u, standards);
    }

    // Grids and grid workers.
    for (gi, g) in data.grids.iter().enumerate() {
        let add = |acc: &mut Acc| {
            acc.governance.grids += 1;
            acc.governance.grid_workers += g.workers;
        };
        add(&mut grids[gi]);
        if let Some(c) = lookups.community(&g.community_code) {
            add(&mut communities[c]);
            if let Some(s) = street_of_community[c] {
                add(&mut streets[s]);
            }
        }
        add(&mut all);
    }

    // Floor area and embedded complexes, attributed to the facility's community (and street)
    // by its code, and to the grid that holds it by location.
    let fa = &standards.floor_area;
    let counted_station: HashMap<i64, bool> = data
        .stations
        .iter()
        .map(|s| (s.id, fa.station_area(s).is_some()))
        .collect();
    // (community code, location, floor area, is a complex) of every facility that counts.
    let mut counted: Vec<(&str, Option<Coord>, f64, bool)> = data
        .stations
        .iter()
        .filter_map(|s| {
            let area = fa.station_area(s)?;
            Some((s.community_code.as_str(), Some(s.geometry.0), area, false))
        })
        .collect();
    counted.extend(data.service_spaces.iter().filter_map(|s| {
        let host_counted = s
            .station_id
            .is_some_and(|id| counted_station.get(&id).copied().unwrap_or(false));
        let area = fa.space_area(s, host_counted).unwrap_or(0.0);
        let complex = standards.complex.qualifies(s);
        (area > 0.0 || complex).then(|| {
            let at = s.geometry.centroid().map(|p| p.0);
            (s.community_code.as_str(), at, area, complex)
        })
    }));
    let in_grid: Vec<Option<usize>> = counted
        .par_iter()
        .map(|(_, at, _, _)| at.and_then(|p| grid_at(snapshot, p)))
        .collect();
    for ((community_code, _, area, complex), grid) in counted.iter().zip(in_grid) {
        let community = lookups.community(community_code);
        let street = community.and_then(|c| street_of_community[c]);
        let add = |acc: &mut Acc| {
            acc.floor_area += area;
            acc.complexes += usize::from(*complex);
        };
        if let Some(g) = grid {
            add(&mut grids[g]);
        }
        if let Some(c) = community {
            add(&mut communities[c]);
        }
        if let Some(s) = street {
            add(&mut streets[s]);
        }
        add(&mut all);
    }

    let grids = grids
        .into_iter()
        .zip(&data.grids)
        .map(|(acc, g)| {
            acc.finish(
                AreaLevel::Grid,
                g.code.clone(),
                g.name.clone(),
                Some(g.community_code.clone()),
                standards,
            )
        })
        .collect();
    let communities = communities
        .into_iter()
        .zip(&data.communities)
        .map(|(acc, c)| {
            acc.finish(
                AreaLevel::Community,
                c.code.clone(),
                c.name.clone(),
                Some(c.street_code.clone()),
                standards,
            )
        })
        .collect();
    let streets = streets
        .into_iter()
        .zip(&data.streets)
        .map(|(acc, s)| {
            acc.finish(
                AreaLevel::Street,
                s.code.clone(),
                s.name.clone(),
                None,
                standards,
            )
        })
        .collect();
    let all = all.finish(AreaLevel::All, "all".into(), "全部".into(), None, standards);
    (grids, communities, streets, all)
}
