//! Grid rules 网格规则, checked for every grid of a plan: load ≤ 1 (Σ households / cap of their
//! class), every unit in exactly one grid of its community, each grid contiguous (units
//! connected through adjacency; its polygon single-part), grid polygons covering the community
//! without gaps or overlaps, compactness (Polsby-Popper), grid workers against need and the
//! monthly visiting load.

use std::collections::BTreeSet;
use std::f64::consts::PI;
use std::fmt;

use geo::Area;
use serde::{Deserialize, Serialize};

use super::context::PlanningContext;
use super::plan::{Plan, PlanGrid};
use super::tessellation::perimeter;
use super::units::{CapClass, Caps, LoadScale, UnitRef};
use super::PlanningError;

/// Settings of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleOptions {
    pub caps: Caps,
    /// Households one grid worker visits per month (default 200).
    pub visits_per_worker_month: u32,
    /// Gaps, overlaps and polygon parts smaller than this are ignored, m² (default 1).
    pub area_tolerance_m2: f64,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            caps: Caps::default(),
            visits_per_worker_month: 200,
            area_tolerance_m2: 1.0,
        }
    }
}

/// How serious a violation is: errors break the grid rules, warnings are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One broken rule, naming the grid and units concerned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Violation {
    /// The grid's load exceeds 1.
    OverCap {
        grid: String,
        load: f64,
        households: i64,
        units: Vec<UnitRef>,
    },
    /// The grid's units fall apart into several groups (each listed).
    NotContiguous {
        grid: String,
        components: Vec<Vec<UnitRef>>,
    },
    /// The grid's polygon has several parts (areas in m²).
    MultiPart { grid: String, areas_m2: Vec<f64> },
    /// A unit in no grid.
    Unassigned {
        unit: UnitRef,
        name: String,
        households: i64,
        /// The grid recorded in the store, when it is not a grid of this plan.
        recorded_grid: Option<String>,
    },
    /// A unit in several grids.
    InSeveralGrids { unit: UnitRef, grids: Vec<String> },
    /// A grid lists a unit that is not a unit of the community (under the plan's split).
    UnknownUnit { grid: String, unit: UnitRef },
    /// Two grids share a code.
    DuplicateGrid { grid: String },
    /// A grid without units.
    EmptyGrid { grid: String },
    /// Part of the community is in no grid polygon, m².
    Gap { area_m2: f64 },
    /// Grid polygons overlap, m² (a unit in several grids).
    Overlap { area_m2: f64, grids: Vec<String> },
    /// Fewer grid workers than the load needs (⌈load⌉).
    WorkersShort {
        grid: String,
        workers: i64,
        needed: i64,
    },
    /// More households per worker than one worker visits in a month.
    VisitingOverLimit {
        grid: String,
        households_per_worker: f64,
        limit: u32,
    },
}

