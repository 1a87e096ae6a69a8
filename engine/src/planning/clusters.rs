//! Joint-management clusters 连片物业管理: contiguous clusters of adjacent three-no compounds
//! 三无小区, each with at least a floor of households (enough to make one property-management
//! company viable), as many clusters as possible — the max-p regions problem. This file is the
//! community glue (eligible compounds, one node per compound, the floor); the search on the
//! graph is [`max_p_regions`], in [`crate::planning::search`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::context::PlanningContext;
use super::graph::UnitGraph;
use super::units::UnitRef;
use super::PlanningError;

pub use super::search::max_p::{max_p_regions, MaxPParams, Regions};

/// Options of [`joint_management_clusters`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterOptions {
    /// Households a cluster needs at least (default 300; set it to what makes one
    /// property-management company viable locally).
    pub floor_households: i64,
    pub params: MaxPParams,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            floor_households: 300,
            params: MaxPParams::default(),
        }
    }
}

/// One proposed joint-management cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointCluster {
    pub compounds: Vec<i64>,
    pub names: Vec<String>,
    pub households: i64,
    /// The planning units of the cluster's compounds (a split compound's buildings).
    pub units: Vec<UnitRef>,
}

/// A three-no compound left out of every cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnclusteredCompound {
    pub compound: i64,
    pub name: String,
    pub households: i64,
    pub reason: String,
}

/// Proposed joint-management clusters of a community's three-no compounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterResult {
    pub floor_households: i64,
    pub three_no_compounds: usize,
    pub three_no_households: i64,
    pub clusters: Vec<JointCluster>,
    pub unclustered: Vec<UnclusteredCompound>,
    /// No solution has more clusters than this (Σ over groups of adjacent three-no compounds of
    /// ⌊households / floor⌋).
    pub upper_bound: usize,
}

/// Clusters of adjacent three-no compounds (adjacent: their cells in the context's
/// tessellation share an edge; a split compound counts as one), each with at least
/// `floor_households`, as many as found.
pub fn joint_management_clusters(
    ctx: &PlanningContext,
    opts: &ClusterOptions,
) -> Result<ClusterResult, PlanningError> {
    if opts.floor_households < 1 {
        return Err(PlanningError::InvalidOption {
            field: "floor_households".into(),
            reason: format!(
                "{} is not a positive number of households",
                opts.floor_households
            ),
        });
    }
    let (compounds, node_of_unit) = three_no_nodes(ctx);
    let edges =
        ctx.graph()
            .edges()
            .filter_map(|(a, b, l)| match (node_of_unit[a], node_of_unit[b]) {
                (Some(x), Some(y)) if x != y => Some((x, y, l)),
                _ => None,
            });
    let graph = UnitGraph::from_edges(compounds.len(), edges);
    let info: Vec<(String, i64)> = compounds
        .iter()
        .map(|&c| {
            ctx.catalog.compound(c).map_or_else(
                || (format!("compound:{c}"), 0),
                |x| (x.name.clone(), x.households),
            )
        })
        .collect();
    let weights: Vec<u64> = info.iter().map(|(_, h)| h.max(&0).unsigned_abs()).collect();
    let floor = opts.floor_households.unsigned_abs();
    let regions = max_p_regions(&graph, &weights, floor, None, &opts.params);

    let mut clusters: Vec<JointCluster> = (0..regions.regions)
        .map(|_| JointCluster {
            compounds: Vec::new(),
            names: Vec::new(),
            households: 0,
            units: Vec::new(),
        })
        .collect();
    for (node, r) in regions.region_of.iter().enumerate() {
        if let Some(r) = r {
            let c = &mut clusters[*r as usize];
            c.compounds.push(compounds[node]);
            c.names.push(info[node].0.clone());
            c.households += info[node].1;
        }
    }
    for (i, n) in node_of_unit.iter().enumerate() {
        if let Some(r) = n.and_then(|n| regions.region_of[n]) {
            clusters[r as usize].units.push(ctx.units[i].unit);
        }
    }
    let unclustered =
        unclustered_compounds(&graph, &regions, &compounds, &info, opts.floor_households);
    Ok(ClusterResult {
        floor_households: opts.floor_households,
        three_no_compounds: compounds.len(),
        three_no_households: info.iter().map(|(_, h)| h).sum(),
        clusters,
        unclustered,
        upper_bound: regions.upper_bound,
    })
}

/// One node per three-no compound: the compound of each node, and the node of each unit (its
/// units map onto it).
fn three_no_nodes(ctx: &PlanningContext) -> (Vec<i64>, Vec<Option<usize>>) {
    let mut node_of_compound: BTreeMap<i64, usize> = BTreeMap::new();
    let mut node_of_unit: Vec<Option<usize>> = vec![None; ctx.units.len()];
    for (i, u) in ctx.units.iter().enumerate() {
        if let (true, Some(c)) = (u.three_no, u.compound_id) {
            let next = node_of_compound.len();
            node_of_unit[i] = Some(*node_of_compound.entry(c).or_insert(next));
        }
    }
    let compounds: Vec<i64> = {
        let mut v = vec![0; node_of_compound.len()];
        for (&c, &i) in &node_of_compound {
            v[i] = c;
        }
        v
    };
    (compounds, node_of_unit)
}

/// The three-no compounds (nodes) in no cluster, each with why: its group of adjacent
/// compounds has too few households. Sorted by compound id.
fn unclustered_compounds(
    graph: &UnitGraph,
    regions: &Regions,
    compounds: &[i64],
    info: &[(String, i64)],
    floor_households: i64,
) -> Vec<UnclusteredCompound> {
    let all: Vec<usize> = (0..compounds.len()).collect();
    let comps = graph.components_of(&all);
    let mut unclustered = Vec::new();
    for comp in comps {
        if comp.iter().any(|&u| regions.region_of[u].is_some()) {
            continue;
        }
        let hh: i64 = comp.iter().map(|&u| info[u].1).sum();
        for &u in &comp {
            let reason = if comp.len() == 1 {
                format!(
                    "no adjacent three-no compound, and its {} households are below the floor of {}",
                    info[u].1, floor_households
                )
            } else {
                format!(
                    "its group of {} adjacent three-no compounds holds {hh} households, below the floor of {}",
                    comp.len(),
                    floor_households
                )
            };
            unclustered.push(UnclusteredCompound {
                compound: compounds[u],
                name: info[u].0.clone(),
                households: info[u].1,
                reason,
            });
        }
    }
    unclustered.sort_by_key(|u| u.compound);
    unclustered
}
