//! Automatic partition 自动划分 of a community: grids within the cap (load ≤ 1) and contiguous,
//! as few as found (lower bound ⌈Σ load⌉), then as few households moved from the current plan,
//! then compact. This file is the community glue — scope, locked grids, compounds above the cap
//! split along their buildings, grid codes and workers of the proposal — around the search on
//! the units' adjacency graph ([`partition_graph`], in [`crate::planning::search`]).
//!
//! Units heavier than the cap are infeasible: each is a grid of its own, reported.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::context::PlanningContext;
use super::plan::{Plan, PlanDiff, PlanGrid};
use super::units::{Caps, LoadScale, UnitKind, UnitRef};
use super::PlanningError;

pub use super::search::graph_partition::{
    partition_graph, CurrentAssignment, GraphPartition, PartitionParams,
};

/// Which units an automatic partition redraws.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "items", rename_all = "snake_case")]
pub enum PartitionScope {
    /// Every unit outside locked grids, unassigned units included.
    #[default]
    Community,
    /// The units of these grids (locked ones excepted).
    Grids(Vec<String>),
    /// These units (those in locked grids excepted).
    Units(Vec<UnitRef>),
}

/// Options of [`auto_partition`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartitionOptions {
    pub caps: Caps,
    pub scope: PartitionScope,
    pub params: PartitionParams,
}

/// A compound above the cap split along its buildings by the partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitCompound {
    pub compound: i64,
    pub name: String,
    pub households: i64,
    pub load: f64,
    pub buildings: usize,
}

/// A unit no grid can hold within the cap; it is left alone in a grid of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfeasibleUnit {
    pub unit: UnitRef,
    pub name: String,
    pub households: i64,
    pub load: f64,
    pub reason: String,
}

/// An automatic partition: the proposed plan and how good it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionResult {
    /// The proposal, a draft of the whole community.
    pub plan: Plan,
    /// Units redrawn.
    pub units: usize,
    /// Grids made for the redrawn units.
    pub grids: usize,
    /// ⌈Σ load⌉ of the redrawn units (+1 per infeasible unit): no partition has fewer grids.
    pub lower_bound: usize,
    /// `grids − lower_bound`.
    pub gap: usize,
    /// `grids / lower_bound` (1 when both are 0).
    pub ratio: f64,
    /// Grids kept as they were: locked ones and those outside the scope.
    pub kept_grids: Vec<String>,
    pub locked_grids: Vec<String>,
    pub split_compounds: Vec<SplitCompound>,
    pub infeasible: Vec<InfeasibleUnit>,
    pub units_moved: usize,
    pub households_moved: i64,
    /// Boundary shared between the redrawn grids, metres.
    pub shared_boundary_m: f64,
    /// The proposal against the current plan.
    pub diff: PlanDiff,
}

/// The result with the context of its plan (a new one when compounds were split).
#[derive(Debug, Clone)]
pub struct PartitionOutcome {
    pub result: PartitionResult,
    pub context: Arc<PlanningContext>,
}

/// Proposes grids for the community of `ctx` starting from `current`: within the caps and
/// contiguous, as few as found (reported against the lower bound), then as few households moved
/// as possible, then compact. Locked grids (and grids outside the scope) are kept as they are;
/// a compound above the cap is split along its buildings (or reported infeasible if it has
/// none). Grids matched to current grids keep their codes, names and workers; new grids get the
/// next codes and ⌈load⌉ workers; current grids left empty are deleted.
pub fn auto_partition(
    ctx: &Arc<PlanningContext>,
    current: &Plan,
    opts: &PartitionOptions,
) -> Result<PartitionOutcome, PlanningError> {
    current.check_context(ctx)?;
    opts.caps.validate()?;
    let caps = opts.caps;
    let scale = caps.scale();
    let locked: BTreeSet<String> = current
        .grids
        .iter()
        .filter(|g| g.locked)
        .map(|g| g.code.clone())
        .collect();
    let mut free = scope_units(ctx, current, &opts.scope)?;

    // Compounds above the cap are split along their buildings.
    let mut plan = current.clone();
    let split_report = oversize_compounds(ctx, &free, caps);
    let ctx = split_oversize(ctx, &mut plan, &mut free, &split_report)?;

    let label_of_grid = lending_grids(&plan, &free, &opts.scope);
    let positions: Vec<usize> = {
        let mut p: Vec<usize> = free.iter().filter_map(|&u| ctx.position(u)).collect();
        p.sort_unstable();
        p
    };
    let result = partition_units(&ctx, &plan, &positions, &label_of_grid, &opts.params, scale);
    redraw(&ctx, &mut plan, &positions, &result, &label_of_grid, scale)?;

    let infeasible = infeasible_units(&ctx, &positions, &result, caps);
    let kept_grids: Vec<String> = plan
        .grids
        .iter()
        .filter(|g| !label_of_grid.contains_key(g.code.as_str()) && current.grid(&g.code).is_some())
        .map(|g| g.code.clone())
        .collect();
    let diff = plan.diff(current, &ctx.catalog);
    let grids = result.parts;
    let lower_bound = result.lower_bound;
    Ok(PartitionOutcome {
        result: PartitionResult {
            units: positions.len(),
            grids,
            lower_bound,
            gap: grids.saturating_sub(lower_bound),
            ratio: if lower_bound == 0 {
                1.0
            } else {
                grids as f64 / lower_bound as f64
            },
            kept_grids,
            locked_grids: locked.into_iter().collect(),
            split_compounds: split_report,
            infeasible,
            units_moved: diff.units_moved,
            households_moved: diff.households_moved,
            shared_boundary_m: result.cut_length,
            diff,
            plan,
        },
        context: ctx,
    })
}

