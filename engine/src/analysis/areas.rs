//! Area summaries 区域汇总: coverage, complete-community checklist, floor area and governance
//! indicators per grid 网格, community 社区, street 街道 and the whole snapshot, from the units'
//! reach.
//!
//! A unit belongs to the grid, community and street its codes name (a compound without a grid
//! code is in no grid summary but in its community's); floor area and embedded complexes belong
//! to the facility's community (by code) and to the grid holding it (by location).

use std::collections::HashMap;

use geo::{Centroid, Intersects};
use geo_types::{Coord, Point};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Layer, PropertyManagement, ServiceType};
use crate::snapshot::Snapshot;

use super::pct;
use super::reach::UnitCoverage;
use super::standards::{ChecklistItem, LifeCircle, Standards, TargetGroup};

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
    /// Its wire name.
    pub fn name(self) -> &'static str {
        match self {
            AreaLevel::Grid => "grid",
            AreaLevel::Community => "community",
            AreaLevel::Street => "street",
            AreaLevel::All => "all",
        }
    }

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
    /// Compounds by who manages their property 物业管理: professional, community-hosted, joint,
    /// community fallback 兜底 (still three-no), none — each separately.
    #[serde(default)]
    pub property_management: std::collections::BTreeMap<PropertyManagement, usize>,
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
                if c.property_management.manages() {
                    g.managed_compounds += 1;
                }
                *g.property_management
                    .entry(c.property_management)
                    .or_default() += 1;
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
        for pm in PropertyManagement::ALL {
            g.property_management.entry(*pm).or_insert(0);
        }
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
        .boxes
        .candidates(geo_types::Rect::new(p, p))
        .into_iter()
        .filter(|&i| grids[i].geometry.intersects(&Point(p)))
        .min()
}

pub(crate) type Summaries = (
    Vec<AreaSummary>,
    Vec<AreaSummary>,
    Vec<AreaSummary>,
    AreaSummary,
);

/// Running totals at every level: per grid, community and street, and for everything.
struct Levels<'s> {
    standards: &'s Standards,
    lookups: &'s Lookups<'s>,
    grids: Vec<Acc>,
    communities: Vec<Acc>,
    streets: Vec<Acc>,
    all: Acc,
    /// The street (index) of each community (index), when its street exists.
    street_of_community: Vec<Option<usize>>,
}

impl<'s> Levels<'s> {
    /// Empty totals for every grid, community and street of the snapshot.
    fn new(snapshot: &Snapshot, standards: &'s Standards, lookups: &'s Lookups<'s>) -> Self {
        let data = &snapshot.data;
        Levels {
            standards,
            lookups,
            grids: vec![Acc::new(standards); data.grids.len()],
            communities: vec![Acc::new(standards); data.communities.len()],
            streets: vec![Acc::new(standards); data.streets.len()],
            all: Acc::new(standards),
            street_of_community: data
                .communities
                .iter()
                .map(|c| lookups.street(&c.street_code))
                .collect(),
        }
    }

    /// Adds each unit to its grid, community and street (by code) and to the whole.
    fn add_units(&mut self, units: &[UnitCoverage]) {
        let (standards, lookups) = (self.standards, self.lookups);
        for u in units {
            if let Some(g) = u.grid_code.as_deref().and_then(|c| lookups.grid(c)) {
                self.grids[g].add_unit(u, standards);
            }
            if let Some(c) = lookups.community(&u.community_code) {
                self.communities[c].add_unit(u, standards);
                if let Some(s) = self.street_of_community[c] {
                    self.streets[s].add_unit(u, standards);
                }
            }
            self.all.add_unit(u, standards);
        }
    }

