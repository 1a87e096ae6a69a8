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
use crate::snapshot::{Shared, Snapshot};

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
    target_total: Exact,
    target_covered: Exact,
    distance_households: Exact,
    households_reached: i64,
    households_without: i64,
}

/// Units of [`Exact`]: 2⁻⁴⁰.
const EXACT_SCALE: f64 = (1u64 << 40) as f64;

/// A sum of reals kept exactly in fixed point (2⁻⁴⁰ units), so taking a unit away and adding
/// it again leaves the very total a fresh sum in any order gives: what lets an edit update a
/// city's totals in place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Exact(i128);

impl Exact {
    fn add(&mut self, v: f64, sign: i64) {
        self.0 += i128::from(sign) * (v * EXACT_SCALE).round() as i128;
    }

    fn value(self) -> f64 {
        self.0 as f64 / EXACT_SCALE
    }
}

/// One area's running totals.
#[derive(Debug, Clone, Default)]
pub(crate) struct Acc {
    governance: Governance,
    population: Exact,
    services: Vec<ServiceAcc>,
    checklist: Vec<i64>,
    floor_area: Exact,
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

    /// Adds a unit's row (`sign` 1) or takes it away (`sign` -1).
    fn add_unit(&mut self, u: &UnitCoverage, standards: &Standards, sign: i64) {
        let count = |n: &mut usize| *n = n.wrapping_add_signed(sign as isize);
        let g = &mut self.governance;
        g.households += sign * u.households;
        self.population.add(u.population, sign);
        match &u.compound {
            Some(c) => {
                count(&mut g.compounds);
                if c.three_no {
                    count(&mut g.three_no_compounds);
                    g.three_no_households += sign * u.households;
                }
                if c.property_management.manages() {
                    count(&mut g.managed_compounds);
                }
                count(
                    g.property_management
                        .entry(c.property_management)
                        .or_default(),
                );
                if c.owners_committee {
                    count(&mut g.owners_committee_compounds);
                }
            }
            None => count(&mut g.scattered_buildings),
        }
        for ((acc, reach), rule) in self
            .services
            .iter_mut()
            .zip(&u.services)
            .zip(&standards.services)
        {
            let target = u.target(rule.target_group);
            acc.target_total.add(target, sign);
            if reach.covered {
                acc.households_covered += sign * u.households;
                acc.target_covered.add(target, sign);
            }
            match reach.distance_m {
                Some(d) => {
                    acc.distance_households.add(d * u.households as f64, sign);
                    acc.households_reached += sign * u.households;
                }
                None => acc.households_without += sign * u.households,
            }
        }
        for (n, c) in self.checklist.iter_mut().zip(&u.checklist) {
            if c.within {
                *n += sign * u.households;
            }
        }
    }