impl Violation {
    pub fn severity(&self) -> Severity {
        match self {
            Violation::EmptyGrid { .. }
            | Violation::WorkersShort { .. }
            | Violation::VisitingOverLimit { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// The grid concerned, if one.
    pub fn grid(&self) -> Option<&str> {
        match self {
            Violation::OverCap { grid, .. }
            | Violation::NotContiguous { grid, .. }
            | Violation::MultiPart { grid, .. }
            | Violation::UnknownUnit { grid, .. }
            | Violation::DuplicateGrid { grid }
            | Violation::EmptyGrid { grid }
            | Violation::WorkersShort { grid, .. }
            | Violation::VisitingOverLimit { grid, .. } => Some(grid),
            Violation::Unassigned { .. }
            | Violation::InSeveralGrids { .. }
            | Violation::Gap { .. }
            | Violation::Overlap { .. } => None,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |u: &[UnitRef]| {
            u.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Violation::OverCap { grid, load, households, units } => write!(
                f,
                "grid {grid} holds {households} households, load {load:.3} > 1 (units {})",
                list(units)
            ),
            Violation::NotContiguous { grid, components } => {
                write!(f, "grid {grid} is in {} separate parts:", components.len())?;
                for c in components {
                    write!(f, " [{}]", list(c))?;
                }
                Ok(())
            }
            Violation::MultiPart { grid, areas_m2 } => {
                write!(f, "grid {grid}'s polygon has {} parts ({areas_m2:.0?} m²)", areas_m2.len())
            }
            Violation::Unassigned { unit, name, households, recorded_grid } => {
                write!(f, "{unit} {name} ({households} households) is in no grid")?;
                match recorded_grid {
                    Some(g) => write!(f, "; its recorded grid {g} is not a grid of the community"),
                    None => Ok(()),
                }
            }
            Violation::InSeveralGrids { unit, grids } => {
                write!(f, "{unit} is in {} grids: {}", grids.len(), grids.join(", "))
            }
            Violation::UnknownUnit { grid, unit } => {
                write!(f, "grid {grid} lists {unit}, which is not a unit of the community")
            }
            Violation::DuplicateGrid { grid } => write!(f, "grid code {grid} is used twice"),
            Violation::EmptyGrid { grid } => write!(f, "grid {grid} has no units"),
            Violation::Gap { area_m2 } => write!(f, "{area_m2:.0} m² of the community is in no grid"),
            Violation::Overlap { area_m2, grids } => {
                write!(f, "grids {} overlap by {area_m2:.0} m²", grids.join(", "))
            }
            Violation::WorkersShort { grid, workers, needed } => {
                write!(f, "grid {grid} has {workers} worker(s) but its load needs {needed}")
            }
            Violation::VisitingOverLimit { grid, households_per_worker, limit } => write!(
                f,
                "grid {grid}: {households_per_worker:.0} households per worker a month, above {limit}"
            ),
        }
    }
}

/// Every rule's figures for one grid.
#[allow(clippy::struct_excessive_bools)] // one flag per rule, as the API reports them
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridReport {
    pub code: String,
    pub name: String,
    pub locked: bool,
    pub units: Vec<UnitRef>,
    pub households: i64,
    /// Households counted against the old cap (old compounds, scattered buildings).
    pub households_old: i64,
    /// Households counted against the new cap.
    pub households_new: i64,
    /// Σ households / cap of their class.
    pub load: f64,
    pub within_cap: bool,
    /// Groups of mutually adjacent units (1 when contiguous, 0 when empty).
    pub components: usize,
    pub contiguous: bool,
    /// Parts of the dissolved polygon larger than the tolerance.
    pub polygon_parts: usize,
    pub area_m2: f64,
    pub perimeter_m: f64,
    /// Polsby-Popper compactness 4πA/P² (1 for a disc; none for an empty grid).
    pub polsby_popper: Option<f64>,
    pub workers: i64,
    /// ⌈load⌉ workers.
    pub workers_needed: i64,
    /// Households each worker visits per month (none without workers).
    pub households_per_worker: Option<f64>,
    pub visiting_within_limit: bool,
}

/// How the grid polygons cover the community, m².
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CoverageReport {
    pub community_area_m2: f64,
    /// Area inside some grid polygon.
    pub covered_m2: f64,
    /// Area inside no grid polygon.
    pub gap_m2: f64,
    /// Σ grid areas − covered area: area counted in more than one grid.
    pub overlap_m2: f64,
}

/// Every rule for every grid of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanReport {
    pub community_code: String,
    pub grids: Vec<GridReport>,
    pub violations: Vec<Violation>,
    pub coverage: CoverageReport,
    pub households: i64,
    /// Σ load of every unit.
    pub load: f64,
    /// ⌈Σ load⌉: no plan within the caps has fewer grids.
    pub lower_bound: usize,
    pub grid_count: usize,
    pub unassigned: usize,
    /// No violation of severity error.
    pub valid: bool,
}

/// Checks every rule of `plan` on its context.
pub fn check_plan(
    ctx: &PlanningContext,
    plan: &Plan,
    opts: &RuleOptions,
) -> Result<PlanReport, PlanningError> {
    plan.check_context(ctx)?;
    opts.caps.validate()?;
    let scale = opts.caps.scale();
    let mut violations = Vec::new();

    check_duplicate_codes(plan, &mut violations);
    let (holders, unassigned) = check_membership(ctx, plan, &mut violations);
    let grids: Vec<GridReport> = plan
        .grids
        .iter()
        .map(|g| check_grid(ctx, g, opts, scale, &mut violations))
        .collect();
    let coverage = check_coverage(ctx, plan, &holders, &grids, opts, &mut violations);

    let total_units: u64 = ctx
        .units
        .iter()
        .map(|u| scale.units(u.households, u.class))
        .sum();
    let households = ctx.units.iter().map(|u| u.households).sum();
    let valid = violations.iter().all(|v| v.severity() == Severity::Warning);
    Ok(PlanReport {
        community_code: plan.community_code.clone(),
        grid_count: plan.grids.len(),
        grids,
        violations,
        coverage,
        households,
        load: scale.load(total_units),
        lower_bound: scale.grids_needed(total_units),
        unassigned,
        valid,
    })
}

/// Reports every grid code given more than once (at its second and later grids).
fn check_duplicate_codes(plan: &Plan, violations: &mut Vec<Violation>) {
    let mut seen_codes = BTreeSet::new();
    for g in &plan.grids {
        if !seen_codes.insert(g.code.as_str()) {
            violations.push(Violation::DuplicateGrid {
                grid: g.code.clone(),
            });
        }
    }
}

/// Membership: exactly one grid per unit. Reports units unknown to the context, unassigned and
/// in several grids; the grids (plan positions) holding each unit, and how many hold none.
fn check_membership(
    ctx: &PlanningContext,
    plan: &Plan,
    violations: &mut Vec<Violation>,
) -> (Vec<Vec<usize>>, usize) {
    let mut holders: Vec<Vec<usize>> = vec![Vec::new(); ctx.units.len()];
    for (gi, g) in plan.grids.iter().enumerate() {
        for &u in &g.units {
            match ctx.position(u) {
                Some(i) => holders[i].push(gi),
                None => violations.push(Violation::UnknownUnit {
                    grid: g.code.clone(),
                    unit: u,
                }),
            }
        }
    }
    let codes: BTreeSet<&str> = plan.grids.iter().map(|g| g.code.as_str()).collect();
    let mut unassigned = 0;
    for (i, h) in holders.iter().enumerate() {
        let u = &ctx.units[i];
        match h.len() {
            0 => {
                unassigned += 1;
                violations.push(Violation::Unassigned {
                    unit: u.unit,
                    name: u.name.clone(),
                    households: u.households,
                    recorded_grid: u
                        .recorded_grid
                        .clone()
                        .filter(|g| !codes.contains(g.as_str())),
                });
            }
            1 => {}
            _ => violations.push(Violation::InSeveralGrids {
                unit: u.unit,
                grids: h.iter().map(|&gi| plan.grids[gi].code.clone()).collect(),
            }),
        }
    }
    (holders, unassigned)
}

/// Checks one grid's rules — cap, contiguity, emptiness, polygon parts, workers, visiting — and
/// reports its figures.
fn check_grid(
    ctx: &PlanningContext,
    g: &PlanGrid,
    opts: &RuleOptions,
    scale: LoadScale,
    violations: &mut Vec<Violation>,
) -> GridReport {
    let members: Vec<usize> = g.units.iter().filter_map(|&u| ctx.position(u)).collect();
    let mut load_units = 0u64;
    let (mut hh_old, mut hh_new) = (0i64, 0i64);
    for &i in &members {
        let u = &ctx.units[i];
        load_units += scale.units(u.households, u.class);
        match u.class {
            CapClass::Old => hh_old += u.households,
            CapClass::New => hh_new += u.households,
        }
    }
    let households = hh_old + hh_new;
    let load = scale.load(load_units);
    let within_cap = load_units <= scale.cap;
    if !within_cap {
        violations.push(Violation::OverCap {
            grid: g.code.clone(),
            load,
            households,
            units: members.iter().map(|&i| ctx.units[i].unit).collect(),
        });
    }
    let comps = ctx.graph().components_of(&members);
    if comps.len() > 1 {
        violations.push(Violation::NotContiguous {
            grid: g.code.clone(),
            components: comps
                .iter()
                .map(|c| c.iter().map(|&i| ctx.units[i].unit).collect())
                .collect(),
        });
    }
    if members.is_empty() {
        violations.push(Violation::EmptyGrid {
            grid: g.code.clone(),
        });
    }
    let poly = ctx.dissolve_m(&members);
    let part_areas: Vec<f64> = poly
        .0
        .iter()
        .map(Area::unsigned_area)
        .filter(|&a| a > opts.area_tolerance_m2)
        .collect();
    if part_areas.len() > 1 {
        violations.push(Violation::MultiPart {
            grid: g.code.clone(),
            areas_m2: part_areas.clone(),
        });
    }
    let area = poly.unsigned_area();
    let per = perimeter(&poly);
    let staffing = check_staffing(
        g,
        households,
        scale.grids_needed(load_units),
        opts,
        violations,
    );
    GridReport {
        code: g.code.clone(),
        name: g.name.clone(),
        locked: g.locked,
        units: members.iter().map(|&i| ctx.units[i].unit).collect(),
        households,
        households_old: hh_old,
        households_new: hh_new,
        load,
        within_cap,
        components: comps.len(),
        contiguous: comps.len() <= 1,
        polygon_parts: part_areas.len(),
        area_m2: area,
        perimeter_m: per,
        polsby_popper: (per > 0.0).then(|| 4.0 * PI * area / (per * per)),
        workers: g.workers,
        workers_needed: staffing.needed,
        households_per_worker: staffing.per_worker,
        visiting_within_limit: staffing.visiting_ok,
    }
}

/// A grid's workers against its need and the monthly visiting limit.
struct Staffing {
    /// ⌈load⌉ workers.
    needed: i64,
    /// Households each worker visits per month (none without workers).
    per_worker: Option<f64>,
    visiting_ok: bool,
}

/// Checks a grid's workers against `needed` (⌈load⌉) and its households per worker against the
/// monthly visiting limit.
fn check_staffing(
    g: &PlanGrid,
    households: i64,
    needed: usize,
    opts: &RuleOptions,
    violations: &mut Vec<Violation>,
) -> Staffing {
    let needed = needed as i64;
    if g.workers < needed {
        violations.push(Violation::WorkersShort {
            grid: g.code.clone(),
            workers: g.workers,
            needed,
        });
    }
    let per_worker = (g.workers > 0).then(|| households as f64 / g.workers as f64);
    let limit = f64::from(opts.visits_per_worker_month);
    let visiting_ok = match per_worker {
        Some(v) => v <= limit,
        None => households == 0,
    };
    if !visiting_ok {
        violations.push(Violation::VisitingOverLimit {
            grid: g.code.clone(),
            households_per_worker: per_worker.unwrap_or(f64::INFINITY),
            limit: opts.visits_per_worker_month,
        });
    }
    Staffing {
        needed,
        per_worker,
        visiting_ok,
    }
}

/// Coverage of the community by the grid polygons; reports a gap and an overlap (with the
/// grids sharing units) above the tolerance.
fn check_coverage(
    ctx: &PlanningContext,
    plan: &Plan,
    holders: &[Vec<usize>],
    grids: &[GridReport],
    opts: &RuleOptions,
    violations: &mut Vec<Violation>,
) -> CoverageReport {
    let tol = opts.area_tolerance_m2;
    let assigned: Vec<usize> = (0..ctx.units.len())
        .filter(|&i| !holders[i].is_empty())
        .collect();
    let covered = ctx.dissolve_m(&assigned).unsigned_area();
    let sum: f64 = grids.iter().map(|g| g.area_m2).sum();
    let community = ctx.tessellation.boundary_area_m2;
    let coverage = CoverageReport {
        community_area_m2: community,
        covered_m2: covered,
        gap_m2: (community - covered).max(0.0),
        overlap_m2: (sum - covered).max(0.0),
    };
    if coverage.gap_m2 > tol {
        violations.push(Violation::Gap {
            area_m2: coverage.gap_m2,
        });
    }
    if coverage.overlap_m2 > tol {
        let mut shared: BTreeSet<String> = BTreeSet::new();
        for h in holders.iter().filter(|h| h.len() > 1) {
            shared.extend(h.iter().map(|&gi| plan.grids[gi].code.clone()));
        }
        violations.push(Violation::Overlap {
            area_m2: coverage.overlap_m2,
            grids: shared.into_iter().collect(),
        });
    }
    coverage
}
