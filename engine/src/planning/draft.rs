//! Drafts 网格方案草案: what a saved draft holds, the operations that edit its plan, and the
//! validation every plan passes before it is saved or published.
//!
//! A plan's grids become grid features when it is published, so every grid attribute a plan
//! holds — code, name, workers — is checked against the grid layer's schema
//! ([`crate::schema::fields`]) with the very check the store's loader applies. A plan that
//! passes here can always be published into a store that opens again.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::context::PlanningContext;
use super::plan::{Plan, PlanGrid};
use super::rules::RuleOptions;
use super::tessellation::TessellationOptions;
use super::units::{Catalog, UnitRef};
use super::PlanningError;
use crate::feature::check_value;
use crate::model::Layer;
use crate::schema;
use crate::snapshot::Snapshot;

/// Grids one plan may hold.
pub const MAX_GRIDS: usize = 2_000;
/// Operations accepted in one request.
pub const MAX_OPERATIONS: usize = 1_000;
/// Grid workers one grid may have: the grid schema's `workers` range.
const WORKERS_FIELD: &str = "workers";

/// What a draft stores: its plan, the current plan it started from, and its rule settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftBody {
    pub plan: Plan,
    pub base: Plan,
    #[serde(default)]
    pub rules: RuleOptions,
}

impl DraftBody {
    /// A new draft of `current`.
    pub fn of_current(current: Plan, rules: RuleOptions) -> Self {
        DraftBody {
            base: current.clone(),
            plan: current,
            rules,
        }
    }

    /// Reads a stored draft body; `Err` names what is wrong with it.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        serde_json::from_value(value.clone()).map_err(|e| e.to_string())
    }
}

/// Where planning contexts come from: one community of one snapshot, a context per set of
/// split compounds (built once and shared).
pub trait ContextSource {
    fn context(&self, split: &BTreeSet<i64>) -> Result<Arc<PlanningContext>, PlanningError>;
}

impl<F> ContextSource for F
where
    F: Fn(&BTreeSet<i64>) -> Result<Arc<PlanningContext>, PlanningError>,
{
    fn context(&self, split: &BTreeSet<i64>) -> Result<Arc<PlanningContext>, PlanningError> {
        self(split)
    }
}

/// A community's catalog in `snapshot`, read once per snapshot.
pub fn catalog_of(snapshot: &Snapshot, community: &str) -> Result<Arc<Catalog>, PlanningError> {
    snapshot
        .memo
        .get_or_try_insert(&format!("planning catalog {community}"), || {
            Catalog::from_snapshot(snapshot, community)
        })
}

/// The planning context of `community` in `snapshot` with `split` compounds split along their
/// buildings, built once per snapshot (a tessellation takes a while).
pub fn context_of(
    snapshot: &Snapshot,
    community: &str,
    split: &BTreeSet<i64>,
) -> Result<Arc<PlanningContext>, PlanningError> {
    let key = format!("planning context {community} {split:?}");
    snapshot.memo.get_or_try_insert(&key, || {
        PlanningContext::new(
            catalog_of(snapshot, community)?,
            split,
            TessellationOptions::default(),
        )
    })
}

/// The contexts of one community of one snapshot, as a [`ContextSource`].
pub struct SnapshotContexts<'a> {
    pub snapshot: &'a Snapshot,
    pub community: &'a str,
}

impl ContextSource for SnapshotContexts<'_> {
    fn context(&self, split: &BTreeSet<i64>) -> Result<Arc<PlanningContext>, PlanningError> {
        context_of(self.snapshot, self.community, split)
    }
}

/// One edit of a draft's plan, as the planning API receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum PlanOperation {
    /// Moves units into a grid (out of any other).
    Move {
        units: Vec<UnitRef>,
        to: String,
    },
    /// Takes units out of every grid.
    Unassign {
        units: Vec<UnitRef>,
    },
    CreateGrid {
        code: Option<String>,
        name: Option<String>,
    },
    /// Deletes a grid; its units go to `move_to` or become unassigned.
    DeleteGrid {
        code: String,
        move_to: Option<String>,
    },
    MergeGrids {
        into: String,
        from: String,
    },
    /// Splits a grid in two contiguous halves of balanced load.
    SplitGrid {
        code: String,
        new_code: Option<String>,
    },
    /// Makes a compound's buildings the units instead of the compound.
    SplitCompound {
        compound: i64,
    },
    JoinCompound {
        compound: i64,
        into: Option<String>,
    },
    /// Renames a grid, sets its workers or its lock.
    SetGrid {
        code: String,
        name: Option<String>,
        workers: Option<i64>,
        locked: Option<bool>,
    },
}

