//! Planning units 规划单元: the compounds 小区 and scattered buildings 散居楼栋 a community's
//! grids are painted from, their households and cap class, and the caps themselves.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use geo::{BoundingRect, Centroid, InteriorPoint};
use geo_types::{Geometry, MultiPolygon, Point};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::PlanningError;
use crate::model::{Building, Compound, CompoundClass, Grid};
use crate::snapshot::Snapshot;

/// The cap class of a unit: which grid cap its households count against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapClass {
    /// Old compounds 老旧小区, unit dormitories 单位宿舍, resettlement compounds 安置小区 and
    /// scattered buildings 散居楼栋.
    Old,
    /// New compounds 新建小区 and commodity-housing compounds 商品房小区.
    New,
}

impl CapClass {
    /// The cap class of a compound class: `New` and `Commodity` count as new; `Old`,
    /// `UnitOwned` and `Resettlement` as old (their walk-ups and ageing residents need the
    /// smaller grid). Scattered buildings are old.
    pub fn of(class: CompoundClass) -> CapClass {
        match class {
            CompoundClass::New | CompoundClass::Commodity => CapClass::New,
            CompoundClass::Old | CompoundClass::UnitOwned | CompoundClass::Resettlement => {
                CapClass::Old
            }
        }
    }
}

/// Households one grid may hold, per cap class (the 150/300 rule seen in practice). A grid's
/// load is Σ households / cap of their class; a grid is within the rule when its load ≤ 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caps {
    /// Households per grid for old compounds and scattered buildings (default 150).
    pub old: u32,
    /// Households per grid for new compounds (default 300).
    pub new: u32,
}

impl Default for Caps {
    fn default() -> Self {
        Caps { old: 150, new: 300 }
    }
}

impl Caps {
    /// The cap of a class, in households.
    pub fn cap(&self, class: CapClass) -> u32 {
        match class {
            CapClass::Old => self.old,
            CapClass::New => self.new,
        }
    }

    /// The load of `households` of a class: households / cap (1.0 = one full grid).
    pub fn load(&self, households: i64, class: CapClass) -> f64 {
        households as f64 / f64::from(self.cap(class).max(1))
    }

    /// Checks that both caps are at least one household.
    pub fn validate(&self) -> Result<(), PlanningError> {
        for (field, v) in [("caps.old", self.old), ("caps.new", self.new)] {
            if v == 0 {
                return Err(PlanningError::InvalidOption {
                    field: field.into(),
                    reason: "a grid cap must be at least 1 household".into(),
                });
            }
        }
        Ok(())
    }

    /// Exact integer loads: a load of `scale().cap` units is one full grid.
    pub(crate) fn scale(self) -> LoadScale {
        let (a, b) = (u64::from(self.old.max(1)), u64::from(self.new.max(1)));
        let lcm = a / gcd(a, b) * b;
        LoadScale {
            cap: lcm,
            per_old: lcm / a,
            per_new: lcm / b,
        }
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Integer load units (so "load ≤ 1" is decided exactly): one grid = `cap` units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LoadScale {
    pub cap: u64,
    pub per_old: u64,
    pub per_new: u64,
}

impl LoadScale {
    pub(crate) fn units(&self, households: i64, class: CapClass) -> u64 {
        let per = match class {
            CapClass::Old => self.per_old,
            CapClass::New => self.per_new,
        };
        households.max(0) as u64 * per
    }

    pub(crate) fn load(&self, units: u64) -> f64 {
        units as f64 / self.cap as f64
    }

    /// ⌈units / cap⌉: the fewest grids that can hold `units`.
    pub(crate) fn grids_needed(&self, units: u64) -> usize {
        units.div_ceil(self.cap) as usize
    }
}

/// A reference to a planning unit: a whole compound, or one building (a scattered building, or
/// a building of a compound split along its buildings). Written `compound:12` / `building:34`
/// in JSON, so plans serialize as readable maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnitRef {
    Compound(i64),
    Building(i64),
}

impl fmt::Display for UnitRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnitRef::Compound(id) => write!(f, "compound:{id}"),
            UnitRef::Building(id) => write!(f, "building:{id}"),
        }
    }
}

impl FromStr for UnitRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("\"{s}\" is not a unit (write compound:<id> or building:<id>)");
        let (kind, id) = s.split_once(':').ok_or_else(bad)?;
        let id: i64 = id.trim().parse().map_err(|_| bad())?;
        match kind.trim() {
            "compound" => Ok(UnitRef::Compound(id)),
            "building" => Ok(UnitRef::Building(id)),
            _ => Err(bad()),
        }
    }
}

impl Serialize for UnitRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for UnitRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a planning unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A whole compound 小区/院落.
    Compound,
    /// One building of a compound split along its buildings.
    CompoundBuilding,
    /// A scattered building 散居楼栋.
    ScatteredBuilding,
}