    fn finish(
        &self,
        level: AreaLevel,
        code: String,
        name: String,
        parent_code: Option<String>,
        standards: &Standards,
    ) -> AreaSummary {
        let mut governance = self.governance.clone();
        governance.population = self.population.value();
        let g = &mut governance;
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
                target_total: a.target_total.value(),
                target_covered: a.target_covered.value(),
                target_pct: pct(a.target_covered.value(), a.target_total.value()),
                mean_distance_m: (a.households_reached > 0)
                    .then(|| a.distance_households.value() / a.households_reached as f64),
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
        let floor_area = self.floor_area.value();
        let per_100 = (households > 0).then(|| floor_area / hh * 100.0);
        AreaSummary {
            level,
            code,
            name,
            parent_code,
            governance,
            services,
            floor_area: FloorAreaStatus {
                floor_area_m2: floor_area,
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

/// Running totals at every level: per grid, community and street, and for everything. Kept
/// with a coverage, so an edit of a few units takes their old rows away and adds the new ones
/// ([`resummarize`]) instead of summing a city again.
#[derive(Debug, Clone)]
pub(crate) struct Totals {
    grids: Vec<Acc>,
    communities: Vec<Acc>,
    streets: Vec<Acc>,
    all: Acc,
    /// The street (index) of each community (index), when its street exists.
    street_of_community: Vec<Option<usize>>,
}

impl Totals {
    /// Empty totals for every grid, community and street of the snapshot.
    fn new(snapshot: &Snapshot, standards: &Standards, lookups: &Lookups) -> Self {
        let data = &snapshot.data;
        Totals {
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

    /// Adds a unit to its grid, community and street (by code) and to the whole (`sign` 1), or
    /// takes it away (`sign` -1).
    fn add_unit(&mut self, u: &UnitCoverage, standards: &Standards, lookups: &Lookups, sign: i64) {
        if let Some(g) = u.grid_code.as_deref().and_then(|c| lookups.grid(c)) {
            self.grids[g].add_unit(u, standards, sign);
        }
        if let Some(c) = lookups.community(&u.community_code) {
            self.communities[c].add_unit(u, standards, sign);
            if let Some(s) = self.street_of_community[c] {
                self.streets[s].add_unit(u, standards, sign);
            }
        }
        self.all.add_unit(u, standards, sign);
    }

    /// Counts each grid and its workers in itself, its community, its street and the whole.
    fn add_grids(&mut self, snapshot: &Snapshot, lookups: &Lookups) {
        for (gi, g) in snapshot.data.grids.iter().enumerate() {
            let add = |acc: &mut Acc| {
                acc.governance.grids += 1;
                acc.governance.grid_workers += g.workers;
            };
            add(&mut self.grids[gi]);
            if let Some(c) = lookups.community(&g.community_code) {
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
    fn add_facilities(&mut self, snapshot: &Snapshot, standards: &Standards, lookups: &Lookups) {
        let counted = counted_facilities(snapshot, standards);
        let in_grid: Vec<Option<usize>> = counted
            .par_iter()
            .map(|(_, at, _, _)| at.and_then(|p| grid_at(snapshot, p)))
            .collect();
        for ((community_code, _, area, complex), grid) in counted.iter().zip(in_grid) {
            let community = lookups.community(community_code);
            let street = community.and_then(|c| self.street_of_community[c]);
            let add = |acc: &mut Acc| {
                acc.floor_area.add(*area, 1);
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
    fn finish(&self, snapshot: &Snapshot, standards: &Standards) -> Summaries {
        let data = &snapshot.data;
        let grids = finish_level(&self.grids, &data.grids, AreaLevel::Grid, standards, |g| {
            (
                g.code.clone(),
                g.name.clone(),
                Some(g.community_code.to_string()),
            )
        });
        let communities = finish_level(
            &self.communities,
            &data.communities,
            AreaLevel::Community,
            standards,
            |c| (c.code.clone(), c.name.clone(), Some(c.street_code.clone())),
        );
        let streets = finish_level(
            &self.streets,
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
fn finish_level<T: Sync + Send>(
    accs: &[Acc],
    areas: &crate::snapshot::Shared<T>,
    level: AreaLevel,
    standards: &Standards,
    names: impl Fn(&T) -> (String, String, Option<String>) + Sync,
) -> Vec<AreaSummary> {
    (accs.par_iter())
        .zip(areas.par_iter())
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

/// The summaries of every area from every unit's row, and the totals they were finished from.
pub(crate) fn summarize(
    snapshot: &Snapshot,
    standards: &Standards,
    units: &Shared<UnitCoverage>,
    lookups: &Lookups,
) -> (Summaries, Totals) {
    let mut totals = Totals::new(snapshot, standards, lookups);
    for u in units {
        totals.add_unit(u, standards, lookups, 1);
    }
    totals.add_grids(snapshot, lookups);
    totals.add_facilities(snapshot, standards, lookups);
    (totals.finish(snapshot, standards), totals)
}

/// The summaries after some units' rows changed, from the totals before: each old row taken
/// away, each new one added (exactly, so the same as [`summarize`] afresh). The snapshot's
/// grids, communities, streets and facilities must be those the totals were summed on.
pub(crate) fn resummarize(
    snapshot: &Snapshot,
    standards: &Standards,
    lookups: &Lookups,
    totals: &Totals,
    changed: &[(&UnitCoverage, &UnitCoverage)],
) -> (Summaries, Totals) {
    let mut totals = totals.clone();
    for (old, new) in changed {
        totals.add_unit(old, standards, lookups, -1);
        totals.add_unit(new, standards, lookups, 1);
    }
    (totals.finish(snapshot, standards), totals)
}