impl PlanOperation {
    /// Applies the operation to `plan`, then checks every grid it leaves against the grid
    /// schema. On error the plan may be partly changed: apply to a copy.
    pub fn apply(
        &self,
        plan: &mut Plan,
        rules: &RuleOptions,
        contexts: &dyn ContextSource,
    ) -> Result<(), PlanningError> {
        self.apply_unchecked(plan, rules, contexts)?;
        check_grids(plan)
    }

    fn apply_unchecked(
        &self,
        plan: &mut Plan,
        rules: &RuleOptions,
        contexts: &dyn ContextSource,
    ) -> Result<(), PlanningError> {
        let ctx = |plan: &Plan| -> Result<Arc<PlanningContext>, PlanningError> {
            contexts.context(&plan.split_compounds)
        };
        match self {
            PlanOperation::Move { units, to } => {
                let c = ctx(plan)?;
                plan.move_units(&c, units, to)
            }
            PlanOperation::Unassign { units } => {
                plan.unassign_units(units);
                Ok(())
            }
            PlanOperation::CreateGrid { code, name } => plan
                .create_grid(code.as_deref(), name.as_deref().map(str::trim))
                .map(drop),
            PlanOperation::DeleteGrid { code, move_to } => {
                plan.delete_grid(code, move_to.as_deref()).map(drop)
            }
            PlanOperation::MergeGrids { into, from } => {
                let c = ctx(plan)?;
                plan.merge_grids(&c, into, from)
            }
            PlanOperation::SplitGrid { code, new_code } => {
                let c = ctx(plan)?;
                plan.split_grid(&c, code, &rules.caps, new_code.as_deref())
                    .map(drop)
            }
            PlanOperation::SplitCompound { compound } => {
                let c = ctx(plan)?;
                plan.split_compound(&c.catalog, *compound)
            }
            PlanOperation::JoinCompound { compound, into } => {
                let c = ctx(plan)?;
                plan.join_compound(&c.catalog, *compound, into.as_deref())
                    .map(drop)
            }
            PlanOperation::SetGrid {
                code,
                name,
                workers,
                locked,
            } => set_grid(plan, code, name.as_deref(), *workers, *locked),
        }
    }
}

fn set_grid(
    plan: &mut Plan,
    code: &str,
    name: Option<&str>,
    workers: Option<i64>,
    locked: Option<bool>,
) -> Result<(), PlanningError> {
    let grid = plan
        .grids
        .iter_mut()
        .find(|g| g.code == code)
        .ok_or_else(|| PlanningError::UnknownGrid(code.to_owned()))?;
    if let Some(n) = name {
        grid.name = n.trim().to_owned();
    }
    if let Some(w) = workers {
        grid.workers = w;
    }
    if let Some(l) = locked {
        grid.locked = l;
    }
    Ok(())
}

/// Applies operations in order, all or nothing: the plan is changed only when every one
/// applies. An error names the operation's position when there are several.
pub fn apply_all(
    plan: &mut Plan,
    rules: &RuleOptions,
    operations: &[PlanOperation],
    contexts: &dyn ContextSource,
) -> Result<(), PlanningError> {
    if operations.is_empty() || operations.len() > MAX_OPERATIONS {
        return Err(PlanningError::InvalidOption {
            field: "operations".into(),
            reason: format!("1 to {MAX_OPERATIONS} operations, got {}", operations.len()),
        });
    }
    let mut next = plan.clone();
    for (i, op) in operations.iter().enumerate() {
        op.apply(&mut next, rules, contexts).map_err(|e| {
            if operations.len() > 1 {
                PlanningError::InOperation {
                    index: i,
                    source: Box::new(e),
                }
            } else {
                e
            }
        })?;
    }
    *plan = next;
    Ok(())
}

/// Checks a plan put into a draft of `community` (replacing its plan: undo, redo, a proposal
/// accepted): its community, grid count, every grid's attributes against the grid schema, and
/// its units and split compounds against the community.
pub fn validate_plan(
    plan: &Plan,
    community: &str,
    contexts: &dyn ContextSource,
) -> Result<(), PlanningError> {
    if plan.community_code != community {
        return Err(PlanningError::WrongCommunity {
            plan: plan.community_code.clone(),
            context: community.to_owned(),
        });
    }
    check_grids(plan)?;
    let ctx = contexts.context(&plan.split_compounds)?;
    plan.check_context(&ctx)
}

