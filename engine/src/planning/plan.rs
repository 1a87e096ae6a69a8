//! Plans 网格方案: which units each grid holds. A draft starts as a copy of the current plan
//! ([`Plan::current`]); its operations move units, split, merge, create and delete grids, and
//! split or join compounds; [`Plan::diff`] compares it with another plan. Plans serialize to
//! JSON (units written `compound:<id>` / `building:<id>`).

use std::collections::{BTreeMap, BTreeSet};

use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};

use super::context::PlanningContext;
use super::graph::{Forest, Scratch};
use super::rng::Rng;
use super::units::{Caps, Catalog, UnitRef};
use super::PlanningError;

/// One grid of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanGrid {
    pub code: String,
    pub name: String,
    /// Grid workers 网格员 serving the grid.
    pub workers: i64,
    /// Kept as it is by automatic partitioning.
    pub locked: bool,
    pub units: BTreeSet<UnitRef>,
}

/// A plan of a community's grids: each grid with its units. A valid plan has every unit in
/// exactly one grid; [`check_plan`](super::check_plan) reports every rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub community_code: String,
    pub community_name: String,
    /// The snapshot version the plan was copied from.
    pub base_version: i64,
    /// Compounds split along their buildings: their buildings are the units, not the compound.
    #[serde(default)]
    pub split_compounds: BTreeSet<i64>,
    pub grids: Vec<PlanGrid>,
}

/// One unit whose grid differs between two plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitMove {
    pub unit: UnitRef,
    pub name: String,
    pub households: i64,
    /// Grids holding the unit in the base plan (empty: unassigned).
    pub from: Vec<String>,
    /// Grids holding the unit in the draft.
    pub to: Vec<String>,
}

/// A grid present in both plans whose units or attributes differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridChange {
    pub code: String,
    pub units_added: Vec<UnitRef>,
    pub units_removed: Vec<UnitRef>,
    pub households_before: i64,
    pub households_after: i64,
    pub name_before: String,
    pub name_after: String,
    pub workers_before: i64,
    pub workers_after: i64,
    pub locked_before: bool,
    pub locked_after: bool,
}

/// The `grid_code` of every compound and building under a plan (see [`Plan::grid_codes`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridCodes {
    /// Compound id → grid code.
    pub compounds: BTreeMap<i64, Option<String>>,
    /// Building id → grid code (none for the buildings of a whole compound).
    pub buildings: BTreeMap<i64, Option<String>>,
}

/// What a draft changes against a base plan. Units are compared building by building for a
/// compound split in either plan, else compound by compound.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDiff {
    pub moved: Vec<UnitMove>,
    pub units_moved: usize,
    pub households_moved: i64,
    pub grids_added: Vec<String>,
    pub grids_removed: Vec<String>,
    pub grids_changed: Vec<GridChange>,
    pub compounds_split: Vec<i64>,
    pub compounds_joined: Vec<i64>,
}

impl PlanDiff {
    /// Whether the plans are the same.
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty()
            && self.grids_added.is_empty()
            && self.grids_removed.is_empty()
            && self.grids_changed.is_empty()
            && self.compounds_split.is_empty()
            && self.compounds_joined.is_empty()
    }
}

impl Plan {
    /// The current plan of a catalog: its grids with the units recorded in them (a compound's
    /// `grid_code`; a scattered building's `grid_code`; a compound whose buildings carry grid
    /// codes of their own is split, each building in its own grid or else its compound's).
    /// Units whose recorded grid is not a grid of the community are left unassigned.
    pub fn current(catalog: &Catalog) -> Plan {
        let split = catalog.stored_splits();
        let mut grids: Vec<PlanGrid> = catalog
            .grids
            .iter()
            .map(|g| PlanGrid {
                code: g.code.clone(),
                name: g.name.clone(),
                workers: g.workers,
                locked: g.locked,
                units: BTreeSet::new(),
            })
            .collect();
        let pos: BTreeMap<String, usize> = grids
            .iter()
            .enumerate()
            .map(|(i, g)| (g.code.clone(), i))
            .collect();
        for u in catalog.units(&split) {
            if let Some(&i) = u.recorded_grid.as_ref().and_then(|c| pos.get(c)) {
                grids[i].units.insert(u.unit);
            }
        }
        Plan {
            community_code: catalog.community_code.clone(),
            community_name: catalog.community_name.clone(),
            base_version: catalog.snapshot_version,
            split_compounds: split,
            grids,
        }
    }