/// One planning unit of a community.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanningUnit {
    pub unit: UnitRef,
    pub kind: UnitKind,
    pub name: String,
    pub households: i64,
    pub class: CapClass,
    /// The compound of a compound or compound building.
    pub compound_id: Option<i64>,
    /// Belongs to a three-no compound 三无小区.
    pub three_no: bool,
    /// The grid recorded in the store (a compound's `grid_code`; a compound building's own
    /// `grid_code`, else its compound's; a scattered building's `grid_code`).
    pub recorded_grid: Option<String>,
    /// WGS84 lon/lat: the compound polygon, or the building's point or footprint.
    pub geometry: Geometry,
    /// A representative point inside the geometry, WGS84 lon/lat.
    pub centroid: Point,
}

impl PlanningUnit {
    /// Cap of this unit's class, in households.
    pub fn cap(&self, caps: &Caps) -> u32 {
        caps.cap(self.class)
    }

    /// This unit's load: households / cap.
    pub fn load(&self, caps: &Caps) -> f64 {
        caps.load(self.households, self.class)
    }
}

/// Everything planning needs of one community (or any area): its boundary, grids, compounds
/// and buildings, copied out of a snapshot once so plans and checks never scan the city.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub community_code: String,
    pub community_name: String,
    /// The snapshot version the catalog was read from (0 when built by hand).
    pub snapshot_version: i64,
    /// WGS84 lon/lat.
    pub boundary: MultiPolygon,
    pub grids: Vec<Grid>,
    pub compounds: Vec<Compound>,
    /// The buildings of the compounds above and the community's scattered buildings.
    pub buildings: Vec<Building>,
    compound_pos: BTreeMap<i64, usize>,
    building_pos: BTreeMap<i64, usize>,
    buildings_of: BTreeMap<i64, Vec<usize>>,
}