/// The units the scope redraws, those in locked grids of `current` excepted.
fn scope_units(
    ctx: &PlanningContext,
    current: &Plan,
    scope: &PartitionScope,
) -> Result<BTreeSet<UnitRef>, PlanningError> {
    let unknown = |u: UnitRef| PlanningError::UnknownUnit {
        unit: u,
        community: ctx.community_code().to_owned(),
    };
    let in_locked =
        |plan: &Plan, u: UnitRef| plan.grids.iter().any(|g| g.locked && g.units.contains(&u));
    let mut free: BTreeSet<UnitRef> = match scope {
        PartitionScope::Community => ctx.units.iter().map(|u| u.unit).collect(),
        PartitionScope::Grids(codes) => {
            let mut set = BTreeSet::new();
            for c in codes {
                let g = current
                    .grid(c)
                    .ok_or_else(|| PlanningError::UnknownGrid(c.clone()))?;
                set.extend(
                    g.units
                        .iter()
                        .copied()
                        .filter(|&u| ctx.position(u).is_some()),
                );
            }
            set
        }
        PartitionScope::Units(list) => {
            for &u in list {
                ctx.position(u).ok_or_else(|| unknown(u))?;
            }
            list.iter().copied().collect()
        }
    };
    free.retain(|&u| !in_locked(current, u));
    Ok(free)
}

/// The redrawn compounds above the cap that have buildings to split along, in unit order.
fn oversize_compounds(
    ctx: &PlanningContext,
    free: &BTreeSet<UnitRef>,
    caps: Caps,
) -> Vec<SplitCompound> {
    let scale = caps.scale();
    let mut split_report = Vec::new();
    for &u in free {
        if let Some(pu) = ctx.unit(u) {
            if pu.kind == UnitKind::Compound && scale.units(pu.households, pu.class) > scale.cap {
                if let Some(c) = pu.compound_id {
                    let buildings = ctx.catalog.buildings_of(c).count();
                    if buildings > 0 {
                        split_report.push(SplitCompound {
                            compound: c,
                            name: pu.name.clone(),
                            households: pu.households,
                            load: pu.load(&caps),
                            buildings,
                        });
                    }
                }
            }
        }
    }
    split_report
}

/// Splits the compounds along their buildings in `plan`, redrawing their buildings instead of
/// them; the context of the split plan (`ctx` itself when nothing is split).
fn split_oversize(
    ctx: &Arc<PlanningContext>,
    plan: &mut Plan,
    free: &mut BTreeSet<UnitRef>,
    split: &[SplitCompound],
) -> Result<Arc<PlanningContext>, PlanningError> {
    if split.is_empty() {
        return Ok(Arc::clone(ctx));
    }
    for c in split.iter().map(|s| s.compound) {
        plan.split_compound(&ctx.catalog, c)?;
        free.remove(&UnitRef::Compound(c));
        free.extend(ctx.catalog.buildings_of(c).map(|b| UnitRef::Building(b.id)));
    }
    Ok(Arc::new(PlanningContext::new(
        Arc::clone(&ctx.catalog),
        &plan.split_compounds,
        ctx.options,
    )?))
}