    /// Counts each grid and its workers in itself, its community, its street and the whole.
    fn add_grids(&mut self, snapshot: &Snapshot) {
        for (gi, g) in snapshot.data.grids.iter().enumerate() {
            let add = |acc: &mut Acc| {
                acc.governance.grids += 1;
                acc.governance.grid_workers += g.workers;
            };
            add(&mut self.grids[gi]);
            if let Some(c) = self.lookups.community(&g.community_code) {
                add(&mut self.communities[c]);
                if let Some(s) = self.street_of_community[c] {
                    add(&mut self.streets[s]);
                }
            }
            add(&mut self.all);
        }
    }

    /// Adds floor area and embedded complexes to the facility's community (and street) by its
    /// code, and to the grid that holds it by location.
    fn add_facilities(&mut self, snapshot: &Snapshot) {
        let counted = counted_facilities(snapshot, self.standards);
        let in_grid: Vec<Option<usize>> = counted
            .par_iter()
            .map(|(_, at, _, _)| at.and_then(|p| grid_at(snapshot, p)))
            .collect();
        for ((community_code, _, area, complex), grid) in counted.iter().zip(in_grid) {
            let community = self.lookups.community(community_code);
            let street = community.and_then(|c| self.street_of_community[c]);
            let add = |acc: &mut Acc| {
                acc.floor_area += area;
                acc.complexes += usize::from(*complex);
            };
            if let Some(g) = grid {
                add(&mut self.grids[g]);
            }
            if let Some(c) = community {
                add(&mut self.communities[c]);
            }
            if let Some(s) = street {
                add(&mut self.streets[s]);
            }
            add(&mut self.all);
        }
    }

    /// The finished summaries of every grid, community, street and the whole.
    fn finish(self, snapshot: &Snapshot) -> Summaries {
        let data = &snapshot.data;
        let standards = self.standards;
        let grids = finish_level(self.grids, &data.grids, AreaLevel::Grid, standards, |g| {
            (
                g.code.clone(),
                g.name.clone(),
                Some(g.community_code.to_string()),
            )
        });
        let communities = finish_level(
            self.communities,
            &data.communities,
            AreaLevel::Community,
            standards,
            |c| (c.code.clone(), c.name.clone(), Some(c.street_code.clone())),
        );
        let streets = finish_level(
            self.streets,
            &data.streets,
            AreaLevel::Street,
            standards,
            |s| (s.code.clone(), s.name.clone(), None),
        );
        let all = self
            .all
            .finish(AreaLevel::All, "all".into(), "全部".into(), None, standards);
        (grids, communities, streets, all)
    }
}

/// The summaries of the areas of one level, from their totals (in the same order) and each
/// area's (code, name, parent code).
fn finish_level<T>(
    accs: Vec<Acc>,
    areas: &[T],
    level: AreaLevel,
    standards: &Standards,
    names: impl Fn(&T) -> (String, String, Option<String>),
) -> Vec<AreaSummary> {
    accs.into_iter()
        .zip(areas)
        .map(|(acc, area)| {
            let (code, name, parent_code) = names(area);
            acc.finish(level, code, name, parent_code, standards)
        })
        .collect()
}

/// (community code, location, floor area, is a complex) of every facility that counts: stations
/// with counted floor area, then service spaces with floor area or qualifying as a complex.
fn counted_facilities<'d>(
    snapshot: &'d Snapshot,
    standards: &Standards,
) -> Vec<(&'d str, Option<Coord>, f64, bool)> {
    let data = &snapshot.data;
    let fa = &standards.floor_area;
    let counted_station: HashMap<i64, bool> = data
        .stations
        .iter()
        .map(|s| (s.id, fa.station_area(s).is_some()))
        .collect();
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
    counted
}

pub(crate) fn summarize(
    snapshot: &Snapshot,
    standards: &Standards,
    units: &[UnitCoverage],
    lookups: &Lookups,
) -> Summaries {
    let mut levels = Levels::new(snapshot, standards, lookups);
    levels.add_units(units);
    levels.add_grids(snapshot);
    levels.add_facilities(snapshot);
    levels.finish(snapshot)
}