    pub fn grid(&self, code: &str) -> Option<&PlanGrid> {
        self.grids.iter().find(|g| g.code == code)
    }

    fn grid_index(&self, code: &str) -> Result<usize, PlanningError> {
        self.grids
            .iter()
            .position(|g| g.code == code)
            .ok_or_else(|| PlanningError::UnknownGrid(code.to_owned()))
    }

    /// The codes of the grids holding a unit (one in a valid plan).
    pub fn grids_of(&self, unit: UnitRef) -> Vec<&str> {
        self.grids
            .iter()
            .filter(|g| g.units.contains(&unit))
            .map(|g| g.code.as_str())
            .collect()
    }

    /// Each assigned unit with the grids holding it.
    pub fn assignment(&self) -> BTreeMap<UnitRef, Vec<String>> {
        let mut out: BTreeMap<UnitRef, Vec<String>> = BTreeMap::new();
        for g in &self.grids {
            for &u in &g.units {
                out.entry(u).or_default().push(g.code.clone());
            }
        }
        out
    }

    /// Checks that the context is for this plan's community and split.
    pub fn check_context(&self, ctx: &PlanningContext) -> Result<(), PlanningError> {
        if self.community_code != ctx.community_code() {
            return Err(PlanningError::WrongCommunity {
                plan: self.community_code.clone(),
                context: ctx.community_code().to_owned(),
            });
        }
        if self.split_compounds != ctx.split_compounds {
            return Err(PlanningError::SplitMismatch {
                plan: self.split_compounds.iter().copied().collect(),
                context: ctx.split_compounds.iter().copied().collect(),
            });
        }
        Ok(())
    }

    fn known(&self, ctx: &PlanningContext, unit: UnitRef) -> Result<usize, PlanningError> {
        ctx.position(unit)
            .ok_or_else(|| PlanningError::UnknownUnit {
                unit,
                community: self.community_code.clone(),
            })
    }

    /// A grid code not used yet: the community code and the next 3-digit number.
    pub fn next_grid_code(&self) -> String {
        let next = self
            .grids
            .iter()
            .filter_map(|g| {
                g.code
                    .strip_prefix(&self.community_code)?
                    .parse::<u64>()
                    .ok()
            })
            .max()
            .unwrap_or(0)
            + 1;
        format!("{}{next:03}", self.community_code)
    }

    fn default_name(&self, code: &str) -> String {
        match code
            .strip_prefix(&self.community_code)
            .and_then(|s| s.parse::<u64>().ok())
        {
            Some(n) => format!("{}第{n}网格", self.community_name),
            None => format!("{}网格{code}", self.community_name),
        }
    }

    /// Moves units into grid `to`, out of any grid holding them.
    pub fn move_units(
        &mut self,
        ctx: &PlanningContext,
        units: &[UnitRef],
        to: &str,
    ) -> Result<(), PlanningError> {
        self.check_context(ctx)?;
        let t = self.grid_index(to)?;
        for &u in units {
            self.known(ctx, u)?;
        }
        for g in &mut self.grids {
            for u in units {
                g.units.remove(u);
            }
        }
        self.grids[t].units.extend(units.iter().copied());
        Ok(())
    }

    /// Takes units out of every grid (they become unassigned).
    pub fn unassign_units(&mut self, units: &[UnitRef]) {
        for g in &mut self.grids {
            for u in units {
                g.units.remove(u);
            }
        }
    }

    /// Creates an empty grid with one worker; `code` defaults to [`Plan::next_grid_code`],
    /// `name` to “<community>第N网格”. Returns its code.
    pub fn create_grid(
        &mut self,
        code: Option<&str>,
        name: Option<&str>,
    ) -> Result<String, PlanningError> {
        let code = code.map_or_else(|| self.next_grid_code(), str::to_owned);
        if code.trim().is_empty() {
            return Err(PlanningError::InvalidOption {
                field: "code".into(),
                reason: "a grid code cannot be empty".into(),
            });
        }
        if self.grid(&code).is_some() {
            return Err(PlanningError::DuplicateGrid(code));
        }
        let name = name.map_or_else(|| self.default_name(&code), str::to_owned);
        self.grids.push(PlanGrid {
            code: code.clone(),
            name,
            workers: 1,
            locked: false,
            units: BTreeSet::new(),
        });
        Ok(code)
    }