/// Every grid of the plan against the grid layer's schema, and the number of grids and
/// uniqueness of codes.
pub fn check_grids(plan: &Plan) -> Result<(), PlanningError> {
    if plan.grids.len() > MAX_GRIDS {
        return Err(PlanningError::InvalidOption {
            field: "plan.grids".into(),
            reason: format!("at most {MAX_GRIDS} grids, got {}", plan.grids.len()),
        });
    }
    let mut codes = BTreeSet::new();
    for g in &plan.grids {
        check_grid(g)?;
        if !codes.insert(g.code.as_str()) {
            return Err(PlanningError::DuplicateGrid(g.code.clone()));
        }
    }
    Ok(())
}

/// One grid's code, name and workers, exactly as the grid layer's schema checks them.
pub fn check_grid(grid: &PlanGrid) -> Result<(), PlanningError> {
    let field = |name: &'static str, value: Value| -> Result<(), PlanningError> {
        let def = schema::fields(Layer::Grids)
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| PlanningError::InvalidOption {
                field: name.into(),
                reason: "not a field of the grid layer".into(),
            })?;
        check_value(def, &value)
            .map(drop)
            .map_err(|reason| PlanningError::InvalidGrid {
                grid: grid.code.chars().take(40).collect(),
                field: name,
                reason,
            })
    };
    if grid.code.trim() != grid.code || grid.code.chars().any(char::is_control) {
        return Err(PlanningError::InvalidGrid {
            grid: grid.code.chars().take(40).collect(),
            field: "code",
            reason: crate::Reason::new(
                "a grid code has no surrounding spaces or control characters",
                "网格编码前后不能有空格，也不能含有控制字符",
            ),
        });
    }
    field("code", Value::from(grid.code.as_str()))?;
    field("name", Value::from(grid.name.as_str()))?;
    field(WORKERS_FIELD, Value::from(grid.workers))
}

impl RuleOptions {
    /// Checks the settings: caps of at least one household, a monthly visiting load of 1 to
    /// 100,000 households per worker, an area tolerance of 0 to 1,000,000 m².
    pub fn validate(&self) -> Result<(), PlanningError> {
        self.caps.validate()?;
        if !(1..=100_000).contains(&self.visits_per_worker_month) {
            return Err(PlanningError::InvalidOption {
                field: "visits_per_worker_month".into(),
                reason: format!("must be 1 to 100000, got {}", self.visits_per_worker_month),
            });
        }
        if !(self.area_tolerance_m2 >= 0.0 && self.area_tolerance_m2 <= 1.0e6) {
            return Err(PlanningError::InvalidOption {
                field: "area_tolerance_m2".into(),
                reason: format!("must be 0 to 1000000 m², got {}", self.area_tolerance_m2),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_with(name: &str, workers: i64) -> Plan {
        Plan {
            community_code: "510504003004".into(),
            community_name: "龙南社区".into(),
            base_version: 1,
            split_compounds: BTreeSet::new(),
            grids: vec![PlanGrid {
                code: "510504003004001".into(),
                name: name.into(),
                workers,
                locked: false,
                units: BTreeSet::new(),
            }],
        }
    }

    #[test]
    fn grid_names_and_workers_are_held_to_the_grid_schema() {
        let ok = "名".repeat(100);
        assert!(check_grids(&plan_with(&ok, 100)).is_ok());
        let long = "名".repeat(101);
        let err = check_grids(&plan_with(&long, 1)).expect_err("101 characters");
        assert!(
            matches!(&err, PlanningError::InvalidGrid { field: "name", .. }),
            "{err}"
        );
        assert!(err.to_string().contains("name"), "{err}");
        let err = check_grids(&plan_with("第一网格", 101)).expect_err("101 workers");
        assert!(matches!(
            err,
            PlanningError::InvalidGrid {
                field: "workers",
                ..
            }
        ));
        let err = check_grids(&plan_with("", 1)).expect_err("empty name");
        assert!(matches!(
            err,
            PlanningError::InvalidGrid { field: "name", .. }
        ));
    }

    #[test]
    fn a_refused_operation_leaves_the_plan_unchanged() {
        let mut plan = plan_with("第一网格", 1);
        let before = plan.clone();
        let no_context = |_: &BTreeSet<i64>| -> Result<Arc<PlanningContext>, PlanningError> {
            Err(PlanningError::UnknownCommunity("none".into()))
        };
        let ops = [
            PlanOperation::SetGrid {
                code: "510504003004001".into(),
                name: Some("新名字".into()),
                workers: None,
                locked: None,
            },
            PlanOperation::SetGrid {
                code: "510504003004001".into(),
                name: Some("x".repeat(150)),
                workers: None,
                locked: None,
            },
        ];
        let err = apply_all(&mut plan, &RuleOptions::default(), &ops, &no_context)
            .expect_err("the second operation breaks the schema");
        assert!(err.to_string().contains("operation 1"), "{err}");
        assert_eq!(plan, before);
    }
}