impl Catalog {
    /// A catalog from parts (for tests, benchmarks and areas other than one community).
    /// Buildings whose `compound_id` names no compound here are treated as scattered.
    pub fn new(
        community_code: impl Into<String>,
        community_name: impl Into<String>,
        boundary: MultiPolygon,
        grids: Vec<Grid>,
        compounds: Vec<Compound>,
        buildings: Vec<Building>,
    ) -> Catalog {
        let compound_pos: BTreeMap<i64, usize> = compounds
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        let building_pos = buildings
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id, i))
            .collect();
        let mut buildings_of: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (i, b) in buildings.iter().enumerate() {
            if let Some(c) = b.compound_id.filter(|c| compound_pos.contains_key(c)) {
                buildings_of.entry(c).or_default().push(i);
            }
        }
        Catalog {
            community_code: community_code.into(),
            community_name: community_name.into(),
            snapshot_version: 0,
            boundary,
            grids,
            compounds,
            buildings,
            compound_pos,
            building_pos,
            buildings_of,
        }
    }

    /// The catalog of one community of a snapshot: its boundary, grids, compounds, the
    /// buildings of those compounds and its scattered buildings.
    pub fn from_snapshot(
        snapshot: &Snapshot,
        community_code: &str,
    ) -> Result<Catalog, PlanningError> {
        let community = snapshot
            .community(community_code)
            .ok_or_else(|| PlanningError::UnknownCommunity(community_code.to_owned()))?;
        let d = &snapshot.data;
        let grids: Vec<Grid> = d
            .grids
            .iter()
            .filter(|g| g.community_code == community_code)
            .cloned()
            .collect();
        let compounds: Vec<Compound> = d
            .compounds
            .iter()
            .filter(|c| c.community_code == community_code)
            .cloned()
            .collect();
        let ids: BTreeSet<i64> = compounds.iter().map(|c| c.id).collect();
        let buildings: Vec<Building> = d
            .buildings
            .iter()
            .filter(|b| match b.compound_id {
                Some(c) => ids.contains(&c),
                None => b.community_code == community_code,
            })
            .cloned()
            .collect();
        let mut catalog = Catalog::new(
            community_code,
            community.name.clone(),
            community.geometry.clone(),
            grids,
            compounds,
            buildings,
        );
        catalog.snapshot_version = snapshot.version;
        if catalog.boundary.0.is_empty() {
            return Err(PlanningError::NoBoundary(community_code.to_owned()));
        }
        Ok(catalog)
    }

    pub fn compound(&self, id: i64) -> Option<&Compound> {
        self.compound_pos.get(&id).map(|&i| &self.compounds[i])
    }

    pub fn building(&self, id: i64) -> Option<&Building> {
        self.building_pos.get(&id).map(|&i| &self.buildings[i])
    }

    /// The buildings of a compound, in catalog order.
    pub fn buildings_of(&self, compound_id: i64) -> impl Iterator<Item = &Building> + '_ {
        self.buildings_of
            .get(&compound_id)
            .into_iter()
            .flatten()
            .map(|&i| &self.buildings[i])
    }

    /// Whether a building is scattered here (no compound of this catalog).
    pub fn is_scattered(&self, b: &Building) -> bool {
        b.compound_id
            .is_none_or(|c| !self.compound_pos.contains_key(&c))
    }

    /// Compounds whose buildings carry grid codes of their own: stored as split.
    pub fn stored_splits(&self) -> BTreeSet<i64> {
        self.compounds
            .iter()
            .filter(|c| self.buildings_of(c.id).any(|b| b.grid_code.is_some()))
            .map(|c| c.id)
            .collect()
    }

    /// The planning units with the compounds of `split` split along their buildings (a
    /// compound without buildings stays whole), in catalog order: compounds (or their
    /// buildings) first, then scattered buildings.
    pub fn units(&self, split: &BTreeSet<i64>) -> Vec<PlanningUnit> {
        let mut out = Vec::with_capacity(self.compounds.len());
        for c in &self.compounds {
            let class = CapClass::of(c.class);
            let three_no = c.three_no();
            let mut parts = self.buildings_of(c.id).peekable();
            if split.contains(&c.id) && parts.peek().is_some() {
                for b in parts {
                    out.push(PlanningUnit {
                        unit: UnitRef::Building(b.id),
                        kind: UnitKind::CompoundBuilding,
                        name: match &b.name {
                            Some(n) => format!("{}{}", c.name, n),
                            None => format!("{}#{}", c.name, b.id),
                        },
                        households: b.households,
                        class,
                        compound_id: Some(c.id),
                        three_no,
                        recorded_grid: b
                            .grid_code
                            .as_deref()
                            .or(c.grid_code.as_deref())
                            .map(str::to_owned),
                        centroid: representative_point(&b.geometry),
                        geometry: b.geometry.clone(),
                    });
                }
            } else {
                let geometry = Geometry::Polygon(c.geometry.clone());
                out.push(PlanningUnit {
                    unit: UnitRef::Compound(c.id),
                    kind: UnitKind::Compound,
                    name: c.name.clone(),
                    households: c.households,
                    class,
                    compound_id: Some(c.id),
                    three_no,
                    recorded_grid: c.grid_code.as_deref().map(str::to_owned),
                    centroid: representative_point(&geometry),
                    geometry,
                });
            }
        }
        for b in self.buildings.iter().filter(|b| self.is_scattered(b)) {
            out.push(PlanningUnit {
                unit: UnitRef::Building(b.id),
                kind: UnitKind::ScatteredBuilding,
                name: b
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("散居楼栋#{}", b.id)),
                households: b.households,
                class: CapClass::Old,
                compound_id: None,
                three_no: false,
                recorded_grid: b.grid_code.as_deref().map(str::to_owned),
                centroid: representative_point(&b.geometry),
                geometry: b.geometry.clone(),
            });
        }
        out
    }

    /// Households and name of any unit reference (whole compound or any building), whether or
    /// not it is a unit under the current split.
    pub fn describe(&self, unit: UnitRef) -> Option<(String, i64)> {
        match unit {
            UnitRef::Compound(id) => self.compound(id).map(|c| (c.name.clone(), c.households)),
            UnitRef::Building(id) => self.building(id).map(|b| {
                let name = match (&b.name, b.compound_id.and_then(|c| self.compound(c))) {
                    (Some(n), Some(c)) => format!("{}{}", c.name, n),
                    (None, Some(c)) => format!("{}#{}", c.name, b.id),
                    (Some(n), None) => n.clone(),
                    (None, None) => format!("散居楼栋#{}", b.id),
                };
                (name, b.households)
            }),
        }
    }
}

/// A point inside a geometry (interior point, else centroid, else bounding-box centre).
pub(crate) fn representative_point(g: &Geometry) -> Point {
    g.interior_point()
        .or_else(|| g.centroid())
        .or_else(|| g.bounding_rect().map(|r| r.center().into()))
        .unwrap_or_else(|| Point::new(0.0, 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_refs_round_trip_as_strings() {
        for u in [UnitRef::Compound(12), UnitRef::Building(-3)] {
            let s = serde_json::to_string(&u).expect("serialize");
            assert_eq!(serde_json::from_str::<UnitRef>(&s).expect("parse"), u);
        }
        assert_eq!(UnitRef::Compound(12).to_string(), "compound:12");
        assert!("grid:1".parse::<UnitRef>().is_err());
        let m: BTreeMap<UnitRef, i32> = [(UnitRef::Building(4), 1)].into();
        assert_eq!(
            serde_json::to_string(&m).expect("map"),
            r#"{"building:4":1}"#
        );
    }

    #[test]
    fn load_scale_is_exact_for_150_300() {
        let s = Caps::default().scale();
        assert_eq!(s.cap, 300);
        assert_eq!(s.units(150, CapClass::Old), 300);
        assert_eq!(s.units(300, CapClass::New), 300);
        assert_eq!(s.grids_needed(301), 2);
        assert_eq!(CapClass::of(CompoundClass::Resettlement), CapClass::Old);
        assert_eq!(CapClass::of(CompoundClass::Commodity), CapClass::New);
    }
}