    /// Deletes a grid; its units move to `move_to`, or become unassigned. Returns them.
    pub fn delete_grid(
        &mut self,
        code: &str,
        move_to: Option<&str>,
    ) -> Result<Vec<UnitRef>, PlanningError> {
        let i = self.grid_index(code)?;
        if let Some(t) = move_to {
            if t == code {
                return Err(PlanningError::InvalidOption {
                    field: "move_to".into(),
                    reason: "a deleted grid cannot receive its own units".into(),
                });
            }
            self.grid_index(t)?;
        }
        let g = self.grids.remove(i);
        let units: Vec<UnitRef> = g.units.into_iter().collect();
        if let Some(t) = move_to {
            let t = self.grid_index(t)?;
            self.grids[t].units.extend(units.iter().copied());
        }
        Ok(units)
    }

    /// Merges grid `from` into grid `into` (which keeps its code and name; workers add up). The
    /// two must be adjacent.
    pub fn merge_grids(
        &mut self,
        ctx: &PlanningContext,
        into: &str,
        from: &str,
    ) -> Result<(), PlanningError> {
        self.check_context(ctx)?;
        let (a, b) = (self.grid_index(into)?, self.grid_index(from)?);
        if a == b {
            return Err(PlanningError::InvalidOption {
                field: "from".into(),
                reason: "a grid cannot be merged with itself".into(),
            });
        }
        let pb: BTreeSet<usize> = self.grids[b]
            .units
            .iter()
            .filter_map(|&u| ctx.position(u))
            .collect();
        let adjacent = self.grids[a]
            .units
            .iter()
            .filter_map(|&u| ctx.position(u))
            .any(|i| ctx.graph().neighbours(i).any(|(j, _)| pb.contains(&j)));
        if !adjacent {
            return Err(PlanningError::NotAdjacent {
                a: into.to_owned(),
                b: from.to_owned(),
            });
        }
        let g = self.grids.remove(b);
        let a = self.grid_index(into)?;
        self.grids[a].units.extend(g.units);
        self.grids[a].workers += g.workers;
        self.grids[a].locked |= g.locked;
        Ok(())
    }

