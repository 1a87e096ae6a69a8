//! Grid planning 网格规划: rules, plans, automatic partition and joint-management clusters.
//!
//! Pure functions over a [`Catalog`] (one community's boundary, grids, compounds and buildings,
//! copied out of a [`Snapshot`](crate::Snapshot)); nothing here knows HTTP or SQL.
//!
//! - [`units`]: planning units — compounds 小区 and scattered buildings 散居楼栋 (a compound
//!   above the cap can be split along its buildings) — with households and cap class; the caps
//!   ([`Caps`], 150 old / 300 new households per grid). A grid's **load** is Σ households / cap
//!   of their class; a grid is within the rule when load ≤ 1.
//! - [`tessellation`] / [`PlanningContext`]: a Voronoi tessellation of the community by its
//!   units (clipped to the boundary) giving each unit a cell; units are adjacent when their cells
//!   share an edge. Grid polygons are the dissolved cells of their units, so grids always tile
//!   the community.
//! - [`rules`]: every rule for every grid of a [`Plan`] ([`check_plan`]).
//! - [`plan`]: plans ([`Plan`]) with their operations and the [`PlanDiff`] against the current
//!   plan.
//! - [`draft`]: what a saved draft holds, the API's operations ([`PlanOperation`]) and the
//!   validation of every plan against the grid schema.
//! - [`publication`]: the feature changes that make a store hold a plan ([`publication()`]).
//! - [`partition`]: automatic partition within the caps, contiguous, with as few grids as
//!   possible (lower bound ⌈Σ load⌉), then as few changes as possible, then compact
//!   ([`auto_partition`], and [`partition_graph`] on any graph).
//! - [`clusters`]: joint-management clusters 连片 of adjacent three-no compounds, each with at
//!   least a floor of households, as many as possible (max-p regions;
//!   [`joint_management_clusters`], and [`max_p_regions`] on any graph).
//!
//! Distances and areas are metres and m² in a [`LocalFrame`](crate::crs::LocalFrame) around the
//! community; geometries handed out are WGS84 lon/lat. Searches are deterministic for a seed.
//!
//! The flow of a planning session:
//!
//! ```text
//! let catalog = Arc::new(Catalog::from_snapshot(&snapshot, code)?);   // once per version
//! let current = Plan::current(&catalog);                               // the draft starts here
//! let ctx = Arc::new(PlanningContext::new(catalog, &current.split_compounds, Default::default())?);
//! let report = check_plan(&ctx, &draft, &RuleOptions::default())?;    // after every edit
//! draft.move_units(&ctx, &[UnitRef::Compound(12)], "510504003004002")?;
//! let diff = draft.diff(&current, &ctx.catalog);
//! let proposal = auto_partition(&ctx, &current, &PartitionOptions::default())?;
//! // publish: draft.grid_polygons(&ctx) and draft.grid_codes(&ctx.catalog) give what to write.
//! ```
//!
//! A context depends on the snapshot version, the community and the plan's split compounds
//! (cache it by those); moving units never needs a new one, splitting or joining a compound
//! does.
//!
//! ```
//! use gridatlas_engine::planning::{partition_graph, PartitionParams, UnitGraph};
//!
//! // A 4 × 4 lattice of units of load 0.25 each (cap = 4 load units): four grids of four.
//! let graph = UnitGraph::lattice(4, 4);
//! let p = partition_graph(&graph, &[1; 16], 4, None, &PartitionParams::default());
//! assert_eq!((p.parts, p.lower_bound), (4, 4));
//! ```

pub mod clusters;
pub mod context;
pub mod draft;
pub mod graph;
pub mod partition;
pub mod plan;
pub mod publication;
mod rng;
pub mod rules;
pub mod search;
pub mod tessellation;
pub mod units;

pub use clusters::{
    joint_management_clusters, max_p_regions, ClusterOptions, ClusterResult, JointCluster,
    MaxPParams, Regions, UnclusteredCompound,
};
pub use context::{PlanningContext, UnitIssue};
pub use draft::{
    apply_all, catalog_of, check_grid, check_grids, context_of, validate_plan, ContextSource,
    DraftBody, PlanOperation, SnapshotContexts, MAX_GRIDS, MAX_OPERATIONS,
};
pub use graph::UnitGraph;
pub use partition::{
    auto_partition, partition_graph, CurrentAssignment, GraphPartition, InfeasibleUnit,
    PartitionOptions, PartitionOutcome, PartitionParams, PartitionResult, PartitionScope,
    SplitCompound,
};
pub use plan::{GridChange, GridCodes, Plan, PlanDiff, PlanGrid, UnitMove};
pub use publication::{publication, Publication, PublishError};
pub use rules::{
    check_plan, CoverageReport, GridReport, PlanReport, RuleOptions, Severity, Violation,
};
pub use tessellation::{CellIssue, Tessellation, TessellationOptions};
pub use units::{CapClass, Caps, Catalog, PlanningUnit, UnitKind, UnitRef};

/// What can go wrong in grid planning.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanningError {
    /// No community with this code in the snapshot.
    #[error("community {0} does not exist")]
    UnknownCommunity(String),
    /// The community has no boundary to tessellate.
    #[error("community {0} has no boundary polygon")]
    NoBoundary(String),
    /// An option is out of range.
    #[error("invalid option {field}: {reason}")]
    InvalidOption { field: String, reason: String },
    /// A plan was given to a context of another community.
    #[error("the plan is for community {plan} but the context is community {context}")]
    WrongCommunity { plan: String, context: String },
    /// The plan splits other compounds than the context was built with.
    #[error("the plan splits compounds {plan:?} but the context was built splitting {context:?}; build a context for the plan's split")]
    SplitMismatch { plan: Vec<i64>, context: Vec<i64> },
    /// No grid with this code in the plan.
    #[error("grid {0} is not in the plan")]
    UnknownGrid(String),
    /// A grid with this code already exists in the plan.
    #[error("grid {0} already exists in the plan")]
    DuplicateGrid(String),
    /// The unit is not a planning unit of the community (under the plan's split).
    #[error("{unit} is not a planning unit of community {community}")]
    UnknownUnit { unit: UnitRef, community: String },
    /// Two grids to merge share no boundary.
    #[error("grids {a} and {b} are not adjacent: no unit of one shares a boundary with a unit of the other")]
    NotAdjacent { a: String, b: String },
    /// A grid cannot be split as asked.
    #[error("grid {grid} cannot be split: {reason}")]
    CannotSplit { grid: String, reason: String },
    /// A grid's attribute breaks the grid layer's schema (it could not be stored).
    #[error("grid {grid}: {field}: {reason}")]
    InvalidGrid {
        grid: String,
        field: &'static str,
        reason: crate::Reason,
    },
    /// An operation of a list failed.
    #[error("operation {index}: {source}")]
    InOperation {
        index: usize,
        source: Box<PlanningError>,
    },
    /// A compound cannot be split or joined as asked.
    #[error("compound {compound} cannot be {action}: {reason}")]
    Compound {
        compound: i64,
        action: &'static str,
        reason: String,
    },
}