/// Grids whose every unit is redrawn (and not locked) lend their codes to the new grids: the
/// label of each, in plan order. (An empty grid counts when the whole community or that grid is
/// redrawn.)
fn lending_grids(
    plan: &Plan,
    free: &BTreeSet<UnitRef>,
    scope: &PartitionScope,
) -> BTreeMap<String, u32> {
    let free_grids: Vec<usize> = plan
        .grids
        .iter()
        .enumerate()
        .filter(|(_, g)| {
            let empty_in_scope = match scope {
                PartitionScope::Community => true,
                PartitionScope::Grids(codes) => codes.contains(&g.code),
                PartitionScope::Units(_) => false,
            };
            !g.locked
                && (if g.units.is_empty() {
                    empty_in_scope
                } else {
                    g.units.iter().all(|u| free.contains(u))
                })
        })
        .map(|(i, _)| i)
        .collect();
    free_grids
        .iter()
        .enumerate()
        .map(|(l, &gi)| (plan.grids[gi].code.clone(), l as u32))
        .collect()
}

/// Partitions the redrawn units (context positions, sorted) on their induced adjacency graph,
/// their current grids (by label) and households as the assignment to stay close to.
fn partition_units(
    ctx: &PlanningContext,
    plan: &Plan,
    positions: &[usize],
    label_of_grid: &BTreeMap<String, u32>,
    params: &PartitionParams,
    scale: LoadScale,
) -> GraphPartition {
    let sub = ctx.graph().induced(positions);
    let loads: Vec<u64> = positions
        .iter()
        .map(|&i| scale.units(ctx.units[i].households, ctx.units[i].class))
        .collect();
    let labels: Vec<Option<u32>> = positions
        .iter()
        .map(|&i| {
            plan.grids_of(ctx.units[i].unit)
                .first()
                .and_then(|c| label_of_grid.get(*c).copied())
        })
        .collect();
    let weights: Vec<u64> = positions
        .iter()
        .map(|&i| ctx.units[i].households.max(0) as u64)
        .collect();
    partition_graph(
        &sub,
        &loads,
        scale.cap,
        Some(&CurrentAssignment {
            labels: &labels,
            weights: &weights,
        }),
        params,
    )
}

/// The new plan: redrawn units out of every grid, matched grids refilled, other lending grids
/// removed, new grids appended (with ⌈load⌉ workers).
fn redraw(
    ctx: &PlanningContext,
    plan: &mut Plan,
    positions: &[usize],
    result: &GraphPartition,
    label_of_grid: &BTreeMap<String, u32>,
    scale: LoadScale,
) -> Result<(), PlanningError> {
    let redrawn: BTreeSet<UnitRef> = positions.iter().map(|&i| ctx.units[i].unit).collect();
    plan.unassign_units(&redrawn.iter().copied().collect::<Vec<_>>());
    let mut part_units: Vec<Vec<usize>> = vec![Vec::new(); result.parts];
    for (local, &p) in result.part_of.iter().enumerate() {
        part_units[p as usize].push(positions[local]);
    }
    let matched: BTreeMap<u32, usize> = result
        .labels
        .iter()
        .enumerate()
        .filter_map(|(p, l)| l.map(|l| (l, p)))
        .collect();
    let mut new_grids: Vec<PlanGrid> = Vec::new();
    for g in &plan.grids {
        match label_of_grid.get(g.code.as_str()) {
            Some(l) => {
                if let Some(&p) = matched.get(l) {
                    let mut g = g.clone();
                    g.units = part_units[p].iter().map(|&i| ctx.units[i].unit).collect();
                    new_grids.push(g);
                }
            }
            None => new_grids.push(g.clone()),
        }
    }
    plan.grids = new_grids;
    for (p, units) in part_units.iter().enumerate() {
        if result.labels[p].is_some() {
            continue;
        }
        let load: u64 = units
            .iter()
            .map(|&i| scale.units(ctx.units[i].households, ctx.units[i].class))
            .sum();
        let code = plan.create_grid(None, None)?;
        if let Some(g) = plan.grids.iter_mut().find(|g| g.code == code) {
            g.workers = scale.grids_needed(load).max(1) as i64;
            g.units = units.iter().map(|&i| ctx.units[i].unit).collect();
        }
    }
    Ok(())
}

/// The units the search found heavier than the cap, each with why.
fn infeasible_units(
    ctx: &PlanningContext,
    positions: &[usize],
    result: &GraphPartition,
    caps: Caps,
) -> Vec<InfeasibleUnit> {
    result
        .infeasible
        .iter()
        .map(|&local| {
            let u = &ctx.units[positions[local]];
            let cap = u.cap(&caps);
            let reason = match u.kind {
                UnitKind::Compound => format!(
                    "the compound's {} households exceed the cap of {cap} and it has no buildings to split along",
                    u.households
                ),
                UnitKind::CompoundBuilding | UnitKind::ScatteredBuilding => format!(
                    "the building alone holds {} households, above the cap of {cap}",
                    u.households
                ),
            };
            InfeasibleUnit {
                unit: u.unit,
                name: u.name.clone(),
                households: u.households,
                load: u.load(&caps),
                reason,
            }
        })
        .collect()
}