    /// Splits a grid in two contiguous parts by cutting one edge of a spanning tree of its
    /// units: the cut that leaves both parts within the caps if possible, then balances load,
    /// then cuts the shortest boundary. A non-contiguous grid is split by its components
    /// instead (the heaviest stays). The part with more households keeps the code; the other
    /// becomes a new grid (`new_code`, default [`Plan::next_grid_code`]) with one worker.
    /// Returns the new grid's code.
    pub fn split_grid(
        &mut self,
        ctx: &PlanningContext,
        code: &str,
        caps: &Caps,
        new_code: Option<&str>,
    ) -> Result<String, PlanningError> {
        self.check_context(ctx)?;
        let gi = self.grid_index(code)?;
        let members: Vec<usize> = self.grids[gi]
            .units
            .iter()
            .filter_map(|&u| ctx.position(u))
            .collect();
        if members.len() < 2 {
            return Err(PlanningError::CannotSplit {
                grid: code.to_owned(),
                reason: format!(
                    "it has {} unit(s); splitting needs at least two",
                    members.len()
                ),
            });
        }
        let scale = caps.scale();
        let load = |i: usize| scale.units(ctx.units[i].households, ctx.units[i].class);
        let graph = ctx.graph();
        let comps = graph.components_of(&members);
        let moved: Vec<usize> = if comps.len() > 1 {
            let heaviest = comps
                .iter()
                .enumerate()
                .max_by_key(|(i, c)| {
                    (
                        c.iter().map(|&u| load(u)).sum::<u64>(),
                        std::cmp::Reverse(*i),
                    )
                })
                .map_or(0, |(i, _)| i);
            comps
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != heaviest)
                .flat_map(|(_, c)| c.iter().copied())
                .collect()
        } else {
            best_tree_cut(ctx, &members, &load, scale.cap, code)
        };
        let households = |set: &[usize]| set.iter().map(|&i| ctx.units[i].households).sum::<i64>();
        let rest: Vec<usize> = members
            .iter()
            .copied()
            .filter(|i| !moved.contains(i))
            .collect();
        let (stay, go) = if households(&moved) > households(&rest) {
            (moved, rest)
        } else {
            (rest, moved)
        };
        debug_assert!(!stay.is_empty() && !go.is_empty());
        let new = self.create_grid(new_code, None)?;
        let gi = self.grid_index(code)?;
        let units: Vec<UnitRef> = go.iter().map(|&i| ctx.units[i].unit).collect();
        for u in &units {
            self.grids[gi].units.remove(u);
        }
        let ni = self.grid_index(&new)?;
        self.grids[ni].units.extend(units);
        Ok(new)
    }

    /// Splits a compound along its buildings: in every grid holding the compound, the compound
    /// is replaced by its buildings. Build a context for the new split afterwards.
    pub fn split_compound(
        &mut self,
        catalog: &Catalog,
        compound: i64,
    ) -> Result<(), PlanningError> {
        let err = |reason: &str| PlanningError::Compound {
            compound,
            action: "split",
            reason: reason.to_owned(),
        };
        if catalog.compound(compound).is_none() {
            return Err(err("it is not a compound of the community"));
        }
        if self.split_compounds.contains(&compound) {
            return Err(err("it is split already"));
        }
        let buildings: Vec<UnitRef> = catalog
            .buildings_of(compound)
            .map(|b| UnitRef::Building(b.id))
            .collect();
        if buildings.is_empty() {
            return Err(err("it has no buildings to split along"));
        }
        for g in &mut self.grids {
            if g.units.remove(&UnitRef::Compound(compound)) {
                g.units.extend(buildings.iter().copied());
            }
        }
        self.split_compounds.insert(compound);
        Ok(())
    }

    /// Joins a split compound back into one unit, in grid `into` or else the grid holding most
    /// of its households. Returns that grid (none if no building was assigned).
    pub fn join_compound(
        &mut self,
        catalog: &Catalog,
        compound: i64,
        into: Option<&str>,
    ) -> Result<Option<String>, PlanningError> {
        if !self.split_compounds.contains(&compound) {
            return Err(PlanningError::Compound {
                compound,
                action: "joined",
                reason: "it is not split".into(),
            });
        }
        if let Some(c) = into {
            self.grid_index(c)?;
        }
        let buildings: BTreeMap<UnitRef, i64> = catalog
            .buildings_of(compound)
            .map(|b| (UnitRef::Building(b.id), b.households))
            .collect();
        let mut held: BTreeMap<String, i64> = BTreeMap::new();
        for g in &mut self.grids {
            for (u, hh) in &buildings {
                if g.units.remove(u) {
                    *held.entry(g.code.clone()).or_default() += hh.max(&1);
                }
            }
        }
        let target = into.map(str::to_owned).or_else(|| {
            held.iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(c, _)| c.clone())
        });
        self.split_compounds.remove(&compound);
        if let Some(t) = &target {
            let i = self.grid_index(t)?;
            self.grids[i].units.insert(UnitRef::Compound(compound));
        }
        Ok(target)
    }

    /// Each grid's polygon: the dissolved cells of its units, WGS84 lon/lat (a multipolygon of
    /// several parts when the grid is not contiguous).
    pub fn grid_polygons(
        &self,
        ctx: &PlanningContext,
    ) -> Result<BTreeMap<String, MultiPolygon>, PlanningError> {
        self.check_context(ctx)?;
        Ok(self
            .grids
            .iter()
            .map(|g| {
                let members: Vec<usize> = g.units.iter().filter_map(|&u| ctx.position(u)).collect();
                (g.code.clone(), ctx.to_lonlat(&ctx.dissolve_m(&members)))
            })
            .collect())
    }

    /// The `grid_code` every compound and building of the catalog takes under this plan, for
    /// publishing: a whole compound its grid (its buildings none: they follow it); a split
    /// compound the grid holding most of its households (ties: the smaller code), each of its
    /// buildings its own grid; a scattered building its grid. Units in no grid get none; a unit
    /// in several grids the first.
    pub fn grid_codes(&self, catalog: &Catalog) -> GridCodes {
        let assignment = self.assignment();
        let first = |u: UnitRef| assignment.get(&u).and_then(|g| g.first().cloned());
        let mut out = GridCodes::default();
        for c in &catalog.compounds {
            if self.split_compounds.contains(&c.id) {
                let mut held: BTreeMap<String, i64> = BTreeMap::new();
                for b in catalog.buildings_of(c.id) {
                    let code = first(UnitRef::Building(b.id));
                    if let Some(code) = &code {
                        *held.entry(code.clone()).or_default() += b.households.max(0);
                    }
                    out.buildings.insert(b.id, code);
                }
                let main = held
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(code, _)| code.clone());
                out.compounds.insert(c.id, main);
            } else {
                out.compounds.insert(c.id, first(UnitRef::Compound(c.id)));
                for b in catalog.buildings_of(c.id) {
                    out.buildings.insert(b.id, None);
                }
            }
        }
        for b in catalog.buildings.iter().filter(|b| catalog.is_scattered(b)) {
            out.buildings.insert(b.id, first(UnitRef::Building(b.id)));
        }
        out
    }

    /// What this plan changes against `base` (both of the catalog's community).
    pub fn diff(&self, base: &Plan, catalog: &Catalog) -> PlanDiff {
        let split: BTreeSet<i64> = self
            .split_compounds
            .union(&base.split_compounds)
            .copied()
            .collect();
        let (before, after) = (
            grids_of_atoms(base, &split, catalog),
            grids_of_atoms(self, &split, catalog),
        );
        let none = BTreeSet::new();
        let keys: BTreeSet<UnitRef> = before.keys().chain(after.keys()).copied().collect();
        let describe = |u: UnitRef| catalog.describe(u).unwrap_or_else(|| (u.to_string(), 0));
        let mut diff = PlanDiff::default();
        for u in keys {
            let (b, a) = (
                before.get(&u).unwrap_or(&none),
                after.get(&u).unwrap_or(&none),
            );
            if a != b {
                let (name, households) = describe(u);
                diff.households_moved += households;
                diff.moved.push(UnitMove {
                    unit: u,
                    name,
                    households,
                    from: b.iter().cloned().collect(),
                    to: a.iter().cloned().collect(),
                });
            }
        }
        diff.units_moved = diff.moved.len();
        for g in &self.grids {
            match base.grid(&g.code) {
                None => diff.grids_added.push(g.code.clone()),
                Some(old) => {
                    let (mb, ma) = (atoms_in(&before, &g.code), atoms_in(&after, &g.code));
                    if mb != ma
                        || old.name != g.name
                        || old.workers != g.workers
                        || old.locked != g.locked
                    {
                        let hh =
                            |s: &BTreeSet<UnitRef>| s.iter().map(|&u| describe(u).1).sum::<i64>();
                        diff.grids_changed.push(GridChange {
                            code: g.code.clone(),
                            units_added: ma.difference(&mb).copied().collect(),
                            units_removed: mb.difference(&ma).copied().collect(),
                            households_before: hh(&mb),
                            households_after: hh(&ma),
                            name_before: old.name.clone(),
                            name_after: g.name.clone(),
                            workers_before: old.workers,
                            workers_after: g.workers,
                            locked_before: old.locked,
                            locked_after: g.locked,
                        });
                    }
                }
            }
        }
        diff.grids_removed = base
            .grids
            .iter()
            .filter(|g| self.grid(&g.code).is_none())
            .map(|g| g.code.clone())
            .collect();
        diff.compounds_split = self
            .split_compounds
            .difference(&base.split_compounds)
            .copied()
            .collect();
        diff.compounds_joined = base
            .split_compounds
            .difference(&self.split_compounds)
            .copied()
            .collect();
        diff
    }
}

