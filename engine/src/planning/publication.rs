//! Publication 发布: the feature changes that make a store hold a draft's plan — grid polygons
//! updated, added and deleted, and the compounds and buildings whose grid changes — refused
//! when a rule is broken or the current grids moved on since the draft began.

use std::collections::{BTreeMap, BTreeSet};

use geo_types::MultiPolygon;

use super::context::PlanningContext;
use super::draft::{check_grids, DraftBody};
use super::plan::{Plan, PlanDiff};
use super::rules::{check_plan, Severity, Violation};
use super::PlanningError;
use crate::change::Change;
use crate::feature::{Feature, Problem};
use crate::model::{Code, Compound, Grid, Layer};

/// What publishing a plan writes, and how it differs from the current grids.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    pub changes: Vec<Change>,
    pub diff: PlanDiff,
}

/// Why a plan cannot be published.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PublishError {
    /// The plan breaks grid rules (every error-level violation, empty grids included).
    #[error("the plan breaks {} grid rule(s): {}", .0.len(), .0.iter().take(5).map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Violations(Vec<Violation>),
    /// A grid's polygon would not be one polygon.
    #[error("grid {grid}'s polygon has {parts} parts; a grid is one polygon")]
    MultiPart { grid: String, parts: usize },
    /// A grid feature the plan produces could not be stored as it is.
    #[error("grid {grid}: {}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Unstorable {
        grid: String,
        problems: Vec<Problem>,
    },
    /// The current grids changed since the draft was started.
    #[error("the current grids of community {community} changed since this draft was started (data version {then} then, {now} now); start a new draft from the current grids")]
    BaseChanged {
        community: String,
        then: i64,
        now: i64,
    },
    #[error(transparent)]
    Planning(#[from] PlanningError),
}

/// Whether two plans hold the same grids (names, workers, locks and units) and splits.
pub fn same_grids(a: &Plan, b: &Plan) -> bool {
    let key = |p: &Plan| {
        let mut grids = p.grids.clone();
        grids.sort_by(|x, y| x.code.cmp(&y.code));
        (p.community_code.clone(), p.split_compounds.clone(), grids)
    };
    key(a) == key(b)
}

/// The changes that publish `draft` in `ctx` (a context of the draft plan's split compounds
/// on the current snapshot): refused when the current grids differ from the draft's base, when
/// a grid breaks the schema or an error-level rule, or a grid polygon is not one polygon.
pub fn publication(ctx: &PlanningContext, draft: &DraftBody) -> Result<Publication, PublishError> {
    let current = Plan::current(&ctx.catalog);
    if !same_grids(&current, &draft.base) {
        return Err(PublishError::BaseChanged {
            community: ctx.catalog.community_code.clone(),
            then: draft.base.base_version,
            now: ctx.catalog.snapshot_version,
        });
    }
    let plan = &draft.plan;
    check_grids(plan)?;
    check_rules(ctx, draft)?;
    let mut changes = grid_changes(ctx, plan)?;
    changes.extend(unit_changes(ctx, plan));
    Ok(Publication {
        changes,
        diff: plan.diff(&current, &ctx.catalog),
    })
}

/// Refuses a plan with an error-level violation or an empty grid.
fn check_rules(ctx: &PlanningContext, draft: &DraftBody) -> Result<(), PublishError> {
    let report = check_plan(ctx, &draft.plan, &draft.rules)?;
    let mut errors: Vec<Violation> = report
        .violations
        .iter()
        .filter(|v| v.severity() == Severity::Error)
        .cloned()
        .collect();
    errors.extend(report.grids.iter().filter(|g| g.units.is_empty()).map(|g| {
        Violation::EmptyGrid {
            grid: g.code.clone(),
        }
    }));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(PublishError::Violations(errors))
    }
}

/// Grid features updated, inserted and deleted; each one checked as the store will read it.
fn grid_changes(ctx: &PlanningContext, plan: &Plan) -> Result<Vec<Change>, PublishError> {
    let polygons = plan.grid_polygons(ctx)?;
    let stored: BTreeMap<&str, &Grid> = ctx
        .catalog
        .grids
        .iter()
        .map(|g| (g.code.as_str(), g))
        .collect();
    let mut changes = Vec::new();
    for g in &plan.grids {
        let shape = polygons
            .get(&g.code)
            .cloned()
            .unwrap_or(MultiPolygon(vec![]));
        let [polygon] = shape.0.as_slice() else {
            return Err(PublishError::MultiPart {
                grid: g.code.clone(),
                parts: shape.0.len(),
            });
        };
        let old = stored.get(g.code.as_str());
        let grid = Feature::Grid(Grid {
            id: old.map_or(0, |o| o.id),
            version: old.map_or(0, |o| o.version),
            code: g.code.clone(),
            name: g.name.clone(),
            community_code: plan.community_code.as_str().into(),
            workers: g.workers,
            locked: g.locked,
            geometry: polygon.clone(),
        });
        grid.storable()
            .map_err(|problems| PublishError::Unstorable {
                grid: g.code.clone(),
                problems,
            })?;
        match old {
            Some(old) if grid != Feature::Grid((*old).clone()) => changes.push(Change::Update {
                feature: grid,
                expected_version: old.version,
            }),
            Some(_) => {}
            None => changes.push(Change::Upsert(grid)),
        }
    }
    let kept: BTreeSet<&str> = plan.grids.iter().map(|g| g.code.as_str()).collect();
    changes.extend(
        ctx.catalog
            .grids
            .iter()
            .filter(|g| !kept.contains(g.code.as_str()))
            .map(|g| Change::Delete {
                layer: Layer::Grids,
                id: g.id,
                expected_version: Some(g.version),
            }),
    );
    Ok(changes)
}

/// Compounds and buildings whose `grid_code` the plan changes.
fn unit_changes(ctx: &PlanningContext, plan: &Plan) -> Vec<Change> {
    let catalog = &ctx.catalog;
    let codes = plan.grid_codes(catalog);
    let changed = |old: &Option<Code>, new: Option<&Option<String>>| {
        new.is_some_and(|n| n.as_deref() != old.as_deref())
    };
    let mut changes = Vec::new();
    for c in &catalog.compounds {
        let new = codes.compounds.get(&c.id);
        if changed(&c.grid_code, new) {
            changes.push(Change::Update {
                feature: Feature::Compound(Compound {
                    grid_code: new.cloned().flatten().map(Code::from),
                    ..c.clone()
                }),
                expected_version: c.version,
            });
        }
    }
    for b in &catalog.buildings {
        let new = codes.buildings.get(&b.id);
        if changed(&b.grid_code, new) {
            let mut building = b.clone();
            building.grid_code = new.cloned().flatten().map(Code::from);
            changes.push(Change::Update {
                feature: Feature::Building(building),
                expected_version: b.version,
            });
        }
    }
    changes
}