/// The grids of each atom of `plan` — a unit, or a building of a compound in `split` — by code.
fn grids_of_atoms(
    plan: &Plan,
    split: &BTreeSet<i64>,
    catalog: &Catalog,
) -> BTreeMap<UnitRef, BTreeSet<String>> {
    let mut out: BTreeMap<UnitRef, BTreeSet<String>> = BTreeMap::new();
    for g in &plan.grids {
        for &u in &g.units {
            match u {
                UnitRef::Compound(c) if split.contains(&c) => {
                    for b in catalog.buildings_of(c) {
                        out.entry(UnitRef::Building(b.id))
                            .or_default()
                            .insert(g.code.clone());
                    }
                }
                _ => {
                    out.entry(u).or_default().insert(g.code.clone());
                }
            }
        }
    }
    out
}

/// The atoms in grid `code`, from the grids of each atom.
fn atoms_in(grids_of: &BTreeMap<UnitRef, BTreeSet<String>>, code: &str) -> BTreeSet<UnitRef> {
    grids_of
        .iter()
        .filter(|(_, gs)| gs.contains(code))
        .map(|(u, _)| *u)
        .collect()
}

/// The members to move out when splitting a contiguous grid: the best single-edge cut over the
/// maximum spanning tree by shared boundary and 31 random spanning trees (fixed seed per grid).
fn best_tree_cut(
    ctx: &PlanningContext,
    members: &[usize],
    load: &dyn Fn(usize) -> u64,
    cap: u64,
    code: &str,
) -> Vec<usize> {
    let graph = ctx.graph();
    let nodes: Vec<u32> = members.iter().map(|&i| i as u32).collect();
    let weights: Vec<u64> = members.iter().map(|&i| load(i)).collect();
    let total: u64 = weights.iter().sum();
    let seed = code.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = Rng::new(seed);
    let mut scratch = Scratch::new(graph.len());
    let mut forests = vec![max_spanning_forest(ctx, members)];
    for _ in 0..31 {
        forests.push(Forest::random(graph, &nodes, &mut rng, &mut scratch));
    }
    let mut best: Option<((u64, u64, u64), Vec<usize>)> = None;
    for f in &forests {
        let n = f.parent.len();
        let mut sub = weights.clone();
        for &v in f.order.iter().rev() {
            let p = f.parent[v as usize];
            if p != u32::MAX {
                sub[p as usize] += sub[v as usize];
            }
        }
        for (v, &below) in sub.iter().enumerate() {
            if f.parent[v] == u32::MAX {
                continue;
            }
            let (a, b) = (below, total - below);
            let over = a.saturating_sub(cap) + b.saturating_sub(cap);
            let imbalance = a.abs_diff(b);
            if best
                .as_ref()
                .is_some_and(|(s, _)| (over, imbalance) > (s.0, s.1))
            {
                continue;
            }
            let mut inside = vec![false; n];
            for &x in &f.order {
                let x = x as usize;
                inside[x] = x == v || (f.parent[x] != u32::MAX && inside[f.parent[x] as usize]);
            }
            let side: Vec<usize> = (0..n).filter(|&x| inside[x]).map(|x| members[x]).collect();
            let set: BTreeSet<usize> = side.iter().copied().collect();
            let cut: f64 = side
                .iter()
                .flat_map(|&i| graph.neighbours(i))
                .filter(|(j, _)| !set.contains(j) && members.contains(j))
                .map(|(_, l)| l)
                .sum();
            let key = (over, imbalance, (cut * 1000.0) as u64);
            if best.as_ref().is_none_or(|(s, _)| key < *s) {
                best = Some((key, side));
            }
        }
    }
    best.map(|(_, s)| s).unwrap_or_default()
}

/// The maximum spanning forest by shared boundary length (Kruskal), rooted at the first unit.
fn max_spanning_forest(ctx: &PlanningContext, members: &[usize]) -> Forest {
    let graph = ctx.graph();
    let local: BTreeMap<usize, u32> = members
        .iter()
        .enumerate()
        .map(|(i, &u)| (u, i as u32))
        .collect();
    let mut edges: Vec<(f64, u32, u32)> = Vec::new();
    for (i, &u) in members.iter().enumerate() {
        for (v, l) in graph.neighbours(u) {
            if let Some(&j) = local.get(&v) {
                if (i as u32) < j {
                    edges.push((l, i as u32, j));
                }
            }
        }
    }
    edges.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let n = members.len();
    let mut uf: Vec<u32> = (0..n as u32).collect();
    let find = |uf: &mut Vec<u32>, mut x: u32| {
        while uf[x as usize] != x {
            x = uf[x as usize];
        }
        x
    };
    let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (_, a, b) in edges {
        let (ra, rb) = (find(&mut uf, a), find(&mut uf, b));
        if ra != rb {
            uf[ra as usize] = rb;
            adj[a as usize].push(b);
            adj[b as usize].push(a);
        }
    }
    let mut parent = vec![u32::MAX; n];
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    for root in 0..n {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        let first = order.len();
        order.push(root as u32);
        let mut i = first;
        while i < order.len() {
            let v = order[i] as usize;
            i += 1;
            for &w in &adj[v] {
                if !seen[w as usize] {
                    seen[w as usize] = true;
                    parent[w as usize] = v as u32;
                    order.push(w);
                }
            }
        }
    }
    Forest { order, parent }
}
